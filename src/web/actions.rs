//! `/actions`: remediations still open across all published incidents,
//! overdue ones first, for everyone or one owner; and the same to follow
//! without a mail server: `/actions/feed.atom` (an Atom feed of the action
//! items) and `/actions/calendar.ics` (an iCalendar subscription of open
//! items' due dates, RFC 5545), both with `?owner=`. Only published
//! reports' action items appear: drafts stay with their writers.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use time::OffsetDateTime;

use super::page::{base_url, page, shared_document, CachePolicy, Layout, WebError, WebPage, ATOM};
use super::views::ActionRow;
use crate::app::AppState;
use crate::domain::incident::{format_date, MAX_NAME_CHARS};
use crate::domain::list_filter::query_encode;
use crate::domain::reported_time::format_rfc3339;
use crate::domain::ActionStatus;
use crate::error::AppError;
use crate::store::{ActionCursor, OpenAction};

/// Open actions shown a page.
const PAGE: u32 = 50;
const RECENTLY_DONE: u32 = 20;
/// Open items a feed or a calendar holds at most: the overdue ones
/// (earliest first), and those due from today on, so that a backlog of
/// overdue items never pushes the coming dates out.
const FOLLOWED_OVERDUE: u32 = 100;
const FOLLOWED_COMING: u32 = 400;
/// Done items a feed holds at most, latest first.
const FOLLOWED_DONE: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/actions", get(list))
        .route("/actions/feed.atom", get(feed))
        .route("/actions/calendar.ics", get(calendar))
}

#[derive(askama::Template)]
#[template(path = "actions/list.html")]
struct ActionsPage {
    layout: Layout,
    /// How many are overdue and open in all, from the counts kept on write.
    overdue_total: i64,
    open_total: i64,
    overdue: Vec<ActionRow>,
    open: Vec<ActionRow>,
    done: Vec<ActionRow>,
    next_href: Option<String>,
    first_href: Option<String>,
    /// The owner whose items are shown; `None` for everyone's.
    owner: Option<String>,
    /// `?owner=…` or nothing, for the feed and calendar links.
    owner_query: String,
}

impl WebPage for ActionsPage {
    const CACHE: CachePolicy = CachePolicy::SharedUntilWrite;
}

#[derive(Debug, Default, Deserialize)]
struct ListParams {
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    owner: String,
}

impl ListParams {
    /// The owner asked for: one line, as owners are written.
    fn owner(&self) -> Option<String> {
        let owner = self.owner.trim();
        (!owner.is_empty() && owner.chars().count() <= MAX_NAME_CHARS && !owner.chars().any(char::is_control))
            .then(|| owner.to_string())
    }

    fn owner_query(&self) -> String {
        self.owner().map(|owner| format!("?owner={}", query_encode(&owner))).unwrap_or_default()
    }
}

/// Open actions a page at a time, earliest due first, so the overdue ones
/// lead the first pages; the recently done ones on the first page only.
async fn list(
    State(state): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let today = OffsetDateTime::now_utc().date();
    let params = params.map(|Query(params)| params).unwrap_or_default();
    let owner = params.owner();
    let cursor = ActionCursor::decode(&params.cursor);
    let (items, next) = state.store.open_actions(cursor.as_ref(), owner.as_deref(), PAGE).await?;
    let (overdue, open): (Vec<OpenAction>, Vec<OpenAction>) =
        items.into_iter().partition(|item| item.action.is_overdue(today));
    let stats = &state.counts.get(&state, today).await?.stats;
    let done = match cursor {
        None => state.store.recently_completed_actions(owner.as_deref(), RECENTLY_DONE).await?,
        Some(_) => Vec::new(),
    };
    let owner_query = params.owner_query();
    let href = |cursor: Option<&ActionCursor>| {
        let mut parts: Vec<String> = owner_query.strip_prefix('?').map(str::to_string).into_iter().collect();
        parts.extend(cursor.map(|cursor| format!("cursor={}", cursor.encode())));
        if parts.is_empty() {
            "/actions".to_string()
        } else {
            format!("/actions?{}", parts.join("&"))
        }
    };
    page(&ActionsPage {
        layout: Layout::new(
            owner.as_ref().map_or("Action items".to_string(), |o| format!("Action items of {o}")),
            "actions",
        ),
        // The totals are everyone's, kept on write; one owner's list says
        // how many it shows instead.
        overdue_total: if owner.is_some() { overdue.len() as i64 } else { stats.overdue_actions },
        open_total: if owner.is_some() { open.len() as i64 } else { stats.open_actions - stats.overdue_actions },
        overdue: overdue.iter().map(|item| ActionRow::new(item, today)).collect(),
        open: open.iter().map(|item| ActionRow::new(item, today)).collect(),
        done: done.iter().map(|item| ActionRow::new(item, today)).collect(),
        next_href: next.as_ref().map(|next| href(Some(next))),
        first_href: cursor.map(|_| href(None)),
        owner,
        owner_query,
    })
}

