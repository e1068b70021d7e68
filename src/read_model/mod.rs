//! The read model: what the pages show of a report, derived from a version
//! when it is written and kept beside it, so that a reader never renders
//! Markdown or lays out a timeline. A list reads a report's `Card`; its page
//! reads its `RenderedReport`; the open actions and the factor pages read
//! the rendered text kept on each item.

pub mod card;
pub mod report;
pub mod timeline;

pub use card::Card;
pub use report::RenderedReport;

use crate::domain::IncidentFields;

/// Everything derived from one version, and how it is kept: the card as
/// JSON that begins with its format, the rendering compressed.
#[derive(Debug, Clone)]
pub struct Derived {
    pub card_json: String,
    pub report: RenderedReport,
    pub report_kept: Vec<u8>,
}

impl Derived {
    /// Derives what the pages show of `fields`. The Markdown is rendered
    /// once, for the report and its card alike.
    pub fn of(fields: &IncidentFields) -> Derived {
        let report = RenderedReport::of(fields);
        let card_json = Card::with_summary(fields, report.summary_html.clone()).to_json();
        let report_kept = report.to_kept();
        Derived { card_json, report, report_kept }
    }

    /// Derives `fields` on a blocking thread, as `of_all` does.
    pub async fn of_one(fields: &IncidentFields) -> Derived {
        Derived::of_all(vec![fields.clone()]).await.pop().unwrap_or_else(|| Derived::of(fields))
    }

    /// Derives each of `fields` on a blocking thread: a long body takes
    /// milliseconds to render, which must not hold an async worker.
    pub async fn of_all(fields: Vec<IncidentFields>) -> Vec<Derived> {
        let derive = move || fields.iter().map(Derived::of).collect::<Vec<_>>();
        match tokio::task::spawn_blocking(derive).await {
            Ok(derived) => derived,
            // Rendering does not panic on any input the validation lets
            // through; if it ever did, the write fails rather than the server.
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
}
