//! Writing in the browser, through real HTTP with a real session: the new
//! and edit forms, post-back row buttons, paste-a-timeline, preview,
//! validation that keeps what was typed, the review workflow, the conflict
//! page, and history with diffs and restore.

use reqwest::header::{COOKIE, LOCATION, ORIGIN};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{browser, csrf_in, session_of, Backend, TestApp};
use crate::on_both_backends;
use hindsight::domain::{Role, Status};

on_both_backends!(
    a_writer_files_a_complete_report_and_takes_it_through_review,
    validation_messages_stand_beside_their_fields_and_keep_what_was_typed,
    row_buttons_add_remove_and_move_rows_without_javascript,
    a_stale_edit_shows_both_versions_and_overwrites_nothing,
    history_lists_revisions_diffs_any_two_and_restores_an_old_one,
    only_signed_in_writers_with_the_form_token_can_write,
    workflow_steps_are_taken_in_order,
    markdown_previews_are_rendered_and_sanitised,
    a_report_renamed_or_deleted_during_an_edit_keeps_the_writers_text,
    hostile_form_posts_get_a_clear_answer_and_the_server_keeps_serving,
    a_post_back_keeps_the_version_the_form_started_from,
    a_save_with_lines_left_in_the_paste_box_is_refused,
    edits_restores_and_history_are_for_writers_only,
    a_writer_whose_session_ended_keeps_everything_typed,
    a_pasted_timeline_across_daylight_saving_is_read_flagged_and_sorted,
    a_related_report_is_chosen_by_its_title_without_javascript,
    a_writer_deletes_a_report_from_the_pages_after_confirming,
    restoring_onto_a_published_report_sends_it_back_to_review,
    publishing_can_be_left_to_someone_other_than_the_author,
    lessons_and_the_factors_each_action_addresses_are_written_on_the_form,
);

/// A browser signed in as one user: its session cookie, no redirects
/// followed, no token.
struct Session<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookie: String,
}

impl<'a> Session<'a> {
    /// Adds a user and signs them in.
    async fn sign_in(app: &'a TestApp, name: &str, role: Role) -> Session<'a> {
        let (_, password) = hindsight::auth::add_user(&app.store, name, role, "test").await.unwrap();
        Session::sign_in_as(app, name, &password).await
    }

    async fn sign_in_as(app: &'a TestApp, name: &str, password: &str) -> Session<'a> {
        let cookie = format!("hindsight_session={}", session_of(app, name, password).await);
        Session { app, client: browser(), cookie }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.app.url(path)).header(COOKIE, &self.cookie).send().await.unwrap()
    }

    async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }

    async fn post(&self, path: &str, pairs: &[(String, String)]) -> reqwest::Response {
        self.client.post(self.app.url(path)).header(COOKIE, &self.cookie).form(pairs).send().await.unwrap()
    }

    /// Posts the report form of `page` as a browser would, with `changes`
    /// made to it and the button `op` pressed.
    async fn submit(&self, path: &str, page: &str, op: &str, changes: &[(&str, &str)]) -> reqwest::Response {
        let mut pairs = form_fields(page);
        for (name, value) in changes {
            match pairs.iter_mut().find(|(key, _)| key == name) {
                Some(pair) => pair.1 = value.to_string(),
                None => pairs.push((name.to_string(), value.to_string())),
            }
        }
        pairs.push(("op".into(), op.into()));
        self.post(path, &pairs).await
    }
}

/// Undoes HTML escaping: named entities and decimal character references.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|end| *end < 8) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            _ => entity.strip_prefix('#').and_then(|n| n.parse::<u32>().ok()).and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// The name/value pairs a browser would post from the page's report form:
/// inputs, checked boxes, textareas and the selected option of each select;
/// rows inside `<template>` are not part of the form.
fn form_fields(page: &str) -> Vec<(String, String)> {
    let start = page.find("<form class=\"report-form\"").expect("the page has the report form");
    let mut html = page[start..page[start..].find("</form>").unwrap() + start].to_string();
    while let Some(open) = html.find("<template") {
        let close = html[open..].find("</template>").unwrap() + open + "</template>".len();
        html.replace_range(open..close, "");
    }
    let mut pairs = Vec::new();
    let mut rest = html.as_str();
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        let tag_end = rest.find('>').unwrap() + 1;
        let tag = &rest[..tag_end];
        if tag.starts_with("<input") {
            let kind = attribute(tag, "type").unwrap_or_default();
            if let Some(name) = attribute(tag, "name") {
                if kind != "checkbox" || tag.contains(" checked") {
                    pairs.push((name, attribute(tag, "value").unwrap_or_default()));
                }
            }
        } else if tag.starts_with("<textarea") {
            let close = rest.find("</textarea>").unwrap();
            pairs.push((attribute(tag, "name").unwrap(), unescape(&rest[tag_end..close])));
        } else if tag.starts_with("<select") {
            let close = rest.find("</select>").unwrap();
            let options: Vec<&str> = rest[tag_end..close].split("<option").skip(1).collect();
            let chosen =
                options.iter().find(|o| o.split('>').next().unwrap().contains(" selected")).or(options.first());
            let value = chosen.and_then(|o| attribute(o, "value")).unwrap_or_default();
            pairs.push((attribute(tag, "name").unwrap(), value));
        }
        rest = &rest[tag_end..];
    }
    pairs
}