/// One action item of the feed.
struct FeedEntry {
    id: String,
    title: String,
    link: String,
    updated: String,
    author: String,
    summary_html: String,
}

#[derive(askama::Template)]
#[template(path = "actions/feed.xml")]
struct ActionFeed {
    title: String,
    self_link: String,
    page_link: String,
    updated: String,
    entries: Vec<FeedEntry>,
}

/// Where an action item stands, in a few words: "overdue since 2024-03-31".
fn standing(action: &crate::domain::ActionItem, today: time::Date) -> String {
    match (action.status, action.due_on) {
        (ActionStatus::Done, _) => match &action.completed_at {
            Some(at) => format!("done {}", at.local().date()),
            None => "done".to_string(),
        },
        (ActionStatus::WontDo, _) => "won't do".to_string(),
        (_, Some(due)) if due < today => format!("overdue since {}", format_date(due)),
        (_, Some(due)) => format!("due {}", format_date(due)),
        (status, None) => status.label().to_lowercase(),
    }
}

/// The open items a feed or calendar follows: the overdue, then those due
/// from `today` on (those without a date last).
async fn followed(state: &AppState, owner: Option<&str>, today: time::Date) -> Result<Vec<OpenAction>, WebError> {
    let (mut open, _) = state.store.open_actions(None, owner, FOLLOWED_OVERDUE).await?;
    open.retain(|item| item.action.is_overdue(today));
    let from_today = ActionCursor { open_due: format_date(today), incident_id: i64::MAX, position: -1 };
    let (coming, _) = state.store.open_actions(Some(&from_today), owner, FOLLOWED_COMING).await?;
    open.extend(coming);
    Ok(open)
}

fn action_link(base: &str, item: &OpenAction) -> String {
    format!("{base}/incidents/{}#action-{}", item.incident_slug, item.position + 1)
}

async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let params = params.map(|Query(params)| params).unwrap_or_default();
    let owner = params.owner();
    let base = base_url(&headers);
    let today = OffsetDateTime::now_utc().date();
    let open = followed(&state, owner.as_deref(), today).await?;
    let done = state.store.recently_completed_actions(owner.as_deref(), FOLLOWED_DONE).await?;
    let instant = |seconds: i64| OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let entries: Vec<FeedEntry> = open
        .iter()
        .chain(&done)
        .map(|item| {
            let link = action_link(&base, item);
            let text = crate::markdown::plain_line(&item.action.text);
            FeedEntry {
                id: link.clone(),
                title: format!("{}: {text}", sentence_start(&standing(&item.action, today))),
                updated: format_rfc3339(instant(item.incident_updated_at)),
                author: item.action.owner.clone().unwrap_or_else(|| "no owner".to_string()),
                summary_html: format!(
                    "{} <p>From <a href=\"{link}\">{}</a>{}.</p>",
                    item.rendered_text(),
                    crate::markdown::escape(&item.incident_title),
                    item.action.priority.map(|p| format!(", {} priority", p.as_str())).unwrap_or_default()
                ),
                link,
            }
        })
        .collect();
    let updated = open
        .iter()
        .chain(&done)
        .map(|item| item.incident_updated_at)
        .max()
        .map(instant)
        .map(format_rfc3339)
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string());
    let owner_query = params.owner_query();
    let feed = ActionFeed {
        title: owner
            .as_ref()
            .map_or("Hindsight: action items".to_string(), |o| format!("Hindsight: action items of {o}")),
        self_link: format!("{base}/actions/feed.atom{owner_query}"),
        page_link: format!("{base}/actions{owner_query}"),
        updated,
        entries,
    };
    let xml = askama::Template::render(&feed).map_err(|error| AppError::Internal(error.into()))?;
    Ok(shared_document(xml, ATOM))
}

