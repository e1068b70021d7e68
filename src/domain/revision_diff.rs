//! What changed between two versions of a report, field by field. Short
//! fields show their old and new values; Markdown and the repeating parts
//! (timeline, factors, actions, related) show a line diff with a little
//! context, so a one-word edit in a long narrative is easy to find.

use similar::{ChangeTag, TextDiff};

use super::incident::{CompletionInput, IncidentInput};
use super::key_moment::EachMoment;
use super::learning::Learning;
use super::reported_time::{ReportedTime, ReportedTimeInput};
use super::written_time::format_written;

/// Unchanged lines shown around each change in a text diff.
const CONTEXT_LINES: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub label: &'static str,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A one-line field: its value before and after (empty when unset).
    Value { before: String, after: String },
    /// A multi-line field: hunks of lines, each marked kept, removed or added.
    Lines(Vec<Vec<DiffLine>>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub mark: LineMark,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineMark {
    Kept,
    Removed,
    Added,
}

impl LineMark {
    /// `" "`, `"-"` or `"+"`, as in a unified diff.
    pub fn sign(self) -> &'static str {
        match self {
            LineMark::Kept => " ",
            LineMark::Removed => "−",
            LineMark::Added => "+",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            LineMark::Kept => "kept",
            LineMark::Removed => "removed",
            LineMark::Added => "added",
        }
    }
}

enum Shape {
    Value,
    Lines,
}

/// Every field of a report as text, in the order a report reads.
fn fields(input: &IncidentInput) -> Vec<(&'static str, Shape, String)> {
    let opt = |value: &Option<String>| value.clone().unwrap_or_default();
    let time = |value: &Option<ReportedTimeInput>| value.as_ref().map(written).unwrap_or_default();
    let moments: Vec<_> = input.moments().map(|(moment, at)| (moment.label(), Shape::Value, time(at))).collect();
    let mut fields = vec![
        ("Title", Shape::Value, input.title.clone()),
        ("Slug", Shape::Value, opt(&input.slug)),
        ("Status", Shape::Value, opt(&input.status)),
        ("Severity", Shape::Value, opt(&input.severity)),
        ("Organization", Shape::Value, opt(&input.organization)),
        ("Services", Shape::Value, input.services.join(", ")),
        ("Tags", Shape::Value, input.tags.join(", ")),
        ("Detection", Shape::Value, opt(&input.detection)),
        ("Source", Shape::Value, opt(&input.source_url)),
        ("Authors", Shape::Value, input.authors.join(", ")),
        ("Time zone", Shape::Value, opt(&input.zone)),
    ];
    fields.extend(moments);
    fields.extend([
        ("Summary", Shape::Lines, input.summary.clone()),
        ("Impact", Shape::Lines, input.impact.clone()),
        ("Narrative", Shape::Lines, input.body.clone()),
        (Learning::WentWell.label(), Shape::Lines, input.went_well.clone()),
        (Learning::WentWrong.label(), Shape::Lines, input.went_wrong.clone()),
        (Learning::GotLucky.label(), Shape::Lines, input.got_lucky.clone()),
        (
            "Timeline",
            Shape::Lines,
            lines(input.timeline.iter().map(|event| {
                let at = event.at.as_ref().map(written).unwrap_or_else(|| "no time".into());
                format!("{at} · {} · {}", opt(&event.kind), one_line(&event.text))
            })),
        ),
        (
            "Contributing factors",
            Shape::Lines,
            lines(input.factors.iter().map(|factor| {
                let primary = if factor.primary { " (primary)" } else { "" };
                format!("{}{primary}: {}", opt(&factor.category), one_line(&factor.text))
            })),
        ),
        (
            "Action items",
            Shape::Lines,
            lines(input.actions.iter().map(|action| {
                let mut details: Vec<String> =
                    [&action.owner, &action.status, &action.priority, &action.due_on, &action.tracker_url]
                        .into_iter()
                        .flatten()
                        .cloned()
                        .collect();
                match &action.completed_at {
                    Some(CompletionInput::Written(text)) => details.push(format!("done {text}")),
                    Some(CompletionInput::Reported(time)) => details.push(format!("done {}", written(time))),
                    None => {}
                }
                if !action.addresses.is_empty() {
                    let numbers: Vec<String> = action.addresses.iter().map(|place| (place + 1).to_string()).collect();
                    details.push(format!("addresses factor {}", numbers.join(", ")));
                }
                format!("{} [{}]", one_line(&action.text), details.join(", "))
            })),
        ),
        (
            "Related incidents",
            Shape::Lines,
            lines(input.related.iter().map(|link| format!("{} {}", opt(&link.kind), link.slug))),
        ),
    ]);
    fields
}

