//! `hindsight export`: every live incident as one Markdown file each, plus a
//! JSON Lines dump of them all, in a folder.

use std::path::Path;

use super::{dump, markdown, IncidentDocument};
use crate::domain::reported_time::format_rfc3339;
use crate::store::{IncidentFilter, Store};

/// The dump's file name inside an export folder.
pub const DUMP_FILE: &str = "hindsight-export.jsonl";
const PAGE: u32 = 100;

/// Writes the export into `dir` (created if needed) and returns how many
/// incidents it holds. Incidents are read a page at a time and written as
/// they come, so memory does not grow with the base. `progress` is told the
/// count so far.
pub async fn export_all(store: &Store, dir: &Path, mut progress: impl FnMut(usize)) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut dump = std::io::BufWriter::new(std::fs::File::create(dir.join(DUMP_FILE))?);
    dump::write_header(&mut dump, format_rfc3339(time::OffsetDateTime::now_utc()))?;
    let mut done = 0;
    let mut cursor = None;
    loop {
        let page = store.list_incidents(&IncidentFilter::default(), cursor, PAGE).await?;
        for incident in &page.items {
            let text = markdown::render(&IncidentDocument::from_incident(incident)).map_err(anyhow::Error::msg)?;
            std::fs::write(dir.join(format!("{}.md", incident.fields.slug)), text)?;
            dump::write_incident(&mut dump, incident)?;
            done += 1;
            progress(done);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    dump.into_inner().map_err(|error| error.into_error())?.sync_all()?;
    Ok(done)
}