fn sentence_start(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

async fn calendar(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let params = params.map(|Query(params)| params).unwrap_or_default();
    let owner = params.owner();
    let base = base_url(&headers);
    let open = followed(&state, owner.as_deref(), OffsetDateTime::now_utc().date()).await?;
    let name = owner
        .as_ref()
        .map_or("Hindsight: action items due".to_string(), |o| format!("Hindsight: action items due, {o}"));
    let body = ical(&base, &name, &open, OffsetDateTime::now_utc());
    Ok(shared_document(body, "text/calendar; charset=utf-8"))
}

/// An iCalendar (RFC 5545) of the open items' due dates: an all-day event
/// on each due date, named after the action, linking to its report.
fn ical(base: &str, name: &str, items: &[OpenAction], now: OffsetDateTime) -> String {
    let host = base.split("://").nth(1).unwrap_or("hindsight");
    let stamp =
        now.format(time::macros::format_description!("[year][month][day]T[hour][minute][second]Z")).unwrap_or_default();
    let day = time::macros::format_description!("[year][month][day]");
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Hindsight//Action items//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        "METHOD:PUBLISH".to_string(),
        format!("X-WR-CALNAME:{}", ical_text(name)),
    ];
    for item in items {
        let Some(due) = item.action.due_on else { continue };
        let text = crate::markdown::plain_line(&item.action.text);
        let link = action_link(base, item);
        let mut description = format!("{} for “{}”", sentence_start(item.action.status.label()), item.incident_title);
        if let Some(owner) = &item.action.owner {
            description.push_str(&format!("; owner {owner}"));
        }
        if let Some(priority) = item.action.priority {
            description.push_str(&format!("; {} priority", priority.as_str()));
        }
        description.push_str(&format!(".\n{link}"));
        lines.extend([
            "BEGIN:VEVENT".to_string(),
            format!("UID:action-{}-{}@{}", item.incident_id, item.position, ical_text(host)),
            format!("DTSTAMP:{stamp}"),
            format!("DTSTART;VALUE=DATE:{}", due.format(day).unwrap_or_default()),
            format!("DTEND;VALUE=DATE:{}", due.next_day().unwrap_or(due).format(day).unwrap_or_default()),
            format!("SUMMARY:{}", ical_text(&format!("Due: {text}"))),
            format!("DESCRIPTION:{}", ical_text(&description)),
            format!("URL:{link}"),
            "TRANSP:TRANSPARENT".to_string(),
            "END:VEVENT".to_string(),
        ]);
    }
    lines.push("END:VCALENDAR".to_string());
    lines.iter().map(|line| fold(line)).collect()
}

/// A TEXT value: backslashes, semicolons, commas and line breaks escaped.
fn ical_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets (never inside a character), each
/// continuation starting with a space, ended by CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let line = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        for part in folded.trim_end_matches("\r\n").split("\r\n") {
            assert!(part.len() <= 75, "{part:?} is {} octets", part.len());
        }
        let unfolded: String = folded.trim_end_matches("\r\n").split("\r\n ").collect();
        assert_eq!(unfolded, line);
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(ical_text("a, b; c\\d\nnext"), "a\\, b\\; c\\\\d\\nnext");
    }
}
