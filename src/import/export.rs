//! `hindsight export`: every live incident as one Markdown file each, plus a
//! JSON dump of them all, in a folder.

use std::path::Path;

use super::dump::{DumpOut, FORMAT, FORMAT_VERSION};
use super::{markdown, IncidentDocument};
use crate::domain::reported_time::format_rfc3339;
use crate::domain::Incident;
use crate::store::{IncidentFilter, Store};

/// The dump's file name inside an export folder.
pub const DUMP_FILE: &str = "hindsight-export.json";
const PAGE: u32 = 100;

/// Writes the export into `dir` (created if needed) and returns how many
/// incidents it holds. `progress` is told the count so far.
pub async fn export_all(store: &Store, dir: &Path, mut progress: impl FnMut(usize)) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let incidents = all_incidents(store).await?;
    for (done, incident) in incidents.iter().enumerate() {
        let text = markdown::render(&IncidentDocument::from_incident(incident)).map_err(anyhow::Error::msg)?;
        std::fs::write(dir.join(format!("{}.md", incident.fields.slug)), text)?;
        progress(done + 1);
    }
    let dump = DumpOut {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        exported_at: format_rfc3339(time::OffsetDateTime::now_utc()),
        incidents: &incidents,
    };
    std::fs::write(dir.join(DUMP_FILE), serde_json::to_vec_pretty(&dump)?)?;
    Ok(incidents.len())
}

async fn all_incidents(store: &Store) -> anyhow::Result<Vec<Incident>> {
    let mut incidents = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.list_incidents(&IncidentFilter::default(), cursor, PAGE).await?;
        incidents.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(incidents),
        }
    }
}
