//! The facts the insights count (`crate::insights::IncidentFacts`), read
//! for every published report or for the few a change touched: a handful
//! of narrow queries per chunk of reports, never their texts.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::Row;

use super::incidents::{addresses_from_text, optional_vocabulary, time_columns, time_from_row, vocabulary};
use super::{QueryBuilder, Store, StoreError};
use crate::domain::durations::{Durations, KeyMoments};
use crate::domain::incident::{parse_date, UNDATED};
use crate::domain::{zones, ActionStatus, FactorCategory, KeyMoment, Priority, RelationKind, Severity};
use crate::insights::facts::{places, to_date, ActionFacts, IncidentFacts, Label, Names};

/// Reports read at once.
const CHUNK: usize = 500;

const PUBLISHED: &str = "deleted_at IS NULL AND status = 'published'";

impl Store {
    /// Every published report's facts, in id order, a chunk at a time, with
    /// `progress(done)` after each chunk.
    pub async fn all_incident_facts(&self, mut progress: impl FnMut(usize)) -> Result<Vec<IncidentFacts>, StoreError> {
        let mut all = Vec::new();
        let mut names = Names::default();
        let mut after = i64::MIN;
        loop {
            let mut query = QueryBuilder::new(&format!("{} AND id > ", select_incidents()));
            query.bind(super::Param::Int(after));
            query.push(&format!(" ORDER BY id LIMIT {CHUNK}"));
            let rows = query.build().fetch_all(&self.read).await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("id")?;
            let read = rows.len();
            all.extend(self.facts_of(rows, &mut names).await?);
            progress(all.len());
            if read < CHUNK {
                break;
            }
        }
        Ok(all)
    }

    /// The facts of those of `ids` that are published and live; the others
    /// are left out.
    pub async fn incident_facts(&self, ids: &[i64]) -> Result<Vec<IncidentFacts>, StoreError> {
        let mut facts = Vec::with_capacity(ids.len());
        let mut names = Names::default();
        for chunk in ids.chunks(CHUNK) {
            let mut query = QueryBuilder::new(&format!("{} AND id IN ", select_incidents()));
            query.bind_list(chunk);
            let rows = query.build().fetch_all(&self.read).await?;
            facts.extend(self.facts_of(rows, &mut names).await?);
        }
        Ok(facts)
    }

    /// The text of each action item of the incidents `ids`, by incident and
    /// place: what the facts leave out.
    pub async fn action_texts(&self, ids: &[i64]) -> Result<HashMap<(i64, usize), String>, StoreError> {
        let mut texts = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let mut query =
                QueryBuilder::new("SELECT incident_id, position, text FROM action_items WHERE incident_id IN ");
            query.bind_list(chunk);
            for row in query.build().fetch_all(&self.read).await? {
                let position: i64 = row.try_get("position")?;
                texts.insert(
                    (row.try_get("incident_id")?, usize::try_from(position).unwrap_or_default()),
                    row.try_get("text")?,
                );
            }
        }
        Ok(texts)
    }

    /// The facts of the incident rows, their parts read a table at a time.
    async fn facts_of(&self, rows: Vec<AnyRow>, names: &mut Names) -> Result<Vec<IncidentFacts>, StoreError> {
        let mut facts = Vec::with_capacity(rows.len());
        let mut parts: Vec<Parts> = Vec::with_capacity(rows.len());
        let mut place = HashMap::with_capacity(rows.len());
        for row in &rows {
            let fact = facts_from_row(row, names)?;
            place.insert(fact.id, facts.len());
            facts.push(fact);
            parts.push(Parts::default());
        }
        if facts.is_empty() {
            return Ok(facts);
        }
        let ids: Vec<i64> = facts.iter().map(|fact| fact.id).collect();
        for (table, columns) in [
            ("incident_services", "incident_id, name"),
            ("incident_tags", "incident_id, name"),
            ("contributing_factors", "incident_id, category"),
            ("action_items", "incident_id, owner, status, priority, due_on, addresses, completed_at, completed_offset, completed_zone, completed_precision, completed_approximate"),
            ("related_incidents", "incident_id, related_slug, kind"),
        ] {
            let mut query = QueryBuilder::new(&format!("SELECT {columns} FROM {table} WHERE incident_id IN "));
            query.bind_list(&ids);
            query.push(" ORDER BY incident_id, position");
            for row in query.build().fetch_all(&self.read).await? {
                let id: i64 = row.try_get("incident_id")?;
                let Some(part) = place.get(&id).and_then(|at| parts.get_mut(*at)) else { continue };
                let mut label = |column: &str| -> Result<Label, StoreError> {
                    Ok(names.label(&row.try_get::<String, _>(column)?))
                };
                match table {
                    "incident_services" => part.services.push(label("name")?),
                    "incident_tags" => part.tags.push(label("name")?),
                    "contributing_factors" => part.factors.push(vocabulary(&row, "category", FactorCategory::parse)?),
                    "action_items" => part.actions.push(action_facts(&row, names)?),
                    _ => {
                        if vocabulary(&row, "kind", RelationKind::parse)? == RelationKind::RecurrenceOf {
                            part.recurrence_of.push(row.try_get::<String, _>("related_slug")?.into());
                        }
                    }
                }
            }
        }
        for (fact, part) in facts.iter_mut().zip(parts) {
            fact.services = part.services.into();
            fact.tags = part.tags.into();
            fact.factors = part.factors.into();
            fact.actions = part.actions.into();
            fact.recurrence_of = part.recurrence_of.into();
        }
        Ok(facts)
    }
}

