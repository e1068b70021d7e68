//! A report as its page shows it: every Markdown field rendered and
//! sanitised, and its timeline laid out. Derived when a version is written
//! and kept beside it; a version never changes, so neither does this.

use serde::{Deserialize, Serialize};

use super::timeline::{self, TimelineView};
use crate::domain::{EachLearning, IncidentFields, Learning};
use crate::markdown;

/// The shape of `RenderedReport` and how it is rendered. A kept rendering
/// of another format is derived again, so changing what it holds, the
/// sanitiser's rules or the timeline's layout means bumping this.
pub const REPORT_FORMAT: u32 = 3;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenderedReport {
    /// `REPORT_FORMAT` when rendered.
    pub format: u32,
    pub summary_html: String,
    pub body_html: String,
    pub impact_html: String,
    /// The lessons learned, in the order of `Learning::ALL`.
    pub learnings_html: [String; 3],
    /// One line of HTML for each contributing factor, in their order.
    pub factors_html: Vec<String>,
    /// One line of HTML for each action item, in their order.
    pub actions_html: Vec<String>,
    pub timeline: TimelineView,
}

impl RenderedReport {
    pub fn of(fields: &IncidentFields) -> RenderedReport {
        RenderedReport {
            format: REPORT_FORMAT,
            summary_html: markdown::render(&fields.summary),
            body_html: markdown::render(&fields.body),
            impact_html: markdown::render(&fields.impact),
            learnings_html: Learning::ALL.map(|learning| markdown::render(fields.learning(learning))),
            factors_html: fields.factors.iter().map(|f| markdown::render_inline(&f.text)).collect(),
            actions_html: fields.actions.iter().map(|a| markdown::render_inline(&a.text)).collect(),
            timeline: timeline::build(fields),
        }
    }

    /// The rendering as kept: its JSON, compressed (about a fifth of its
    /// size, most of it the timeline's drawings).
    pub fn to_kept(&self) -> Vec<u8> {
        lz4_flex::block::compress_prepend_size(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }

    /// A kept rendering, if it is there, of the current format and whole.
    pub fn from_kept(kept: Option<&[u8]>, format: Option<i64>) -> Option<RenderedReport> {
        let kept = kept.filter(|_| format == Some(i64::from(REPORT_FORMAT)))?;
        // The length it claims is checked before anything is allocated.
        let length = u32::from_le_bytes(kept.get(..4)?.try_into().ok()?) as usize;
        if length > MAX_KEPT_BYTES {
            return None;
        }
        let json = lz4_flex::block::decompress_size_prepended(kept).ok()?;
        serde_json::from_slice::<RenderedReport>(&json).ok().filter(|rendered| rendered.format == REPORT_FORMAT)
    }
}

/// A report's Markdown is at most a few hundred KiB; its rendering, a few
/// times that.
const MAX_KEPT_BYTES: usize = 16 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::IncidentInput;

    #[test]
    fn a_kept_rendering_reads_back_and_another_format_does_not() {
        let fields = IncidentInput {
            title: "T".into(),
            summary: "**one**".into(),
            body: "<script>alert(1)</script>two".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let rendered = RenderedReport::of(&fields);
        assert_eq!(rendered.summary_html.trim(), "<p><strong>one</strong></p>");
        assert!(!rendered.body_html.contains("script"), "sanitised: {}", rendered.body_html);
        let kept = rendered.to_kept();
        let current = Some(i64::from(REPORT_FORMAT));
        assert_eq!(RenderedReport::from_kept(Some(&kept), current), Some(rendered));
        assert_eq!(RenderedReport::from_kept(Some(&kept), Some(0)), None, "another format");
        assert_eq!(RenderedReport::from_kept(None, current), None);
        assert_eq!(RenderedReport::from_kept(Some(&kept[..kept.len() / 2]), current), None, "cut short");
        let claims_too_much = [&u32::MAX.to_le_bytes()[..], &kept[4..]].concat();
        assert_eq!(RenderedReport::from_kept(Some(&claims_too_much), current), None);
    }
}
