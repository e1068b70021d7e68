//! A postmortem written from the Google SRE template (the book's Appendix
//! D) as a draft: its sections, written as headings (`## Root Causes`) or
//! as `Label: text` lines at the top, mapped to our fields.
//!
//! - Summary, Impact, Authors and Date to theirs; Detection to how it was
//!   detected (guessed from its words) and, with Resolution, to the
//!   narrative;
//! - Root Causes and Trigger to contributing factors, each with a category
//!   guessed from its words, which the draft says a writer must check;
//! - the Action Items table to action items (owner, tracker link, done);
//! - What went well, What went wrong, Where we got lucky to the lessons;
//! - the Timeline's lines through the paste reader, in the zone and on the
//!   day it names; a line it cannot read stays an event without a time.
//!
//! Any other section, and anything not read into a field, stays in the
//! narrative under its heading: nothing is dropped.

use crate::domain::incident::{
    ActionInput, FactorInput, TimelineEventInput, MAX_ITEM_TEXT_CHARS, MAX_NAME_CHARS, MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
};
use crate::domain::reported_time::{parse_calendar, ReportedTime};
use crate::domain::timeline_paste::{self, guess_kind};
use crate::domain::written_time::TimeDefaults;
use crate::domain::{EventKind, FactorCategory, IncidentInput, ReportedTimeInput};

use super::IncidentDocument;

/// The template's sections, as their headings or labels name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Section {
    Date,
    Authors,
    Status,
    Summary,
    Impact,
    RootCauses,
    Trigger,
    Resolution,
    Detection,
    ActionItems,
    LessonsLearned,
    WentWell,
    WentWrong,
    GotLucky,
    Timeline,
}

impl Section {
    fn named(name: &str) -> Option<Section> {
        let name = name.trim().trim_matches(|c: char| c == '*' || c == '_' || c == ':').trim().to_lowercase();
        Some(match name.as_str() {
            "date" => Section::Date,
            "authors" | "author" | "owners" => Section::Authors,
            "status" => Section::Status,
            "summary" | "executive summary" => Section::Summary,
            "impact" => Section::Impact,
            "root causes" | "root cause" | "root causes and trigger" => Section::RootCauses,
            "trigger" => Section::Trigger,
            "resolution" => Section::Resolution,
            "detection" => Section::Detection,
            "action items" | "action item" | "actions" => Section::ActionItems,
            "lessons learned" | "lessons" => Section::LessonsLearned,
            "what went well" => Section::WentWell,
            "what went wrong" => Section::WentWrong,
            "where we got lucky" => Section::GotLucky,
            "timeline" => Section::Timeline,
            _ => return None,
        })
    }
}

/// A piece of the document: a known section, or any other heading with
/// its text (`None` before the first heading).
struct Part {
    section: Option<Section>,
    heading: String,
    lines: Vec<String>,
}

impl Part {
    fn text(&self) -> String {
        self.lines.join("\n").trim().to_string()
    }
}

/// Reads a postmortem written from the Google SRE template, or `None` when
/// the text is not one (fewer than three of its sections).
pub fn parse(text: &str) -> Option<IncidentDocument> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (title, parts) = split(text);
    let known: std::collections::HashSet<Section> = parts.iter().filter_map(|part| part.section).collect();
    if known.len() < 3 {
        return None;
    }
    Some(IncidentDocument { incident: draft(title, &parts), ..IncidentDocument::default() })
}

/// The title (the first top heading) and the parts, in the order written.
fn split(text: &str) -> (String, Vec<Part>) {
    let mut title = String::new();
    let mut parts = vec![Part { section: None, heading: String::new(), lines: Vec::new() }];
    let mut fenced = false;
    // The template writes its first sections as labelled lines, before
    // any heading but the title's.
    let mut preamble = true;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        let heading = (!fenced).then(|| heading_of(line)).flatten();
        if let Some((level, name)) = heading {
            if level == 1 && title.is_empty() {
                title = name.to_string();
                continue;
            }
            preamble = false;
            parts.push(Part { section: Section::named(name), heading: name.to_string(), lines: Vec::new() });
            continue;
        }
        // `Summary: …` (or `**Summary:** …`) starts a part of its own.
        if preamble && !fenced {
            if let Some((label, rest)) = label_of(line) {
                parts.push(Part { section: Some(label), heading: String::new(), lines: vec![rest.to_string()] });
                continue;
            }
        }
        if let Some(part) = parts.last_mut() {
            part.lines.push(line.to_string());
        }
    }
    (title, parts)
}

