//! A report's card: what a list shows of it. It is derived from a version
//! when the version is written and kept beside the report, so a page of
//! cards reads one row a report and renders no Markdown.

use serde::{Deserialize, Serialize};

use crate::domain::IncidentFields;
use crate::{format, markdown};

/// The shape of `Card`. A kept card of another shape is derived again, so
/// changing what a card holds or how it is rendered means bumping this.
pub const CARD_FORMAT: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    /// `CARD_FORMAT` when the card was derived; first, so that a kept card's
    /// shape can be told from its opening bytes.
    pub format: u32,
    pub slug: String,
    pub title: String,
    /// The summary, rendered and sanitised.
    pub summary_html: String,
    pub severity: Option<String>,
    pub organization: Option<String>,
    /// The day it happened in the home zone, or "date unknown".
    pub when: String,
    /// How long it lasted, when both ends are known.
    pub duration: Option<String>,
    pub tags: Vec<String>,
    pub services: Vec<String>,
    pub open_actions: usize,
    /// Who wrote it, as the report names them.
    pub authors: Vec<String>,
    /// The key moments in a line of HTML, for the feed: "Impact started
    /// 11 Mar 2013 13:00 PDT (20:00 UTC) · Detected …"; empty without any.
    pub moments_html: String,
}

impl Card {
    pub fn of(fields: &IncidentFields) -> Card {
        Card::with_summary(fields, markdown::render(&fields.summary))
    }

    /// The card of `fields` with its summary already rendered.
    pub fn with_summary(fields: &IncidentFields, summary_html: String) -> Card {
        let when = when(fields);
        Card {
            format: CARD_FORMAT,
            slug: fields.slug.clone(),
            title: fields.title.clone(),
            summary_html,
            severity: fields.severity.map(|severity| severity.as_str().to_string()),
            organization: fields.organization.clone(),
            when,
            duration: fields.durations().total.known().as_ref().map(format::elapsed),
            tags: fields.tags.clone(),
            services: fields.services.clone(),
            open_actions: fields.actions.iter().filter(|action| action.is_open()).count(),
            authors: fields.authors.clone(),
            moments_html: key_moments_html(fields),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A kept card, if it is there and of the current shape.
    pub fn from_kept(json: Option<&str>) -> Option<Card> {
        serde_json::from_str::<Card>(json?).ok().filter(|card| card.format == CARD_FORMAT)
    }

    /// How a kept card of the current shape begins, for finding the others
    /// with `NOT LIKE`.
    pub fn kept_prefix() -> String {
        format!("{{\"format\":{CARD_FORMAT},")
    }
}

/// When it happened, as lists and search results show it: the first date
/// known, in the report's home zone ("8 Mar 2013"), or "date unknown".
pub fn when(fields: &IncidentFields) -> String {
    fields
        .first_dated()
        .map(|time| format::reported_date(time, &fields.home_zone()))
        .unwrap_or_else(|| "date unknown".to_string())
}

/// The key moments as the report page states them, in the report's zone
/// with UTC beside: "Impact started 11 Mar 2013 13:00 PDT (20:00 UTC)".
fn key_moments_html(fields: &IncidentFields) -> String {
    let home = fields.home_zone();
    let moments: Vec<String> = fields
        .known_moments()
        .map(|(moment, time)| {
            let utc = format::utc_beside(time, &home).map(|utc| format!(" ({utc})")).unwrap_or_default();
            format!("{} {}{utc}", moment.label(), format::reported(time, &home))
        })
        .collect();
    if moments.is_empty() {
        return String::new();
    }
    // The text is ours, but a zone label came from a writer.
    format!(
        "<p>{}</p>",
        askama::filters::escape(moments.join(" · "), askama::filters::Html).map(|e| e.to_string()).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::IncidentInput;

    #[test]
    fn a_kept_card_reads_back_and_another_shape_does_not() {
        let input = IncidentInput {
            title: "Queue stalled".into(),
            summary: "The *queue* stalled <script>alert(1)</script>".into(),
            tags: vec!["queue".into()],
            ..Default::default()
        };
        let card = Card::of(&input.validate().unwrap());
        assert!(card.summary_html.contains("<em>queue</em>"));
        assert!(!card.summary_html.contains("<script"), "sanitised on write");
        assert_eq!(card.when, "date unknown");
        let json = card.to_json();
        assert!(json.starts_with(&Card::kept_prefix()), "{json}");
        assert_eq!(Card::from_kept(Some(&json)), Some(card.clone()));
        let older = json.replacen(&Card::kept_prefix(), "{\"format\":0,", 1);
        assert_eq!(Card::from_kept(Some(&older)), None);
        assert_eq!(Card::from_kept(None), None);
        assert_eq!(Card::from_kept(Some("{not json")), None);
    }
}