fn location(response: &reqwest::Response) -> String {
    response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

async fn incident_json(app: &TestApp, slug: &str) -> Value {
    app.get_json(&format!("/api/v1/incidents/{slug}")).await
}

/// Files a draft from the blank form (no template text in its narrative).
async fn file_draft(writer: &Session<'_>, title: &str, summary: &str) -> String {
    let page = writer.page("/incidents/new?template=blank").await;
    let saved = writer.submit("/incidents/new", &page, "save", &[("title", title), ("summary", summary)]).await;
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
    let location = location(&saved);
    let (path, saved_version) = location.split_once("?saved=").expect("a save says which version it saved");
    assert_eq!(saved_version, "1");
    path.trim_start_matches("/incidents/").to_string()
}

async fn a_writer_files_a_complete_report_and_takes_it_through_review(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let page = writer.page("/incidents/new").await;
    assert!(page.contains("## Trigger and root causes"), "the narrative starts from the SRE template");
    // Examples sit beside the fields, not in them, where they would pass
    // for something already typed; the precision choices say what they do.
    for example in ["dns-outage-2013", "dns, api", "deploy, rollback", "22:50 UTC capacity", "2024-03-31"] {
        let placeholder = page.split("placeholder=\"").skip(1).find(|rest| rest.starts_with(example));
        assert!(placeholder.is_none(), "a placeholder looks like data: {example}");
    }
    assert!(page.contains(">from the text</option>") && page.contains(">unknown</option>"));
    assert!(page.contains("id=\"precision-hint\"") && page.contains("no date or duration is taken from it"));
    assert!(writer
        .page("/incidents/new?template=blank")
        .await
        .contains("<textarea id=\"body\" name=\"body\" rows=\"18\" data-preview></textarea>"));

    // Paste three lines: two read, one kept and flagged.
    let paste = "22:50 UTC capacity started to drop\n23:05 - alert fired on the API\nsometime later we rolled back";
    let pasted = writer
        .submit(
            "/incidents/new",
            &page,
            "paste",
            &[("title", "API capacity collapse"), ("started_at", "2019-07-09 22:50 UTC"), ("paste", paste)],
        )
        .await;
    assert_eq!(pasted.status(), 200);
    let page = pasted.text().await.unwrap();
    assert!(page.contains("Read 3 pasted lines"), "{page}");
    let fields = form_fields(&page);
    let value = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    assert_eq!(value("timeline[0].at"), "2019-07-09 22:50", "in the report's zone, UTC, so written without it");
    assert_eq!(value("timeline[1].at"), "2019-07-09 23:05", "no zone: the report's; no date: the line before's");
    assert!(value("timeline[1].flag").contains("date not written"), "the carried date is flagged");
    assert_eq!(value("timeline[1].kind"), "detection");
    assert_eq!(value("timeline[2].text"), "sometime later we rolled back", "an unreadable line is kept");
    assert!(value("timeline[2].flag").contains("no time"), "and flagged");
    assert_eq!(value("paste"), "", "the paste box is emptied");
    assert_eq!(value("title"), "API capacity collapse", "nothing typed is lost");

    // Fill in the rest and save a draft.
    let page = writer.submit("/incidents/new", &page, "add:factors", &[]).await.text().await.unwrap();
    let checked = writer
        .submit(
            "/incidents/new",
            &page,
            "save",
            &[
                ("timeline[2].at", "23:40"),
                ("summary", "Capacity fell and the API **failed**."),
                ("severity", "sev2"),
                ("services", "api, ingest"),
                ("tags", "capacity"),
                ("detected_at", "23:05"),
                ("resolved_at", "2019-07-10 00:30 UTC"),
                ("factors[0].category", "capacity"),
                ("factors[0].text", "The cluster had no headroom."),
                ("factors[0].primary", "on"),
                ("factors[1].category", "monitoring_gap"),
                ("factors[1].text", "No alert on queue depth."),
                ("actions[0].text", "Add headroom alerts"),
                ("actions[0].owner", "sre"),
                ("actions[0].due_on", "2019-08-01"),
                ("actions[0].priority", "high"),
                ("note", "first draft"),
            ],
        )
        .await;
    // Times written without a date are read on the first key moment's day,
    // written out in full and shown for the writer to confirm first.
    assert_eq!(checked.status(), 422);
    let page = checked.text().await.unwrap();
    assert!(page.contains("Not saved yet."), "{page}");
    assert!(page.contains("Read as 2019-07-09 23:05: date not written: read as Tue 9 Jul 2019"), "{page}");
    assert_eq!(form_fields(&page).iter().find(|(k, _)| k == "timeline[2].at").unwrap().1, "2019-07-09 23:40");
    let saved = writer.submit("/incidents/new", &page, "save", &[]).await;
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
    assert_eq!(location(&saved), "/incidents/api-capacity-collapse?saved=1");
    let confirmed = writer.page("/incidents/api-capacity-collapse?saved=1").await;
    assert!(confirmed.contains("Saved as version 1 by wren; the report is a draft."));
    let stale_notice = writer.page("/incidents/api-capacity-collapse?saved=7").await;
    assert!(!stale_notice.contains("Saved as version"), "only the version just saved is confirmed");
    let stored = incident_json(&app, "api-capacity-collapse").await;
    assert_eq!(stored["status"], "draft");
    assert_eq!(stored["created_by"], "wren");
    assert_eq!(stored["timeline"].as_array().unwrap().len(), 3);
    assert_eq!(stored["timeline"][2]["at"]["at"], "2019-07-09T23:40:00Z");
    assert_eq!(stored["factors"].as_array().unwrap().len(), 2);
    assert_eq!(stored["factors"][0]["primary"], true);
    assert_eq!(stored["actions"][0]["due_on"], "2019-08-01");
    assert_eq!(stored["services"], serde_json::json!(["api", "ingest"]));
    assert_eq!(stored["time_to_detect_seconds"], 15 * 60);

    // A draft is the writer's, not the public's; "My drafts" lists it.
    assert_eq!(app.anonymous().get(app.url("/incidents/api-capacity-collapse")).send().await.unwrap().status(), 404);
    assert!(writer.page("/incidents/api-capacity-collapse").await.contains("This report is a draft"));
    assert!(writer.page("/drafts").await.contains("API capacity collapse"));

    // Submit for review, then publish, by another writer.
    let page = writer.page("/incidents/api-capacity-collapse/edit").await;
    assert_eq!(writer.submit("/incidents/api-capacity-collapse/edit", &page, "submit", &[]).await.status(), 303);
    let reviewer = Session::sign_in(&app, "rhea", Role::Writer).await;
    let drafts = reviewer.page("/drafts").await;
    assert!(drafts.split("Waiting for review").nth(1).unwrap().contains("API capacity collapse"));
    let page = reviewer.page("/incidents/api-capacity-collapse/edit").await;
    // The narrative is still the template: publishing asks first, and
    // saves nothing until the reviewer says so.
    let asked = reviewer.submit("/incidents/api-capacity-collapse/edit", &page, "publish", &[]).await;
    assert_eq!(asked.status(), 200);
    let asked = asked.text().await.unwrap();
    assert!(asked.contains("Template text is still in the narrative"));
    assert!(asked.contains("prompt under “Background” is still there"));
    assert!(asked.contains("prompt under “Detection” is still there"));
    assert_eq!(incident_json(&app, "api-capacity-collapse").await["status"], "in_review", "not published yet");
    let published = reviewer.submit("/incidents/api-capacity-collapse/edit", &asked, "publish:anyway", &[]).await;
    assert_eq!(published.status(), 303);

    let stored = incident_json(&app, "api-capacity-collapse").await;
    assert_eq!(stored["status"], "published");
    assert_eq!(stored["version"], 3);
    assert!(stored["published_at"].is_string());
    let incident = app.store.get_incident("api-capacity-collapse").await.unwrap().unwrap();
    let steps: Vec<(Status, String)> =
        app.store.workflow_steps(incident.id).await.unwrap().into_iter().map(|s| (s.status, s.actor)).collect();
    assert_eq!(
        steps,
        [(Status::Draft, "wren".into()), (Status::InReview, "wren".into()), (Status::Published, "rhea".into())]
    );
    let public = app.anonymous().get(app.url("/incidents/api-capacity-collapse")).send().await.unwrap();
    assert_eq!(public.status(), 200);
    assert!(public.text().await.unwrap().contains("<strong>failed</strong>"));
    app.wait_until_found("headroom", "api-capacity-collapse").await;
}

async fn validation_messages_stand_beside_their_fields_and_keep_what_was_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let page = writer.page("/incidents/new").await;
    let refused = writer
        .submit(
            "/incidents/new",
            &page,
            "save",
            &[
                ("title", ""),
                ("summary", "Kept <summary> & all"),
                ("tags", "dns, not a tag!"),
                ("started_at", "2013-05-20 11:40 PDT"),
                ("detected_at", "2013-05-20 10:00 PDT"),
                ("mitigated_at", "next tuesday"),
                ("timeline[0].at", "12:00"),
                ("timeline[0].text", ""),
                ("factors[0].text", "A factor without a category"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    let message = |id: &str| {
        let marker = format!("id=\"{id}-error\">");
        page.split(&marker).nth(1).map(|rest| unescape(rest.split('<').next().unwrap()))
    };
    assert_eq!(message("title").as_deref(), Some("must not be empty"));
    assert!(message("tags").unwrap().contains("not a tag!"));
    let order = message("detected_at").unwrap();
    assert!(order.contains("is before started_at (2013-05-20 11:40 PDT)"), "{order}");
    assert!(message("mitigated_at").unwrap().contains("2013-05-20 11:40 PDT"), "says what a time looks like");
    assert!(message("timeline-0-text").is_some());
    assert!(message("factors-0-category").unwrap().contains("choose a category"));
    // Above the form, every problem is listed, in the form's order, as a
    // link to its field.
    let summary = page.split("<nav class=\"error-summary\"").nth(1).unwrap().split("</nav>").next().unwrap();
    let anchors: Vec<&str> = summary.split("<a href=\"#").skip(1).map(|rest| rest.split('"').next().unwrap()).collect();
    assert_eq!(
        anchors,
        ["title", "tags", "detected_at", "mitigated_at", "timeline-0-text", "factors-0-category"],
        "{summary}"
    );
    for anchor in &anchors {
        assert!(page.contains(&format!(" id=\"{anchor}\"")), "the link to #{anchor} has its field");
    }
    assert!(summary.contains(">Timeline event 1: text</a>: "), "{summary}");
    // Each message sits right after its field, which points at it.
    let title_field = page.find("id=\"title\"").unwrap();
    assert!(page[title_field..].split("</p>").next().unwrap().contains("aria-describedby=\"title-error\""));
    // Everything typed comes back.
    let fields = form_fields(&page);
    let value = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(value("summary"), "Kept <summary> & all");
    assert_eq!(value("mitigated_at"), "next tuesday");
    assert_eq!(value("factors[0].text"), "A factor without a category");
    assert_eq!(value("tags"), "dns, not a tag!");
    assert_eq!(app.store.count_live_incidents().await.unwrap(), 0, "nothing was saved");
}

async fn row_buttons_add_remove_and_move_rows_without_javascript(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let page = writer.page("/incidents/new").await;
    let texts = |page: &str| -> Vec<String> {
        form_fields(page)
            .into_iter()
            .filter(|(k, _)| k.starts_with("timeline[") && k.ends_with("].text"))
            .map(|(_, v)| v)
            .collect()
    };
    let page = writer
        .submit("/incidents/new", &page, "add:timeline", &[("timeline[0].text", "first")])
        .await
        .text()
        .await
        .unwrap();
    let page = writer
        .submit("/incidents/new", &page, "add:timeline", &[("timeline[1].text", "second")])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(texts(&page), ["first", "second", ""]);
    let page = writer.submit("/incidents/new", &page, "up:timeline:1", &[]).await.text().await.unwrap();
    assert_eq!(texts(&page), ["second", "first", ""]);
    let page = writer.submit("/incidents/new", &page, "remove:timeline:2", &[]).await.text().await.unwrap();
    let page = writer.submit("/incidents/new", &page, "down:timeline:0", &[]).await.text().await.unwrap();
    assert_eq!(texts(&page), ["first", "second"]);
    let page = writer.submit("/incidents/new", &page, "remove:timeline:99", &[]).await.text().await.unwrap();
    assert_eq!(texts(&page), ["first", "second"], "a row that is not there changes nothing");
    let page = writer.submit("/incidents/new", &page, "add:related", &[]).await.text().await.unwrap();
    assert!(page.contains("name=\"related[0].slug\""));
    assert_eq!(app.store.count_live_incidents().await.unwrap(), 0, "row buttons never save");
}

async fn a_stale_edit_shows_both_versions_and_overwrites_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = Session::sign_in(&app, "ann", Role::Writer).await;
    let bob = Session::sign_in(&app, "bob", Role::Writer).await;
    let slug = file_draft(&ann, "Queue stalled", "The queue stalled.").await;
    let path = format!("/incidents/{slug}/edit");
    let anns_page = ann.page(&path).await;
    let bobs_page = bob.page(&path).await;
    let first = ann.submit(&path, &anns_page, "save", &[("summary", "Ann's account of the stall.")]).await;
    assert_eq!(first.status(), 303);

    let late = bob.submit(&path, &bobs_page, "save", &[("summary", "Bob's account of the stall.")]).await;
    assert_eq!(late.status(), 409);
    let page = late.text().await.unwrap();
    assert!(page.contains("Someone else saved this report"));
    let table = page.split("class=\"side-by-side\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(unescape(table).contains("Bob's account of the stall."), "the writer's text");
    assert!(unescape(table).contains("Ann's account of the stall."), "beside the current version");
    assert!(
        table.contains("<mark class=\"yours\"><span class=\"visually-hidden\">only yours: </span>Bob"),
        "marked as his"
    );
    assert!(table.contains("<mark class=\"theirs\"><span class=\"visually-hidden\">only theirs: </span>Ann"));
    assert_eq!(incident_json(&app, &slug).await["summary"], "Ann's account of the stall.", "nothing overwritten");
    let fields = form_fields(&page);
    assert!(fields.contains(&("summary".into(), "Bob's account of the stall.".into())), "the form keeps Bob's text");
    assert!(fields.contains(&("version".into(), "2".into())), "and now edits the current version");

    // "Keep both texts" puts Ann's lines and Bob's together, saving nothing.
    let both = bob.submit(&path, &page, "merge", &[]).await;
    assert_eq!(both.status(), 200);
    let both = both.text().await.unwrap();
    let fields = form_fields(&both);
    let summary = &fields.iter().find(|(name, _)| name == "summary").unwrap().1;
    assert_eq!(summary, "Ann's account of the stall.\nBob's account of the stall.");
    assert!(both.contains("Both texts are now in the summary"));
    assert_eq!(incident_json(&app, &slug).await["version"], 2, "nothing saved yet");

    // Bob reads it through, settles the text and saves.
    let merged = bob.submit(&path, &both, "save", &[("summary", "Ann's and Bob's account.")]).await;
    assert_eq!(merged.status(), 303);
    let stored = incident_json(&app, &slug).await;
    assert_eq!((stored["summary"].as_str(), stored["version"].as_i64()), (Some("Ann's and Bob's account."), Some(3)));
}

async fn history_lists_revisions_diffs_any_two_and_restores_an_old_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let slug = file_draft(&writer, "Cache purge took the site down", "A purge emptied every cache.").await;
    let path = format!("/incidents/{slug}/edit");
    let body = "Line one.\nLine two.\nLine three.";
    let page = writer.page(&path).await;
    let edited = writer.submit(&path, &page, "save", &[("body", body), ("note", "wrote the narrative")]).await;
    assert_eq!(edited.status(), 303);
    let page = writer.page(&path).await;
    let edited = writer
        .submit(&path, &page, "save", &[("body", "Line one.\nLine 2, rewritten.\nLine three."), ("severity", "sev1")])
        .await;
    assert_eq!(edited.status(), 303);

    let history = writer.page(&format!("/incidents/{slug}/history")).await;
    let rows: Vec<String> = history
        .split("<tr")
        .skip(2)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .take(4)
                .map(|cell| cell.split_once('>').unwrap().1.split('<').next().unwrap().trim())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows[0].starts_with("3") && rows[0].ends_with("|wren|edited"), "{rows:?}");
    assert!(rows[1].starts_with("2") && rows[1].ends_with("|wren|wrote the narrative"), "{rows:?}");
    assert!(rows[2].starts_with("1") && rows[2].ends_with("|wren|created"), "{rows:?}");
    assert!(history.contains("<strong>Draft</strong> by wren"), "the workflow step is listed");
    let diff = writer.page(&format!("/incidents/{slug}/diff?from=2&to=3")).await;
    assert!(diff.contains("<h2>Narrative</h2>") && diff.contains("<h2>Severity</h2>"));
    assert!(diff.contains("<del>Line two.</del>") && diff.contains("<ins>Line 2, rewritten.</ins>"));
    assert!(!diff.contains("<h2>Title</h2>"), "unchanged fields are not listed");
    let any_two = writer.page(&format!("/incidents/{slug}/diff?from=1&to=3")).await;
    assert!(any_two.contains("<ins>Line 2, rewritten.</ins>"));
    assert_eq!(writer.get(&format!("/incidents/{slug}/diff?from=1&to=99")).await.status(), 404);

    // Restore version 2, after a page that says what it does: a new
    // version 4 with version 2's content.
    assert!(history.contains(&format!("href=\"/incidents/{slug}/history/2/restore\"")));
    let confirm = writer.page(&format!("/incidents/{slug}/history/2/restore")).await;
    assert!(confirm.contains("Restore version 2?") && confirm.contains("The report stays a draft."));
    assert_eq!(incident_json(&app, &slug).await["version"], 3, "asking restores nothing");
    let csrf = csrf_in(&confirm);
    let pairs = [("csrf".to_string(), csrf.clone()), ("current".to_string(), "3".to_string())];
    let restored = writer.post(&format!("/incidents/{slug}/history/2/restore"), &pairs).await;
    assert_eq!(restored.status(), 303);
    assert_eq!(location(&restored), format!("/incidents/{slug}/history?restored=4"));
    let stored = incident_json(&app, &slug).await;
    assert_eq!(stored["version"], 4);
    assert_eq!(stored["body"], body);
    assert!(stored["severity"].is_null());
    assert_eq!(stored["status"], "draft");
    let history = writer.page(&location(&restored)).await;
    assert!(history.contains("Saved as version 4 (restored version 2). The report is a draft."), "says what happened");
    // A restore from a stale page changes nothing.
    let stale = writer.post(&format!("/incidents/{slug}/history/1/restore"), &pairs).await;
    assert_eq!(stale.status(), 409);
    assert_eq!(incident_json(&app, &slug).await["version"], 4);
}

async fn only_signed_in_writers_with_the_form_token_can_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let strangers = browser();
    let redirected = strangers.get(app.url("/incidents/new")).send().await.unwrap();
    assert_eq!(redirected.status(), 303);
    assert!(location(&redirected).starts_with("/login?next="));
    let posted =
        strangers.post(app.url("/incidents/new")).form(&[("title", "x"), ("op", "save")]).send().await.unwrap();
    assert_eq!(posted.status(), 401, "a stranger's post is asked to sign in, and saves nothing");

    let reader = Session::sign_in(&app, "rita", Role::Reader).await;
    assert_eq!(reader.get("/incidents/new").await.status(), 403);
    assert_eq!(reader.get("/drafts").await.status(), 403);

    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let slug = file_draft(&writer, "Draft only writers see", "Secret.").await;
    assert_eq!(reader.get(&format!("/incidents/{slug}")).await.status(), 404, "readers see no drafts");
    assert_eq!(reader.get(&format!("/incidents/{slug}/history")).await.status(), 403, "the history is for writers");
    assert_eq!(reader.get(&format!("/incidents/{slug}/edit")).await.status(), 403);

    let page = writer.page("/incidents/new").await;
    let forged = writer.submit("/incidents/new", &page, "save", &[("csrf", "forged"), ("title", "Forged")]).await;
    assert_eq!(forged.status(), 403);
    let mut pairs = form_fields(&page);
    pairs.push(("op".into(), "save".into()));
    pairs.iter_mut().find(|(k, _)| k == "title").unwrap().1 = "Cross-site".into();
    let cross_site = writer
        .client
        .post(app.url("/incidents/new"))
        .header(COOKIE, &writer.cookie)
        .header(ORIGIN, "https://evil.example")
        .form(&pairs)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(app.store.count_live_incidents().await.unwrap(), 1, "only the real draft exists");
    // A session still never writes through the API: that needs a token.
    let api = writer
        .client
        .post(app.url("/api/v1/incidents"))
        .header(COOKIE, &writer.cookie)
        .json(&serde_json::json!({"title": "Through the API"}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    assert!(api.text().await.unwrap().contains("needs a token"));
}

async fn workflow_steps_are_taken_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let slug = file_draft(&writer, "Certificate expired", "A certificate expired.").await;
    let path = format!("/incidents/{slug}/edit");
    let page = writer.page(&path).await;
    assert!(page.contains("value=\"submit\"") && !page.contains("value=\"publish\""), "a draft is submitted first");
    let skipped = writer.submit(&path, &page, "publish", &[("summary", "Changed")]).await;
    assert_eq!(skipped.status(), 409);
    assert!(skipped.text().await.unwrap().contains("must be in review first"));
    let stored = incident_json(&app, &slug).await;
    assert_eq!(
        (stored["status"].as_str(), stored["summary"].as_str()),
        (Some("draft"), Some("A certificate expired."))
    );
    assert_eq!(writer.submit(&path, &page, "submit", &[]).await.status(), 303);
    let page = writer.page(&path).await;
    assert_eq!(writer.submit(&path, &page, "return", &[("note", "needs a timeline")]).await.status(), 303);
    assert_eq!(incident_json(&app, &slug).await["status"], "draft");
    let history = writer.page(&format!("/incidents/{slug}/history")).await;
    assert!(history.contains("needs a timeline"));
    assert!(history.contains(">In review</strong> by wren"));
}

async fn markdown_previews_are_rendered_and_sanitised(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let markdown = "**bold** <script>alert(1)</script> [x](javascript:alert(1))";
    let response = app.post_json("/api/v1/preview", &serde_json::json!({ "markdown": markdown })).await;
    assert_eq!(response.status(), 200);
    let html = response.json::<Value>().await.unwrap()["html"].as_str().unwrap().to_string();
    assert!(html.contains("<strong>bold</strong>"));
    assert!(!html.contains("<script") && !html.contains("javascript:"), "{html}");
    let huge = "x".repeat(300 * 1024);
    let too_big = app.post_json("/api/v1/preview", &serde_json::json!({ "markdown": huge })).await;
    assert_eq!(too_big.status(), 422);

    // Without JavaScript: the preview button shows the same rendering.
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let page = writer.page("/incidents/new").await;
    let previewed = writer.submit("/incidents/new", &page, "preview", &[("summary", markdown)]).await;
    assert_eq!(previewed.status(), 200);
    let page = previewed.text().await.unwrap();
    let preview = page.split("aria-label=\"Summary preview\">").nth(1).unwrap().split("</div>").next().unwrap();
    assert!(preview.contains("<strong>bold</strong>") && !preview.contains("<script"), "{preview}");
    assert_eq!(app.store.count_live_incidents().await.unwrap(), 0);
}

async fn a_report_renamed_or_deleted_during_an_edit_keeps_the_writers_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let slug = file_draft(&writer, "Disk filled on the primary", "The disk filled.").await;
    let page = writer.page(&format!("/incidents/{slug}/edit")).await;

    // Someone renames it through the API meanwhile.
    let renamed = app
        .patch_json(&format!("/api/v1/incidents/{slug}"), Some("\"1\""), &serde_json::json!({"slug": "disk-full-2024"}))
        .await;
    assert_eq!(renamed.status(), 200);
    let late =
        writer.submit(&format!("/incidents/{slug}/edit"), &page, "save", &[("summary", "My careful summary.")]).await;
    assert_eq!(late.status(), 409, "a conflict, not a 404");
    let page = late.text().await.unwrap();
    assert!(page.contains("action=\"/incidents/disk-full-2024/edit\""), "the form now edits the renamed report");
    assert!(form_fields(&page).contains(&("summary".into(), "My careful summary.".into())));

    // Then it is deleted: the text survives, and saving files it anew.
    assert_eq!(app.delete("/api/v1/incidents/disk-full-2024", Some("\"2\"")).await.status(), 204);
    let gone = writer.submit("/incidents/disk-full-2024/edit", &page, "save", &[]).await;
    assert_eq!(gone.status(), 409);
    let page = gone.text().await.unwrap();
    assert!(page.contains("deleted while you were editing"));
    assert!(form_fields(&page).contains(&("summary".into(), "My careful summary.".into())));
    // Every button that posts the form back posts where the form does,
    // whatever the page's own address: here, as a new report.
    assert!(page.contains("formaction=\"/incidents/new#timeline\"") && !page.contains("formaction=\"#"));
    let saved = writer.submit("/incidents/new", &page, "save", &[]).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(location(&saved), format!("/incidents/{slug}?saved=1"), "the writer's own slug");
    assert_eq!(incident_json(&app, &slug).await["summary"], "My careful summary.");
}