/// `## Root Causes` as (2, "Root Causes").
fn heading_of(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|c| *c == '#').count();
    let rest = line.get(level..)?;
    ((1..=6).contains(&level) && rest.starts_with(' ')).then(|| (level, rest.trim().trim_end_matches('#').trim()))
}

/// `Summary: text` or `**Summary:** text`, for the template's labels.
fn label_of(line: &str) -> Option<(Section, &str)> {
    let (label, rest) = line.split_once(':')?;
    let label = label.trim().trim_matches('*');
    if label.is_empty() || label.len() > 30 {
        return None;
    }
    let section = Section::named(label)?;
    Some((section, rest.trim_start_matches('*').trim()))
}

fn draft(title: String, parts: &[Part]) -> IncidentInput {
    let mut input = IncidentInput { status: Some("draft".into()), ..IncidentInput::default() };
    input.title = one_line(&title, MAX_TITLE_CHARS);
    let mut narrative: Vec<String> = Vec::new();
    let mut date = None;
    let mut guessed_categories = false;
    let mut timeline_part = None;
    for part in parts {
        let text = part.text();
        match part.section {
            None if part.heading.is_empty() && text.is_empty() => {}
            None if part.heading.is_empty() => narrative.push(text),
            None => narrative.push(format!("## {}\n\n{text}", part.heading)),
            Some(_) if text.is_empty() => {}
            Some(Section::Date) => {
                date = text.split_whitespace().find_map(|word| parse_calendar(word.trim_matches(',')));
                if date.is_none() {
                    narrative.push(format!("Date: {text}"));
                }
            }
            Some(Section::Authors) => {
                input.authors = text
                    .split([',', ';', '\n'])
                    .map(|name| one_line(name.trim_start_matches(['-', '*', ' ']), MAX_NAME_CHARS))
                    .filter(|name| !name.is_empty())
                    .collect();
            }
            Some(Section::Status) => narrative.push(format!("Status when written: {text}")),
            Some(Section::Summary) => {
                if input.summary.is_empty() && text.chars().count() <= MAX_SUMMARY_CHARS && !text.contains('\n') {
                    input.summary = one_line(&text, MAX_SUMMARY_CHARS);
                } else {
                    narrative.push(format!("## Summary\n\n{text}"));
                }
            }
            Some(Section::Impact) => input.impact = text,
            Some(section @ (Section::RootCauses | Section::Trigger)) => {
                for (index, item) in items(&text).into_iter().enumerate() {
                    let (category, guessed) = category_of(&item);
                    guessed_categories |= guessed;
                    input.factors.push(FactorInput {
                        category: Some(category.as_str().to_string()),
                        text: cut(&item, MAX_ITEM_TEXT_CHARS),
                        primary: section == Section::RootCauses && index == 0,
                    });
                }
            }
            Some(Section::Resolution) => narrative.push(format!("## Resolution\n\n{text}")),
            Some(Section::Detection) => {
                input.detection = Some(detection_of(&text).to_string());
                narrative.push(format!("## Detection\n\n{text}"));
            }
            Some(Section::ActionItems) => {
                let (actions, rest) = action_table(&text);
                input.actions = actions;
                if !rest.is_empty() {
                    narrative.push(format!("## Action items\n\n{rest}"));
                }
            }
            Some(Section::LessonsLearned) => narrative.push(format!("## Lessons learned\n\n{text}")),
            Some(Section::WentWell) => input.went_well = text,
            Some(Section::WentWrong) => input.went_wrong = text,
            Some(Section::GotLucky) => input.got_lucky = text,
            Some(Section::Timeline) => timeline_part = Some(text),
        }
    }
    let mut unread = Vec::new();
    if let Some(text) = timeline_part {
        unread = read_timeline(&mut input, &text, date);
    }
    let mut preface = vec!["Imported from a postmortem written from the Google SRE template, as a draft.".to_string()];
    if guessed_categories {
        preface.push("Each contributing factor's category was guessed from its words: choose the right one.".into());
    }
    if !input.timeline.is_empty() {
        preface.push("The timeline was read line by line: check its times against the original.".into());
    }
    let mut body = format!("> {}", preface.join(" "));
    for section in narrative.into_iter().chain(unread) {
        body.push_str("\n\n");
        body.push_str(&section);
    }
    input.body = body;
    input
}