/// A report's parts as they are read, before they are kept.
#[derive(Default)]
struct Parts {
    services: Vec<Label>,
    tags: Vec<Label>,
    factors: Vec<FactorCategory>,
    actions: Vec<ActionFacts>,
    recurrence_of: Vec<Box<str>>,
}

fn select_incidents() -> String {
    let moments: Vec<String> = KeyMoment::ALL.iter().map(|moment| time_columns(moment.name())).collect();
    format!(
        "SELECT id, slug, severity, organization, zone, occurred_at, {} FROM incidents WHERE {PUBLISHED}",
        moments.join(", ")
    )
}

fn facts_from_row(row: &AnyRow, names: &mut Names) -> Result<IncidentFacts, StoreError> {
    let [started, detected, mitigated, resolved] = [
        time_from_row(row, KeyMoment::Started.name())?,
        time_from_row(row, KeyMoment::Detected.name())?,
        time_from_row(row, KeyMoment::Mitigated.name())?,
        time_from_row(row, KeyMoment::Resolved.name())?,
    ];
    let durations = Durations::derive(KeyMoments {
        started: started.as_ref(),
        detected: detected.as_ref(),
        mitigated: mitigated.as_ref(),
        resolved: resolved.as_ref(),
    });
    let occurred = Some(row.try_get::<i64, _>("occurred_at")?).filter(|at| *at != UNDATED);
    // A report stored before home zones takes the zone of its first time
    // written with one, as `Store::get_incident` gives it.
    let zone = match row.try_get::<Option<String>, _>("zone")?.filter(|zone| !zone.is_empty()) {
        Some(zone) => zone,
        None => zones::home_zone_from_labels(
            [&started, &detected, &mitigated, &resolved].into_iter().flatten().map(|time| time.zone.as_str()),
        ),
    };
    let zone = zones::home_zone(&zone);
    let date =
        occurred.and_then(|at| jiff::Timestamp::from_second(at).ok()).and_then(|at| to_date(at.to_zoned(zone).date()));
    Ok(IncidentFacts {
        id: row.try_get("id")?,
        slug: row.try_get::<String, _>("slug")?.into(),
        severity: optional_vocabulary(row, "severity", Severity::parse)?,
        organization: row.try_get::<Option<String>, _>("organization")?.map(|name| names.label(&name)),
        services: Box::default(),
        tags: Box::default(),
        factors: Box::default(),
        actions: Box::default(),
        recurrence_of: Box::default(),
        occurred,
        date,
        durations: IncidentFacts::measured(&durations),
    })
}

fn action_facts(row: &AnyRow, names: &mut Names) -> Result<ActionFacts, StoreError> {
    let due_on: Option<String> = row.try_get("due_on")?;
    // Stored before completion times kept their zone: a UTC instant.
    let completed_on = match time_from_row(row, "completed") {
        Ok(Some(time)) => to_date(time.local().date()),
        _ => row
            .try_get::<Option<i64>, _>("completed_at")?
            .and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok())
            .map(|at| at.date()),
    };
    Ok(ActionFacts {
        status: vocabulary(row, "status", ActionStatus::parse)?,
        priority: optional_vocabulary(row, "priority", Priority::parse)?,
        owner: row.try_get::<Option<String>, _>("owner")?.map(|name| names.label(&name)),
        due_on: due_on.as_deref().and_then(parse_date),
        completed_on,
        addresses: places(&addresses_from_text(row.try_get::<Option<String>, _>("addresses")?.as_deref())?),
    })
}