async fn hostile_form_posts_get_a_clear_answer_and_the_server_keeps_serving(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let page = writer.page("/incidents/new").await;
    let csrf = csrf_in(&page);
    let raw = |body: String| {
        writer
            .client
            .post(app.url("/incidents/new"))
            .header(COOKIE, &writer.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    // Not UTF-8: read with replacement characters, which make no slug.
    let bad = raw(format!("csrf={csrf}&title=%FF%FE&op=save")).await.unwrap();
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("id=\"slug-error\""));
    // Far too many rows, at absurd indexes: refused by the domain's limit.
    let mut body = format!("csrf={csrf}&op=save&title=Many");
    for index in 0..3_000_u64 {
        body.push_str(&format!("&timeline[{}].text=x", index * 1_000_000_007));
    }
    let many = raw(body).await.unwrap();
    assert_eq!(many.status(), 422);
    assert!(many.text().await.unwrap().contains("at most 1000 events"));
    // A paste of too many lines is refused beside the paste box, text kept.
    let lines = "10:00 UTC x\n".repeat(1_001);
    let pasted = writer.submit("/incidents/new", &page, "paste", &[("title", "Kept"), ("paste", &lines)]).await;
    assert_eq!(pasted.status(), 200);
    let page = pasted.text().await.unwrap();
    assert!(page.contains("id=\"paste-error\""));
    assert!(form_fields(&page).contains(&("title".into(), "Kept".into())));
    // Over the body limit by one byte, on a connection of its own: the
    // server reads up to its limit, answers 413 and closes. One byte over
    // means the whole body is read by then, so the close cannot reset the
    // connection before the answer is read (a larger body made this racy).
    let huge = {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let address = app.url("").trim_start_matches("http://").trim_end_matches('/').to_string();
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let prefix = format!("csrf={csrf}&op=save&body=");
        let length = hindsight::app::MAX_BODY_BYTES + 1;
        let request = format!(
            "POST /incidents/new HTTP/1.1\r\nHost: {address}\r\nCookie: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n{prefix}{}",
            writer.cookie,
            "x".repeat(length - prefix.len())
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = vec![0; 64];
        let read = stream.read(&mut answer).await.unwrap();
        String::from_utf8_lossy(&answer[..read]).to_string()
    };
    assert!(huge.starts_with("HTTP/1.1 413"), "{huge}");
    assert_eq!(writer.get("/incidents/new").await.status(), 200, "still serving");
    assert_eq!(app.store.count_live_incidents().await.unwrap(), 0);
}

async fn a_post_back_keeps_the_version_the_form_started_from(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann = Session::sign_in(&app, "ann", Role::Writer).await;
    let bob = Session::sign_in(&app, "bob", Role::Writer).await;
    let slug = file_draft(&ann, "Replica lag", "Replicas lagged.").await;
    let path = format!("/incidents/{slug}/edit");
    let bobs_page = bob.page(&path).await;
    let anns_page = ann.page(&path).await;
    assert_eq!(ann.submit(&path, &anns_page, "save", &[("summary", "Ann's summary.")]).await.status(), 303);
    // Bob adds a row, reads a paste, previews, fails a save: each post-back
    // must keep editing version 1, so his save still meets the conflict.
    let mut page = bobs_page;
    for (op, changes) in [
        ("add:timeline", vec![]),
        ("paste", vec![("paste", "10:00 UTC lag began"), ("started_at", "2024-01-01 10:00 UTC")]),
        ("preview", vec![]),
        ("save", vec![("title", "")]),
    ] {
        let response = bob.submit(&path, &page, op, &changes).await;
        assert!(response.status() == 200 || response.status() == 422, "{op}: {}", response.status());
        page = response.text().await.unwrap();
        assert!(form_fields(&page).contains(&("version".into(), "1".into())), "{op} kept the version");
    }
    let late = bob.submit(&path, &page, "save", &[("title", "Replica lag"), ("summary", "Bob's summary.")]).await;
    assert_eq!(late.status(), 409);
    assert_eq!(incident_json(&app, &slug).await["summary"], "Ann's summary.", "Ann's save survives");
}

async fn a_save_with_lines_left_in_the_paste_box_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let page = writer.page("/incidents/new").await;
    let refused = writer
        .submit("/incidents/new", &page, "save", &[("title", "Pasted but not read"), ("paste", "10:00 UTC it broke")])
        .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("id=\"paste-error\""));
    assert!(form_fields(&page).contains(&("paste".into(), "10:00 UTC it broke".into())), "the lines are kept");
    assert_eq!(app.store.count_live_incidents().await.unwrap(), 0);
    // With a note, a new report's first revision says so.
    let saved = writer.submit("/incidents/new", &page, "save", &[("paste", ""), ("note", "from the chat log")]).await;
    assert_eq!(saved.status(), 303);
    let revisions = app.get_json("/api/v1/incidents/pasted-but-not-read/revisions").await;
    assert_eq!(revisions["items"][0]["note"], "from the chat log");
}