/// Reads the timeline into `input`, with its key moments; returns what it
/// could not place, for the narrative.
fn read_timeline(
    input: &mut IncidentInput,
    text: &str,
    date: Option<(jiff::civil::Date, crate::domain::Precision)>,
) -> Vec<String> {
    let mut zone = None;
    let mut day = date.map(|(day, _)| day);
    let mut lines = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let bare = line.trim_start_matches(['-', '*', '+']).trim();
        if !line.starts_with(['-', '*', '+']) && lines.is_empty() {
            // "2015-10-21 (all times UTC)": the day and the zone of what follows.
            if let Some(named) =
                bare.split_whitespace().find_map(|word| parse_calendar(word.trim_matches([',', '(', ')'])))
            {
                day = Some(named.0);
            }
            if let Some((_, rest)) = bare.to_lowercase().split_once("all times") {
                let named = rest.trim_start_matches([' ', ':']).trim_start_matches("in ").trim_end_matches(')').trim();
                zone = Some(named.to_uppercase()).filter(|zone| !zone.is_empty());
            }
            continue;
        }
        lines.push(bare.to_string());
    }
    let defaults = TimeDefaults { zone, date: day, date_from: "the timeline's date" };
    let rows = match timeline_paste::parse(&lines.join("\n"), &defaults, None) {
        Ok(rows) => rows,
        Err(reason) => return vec![format!("## Timeline\n\nNot read ({reason}):\n\n{text}")],
    };
    let at = |row: &timeline_paste::PastedRow| row.at.as_ref().map(ReportedTime::to_input);
    let moment = |pick: &dyn Fn(&str, EventKind) -> bool, last: bool| -> Option<ReportedTimeInput> {
        let mut found = rows.iter().filter(|row| row.at.is_some() && pick(&row.text, row.kind));
        let row = if last { found.last() } else { found.next() };
        row.and_then(at)
    };
    // The template marks its key moments in capitals ("OUTAGE BEGINS"); a
    // timeline without them gives the events of their kind.
    let says = |phrases: &'static [&'static str]| {
        move |text: &str, _: EventKind| phrases.iter().any(|phrase| text.to_lowercase().contains(phrase))
    };
    let marked_or = |phrases: &'static [&'static str], kind: EventKind, last: bool| {
        moment(&says(phrases), last).or_else(|| moment(&|_, of| of == kind, last))
    };
    input.started_at = moment(&says(&["outage begins", "impact begins", "incident begins"]), false);
    input.detected_at = marked_or(&["outage detected", "incident detected"], EventKind::Detection, false);
    input.mitigated_at =
        marked_or(&["outage mitigated", "impact mitigated", "mitigated"], EventKind::Mitigation, false);
    input.resolved_at = marked_or(&["outage ends", "incident ends", "resolved"], EventKind::Resolution, true);
    input.timeline = rows
        .iter()
        .map(|row| TimelineEventInput {
            at: at(row),
            kind: Some(if row.at.is_some() { row.kind } else { guess_kind(&row.source) }.as_str().to_string()),
            text: cut(if row.at.is_some() { &row.text } else { &row.source }, MAX_ITEM_TEXT_CHARS),
        })
        .collect();
    Vec::new()
}

