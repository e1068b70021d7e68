//! The seed incidents in `seeds/`, embedded in the binary. They load into a
//! database that has never held an incident, and never again after that.

use crate::import::{self, ImportReport};
use crate::store::Store;

/// `(file name, contents)` of every seed file, in name order.
pub static SEED_FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/seeds.rs"));

/// Loads the seeds if the database has never held an incident. Returns how
/// many were loaded (zero when the database was not empty).
pub async fn load_if_empty(store: &Store) -> anyhow::Result<usize> {
    if store.count_all_incidents().await? > 0 {
        return Ok(0);
    }
    let mut report = ImportReport::default();
    for (name, text) in SEED_FILES {
        import::import_markdown(store, name, text, "seed", &mut report).await;
    }
    if let Some((name, reason)) = report.failed.first() {
        anyhow::bail!("seed file {name} could not be loaded: {reason}");
    }
    Ok(report.imported)
}