async fn edits_restores_and_history_are_for_writers_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let reader = Session::sign_in(&app, "rita", Role::Reader).await;
    let slug = file_draft(&writer, "Published then read", "First text.").await;
    let path = format!("/incidents/{slug}/edit");
    let page = writer.page(&path).await;
    assert_eq!(writer.submit(&path, &page, "submit", &[]).await.status(), 303);
    let page = writer.page(&path).await;
    assert_eq!(writer.submit(&path, &page, "publish", &[]).await.status(), 303);
    let page = writer.page(&path).await;

    // A reader's post to the edit form, even with a token of their own.
    let mut pairs = form_fields(&page);
    pairs.push(("op".into(), "save".into()));
    pairs.iter_mut().find(|(k, _)| k == "summary").unwrap().1 = "A reader's text.".into();
    let readers_page = reader.page("/login").await;
    pairs.iter_mut().find(|(k, _)| k == "csrf").unwrap().1 = csrf_in(&readers_page);
    assert_eq!(reader.post(&path, &pairs).await.status(), 403);
    let restore = format!("/incidents/{slug}/history/1/restore");
    let restore_pairs = [("csrf".to_string(), csrf_in(&readers_page)), ("current".to_string(), "3".to_string())];
    assert_eq!(reader.post(&restore, &restore_pairs).await.status(), 403);
    // A writer's post with a forged token.
    let forged = [("csrf".to_string(), "forged".to_string()), ("current".to_string(), "3".to_string())];
    assert_eq!(writer.post(&restore, &forged).await.status(), 403);
    assert_eq!(writer.submit(&path, &page, "save", &[("csrf", "forged"), ("summary", "Forged.")]).await.status(), 403);
    let stored = incident_json(&app, &slug).await;
    assert_eq!((stored["summary"].as_str(), stored["version"].as_i64()), (Some("First text."), Some(3)));

    // The history keeps draft-era text: the public and readers do not see it.
    let strangers = browser();
    let history = format!("/incidents/{slug}/history");
    assert_eq!(strangers.get(app.url(&history)).send().await.unwrap().status(), 303);
    assert_eq!(
        strangers.get(app.url(&format!("/incidents/{slug}/diff?from=1&to=3"))).send().await.unwrap().status(),
        303
    );
    assert_eq!(reader.get(&history).await.status(), 403);
    assert_eq!(strangers.get(app.url(&format!("/incidents/{slug}"))).send().await.unwrap().status(), 200);
}