/// The bullet items of a section, or its paragraphs when it has none.
fn items(text: &str) -> Vec<String> {
    let bullets: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with(['-', '*', '+']))
        .map(|line| line.trim_start_matches(['-', '*', '+']).trim().to_string())
        .filter(|item| !item.is_empty())
        .collect();
    if !bullets.is_empty() {
        return bullets;
    }
    text.split("\n\n").map(|paragraph| paragraph.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

/// A factor's category from its words, and whether it was a guess (it
/// always is, unless the text names the category itself).
fn category_of(text: &str) -> (FactorCategory, bool) {
    let lower = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|word| lower.contains(word));
    let category = if has(&["config", "setting", "flag"]) {
        FactorCategory::Configuration
    } else if has(&["deploy", "release", "rollout", "roll out", "change", "upgrade", "migration"]) {
        FactorCategory::Change
    } else if has(&["load", "capacity", "traffic", "overload", "exhaust", "leak", "cascading"]) {
        FactorCategory::Capacity
    } else if has(&["bug", "defect", "regression", "race", "crash", "latent"]) {
        FactorCategory::SoftwareDefect
    } else if has(&["vendor", "third-party", "third party", "provider", "upstream", "dependency"]) {
        FactorCategory::Dependency
    } else if has(&["disk", "hardware", "power", "server failed", "network card"]) {
        FactorCategory::Hardware
    } else if has(&["monitor", "alert", "dashboard", "not notice"]) {
        FactorCategory::MonitoringGap
    } else if has(&["security", "attack", "credential", "breach"]) {
        FactorCategory::Security
    } else if has(&["data loss", "deleted", "corrupt"]) {
        FactorCategory::DataLoss
    } else {
        FactorCategory::Process
    };
    (category, true)
}

/// How it was detected, from the Detection section's words.
fn detection_of(text: &str) -> &'static str {
    let lower = text.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|word| lower.contains(word));
    if has(&["customer", "user report", "support ticket", "tweet"]) {
        "customer_report"
    } else if has(&["monitor", "alert", "paged", "borgmon", "prometheus", "nagios", "pager"]) {
        "monitoring"
    } else if has(&["third party", "third-party", "vendor"]) {
        "third_party"
    } else if has(&["engineer noticed", "noticed", "internal"]) {
        "internal"
    } else {
        "unknown"
    }
}

/// The action items of a Markdown table whose header names its columns
/// (`Action Item | Type | Owner | Bug`), and the section's other lines.
fn action_table(text: &str) -> (Vec<ActionInput>, String) {
    let mut actions = Vec::new();
    let mut rest = Vec::new();
    let mut columns: Option<Vec<String>> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if !trimmed.starts_with('|') {
            if !trimmed.is_empty() {
                rest.push(line.to_string());
            }
            continue;
        }
        let cells: Vec<String> = trimmed.trim_matches('|').split('|').map(|cell| cell.trim().to_string()).collect();
        let Some(names) = &columns else {
            columns = Some(cells.iter().map(|cell| cell.to_lowercase()).collect());
            continue;
        };
        if cells.iter().all(|cell| cell.chars().all(|c| matches!(c, '-' | ':' | ' '))) {
            continue;
        }
        let cell = |names_wanted: &[&str]| -> Option<String> {
            let index = names.iter().position(|name| names_wanted.iter().any(|wanted| name.contains(wanted)))?;
            cells.get(index).map(|cell| cell.trim().to_string()).filter(|cell| !cell.is_empty())
        };
        let Some(text) = cell(&["action", "item", "task"]).or_else(|| cells.first().cloned()) else { continue };
        let kind = cell(&["type"]);
        let bug = cell(&["bug", "ticket", "issue", "tracker", "link"]);
        let all = cells.join(" ");
        let done = all.split_whitespace().any(|word| word.trim_matches(|c: char| !c.is_alphanumeric()) == "DONE")
            || cell(&["status"]).is_some_and(|status| {
                let status = status.to_lowercase();
                status.contains("done") || status.contains("complete") || status.contains("fixed")
            });
        let tracker_url = bug.as_deref().and_then(|bug| {
            bug.split_whitespace()
                .find(|word| word.starts_with("https://") || word.starts_with("http://"))
                .map(str::to_string)
        });
        let mut described = text.clone();
        if let Some(kind) = &kind {
            described.push_str(&format!(" ({kind})"));
        }
        if let Some(bug) = bug.as_deref().filter(|bug| tracker_url.is_none() && !bug.eq_ignore_ascii_case("n/a")) {
            described.push_str(&format!(" — {bug}"));
        }
        actions.push(ActionInput {
            text: cut(&described, MAX_ITEM_TEXT_CHARS),
            owner: cell(&["owner", "who"]).map(|owner| one_line(&owner, MAX_NAME_CHARS)),
            status: Some(if done { "done" } else { "open" }.to_string()),
            tracker_url,
            ..ActionInput::default()
        });
    }
    (actions, rest.join("\n").trim().to_string())
}

