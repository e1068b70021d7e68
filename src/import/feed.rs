//! A status blog's feed (RSS 2.0 or Atom, read by feed-rs) as draft
//! reports: each post is classified as an incident report or not, with the
//! reason; the chosen ones become drafts that keep the post's title, link,
//! author and organization, its HTML as sanitised Markdown, and the times
//! its text states as key moments and timeline rows, marked for a writer
//! to check. A post imported once (by its GUID, or its link) is not
//! imported again.

use std::collections::HashSet;

use time::OffsetDateTime;

use super::html;
use crate::domain::incident::TimelineEventInput;
use crate::domain::incident::{
    MAX_BODY_BYTES, MAX_ITEM_TEXT_CHARS, MAX_NAME_CHARS, MAX_SUMMARY_CHARS, MAX_TITLE_CHARS, MAX_URL_CHARS,
};
use crate::domain::reported_time::ReportedTime;
use crate::domain::timeline_paste::{times_in_prose, PastedRow};
use crate::domain::written_time::TimeDefaults;
use crate::domain::{EventKind, IncidentInput, ReportedTimeInput};
use crate::store::{Store, StoreError};

/// A feed larger than this is refused before it is read.
pub const MAX_FEED_BYTES: usize = 64 * 1024 * 1024;
/// Posts read from one feed at most.
pub const MAX_POSTS: usize = 2_000;
/// Timeline rows read from one post at most.
const MAX_ROWS: usize = 100;

/// Whether a file is a feed: by its extension (`.xml`, `.rss`, `.atom`).
pub fn is_feed_file(path: &std::path::Path) -> bool {
    path.is_file()
        && path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| ["xml", "rss", "atom"].iter().any(|feed| ext.eq_ignore_ascii_case(feed)))
}

/// A feed, read.
#[derive(Debug, Clone)]
pub struct Feed {
    pub title: Option<String>,
    pub posts: Vec<Post>,
}

/// One post of a feed, with what it was judged to be.
#[derive(Debug, Clone)]
pub struct Post {
    /// What identifies it across imports: its GUID, else its link.
    pub key: String,
    pub title: String,
    pub link: Option<String>,
    pub author: Option<String>,
    pub published: Option<OffsetDateTime>,
    pub categories: Vec<String>,
    /// Its content, or its summary when it has no content.
    html: String,
    /// Its first paragraph, as plain text.
    summary: String,
    /// Its content as plain text, a line for each paragraph: what it is
    /// judged by and its times are read from.
    text: String,
    pub verdict: Verdict,
}

/// Whether a post reads as an incident report, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub incident: bool,
    pub reason: String,
}

/// Reads a feed. A file that is not a feed, or not well formed, is an error
/// that says so; a post without a title or an identity is left out.
pub fn read(bytes: &[u8]) -> Result<Feed, String> {
    if bytes.len() > MAX_FEED_BYTES {
        return Err(format!("the feed is {} MiB; the limit is {} MiB", bytes.len() >> 20, MAX_FEED_BYTES >> 20));
    }
    let parsed = feed_rs::parser::Builder::new()
        .sanitize_content(false)
        .build()
        .parse(bytes)
        .map_err(|error| format!("not a feed that can be read (RSS 2.0 or Atom): {error}"))?;
    let posts = parsed.entries.into_iter().take(MAX_POSTS).filter_map(post_of).collect();
    Ok(Feed {
        title: parsed.title.map(|title| one_line(&title.content, MAX_NAME_CHARS)).filter(|t| !t.is_empty()),
        posts,
    })
}

fn post_of(entry: feed_rs::model::Entry) -> Option<Post> {
    let title = one_line(&entry.title.as_ref()?.content, MAX_TITLE_CHARS);
    let link = entry.links.iter().map(|link| link.href.trim()).find(|href| web_address(href)).map(str::to_string);
    let key = Some(entry.id.trim()).filter(|id| !id.is_empty()).map(str::to_string).or_else(|| link.clone())?;
    if title.is_empty() {
        return None;
    }
    let summary_html = entry.summary.map(|summary| summary.content).unwrap_or_default();
    let html = entry.content.and_then(|content| content.body).filter(|body| !body.trim().is_empty());
    let html = html.unwrap_or(summary_html);
    // The post's first paragraph says what happened; a feed's own summary
    // is often its first words cut anywhere.
    let text = html::to_text(&html);
    let summary = text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or_default().to_string();
    let categories: Vec<String> = entry
        .categories
        .iter()
        .map(|category| one_line(category.label.as_deref().unwrap_or(&category.term), MAX_NAME_CHARS))
        .filter(|category| !category.is_empty())
        .collect();
    let author = entry
        .authors
        .iter()
        .filter_map(|person| person.name.as_deref())
        .map(|name| one_line(name, MAX_NAME_CHARS))
        .find(|name| !name.is_empty());
    let published =
        entry.published.or(entry.updated).and_then(|at| OffsetDateTime::from_unix_timestamp(at.timestamp()).ok());
    let verdict = classify(&title, &categories, &text);
    Some(Post { key, title, link, author, published, categories, html, summary, text, verdict })
}