async fn a_writer_whose_session_ended_keeps_everything_typed(backend: Backend) {
    use hindsight::auth::tokens::hash_token;
    let app = TestApp::spawn(backend).await;
    let (_, password) = hindsight::auth::add_user(&app.store, "wren", Role::Writer, "test").await.unwrap();
    let first = Session::sign_in_as(&app, "wren", &password).await;
    let page = first.page("/incidents/new").await;
    let secret = first.cookie.trim_start_matches("hindsight_session=");
    app.store.delete_session(&hash_token(secret)).await.unwrap();

    // The session is gone: nothing is saved, and the text comes back.
    let narrative = "Line one.\nLine \"two\" <b>&</b>.";
    let ended = first.submit("/incidents/new", &page, "save", &[("title", "Written late"), ("body", narrative)]).await;
    assert_eq!(ended.status(), 401);
    let holding = ended.text().await.unwrap();
    assert!(holding.contains("Your session has ended"));
    let held = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        unescape(holding.split(&marker).nth(1).unwrap().split('"').next().unwrap())
    };
    assert_eq!(held("title"), "Written late");
    assert_eq!(held("body"), narrative);

    // Signed in again elsewhere, the held page posts the text back: the
    // form returns with the new session's token, and then saves.
    let again = Session::sign_in_as(&app, "wren", &password).await;
    let mut pairs: Vec<(String, String)> = ["csrf", "title", "body"].iter().map(|n| (n.to_string(), held(n))).collect();
    pairs.push(("version".into(), "0".into()));
    let back = again.post("/incidents/new", &pairs).await;
    assert_eq!(back.status(), 403);
    let page = back.text().await.unwrap();
    assert!(page.contains("Nothing was saved: this form was older than your sign-in"));
    let fields = form_fields(&page);
    assert!(fields.contains(&("body".into(), narrative.into())));
    let saved = again.submit("/incidents/new", &page, "save", &[]).await;
    assert_eq!(saved.status(), 303);
    assert_eq!(incident_json(&app, "written-late").await["body"], narrative);
}