fn one_line(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    cut(&line.replace(['*', '`'], ""), max)
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> IncidentInput {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sre-template-postmortem.md");
        parse(&std::fs::read_to_string(path).unwrap()).expect("an SRE template postmortem").incident
    }

    #[test]
    fn every_section_lands_in_its_field() {
        let input = fixture();
        assert_eq!(input.title, "Checkout API Postmortem (incident #212)");
        assert_eq!(input.authors, ["priya", "tomasz", "li"]);
        assert!(input.summary.starts_with("Checkout requests failed for 47 minutes"));
        assert!(input.impact.starts_with("About 9,400 checkouts failed"));
        assert_eq!(input.detection.as_deref(), Some("monitoring"));
        let factors: Vec<(&str, bool)> =
            input.factors.iter().map(|f| (f.category.as_deref().unwrap(), f.primary)).collect();
        assert_eq!(factors, [("configuration", true), ("change", false)]);
        assert_eq!(input.actions.len(), 3);
        assert_eq!(input.actions[0].owner.as_deref(), Some("tomasz"));
        assert_eq!(input.actions[0].tracker_url.as_deref(), Some("https://tracker.example.com/CHK-881"));
        assert_eq!(input.actions[1].status.as_deref(), Some("done"));
        assert!(input.actions[1].text.contains("CHK-882"), "a bug without a link stays in the text");
        assert!(input.went_well.contains("paged within two minutes"));
        assert!(input.went_wrong.contains("canary stage was skipped"));
        assert!(input.got_lucky.contains("quiet hour"));
    }

    #[test]
    fn the_timeline_is_read_in_its_zone_and_nothing_is_dropped() {
        let input = fixture();
        assert_eq!(input.timeline.len(), 8, "every line, read or not");
        let at = |time: &Option<ReportedTimeInput>| time.as_ref().and_then(|t| t.at.clone()).unwrap_or_default();
        assert_eq!(at(&input.timeline[0].at), "2024-03-14T09:02:00Z");
        assert_eq!(at(&input.started_at), "2024-03-14T09:05:00Z");
        assert_eq!(at(&input.detected_at), "2024-03-14T09:07:00Z");
        assert_eq!(at(&input.mitigated_at), "2024-03-14T09:47:00Z");
        assert_eq!(at(&input.resolved_at), "2024-03-14T09:52:00Z");
        let unread = input.timeline.last().unwrap();
        assert!(unread.at.is_none() && unread.text.contains("release notes were corrected"));
        for kept in [
            "## Resolution",
            "Rolled the fleet back",
            "## Supporting information",
            "grafana.example.com",
            "Status when written",
        ] {
            assert!(input.body.contains(kept), "{kept} is kept in the narrative:\n{}", input.body);
        }
        assert!(input.body.contains("category was guessed"));
        let fields = input.validate().expect("a valid draft");
        assert_eq!(fields.status, crate::domain::Status::Draft);
    }

    #[test]
    fn a_plain_markdown_file_is_not_taken_for_the_template() {
        assert!(parse("# Notes\n\nSome text.\n\n## Summary\n\nMore.").is_none());
    }
}
