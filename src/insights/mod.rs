//! Learning across incidents: the facts of every published report held in
//! memory (`facts`), kept in step with the change log, and what is
//! computed from them: the numbers of `/insights` and `/api/v1/stats`
//! (`stats`), and whether an incident has happened before and whether the
//! fix held (`recurrence`).
//!
//! The facts are read once, then only the reports each change touched: a
//! reader asks `Insights::current`, which first applies whatever the change
//! log holds beyond what was applied, so the numbers are never older than
//! the last write committed when the reader asked, on this server or
//! another (a kept page of them is renewed as pages are: `page_cache`).

pub mod charts;
pub mod facts;
pub mod filter;
pub mod recurrence;
pub mod stats;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use time::Date;

pub use facts::{ActionFacts, IncidentFacts, Measure};
pub use filter::{InsightFilter, InsightQuery, Period};
pub use recurrence::{Earlier, FixState, Lookups};
pub use stats::Stats;

use crate::domain::FactorCategory;
use crate::error::AppError;
use crate::heavy_work::HeavyWork;
use crate::store::{Store, StoreError};

/// Changes read from the log at once.
const BATCH: u32 = 1_000;
/// Computed answers kept for the current facts.
const KEEP_ANSWERS: usize = 64;

/// The facts of every published report at one change-log position.
#[derive(Debug, Default)]
pub struct Base {
    /// The last change applied.
    pub cursor: i64,
    facts: HashMap<i64, Arc<IncidentFacts>>,
    /// Built on first use, for this position.
    lookups: OnceLock<Lookups>,
    fixes: OnceLock<HashMap<i64, (String, Option<FactorCategory>)>>,
}

impl Base {
    pub fn all(&self) -> impl Iterator<Item = &IncidentFacts> {
        self.facts.values().map(|facts| facts.as_ref())
    }

    /// Which incidents, service by service and category by category,
    /// happened before which.
    pub fn lookups(&self) -> &Lookups {
        self.lookups.get_or_init(|| Lookups::new(self.facts.values()))
    }

    /// For each report, the earlier one whose fix did not hold, computed
    /// once for this position.
    pub fn fixes_that_did_not_hold(&self) -> &HashMap<i64, (String, Option<FactorCategory>)> {
        self.fixes.get_or_init(|| {
            let lookups = self.lookups();
            self.all().filter_map(|report| Some((report.id, lookups.fix_that_did_not_hold(report)?))).collect()
        })
    }

    /// The numbers for `filter` on `today`.
    pub fn stats(&self, filter: &InsightFilter, today: Date) -> Stats {
        let fixes = self.fixes_that_did_not_hold();
        stats::compute(self.all(), filter, today, |facts| fixes.get(&facts.id).cloned())
    }
}

/// The facts, and the answers computed from them, for one server.
#[derive(Debug)]
pub struct Insights {
    store: Store,
    base: tokio::sync::Mutex<Option<Arc<Base>>>,
    answers: Mutex<Answers>,
}

#[derive(Debug, Default)]
struct Answers {
    cursor: i64,
    day: Option<Date>,
    stats: HashMap<InsightFilter, Arc<Stats>>,
}

impl Insights {
    pub fn new(store: Store) -> Insights {
        Insights { store, base: tokio::sync::Mutex::new(None), answers: Mutex::default() }
    }

    /// The facts as of the last committed change: read whole the first
    /// time, then brought up to date change by change.
    pub async fn current(&self) -> Result<Arc<Base>, StoreError> {
        let last = self.store.last_change_id().await?;
        let mut held = self.base.lock().await;
        if let Some(base) = held.as_ref().filter(|base| base.cursor >= last) {
            return Ok(Arc::clone(base));
        }
        let base = match held.clone() {
            None => {
                // Changes committed while reading are applied next time.
                let started = std::time::Instant::now();
                let facts = self.store.all_incident_facts(|_| {}).await?;
                tracing::info!(reports = facts.len(), elapsed = ?started.elapsed(), "insights read every published report");
                Base {
                    cursor: last,
                    facts: facts.into_iter().map(|facts| (facts.id, Arc::new(facts))).collect(),
                    lookups: OnceLock::new(),
                    fixes: OnceLock::new(),
                }
            }
            // On an error the facts held are kept for the next try.
            Some(base) => self.apply_changes(&base).await?,
        };
        let base = Arc::new(base);
        *held = Some(Arc::clone(&base));
        Ok(base)
    }

    /// `base` with every change after its cursor applied.
    async fn apply_changes(&self, base: &Base) -> Result<Base, StoreError> {
        let mut facts = base.facts.clone();
        let mut cursor = base.cursor;
        loop {
            let changes = self.store.changes_after(cursor, BATCH).await?;
            let Some(last) = changes.last() else { break };
            cursor = last.id;
            let mut ids: Vec<i64> = changes.iter().map(|change| change.incident_id).collect();
            ids.sort_unstable();
            ids.dedup();
            for id in &ids {
                facts.remove(id);
            }
            // Deleted, drafted or withdrawn reports are not returned.
            for fresh in self.store.incident_facts(&ids).await? {
                facts.insert(fresh.id, Arc::new(fresh));
            }
            if changes.len() < BATCH as usize {
                break;
            }
        }
        Ok(Base { cursor, facts, lookups: OnceLock::new(), fixes: OnceLock::new() })
    }

    /// The facts as of the last committed change, with their lookups built
    /// (on a blocking thread: after a write, that is a pass over them all).
    pub async fn with_lookups(&self) -> Result<Arc<Base>, StoreError> {
        let base = self.current().await?;
        if base.lookups.get().is_some() {
            return Ok(base);
        }
        tokio::task::spawn_blocking(move || {
            base.lookups();
            base
        })
        .await
        .map_err(|error| StoreError::Corrupt(format!("the insights could not be computed: {error}")))
    }

    /// The numbers for `filter` on `today`, computed once per position of
    /// the change log, a few at a time (`heavy`): each is a pass over every
    /// report's facts.
    pub async fn stats(&self, filter: &InsightFilter, today: Date, heavy: &HeavyWork) -> Result<Arc<Stats>, AppError> {
        let base = self.current().await?;
        {
            let answers = self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if answers.cursor == base.cursor && answers.day == Some(today) {
                if let Some(stats) = answers.stats.get(filter) {
                    return Ok(Arc::clone(stats));
                }
            }
        }
        let worked = Arc::clone(&base);
        let asked = filter.clone();
        let stats = heavy.run(move || Arc::new(worked.stats(&asked, today))).await?;
        let mut answers = self.answers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if answers.cursor != base.cursor || answers.day != Some(today) || answers.stats.len() >= KEEP_ANSWERS {
            *answers = Answers { cursor: base.cursor, day: Some(today), stats: HashMap::new() };
        }
        answers.stats.insert(filter.clone(), Arc::clone(&stats));
        Ok(stats)
    }
}