/// The DNSimple partial outage typed as a writer would, across the change
/// to daylight saving time: every inferred date is written out and flagged,
/// a timeline out of order is offered a sort, and a zone that is not one is
/// refused beside its field.
async fn a_pasted_timeline_across_daylight_saving_is_read_flagged_and_sorted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let page = writer.page("/incidents/new?template=blank").await;
    assert!(page.contains("<datalist id=\"zone-names\">") && page.contains("<option value=\"America/Los_Angeles\">"));
    let paste = "12:30 tweets say names fail to resolve\n\
                 20:00 UTC east coast fine, west coast failing\n\
                 ~13:15 Boundary shows a flood of queries from Google\n\
                 Mar 11 1 PM Google and Yahoo ranges whitelisted";
    let fields = [
        ("title", "Partial DNS outage"),
        ("zone", "America/Los_Angeles"),
        ("detected_at", "2013-03-08 12:05"),
        ("paste", paste),
    ];
    let pasted = writer.submit("/incidents/new", &page, "paste", &fields).await;
    assert_eq!(pasted.status(), 200);
    let page = pasted.text().await.unwrap();
    let value = |page: &str, name: &str| {
        form_fields(page).into_iter().find(|(k, _)| k == name).map(|(_, v)| v).unwrap_or_default()
    };
    assert_eq!(
        value(&page, "timeline[0].at"),
        "2013-03-08 12:30",
        "no zone: the report's; no date: the first key moment's"
    );
    assert!(value(&page, "timeline[0].flag").contains("date not written: read as Fri 8 Mar 2013"));
    assert_eq!(value(&page, "timeline[1].at"), "2013-03-08 20:00 UTC", "not moved to the 9th");
    assert!(value(&page, "timeline[1].flag").contains("earlier than that line"));
    assert_eq!(value(&page, "timeline[2].at"), "about 2013-03-08 13:15");
    assert_eq!(value(&page, "timeline[3].at"), "2013-03-11 13:00", "after the change, still the report's zone");
    assert!(value(&page, "timeline[3].flag").contains("year not written"));
    assert!(page.contains("These events are not in time order."), "12:00 PST is written after 12:30 PST");

    let sorted = writer.submit("/incidents/new", &page, "sort:timeline", &[]).await.text().await.unwrap();
    let texts: Vec<String> = (0..4).map(|i| value(&sorted, &format!("timeline[{i}].text"))).collect();
    assert_eq!(texts[0], "east coast fine, west coast failing");
    assert_eq!(texts[1], "tweets say names fail to resolve");
    assert!(!sorted.contains("These events are not in time order."));

    let refused = writer.submit("/incidents/new", &sorted, "save", &[("zone", "Mars/Olympus")]).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("id=\"zone-error\">`Mars/Olympus` is not a time zone we know"), "{page}");

    let saved = writer.submit("/incidents/new", &page, "save", &[("zone", "America/Los_Angeles")]).await;
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
    let incident = incident_json(&app, "partial-dns-outage").await;
    let at: Vec<&str> =
        incident["timeline"].as_array().unwrap().iter().map(|e| e["at"]["at"].as_str().unwrap()).collect();
    assert_eq!(
        at,
        ["2013-03-08T20:00:00Z", "2013-03-08T12:30:00-08:00", "2013-03-08T13:15:00-08:00", "2013-03-11T13:00:00-07:00"]
    );
    assert_eq!(incident["timeline"][2]["at"]["approximate"], true);
    let report = writer.page("/incidents/partial-dns-outage").await;
    assert!(report.contains("12:00 PST") && report.contains("13:00 PDT") && report.contains("20:00 UTC"));
}

