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

    /// Derives each of `fields` on a blocking thread.
    pub async fn of_all(fields: Vec<IncidentFields>) -> Vec<Derived> {
        off_the_workers(move || fields.iter().map(Derived::of).collect()).await
    }
}

/// Renders `fields` as its page shows it, on a blocking thread: for a
/// report whose rendering was not kept.
pub async fn render_report(fields: &IncidentFields) -> RenderedReport {
    let fields = fields.clone();
    off_the_workers(move || RenderedReport::of(&fields)).await
}

/// A factor's or action's text as kept when it was written, or rendered
/// now for one written before renderings were kept.
pub fn item_html(kept: Option<String>, markdown: &str) -> String {
    kept.unwrap_or_else(|| crate::markdown::render_inline(markdown))
}

/// Runs `render` on a blocking thread when its turn comes: a long body
/// takes milliseconds to render, which must not hold an async worker. A
/// write waits for its turn rather than being refused, since its writer's
/// text must not be lost.
async fn off_the_workers<T: Send + 'static>(render: impl FnOnce() -> T + Send + 'static) -> T {
    match crate::heavy_work::in_turn(render).await {
        Ok(done) => done,
        Err(error) => match error.try_into_panic() {
            // Rendering does not panic on any input the validation lets
            // through; if it ever did, the panic goes on in the task that
            // asked (a request's, caught and answered with a 500).
            Ok(panic) => std::panic::resume_unwind(panic),
            // Not started before the runtime shut down: the write that
            // asked is abandoned with it.
            Err(cancelled) => panic!("rendering was cancelled: {cancelled}"),
        },
    }
}