/// Words that make a title or a category an incident report's.
const INCIDENT_WORDS: &[&str] = &[
    "incident",
    "outage",
    "post-mortem",
    "postmortem",
    "post mortem",
    "downtime",
    "disruption",
    "degraded",
    "degradation",
    "failure",
    "unavailable",
    "unavailability",
    "root cause",
    "rca",
    "interruption",
];
/// Words that make a title a notice of planned work.
const MAINTENANCE_WORDS: &[&str] = &["maintenance", "scheduled", "planned work", "upgrade window"];
/// What an incident report's text says, and an announcement's rarely does.
const INCIDENT_PHRASES: &[&str] = &[
    "we experienced",
    "root cause",
    "stopped responding",
    "went down",
    "was unavailable",
    "were unavailable",
    "service disruption",
    "partial outage",
    "full outage",
    "post-mortem",
    "postmortem",
    "customers were affected",
    "were affected",
    "caused an outage",
    "the outage",
    "the incident",
    "timeline",
    "resolved",
];

/// Judges a post by its categories, its title and its text, in that order.
pub fn classify(title: &str, categories: &[String], text: &str) -> Verdict {
    let yes = |reason: String| Verdict { incident: true, reason };
    let no = |reason: String| Verdict { incident: false, reason };
    for category in categories {
        if let Some(word) = found_word(category, INCIDENT_WORDS) {
            let why = if category.eq_ignore_ascii_case(word) { String::new() } else { format!(" ({word})") };
            return yes(format!("filed under “{category}”{why}"));
        }
    }
    if let Some(word) = found_word(title, INCIDENT_WORDS) {
        return yes(format!("the title says “{word}”"));
    }
    if let Some(word) = found_word(title, MAINTENANCE_WORDS) {
        return no(format!("a notice of planned work: the title says “{word}”"));
    }
    let lower = text.to_lowercase();
    if lower.contains("maintenance window") || lower.contains("scheduled maintenance") {
        return no("a notice of planned work: the post announces a maintenance window".into());
    }
    let said: Vec<&str> = INCIDENT_PHRASES.iter().copied().filter(|phrase| lower.contains(phrase)).collect();
    if said.len() >= 3 {
        let quoted: Vec<String> = said.iter().take(3).map(|phrase| format!("“{phrase}”")).collect();
        return yes(format!("the post says {}", quoted.join(", ")));
    }
    no("no sign of an incident: no outage, failure or post-mortem in its title, categories or text".into())
}

/// The first of `words` that `text` holds as a whole word or phrase.
fn found_word<'a>(text: &str, words: &[&'a str]) -> Option<&'a str> {
    let lower = text.to_lowercase();
    words.iter().copied().find(|word| {
        lower.match_indices(word).any(|(at, _)| {
            let before = lower[..at].chars().next_back();
            let after = lower[at + word.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(|c| c.is_alphanumeric() && c != 's')
        })
    })
}

/// What importing a post did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Filed as a draft, at this slug.
    Imported {
        slug: String,
    },
    /// Already here, as this report: imported before, or a report that
    /// cites the post as its source.
    AlreadyImported {
        slug: String,
    },
    /// Not an incident report, or not ticked.
    LeftOut,
    Failed(String),
}

/// Which posts to import, and as whose.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    /// Every post, incident or not.
    pub all: bool,
    /// These posts (by key), whatever their verdict; `None` for the
    /// incident posts (or all).
    pub posts: Option<HashSet<String>>,
    /// The organization the drafts name; the feed's title when absent.
    pub organization: Option<String>,
}

impl Choice {
    fn takes(&self, post: &Post) -> bool {
        match &self.posts {
            Some(keys) => keys.contains(&post.key),
            None => self.all || post.verdict.incident,
        }
    }
}