/// A related link is made by a report's title: Find lists the published
/// reports whose words match, a button chooses one, and the form then names
/// the report it links to. Words left in the field are not saved as an
/// address; the message says to press Find.
async fn a_related_report_is_chosen_by_its_title_without_javascript(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    app.wait_until_indexed().await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let page = writer.page("/incidents/new").await;
    let fields = [
        ("title", "Resolver crash on a malformed record"),
        ("related[0].slug", "stack overflow"),
        ("related[0].kind", "related"),
    ];
    let found = writer.submit("/incidents/new", &page, "find:related:0", &fields).await;
    assert_eq!(found.status(), 200);
    let found = found.text().await.unwrap();
    let bunny = "bunnynet-dns-outage-binarypack-stack-overflow";
    let choose = format!("value=\"choose:related:0:{bunny}\"");
    assert!(found.contains("Reports matching “stack overflow”: choose one."), "the matches are listed");
    assert!(found.contains(&choose), "each with a button that chooses it");

    let chosen = writer.submit("/incidents/new", &found, &format!("choose:related:0:{bunny}"), &[]).await;
    let chosen = chosen.text().await.unwrap();
    assert!(chosen.contains(&format!("name=\"related[0].slug\" value=\"{bunny}\"")), "the address is filled in");
    assert!(chosen.contains(&format!("Links to <a href=\"/incidents/{bunny}\">")), "and the report named");
    assert!(chosen.contains("value=\"Resolver crash on a malformed record\""), "nothing typed is lost");

    let nothing = writer.submit("/incidents/new", &page, "find:related:0", &[("related[0].slug", "zzzqqq")]).await;
    assert!(nothing.text().await.unwrap().contains("No published report matches “zzzqqq”."));

    let words = writer.submit("/incidents/new", &page, "save", &fields).await;
    assert_eq!(words.status(), 422);
    let words = words.text().await.unwrap();
    let message = words
        .split("id=\"related-0-slug-error\">")
        .nth(1)
        .unwrap_or_default()
        .split("</p>")
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(message.contains("is not a report") && message.contains("press Find beside it"), "{message}");
}

/// Drafts need not pile up: a writer deletes a report from its page or the
/// drafts list, after a page that says what deleting means. The delete
/// names the version it saw; the report's revisions are kept.
async fn a_writer_deletes_a_report_from_the_pages_after_confirming(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let slug = file_draft(&writer, "Abandoned draft", "Never finished.").await;
    assert!(writer.page("/drafts").await.contains(&format!("href=\"/incidents/{slug}/delete\"")));
    assert!(writer.page(&format!("/incidents/{slug}")).await.contains(&format!("href=\"/incidents/{slug}/delete\"")));
    let confirm = writer.page(&format!("/incidents/{slug}/delete")).await;
    assert!(confirm.contains("Delete this report?") && confirm.contains("Its revisions are kept"));
    assert_eq!(app.store.count_live_incidents().await.unwrap(), 1, "asking deletes nothing");

    // A delete from a page opened before an edit is refused.
    let page = writer.page(&format!("/incidents/{slug}/edit")).await;
    assert_eq!(
        writer.submit(&format!("/incidents/{slug}/edit"), &page, "save", &[("summary", "Edited.")]).await.status(),
        303
    );
    let posted = |page: &str| {
        let version = page.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        vec![("csrf".to_string(), csrf_in(page)), ("version".to_string(), version)]
    };
    let stale = writer.post(&format!("/incidents/{slug}/delete"), &posted(&confirm)).await;
    assert_eq!(stale.status(), 409);
    assert_eq!(app.store.count_live_incidents().await.unwrap(), 1);

    let confirm = writer.page(&format!("/incidents/{slug}/delete")).await;
    let deleted = writer.post(&format!("/incidents/{slug}/delete"), &posted(&confirm)).await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(location(&deleted), format!("/drafts?deleted={slug}"));
    assert!(writer.page(&location(&deleted)).await.contains(&format!("Deleted “{slug}”. Its revisions are kept.")));
    assert_eq!(app.store.count_live_incidents().await.unwrap(), 0);
    assert_eq!(writer.get(&format!("/incidents/{slug}")).await.status(), 404);
    let live = file_draft(&writer, "Still here", "Alive.").await;
    assert!(!writer.page(&format!("/drafts?deleted={live}")).await.contains("Deleted “"), "not said of a live report");

    // Not for readers, nor without the form's token.
    let other = file_draft(&writer, "Another draft", "Kept.").await;
    let reader = Session::sign_in(&app, "rita", Role::Reader).await;
    assert_eq!(reader.get(&format!("/incidents/{other}/delete")).await.status(), 403);
    let forged = writer
        .post(&format!("/incidents/{other}/delete"), &[("csrf".into(), "wrong".into()), ("version".into(), "1".into())])
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(app.store.count_live_incidents().await.unwrap(), 2, "the two drafts filed since");
}