fn written(time: &ReportedTimeInput) -> String {
    match ReportedTime::parse(time, None) {
        Ok(time) => format!("{} ({})", format_written(&time, None), time.precision.as_str()),
        Err(_) => time.at.clone().unwrap_or_default(),
    }
}

/// A row's text on one line, its line breaks shown rather than lost, so two
/// texts that differ only there still differ.
fn one_line(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', " ↵ ")
}

fn lines(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join("\n")
}

/// The fields that differ between `before` and `after`, in report order.
pub fn diff(before: &IncidentInput, after: &IncidentInput) -> Vec<FieldChange> {
    fields(before)
        .into_iter()
        .zip(fields(after))
        .filter(|((_, _, old), (_, _, new))| old != new)
        .map(|((label, shape, old), (_, _, new))| FieldChange {
            label,
            change: match shape {
                Shape::Value => Change::Value { before: old, after: new },
                Shape::Lines => Change::Lines(line_diff(&old, &new)),
            },
        })
        .collect()
}

/// A line of one side of a comparison, and whether the other side lacks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkedLine {
    pub text: String,
    pub differs: bool,
}

/// A field that differs between two versions, with its whole text on both
/// sides, each line marked where the other side does not have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SideBySide {
    pub label: &'static str,
    pub left: Vec<MarkedLine>,
    pub right: Vec<MarkedLine>,
}

/// The fields that differ, for setting two versions side by side.
pub fn side_by_side(left: &IncidentInput, right: &IncidentInput) -> Vec<SideBySide> {
    fields(left)
        .into_iter()
        .zip(fields(right))
        .filter(|((_, _, a), (_, _, b))| a != b)
        .map(|((label, _, a), (_, _, b))| {
            let diff = TextDiff::configure().timeout(DIFF_TIMEOUT).diff_lines(a.as_str(), b.as_str());
            let (mut left, mut right) = (Vec::new(), Vec::new());
            for change in diff.iter_all_changes() {
                let line = MarkedLine {
                    text: change.value().trim_end_matches('\n').to_string(),
                    differs: change.tag() != ChangeTag::Equal,
                };
                match change.tag() {
                    ChangeTag::Delete => left.push(line),
                    ChangeTag::Insert => right.push(line),
                    ChangeTag::Equal => {
                        left.push(line.clone());
                        right.push(line);
                    }
                }
            }
            SideBySide { label, left, right }
        })
        .collect()
}

/// Two texts of one field made one, keeping both: every line either has,
/// in order, with the lines only `theirs` has before the lines only `mine`
/// has where they differ. A writer merging by hand starts from this.
pub fn keep_both(mine: &str, theirs: &str) -> String {
    if mine == theirs {
        return mine.to_string();
    }
    let with_newline =
        |text: &str| if text.is_empty() || text.ends_with('\n') { text.to_string() } else { format!("{text}\n") };
    let (mine, theirs) = (with_newline(mine), with_newline(theirs));
    let diff = TextDiff::configure().timeout(DIFF_TIMEOUT).diff_lines(&theirs, &mine);
    let merged: String = diff.iter_all_changes().map(|change| change.value()).collect();
    merged.trim_end_matches('\n').to_string()
}

/// The most a field's diff may take before it settles for a coarser one.
const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(200);