/// Imports the chosen posts of `feed` as drafts by `actor`, each once, and
/// says what became of every post, in the feed's order.
pub async fn import(store: &Store, feed: &Feed, choice: &Choice, actor: &str) -> Result<Vec<Outcome>, StoreError> {
    let keys: Vec<String> = feed.posts.iter().map(|post| post.key.clone()).collect();
    let links: Vec<String> = feed.posts.iter().filter_map(|post| post.link.clone()).collect();
    let known = store.imported_posts(&keys, &links).await?;
    let organization = choice.organization.clone().or_else(|| feed.title.clone());
    let mut outcomes = Vec::with_capacity(feed.posts.len());
    for post in &feed.posts {
        let before = known.get(&post.key).or_else(|| post.link.as_ref().and_then(|link| known.get(link)));
        let outcome = if let Some(slug) = before {
            Outcome::AlreadyImported { slug: slug.clone() }
        } else if !choice.takes(post) {
            Outcome::LeftOut
        } else {
            match file_draft(store, post, organization.as_deref(), actor).await? {
                Ok(slug) => {
                    store.remember_posts(&[(post.key.clone(), slug.clone())]).await?;
                    Outcome::Imported { slug }
                }
                Err(reason) => Outcome::Failed(reason),
            }
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Files one post as a draft, under its title's slug or, when another
/// report has it, the first free one after it (`-2`, `-3` …).
async fn file_draft(
    store: &Store,
    post: &Post,
    organization: Option<&str>,
    actor: &str,
) -> Result<Result<String, String>, StoreError> {
    let (mut input, note) = draft(post, organization);
    let mut fields = match input.validate() {
        Ok(fields) => fields,
        Err(errors) => {
            // The times read from the text are the likeliest to disagree
            // with the checks (an order the text did not mean): file the
            // post without them rather than not at all.
            input.timeline.clear();
            for moment in
                [&mut input.started_at, &mut input.detected_at, &mut input.mitigated_at, &mut input.resolved_at]
            {
                *moment = None;
            }
            match input.validate() {
                Ok(fields) => fields,
                Err(_) => return Ok(Err(errors.to_string())),
            }
        }
    };
    let base = fields.slug.clone();
    for attempt in 1..=20 {
        match store.create_incident(&fields, actor, Some(&note)).await {
            Ok(incident) => return Ok(Ok(incident.fields.slug)),
            Err(StoreError::DuplicateSlug(_)) => fields.slug = format!("{base}-{}", attempt + 1),
            Err(error) => return Err(error),
        }
    }
    Ok(Err(format!("the slug `{base}` and the next 20 after it are taken")))
}

/// The draft a post becomes, and the note for its first revision.
pub fn draft(post: &Post, organization: Option<&str>) -> (IncidentInput, String) {
    let published = post.published.map(|at| at.date());
    let day = incident_day(&post.text, published).or(published);
    let defaults = TimeDefaults {
        zone: None,
        date: day.and_then(|day| jiff::civil::Date::new(day.year() as i16, day.month() as i8, day.day() as i8).ok()),
        date_from: "the day the post names",
    };
    let rows: Vec<PastedRow> = times_in_prose(&post.text, &defaults).into_iter().take(MAX_ROWS).collect();
    let mut input = IncidentInput {
        title: post.title.clone(),
        summary: cut_chars(&one_line(&post.summary, usize::MAX), MAX_SUMMARY_CHARS),
        status: Some("draft".into()),
        organization: organization.map(|name| one_line(name, MAX_NAME_CHARS)).filter(|name| !name.is_empty()),
        source_url: post.link.clone(),
        authors: post.author.iter().cloned().collect(),
        ..Default::default()
    };
    let when = |pick: &dyn Fn(&PastedRow) -> bool, last: bool| -> Option<ReportedTimeInput> {
        let mut matching = rows.iter().filter(|row| pick(row));
        let row = if last { matching.last() } else { matching.next() };
        row.and_then(|row| row.at.as_ref()).map(ReportedTime::to_input)
    };
    input.started_at = when(&|row| row.kind != EventKind::Detection && says_start(&row.text), false);
    input.detected_at = when(&|row| row.kind == EventKind::Detection, false);
    input.mitigated_at = when(&|row| row.kind == EventKind::Mitigation, false);
    input.resolved_at = when(&|row| row.kind == EventKind::Resolution, true);
    input.timeline = rows
        .iter()
        .map(|row| TimelineEventInput {
            at: row.at.as_ref().map(ReportedTime::to_input),
            kind: Some(row.kind.as_str().to_string()),
            text: cut_chars(&row.text, MAX_ITEM_TEXT_CHARS),
        })
        .collect();

    let source = post.link.as_deref().unwrap_or("its feed");
    let mut preface = format!("> Imported from [the post]({source}) as a draft.");
    if !rows.is_empty() {
        preface.push_str(
            " The key moments and the timeline were read from the post's text: check each against the post before \
             submitting the report.",
        );
    }
    let markdown = html::to_markdown(&post.html);
    let room = MAX_BODY_BYTES - preface.len() - 200;
    let body = if markdown.len() > room {
        let cut = cut_bytes(&markdown, room);
        format!("{cut}\n\n*(The post is longer than a report's narrative may be: the rest is at its link.)*")
    } else {
        markdown
    };
    input.body = format!("{preface}\n\n{body}");
    let note = match rows.len() {
        0 => format!("imported from the feed post {source}"),
        n => format!("imported from the feed post {source}; {n} time(s) read from its text, to be checked"),
    };
    (input, note)
}

/// Whether a sentence says when the impact began ("beginning at about
/// 11:30am"), not when something else did ("we began reading Tweets").
fn says_start(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["beginning at", "began at", "started at", "starting at", "start of", "outage began", "outage started"]
        .iter()
        .any(|phrase| lower.contains(phrase))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The first day the text names as a month and a day ("On May 20th",
/// "Saturday, April 6th"), in the year that puts it on or before the day
/// the post was published.
fn incident_day(text: &str, published: Option<time::Date>) -> Option<time::Date> {
    let published = published?;
    let words: Vec<String> =
        text.split_whitespace().map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()).collect();
    words.windows(2).find_map(|pair| {
        let word = pair[0].as_str();
        let month = MONTHS.iter().position(|month| {
            word == *month || (word.len() == 3 && month.starts_with(word)) || (word == "sept" && *month == "september")
        })?;
        let digits: String = pair[1].chars().take_while(char::is_ascii_digit).collect();
        let suffix = &pair[1][digits.len()..];
        if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") {
            return None;
        }
        let day: u8 = digits.parse().ok()?;
        let month = time::Month::try_from(month as u8 + 1).ok()?;
        let this_year = time::Date::from_calendar_date(published.year(), month, day).ok();
        match this_year {
            Some(date) if date <= published => Some(date),
            _ => time::Date::from_calendar_date(published.year() - 1, month, day).ok(),
        }
    })
}

/// An address a reader may follow: http or https, of a sane length.
fn web_address(href: &str) -> bool {
    let lower = href.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && href.len() <= MAX_URL_CHARS
        && !href.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// Text as one line: control and bidirectional override characters
/// dropped, spaces collapsed, at most `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let kept: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect();
    cut_chars(&kept.split_whitespace().collect::<Vec<_>>().join(" "), max)
}

/// At most `max` characters, cut at a word with "…" when it is longer.
fn cut_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end())
}

/// At most `max` bytes, cut at a line or a character boundary.
fn cut_bytes(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = &text[..end];
    cut.rsplit_once('\n').map_or(cut, |(head, _)| head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dnsimple() -> Feed {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dnsimple-blog-feed.xml");
        read(&std::fs::read(path).expect("the fixture")).expect("a feed")
    }

    #[test]
    fn the_dnsimple_feed_has_three_incident_posts_among_ten() {
        let feed = dnsimple();
        assert_eq!(feed.title.as_deref(), Some("DNSimple"));
        assert_eq!(feed.posts.len(), 10);
        let incidents: Vec<&str> =
            feed.posts.iter().filter(|post| post.verdict.incident).map(|post| post.title.as_str()).collect();
        assert_eq!(
            incidents,
            [
                "Incident report: DNS changes blocked (May 20)",
                "Sporadic ALIAS record resolution failure",
                "Partial DNS outage"
            ]
        );
        let maintenance = feed.posts.iter().find(|post| post.title.starts_with("Application maintenance")).unwrap();
        assert!(maintenance.verdict.reason.contains("planned work"), "{}", maintenance.verdict.reason);
    }

    #[test]
    fn a_draft_keeps_the_posts_facts_and_reads_its_times() {
        let feed = dnsimple();
        let post = &feed.posts[0];
        let (draft, note) = draft(post, feed.title.as_deref());
        assert_eq!(
            draft.source_url.as_deref(),
            Some("http://blog.dnsimple.com/incident-report-dns-changes-blocked-may-20/")
        );
        assert_eq!(draft.authors, ["Darrin Eden"]);
        assert_eq!(draft.organization.as_deref(), Some("DNSimple"));
        assert!(note.contains("to be checked"), "{note}");
        let at = |time: &Option<ReportedTimeInput>| time.as_ref().and_then(|t| t.at.clone()).unwrap_or_default();
        // "about 11:30am Pacific time (18:30 UTC)": read in Pacific time, as
        // an estimate.
        assert_eq!(at(&draft.started_at), "2013-05-20T11:30:00-07:00");
        assert!(draft.started_at.as_ref().unwrap().approximate);
        assert_eq!(at(&draft.detected_at), "2013-05-20T11:40:00-07:00");
        assert_eq!(at(&draft.resolved_at), "2013-05-20T23:43:00-07:00");
        assert!(draft.body.contains("**Remediation**"), "{}", draft.body);

        // "A few minutes past noon Pacific time (20:00 UTC) we began reading
        // Tweets": when it was noticed, not when it began.
        let outage = feed.posts.iter().find(|post| post.title == "Partial DNS outage").unwrap();
        let (draft, _) = super::draft(outage, None);
        assert_eq!(at(&draft.detected_at), "2013-03-08T12:00:00-08:00");
        assert!(draft.started_at.is_none(), "{:?}", draft.started_at);
        assert!(draft.validate().is_ok(), "{:?}", draft.validate().err());
    }
}