/// Restored text has not been reviewed in its place: a restore onto a
/// published report takes it back to review, says so before and after, and
/// a reviewer publishes it again.
async fn restoring_onto_a_published_report_sends_it_back_to_review(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let slug = file_draft(&writer, "Published then restored", "First text.").await;
    let path = format!("/incidents/{slug}/edit");
    for (op, summary) in [("save", "Second text."), ("submit", "Second text."), ("publish", "Second text.")] {
        let page = writer.page(&path).await;
        assert_eq!(writer.submit(&path, &page, op, &[("summary", summary)]).await.status(), 303, "{op}");
    }
    let published = incident_json(&app, &slug).await;
    assert_eq!((published["status"].as_str(), published["version"].as_i64()), (Some("published"), Some(4)));

    let confirm = writer.page(&format!("/incidents/{slug}/history/1/restore")).await;
    assert!(confirm.contains("The report is published.") && confirm.contains("goes back to review"));
    let pairs = [("csrf".to_string(), csrf_in(&confirm)), ("current".to_string(), "4".to_string())];
    let restored = writer.post(&format!("/incidents/{slug}/history/1/restore"), &pairs).await;
    assert_eq!(restored.status(), 303);
    let stored = incident_json(&app, &slug).await;
    assert_eq!((stored["status"].as_str(), stored["summary"].as_str()), (Some("in_review"), Some("First text.")));
    assert_eq!(app.anonymous().get(app.url(&format!("/incidents/{slug}"))).send().await.unwrap().status(), 404);
    let history = writer.page(&location(&restored)).await;
    assert!(history.contains("(restored version 1; back to review). The report is in review."), "says what happened");
    let reviewer = Session::sign_in(&app, "rhea", Role::Writer).await;
    let page = reviewer.page(&path).await;
    assert_eq!(reviewer.submit(&path, &page, "publish", &[]).await.status(), 303, "a reviewer publishes it again");
    assert_eq!(incident_json(&app, &slug).await["status"], "published");
}

/// With `--publish-by not-author`, the author of a report cannot publish
/// it, by form or API; another writer can.
async fn publishing_can_be_left_to_someone_other_than_the_author(backend: Backend) {
    use hindsight::domain::workflow::Publisher;
    let app =
        TestApp::spawn_configured(backend, |app| hindsight::app::App { publisher: Publisher::NotTheAuthor, ..app })
            .await;
    let author = Session::sign_in(&app, "wren", Role::Writer).await;
    let slug = file_draft(&author, "Needs a second pair of eyes", "Text.").await;
    let path = format!("/incidents/{slug}/edit");
    let page = author.page(&path).await;
    assert_eq!(author.submit(&path, &page, "submit", &[]).await.status(), 303);
    let page = author.page(&path).await;
    let refused = author.submit(&path, &page, "publish", &[]).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("published by someone other than its author"));
    assert_eq!(incident_json(&app, &slug).await["status"], "in_review");

    // The API follows the same setting: `tester` filed this one, and
    // another writer's token publishes it.
    app.create(serde_json::json!({"title": "Filed by the tester", "status": "in_review"})).await;
    let publish = serde_json::json!({"status": "published"});
    let own = app.patch_json("/api/v1/incidents/filed-by-the-tester", Some("\"1\""), &publish).await;
    assert_eq!(own.status(), 403);
    hindsight::auth::add_user(&app.store, "otto", Role::Writer, "test").await.unwrap();
    let scope = hindsight::domain::Scope::Write;
    let token = hindsight::auth::tokens::add_token(&app.store, "test", "otto", "otto's", scope, None).await.unwrap();
    let other = app
        .anonymous()
        .patch(app.url("/api/v1/incidents/filed-by-the-tester"))
        .bearer_auth(token)
        .header("If-Match", "\"1\"")
        .json(&publish)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200, "another writer publishes it");

    let reviewer = Session::sign_in(&app, "rhea", Role::Writer).await;
    let page = reviewer.page(&path).await;
    assert_eq!(reviewer.submit(&path, &page, "publish", &[]).await.status(), 303);
    assert_eq!(incident_json(&app, &slug).await["status"], "published");
}

async fn lessons_and_the_factors_each_action_addresses_are_written_on_the_form(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = Session::sign_in(&app, "wren", Role::Writer).await;
    let page = writer.page("/incidents/new").await;
    assert!(!page.contains("### What went well"), "lessons have fields of their own, not template headings");
    assert!(page.contains("<label for=\"went_well\">What went well"));
    // A factor typed is offered to the action items once the form is posted.
    let factor = [("factors[0].category", "change"), ("factors[0].text", "A deploy went out without a canary.")];
    let page = writer.submit("/incidents/new", &page, "add:factors", &factor).await.text().await.unwrap();
    assert!(page.contains("name=\"actions[0].addresses\" value=\"0\">"), "offered, not ticked");
    assert!(page.contains("1 · Change or deploy: A deploy went out without a canary."));
    let typed = [
        ("title", "Deploy without a canary"),
        ("factors[1].category", "configuration"),
        ("factors[1].text", "A flag was left on."),
        ("actions[0].text", "Turn the flag off by default."),
        ("actions[0].addresses", "1"),
        ("went_well", "The *canary* alert in the other region paged."),
        ("got_lucky", "It was a quiet hour."),
    ];
    let previewed = writer.submit("/incidents/new", &page, "preview", &typed).await.text().await.unwrap();
    assert!(previewed.contains("aria-label=\"What went well preview\">"));
    assert!(previewed.contains("The <em>canary</em> alert"));
    assert!(previewed.contains("name=\"actions[0].addresses\" value=\"1\" checked>"), "the tick is kept");
    let saved = writer.submit("/incidents/new", &previewed, "save", &[]).await;
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
    let stored = incident_json(&app, "deploy-without-a-canary").await;
    assert_eq!(stored["actions"][0]["addresses"], serde_json::json!([1]));
    assert_eq!(stored["went_well"], "The *canary* alert in the other region paged.");
    assert_eq!(stored["got_lucky"], "It was a quiet hour.");
    assert!(stored.get("went_wrong").is_none_or(|text| text == ""), "left empty");

    // Removing the first factor moves the action's tick with its factor.
    let path = "/incidents/deploy-without-a-canary/edit";
    let page = writer.page(path).await;
    let page = writer.submit(path, &page, "remove:factors:0", &[]).await.text().await.unwrap();
    assert!(page.contains("name=\"actions[0].addresses\" value=\"0\" checked> 1 · Configuration: A flag"));
    assert_eq!(writer.submit(path, &page, "save", &[]).await.status(), 303);
    let stored = incident_json(&app, "deploy-without-a-canary").await;
    assert_eq!(stored["actions"][0]["addresses"], serde_json::json!([0]));

    // A factor that is not there is refused beside the action.
    let page = writer.page(path).await;
    let refused = writer.submit(path, &page, "save", &[("actions[0].addresses", "5")]).await;
    assert_eq!(refused.status(), 422);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("id=\"actions-0-addresses-error\">factor 5 does not exist"), "{refused}");

    let report = writer.page("/incidents/deploy-without-a-canary").await;
    assert!(report.contains("<h2 id=\"learnings-heading\">Lessons learned</h2>"));
    assert!(report.contains("<h3>What went well</h3>") && !report.contains("<h3>What went wrong</h3>"));
    assert!(report.contains("<li id=\"factor-1\">"));
    assert!(report.contains("addresses <a href=\"#factor-1\">factor 1</a>"));
    // Lessons are searched like any other text of a report.
    app.create(
        serde_json::json!({"title": "Quiet outage", "status": "published", "got_lucky": "Nobody was deploying."}),
    )
    .await;
    app.wait_until_found("nobody deploying", "quiet-outage").await;
}
