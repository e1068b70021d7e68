//! The counts pages show beside their filters and on the home page (tags,
//! services, organizations, published reports, open and overdue actions),
//! read from the store once for each state of the data and day, the way
//! kept pages are, so a signed-in reader's page does not read them again.

use std::sync::{Arc, Mutex};

use time::Date;

use crate::app::AppState;
use crate::store::{Label, LabelCount, Stats, StoreError};

#[derive(Debug)]
pub struct Counts {
    pub tags: Vec<LabelCount>,
    pub services: Vec<LabelCount>,
    pub organizations: Vec<LabelCount>,
    pub stats: Stats,
}

/// The change-log position the index applied, this server's writes, and
/// the day (what is overdue changes at midnight): the kept pages' key.
type Generation = (i64, u64, Date);

#[derive(Debug, Default)]
pub struct CountsMemo {
    kept: Mutex<Option<(Generation, Arc<Counts>)>>,
}

impl CountsMemo {
    /// The counts as of now, `today` in UTC.
    pub async fn get(&self, state: &AppState, today: Date) -> Result<Arc<Counts>, StoreError> {
        // Read before the counts, so a write meanwhile makes the next call
        // read them again. While the index is being built its position
        // does not follow other servers' writes: nothing is kept then.
        let generation = (state.search.applied_change(), state.store.local_writes(), today);
        let ready = state.search.is_ready();
        if let Some((kept, counts)) = self.lock().as_ref() {
            if ready && *kept == generation {
                return Ok(Arc::clone(counts));
            }
        }
        let counts = Arc::new(Counts {
            tags: state.store.label_counts(Label::Tag).await?,
            services: state.store.label_counts(Label::Service).await?,
            organizations: state.store.organizations().await?,
            stats: state.store.stats(today).await?,
        });
        if ready {
            *self.lock() = Some((generation, Arc::clone(&counts)));
        }
        Ok(counts)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Generation, Arc<Counts>)>> {
        self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