fn line_diff(before: &str, after: &str) -> Vec<Vec<DiffLine>> {
    // Both ends get a final newline so a changed last line diffs as a line.
    let with_newline = |text: &str| if text.is_empty() { String::new() } else { format!("{text}\n") };
    let (before, after) = (with_newline(before), with_newline(after));
    // Myers' diff is quadratic in the worst case (two long texts with
    // nothing in common); past the deadline it gives a coarser diff, still
    // correct, rather than holding its thread.
    let diff = TextDiff::configure().timeout(DIFF_TIMEOUT).diff_lines(&before, &after);
    diff.grouped_ops(CONTEXT_LINES)
        .iter()
        .map(|group| {
            group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|change| DiffLine {
                    mark: match change.tag() {
                        ChangeTag::Equal => LineMark::Kept,
                        ChangeTag::Delete => LineMark::Removed,
                        ChangeTag::Insert => LineMark::Added,
                    },
                    text: change.value().trim_end_matches(['\n', '\r']).to_string(),
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeping_both_texts_keeps_every_line_of_each_once() {
        let theirs = "Intro.\nTheir detail.\nShared end.";
        let mine = "Intro.\nMy detail.\nShared end.";
        assert_eq!(keep_both(mine, theirs), "Intro.\nTheir detail.\nMy detail.\nShared end.");
        assert_eq!(keep_both("Same.", "Same."), "Same.");
        assert_eq!(keep_both("Mine only.", ""), "Mine only.");
    }

    #[test]
    fn side_by_side_marks_the_lines_the_other_side_lacks() {
        let left = IncidentInput { body: "a\nmine\nc".into(), ..IncidentInput::default() };
        let right = IncidentInput { body: "a\ntheirs\nc".into(), ..IncidentInput::default() };
        let fields = side_by_side(&left, &right);
        assert_eq!(fields.len(), 1);
        fn marks(lines: &[MarkedLine]) -> Vec<(&str, bool)> {
            lines.iter().map(|line| (line.text.as_str(), line.differs)).collect()
        }
        assert_eq!(marks(&fields[0].left), [("a", false), ("mine", true), ("c", false)]);
        assert_eq!(marks(&fields[0].right), [("a", false), ("theirs", true), ("c", false)]);
    }
    use crate::domain::incident::{FactorInput, TimelineEventInput};

    fn report() -> IncidentInput {
        IncidentInput {
            title: "Database failover stalled writes".into(),
            status: Some("draft".into()),
            body: (1..=20).map(|n| format!("Paragraph {n}.")).collect::<Vec<_>>().join("\n"),
            timeline: vec![TimelineEventInput {
                at: Some(ReportedTimeInput {
                    at: Some("2013-05-20T11:40:00-07:00".into()),
                    zone: Some("PDT".into()),
                    ..Default::default()
                }),
                kind: Some("detection".into()),
                text: "Alert fired".into(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn two_long_texts_with_nothing_in_common_still_diff_every_line() {
        // The worst case of Myers' diff, which may stop at its deadline and
        // settle for a coarser diff: still every line, on its side.
        let before: Vec<String> = (0..20_000).map(|n| format!("before {n}")).collect();
        let after: Vec<String> = (0..20_000).map(|n| format!("after {n}")).collect();
        let hunks = line_diff(&before.join("\n"), &after.join("\n"));
        let lines: Vec<&DiffLine> = hunks.iter().flatten().collect();
        let side = |mark| lines.iter().filter(|l| l.mark == mark).map(|l| l.text.trim_end()).collect::<Vec<_>>();
        assert_eq!(side(LineMark::Removed), before);
        assert_eq!(side(LineMark::Added), after);
    }

    #[test]
    fn identical_versions_have_no_changes() {
        assert!(diff(&report(), &report()).is_empty());
    }

    #[test]
    fn short_fields_show_both_values_and_long_text_a_focused_line_diff() {
        let mut after = report();
        after.status = Some("published".into());
        after.body = after.body.replace("Paragraph 10.", "Paragraph ten, rewritten.");
        after.factors.push(FactorInput { category: Some("capacity".into()), text: "Disk full".into(), primary: true });
        let changes = diff(&report(), &after);
        let labels: Vec<&str> = changes.iter().map(|c| c.label).collect();
        assert_eq!(labels, ["Status", "Narrative", "Contributing factors"]);
        assert_eq!(changes[0].change, Change::Value { before: "draft".into(), after: "published".into() });
        let Change::Lines(hunks) = &changes[1].change else { panic!("the narrative is diffed by lines") };
        assert_eq!(hunks.len(), 1);
        let marks: Vec<(LineMark, &str)> = hunks[0].iter().map(|l| (l.mark, l.text.as_str())).collect();
        assert_eq!(marks.len(), 2 * CONTEXT_LINES + 2, "{marks:?}");
        assert!(marks.contains(&(LineMark::Removed, "Paragraph 10.")));
        assert!(marks.contains(&(LineMark::Added, "Paragraph ten, rewritten.")));
        let Change::Lines(hunks) = &changes[2].change else { panic!() };
        assert_eq!(hunks[0].iter().find(|l| l.mark == LineMark::Added).unwrap().text, "capacity (primary): Disk full");
    }

    #[test]
    fn timeline_rows_read_as_written_times() {
        let mut after = report();
        after.timeline[0].text = "Alert fired on write latency".into();
        let changes = diff(&report(), &after);
        let Change::Lines(hunks) = &changes[0].change else { panic!() };
        assert_eq!(hunks[0][1].text, "2013-05-20 11:40 PDT (minute) · detection · Alert fired on write latency");
    }
}
