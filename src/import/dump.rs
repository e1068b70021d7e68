//! The JSON dump: every incident in the API's JSON shape, in one file.

use serde::{Deserialize, Serialize};

use super::{Batch, IncidentDocument};

pub const FORMAT: &str = "hindsight-export";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct DumpOut<'a> {
    pub format: &'static str,
    pub format_version: u32,
    pub exported_at: String,
    pub incidents: &'a [crate::domain::Incident],
}

#[derive(Deserialize)]
struct DumpIn {
    format: Option<String>,
    #[serde(default)]
    incidents: Vec<IncidentDocument>,
}

/// Adds every incident in a dump to `batch`, recording failures in its report.
pub async fn import_dump(batch: &mut Batch<'_>, name: &str, text: &str) {
    let dump: DumpIn = match serde_json::from_str(text) {
        Ok(dump) => dump,
        Err(error) => {
            return batch.report.failed.push((name.to_string(), format!("not a Hindsight JSON dump: {error}")));
        }
    };
    if dump.format.as_deref() != Some(FORMAT) {
        let reason = format!("not a Hindsight JSON dump: `format` is not \"{FORMAT}\"");
        return batch.report.failed.push((name.to_string(), reason));
    }
    for (index, document) in dump.incidents.into_iter().enumerate() {
        let label = format!("{name}#{index} ({})", document.incident.slug.as_deref().unwrap_or("no slug"));
        batch.add(&label, document).await;
    }
}
