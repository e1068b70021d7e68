//! People and tokens managed by admins, in the browser and on the command
//! line: disabling ends a person's sessions and tokens at their next
//! request, the last admin stays, passwords are reset and changed, and the
//! audit log reads back by who, what, which subject and when.

use reqwest::header::{COOKIE, LOCATION};
use serde_json::Value;

use crate::helpers::{browser, csrf_in, hindsight, page_as as page, post_sign_in, session_of, Backend, TestApp};
use crate::on_both_backends;
use hindsight::domain::{Role, Scope};
use hindsight::store::StoreError;

on_both_backends!(
    an_admin_disables_a_writer_whose_session_and_token_stop_at_the_next_request,
    the_last_active_admin_can_be_neither_demoted_nor_disabled,
    an_admin_adds_a_person_resets_their_password_and_revokes_any_token,
    people_change_their_own_password_and_their_other_sessions_end,
    the_audit_log_reads_back_by_who_what_subject_and_when,
    the_command_line_lists_and_changes_people_and_tokens,
);

/// Posts a form from the page at `from`, with that page's CSRF token.
async fn post_form(
    app: &TestApp,
    session: &str,
    from: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let (_, _, form_page) = page(app, session, from).await;
    let csrf = csrf_in(&form_page);
    let mut fields = fields.to_vec();
    fields.push(("csrf", &csrf));
    let response = browser()
        .post(app.url(action))
        .header(COOKIE, format!("hindsight_session={session}"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

async fn api_status(app: &TestApp, token: &str, path: &str) -> u16 {
    app.anonymous().get(app.url(path)).bearer_auth(token).send().await.unwrap().status().as_u16()
}

/// The password an admin's page shows once, in its notice.
fn shown_password(page: &str) -> String {
    page.split("<code class=\"secret\">").nth(1).expect("a password shown").split('<').next().unwrap().to_string()
}

async fn an_admin_disables_a_writer_whose_session_and_token_stop_at_the_next_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, boss_password) = hindsight::auth::add_user(&app.store, "boss", Role::Admin, "test").await.unwrap();
    let (_, password) = hindsight::auth::add_user(&app.store, "leaver", Role::Writer, "test").await.unwrap();
    let token =
        hindsight::auth::tokens::add_token(&app.store, "test", "leaver", "bot", Scope::Write, None).await.unwrap();
    let writer = session_of(&app, "leaver", &password).await;
    assert_eq!(page(&app, &writer, "/drafts").await.0, 200);
    assert_eq!(api_status(&app, &token, "/api/v1/incidents?status=draft").await, 200);

    let boss = session_of(&app, "boss", &boss_password).await;
    let (status, _, people) = page(&app, &boss, "/admin/people").await;
    assert_eq!(status, 200);
    assert!(people.contains("leaver") && people.contains("1 live"), "{people}");
    let (status, location, _) = post_form(&app, &boss, "/admin/people", "/admin/people/leaver/disable", &[]).await;
    assert_eq!((status, location.as_str()), (303, "/admin/people"));

    let (status, location, _) = page(&app, &writer, "/drafts").await;
    assert_eq!(status, 303, "the open session ends at its next request");
    assert!(location.starts_with("/login"), "{location}");
    assert_eq!(api_status(&app, &token, "/api/v1/incidents").await, 401, "and so does the token");
    let refused = post_sign_in(&app, "leaver", &password, &[]).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("has been disabled"));
    let wrong = post_sign_in(&app, "leaver", "not the password", &[]).await;
    assert_eq!(wrong.status(), 401, "only someone who knows the password learns the account is disabled");

    let (_, _, people) = page(&app, &boss, "/admin/people").await;
    assert!(people.contains("disabled</strong> since") && people.contains("0 live"), "{people}");
    let audit = app.get_json("/api/v1/audit?action=user.disable").await;
    assert_eq!(audit["items"][0]["subject"], "leaver");
    assert_eq!(audit["items"][0]["actor"], "boss");
    assert_eq!(audit["items"][0]["detail"], "ended 1 session(s), revoked 1 token(s)");

    post_form(&app, &boss, "/admin/people", "/admin/people/leaver/enable", &[]).await;
    assert_eq!(post_sign_in(&app, "leaver", &password, &[]).await.status(), 303, "enabled again");
    assert_eq!(api_status(&app, &token, "/api/v1/incidents").await, 401, "old tokens stay revoked");

    let (status, _, refusal) = post_form(&app, &boss, "/admin/people", "/admin/people/boss/disable", &[]).await;
    assert_eq!(status, 409);
    assert!(refusal.contains("cannot disable yourself"), "{refusal}");
    let (_, _, readers_view) = page(&app, &writer, "/admin/people").await;
    assert!(!readers_view.contains("Add a person"));
}

async fn the_last_active_admin_can_be_neither_demoted_nor_disabled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // `tester` is the app's admin; make it the only one by demoting nobody
    // else, then try.
    let last = |result: Result<(), StoreError>| matches!(result, Err(StoreError::LastAdmin(_)));
    assert!(last(app.store.set_role("test", "tester", Role::Writer).await));
    assert!(last(app.store.disable_user("test", "tester").await));
    assert!(matches!(app.store.disable_user("test", "nobody").await, Err(StoreError::NoSuchUser(_))));
    hindsight::auth::add_user(&app.store, "second", Role::Admin, "test").await.unwrap();
    app.store.disable_user("test", "second").await.unwrap();
    assert!(last(app.store.set_role("test", "tester", Role::Reader).await), "a disabled admin does not count");
    app.store.enable_user("test", "second").await.unwrap();
    app.store.set_role("test", "tester", Role::Reader).await.unwrap();
    assert_eq!(app.store.get_user("tester").await.unwrap().unwrap().role, Role::Reader);
    assert!(last(app.store.set_role("test", "second", Role::Writer).await));
}

async fn an_admin_adds_a_person_resets_their_password_and_revokes_any_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, boss_password) = hindsight::auth::add_user(&app.store, "boss", Role::Admin, "test").await.unwrap();
    let boss = session_of(&app, "boss", &boss_password).await;

    let (status, _, refused) =
        post_form(&app, &boss, "/admin/people", "/admin/people", &[("name", "Ada Lovelace"), ("role", "writer")]).await;
    assert_eq!(status, 422);
    assert!(refused.contains("id=\"person-name-error\"") && refused.contains("value=\"Ada Lovelace\""), "{refused}");
    let (status, _, added) =
        post_form(&app, &boss, "/admin/people", "/admin/people", &[("name", "Ada"), ("role", "writer")]).await;
    assert_eq!(status, 201);
    let first_password = shown_password(&added);
    let ada = session_of(&app, "ada", &first_password).await;
    let (status, _, taken) =
        post_form(&app, &boss, "/admin/people", "/admin/people", &[("name", "ada"), ("role", "reader")]).await;
    assert_eq!(status, 409);
    assert!(taken.contains("already called"), "{taken}");

    let (status, _, reset) = post_form(&app, &boss, "/admin/people", "/admin/people/ada/reset-password", &[]).await;
    assert_eq!(status, 200);
    let second_password = shown_password(&reset);
    assert_ne!(first_password, second_password);
    assert_eq!(page(&app, &ada, "/settings").await.0, 303, "a reset ends the person's sessions");
    assert_eq!(post_sign_in(&app, "ada", &first_password, &[]).await.status(), 401);
    assert_eq!(post_sign_in(&app, "ada", &second_password, &[]).await.status(), 303);

    let (_, _, roled) = post_form(&app, &boss, "/admin/people", "/admin/people/ada/role", &[("role", "reader")]).await;
    assert!(roled.is_empty(), "a role change goes back to the list");
    assert_eq!(app.store.get_user("ada").await.unwrap().unwrap().role, Role::Reader);

    let token =
        hindsight::auth::tokens::add_token(&app.store, "test", "ada", "scraper", Scope::Read, None).await.unwrap();
    // The row's "never"s: its last use and its expiry.
    let nevers = |page: &str| page.lines().find(|line| line.contains("scraper")).unwrap().matches("never").count();
    let (_, _, tokens) = page(&app, &boss, "/admin/tokens?owner=ada").await;
    assert_eq!(nevers(&tokens), 2, "{tokens}");
    assert_eq!(api_status(&app, &token, "/api/v1/incidents").await, 200);
    let (_, _, tokens) = page(&app, &boss, "/admin/tokens").await;
    assert_eq!(nevers(&tokens), 1, "its last use is shown: {tokens}");
    let id = app.store.list_tokens(None).await.unwrap().iter().find(|t| t.name == "scraper").unwrap().id;
    let (status, _, _) = post_form(&app, &boss, "/admin/tokens", &format!("/admin/tokens/{id}/revoke"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(api_status(&app, &token, "/api/v1/incidents").await, 401);
    let audit = app.get_json("/api/v1/audit?actor=boss").await;
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["user.create", "user.reset-password", "user.role", "token.revoke", "sign-in"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

async fn people_change_their_own_password_and_their_other_sessions_end(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, password) = hindsight::auth::add_user(&app.store, "ada", Role::Reader, "test").await.unwrap();
    let here = session_of(&app, "ada", &password).await;
    let elsewhere = session_of(&app, "ada", &password).await;
    let new = "a much longer passphrase";
    let change = |current: &'static str, new: &'static str, confirm: &'static str| {
        let here = here.clone();
        let app = &app;
        async move {
            post_form(
                app,
                &here,
                "/settings",
                "/settings",
                &[("current_password", current), ("new_password", new), ("confirm", confirm)],
            )
            .await
        }
    };
    let (status, _, short) = change("whatever", "short", "short").await;
    assert_eq!(status, 422);
    assert!(short.contains("id=\"new-password-error\""), "{short}");
    let (status, _, mismatch) = change("whatever", new, "another passphrase").await;
    assert_eq!(status, 422);
    assert!(mismatch.contains("id=\"confirm-password-error\""), "{mismatch}");
    let (status, _, wrong) = change("not my password", new, new).await;
    assert_eq!(status, 422);
    assert!(wrong.contains("not your current password"), "{wrong}");

    let current: &'static str = Box::leak(password.clone().into_boxed_str());
    let (status, _, done) = change(current, new, new).await;
    assert_eq!(status, 200);
    assert!(done.contains("has been changed"), "{done}");
    assert_eq!(page(&app, &here, "/settings").await.0, 200, "this session stays");
    assert_eq!(page(&app, &elsewhere, "/settings").await.0, 303, "the others end");
    assert_eq!(post_sign_in(&app, "ada", &password, &[]).await.status(), 401);
    assert_eq!(post_sign_in(&app, "ada", new, &[]).await.status(), 303);
    let audit = app.get_json("/api/v1/audit?action=user.change-password&subject=ada").await;
    assert_eq!(audit["items"][0]["detail"], "ended 1 session(s)");
}

async fn the_audit_log_reads_back_by_who_what_subject_and_when(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app.create(crate::helpers::full_incident("Audit filters")).await;
    let slug = created["slug"].as_str().unwrap().to_string();
    hindsight::auth::add_user(&app.store, "ada", Role::Writer, "boss").await.unwrap();
    app.store.disable_user("boss", "ada").await.unwrap();

    let slugs = |page: &Value, field: &str| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|e| e[field].as_str().unwrap().to_string()).collect()
    };
    let by_subject = app.get_json(&format!("/api/v1/audit?subject={slug}")).await;
    assert_eq!(slugs(&by_subject, "action"), ["incident.create"]);
    let by_kind = app.get_json("/api/v1/audit?action=user&actor=boss").await;
    assert_eq!(slugs(&by_kind, "action"), ["user.disable", "user.create"]);
    let today = time::OffsetDateTime::now_utc().date();
    let today_page = app.get_json(&format!("/api/v1/audit?since={today}&until={today}&actor=boss")).await;
    assert_eq!(slugs(&today_page, "action").len(), 2);
    let tomorrow = today.next_day().unwrap();
    assert!(slugs(&app.get_json(&format!("/api/v1/audit?since={tomorrow}")).await, "action").is_empty());
    let one = app.get_json("/api/v1/audit?actor=boss&limit=1").await;
    let before = one["next_before"].as_i64().expect("a next page");
    let next = app.get_json(&format!("/api/v1/audit?actor=boss&limit=1&before={before}")).await;
    assert_eq!(slugs(&next, "action"), ["user.create"]);

    let refused = app.get("/api/v1/audit?since=yesterday&until=2026-13-01").await;
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["since", "until"]);

    let (_, password) = hindsight::auth::add_user(&app.store, "auditor", Role::Admin, "test").await.unwrap();
    let session = session_of(&app, "auditor", &password).await;
    let (status, _, filtered) = page(&app, &session, &format!("/admin/audit?subject={slug}")).await;
    assert_eq!(status, 200);
    assert!(filtered.contains("incident.create") && !filtered.contains("user.disable"), "{filtered}");
    let (status, _, unreadable) = page(&app, &session, "/admin/audit?since=soon").await;
    assert_eq!(status, 422);
    assert!(unreadable.contains("id=\"audit-since-error\"") && unreadable.contains("value=\"soon\""), "{unreadable}");
}

async fn the_command_line_lists_and_changes_people_and_tokens(backend: Backend) {
    let database = crate::helpers::TestDatabase::new(backend).await;
    let run = |args: &[&str]| {
        let output = hindsight(&database, backend).args(args).output().expect("run hindsight");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).to_string(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    assert_eq!(run(&["user", "add", "--admin", "root"]).0, Some(0));
    assert_eq!(run(&["user", "add", "ada"]).0, Some(0));
    let (code, token, _) = run(&["token", "add", "ada", "--scope", "write", "--name", "deploys"]);
    assert_eq!(code, Some(0));
    assert!(token.trim().starts_with("hst_"));
    let (_, listed, _) = run(&["user", "list"]);
    assert!(listed.lines().any(|line| line.starts_with("ada\twriter\tactive\tnever\t1")), "{listed}");
    assert_eq!(run(&["user", "role", "ada", "admin"]).0, Some(0));
    let (code, _, refused) = run(&["user", "role", "nobody", "admin"]);
    assert_eq!(code, Some(2));
    assert!(refused.contains("no user named `nobody`"), "{refused}");
    assert_eq!(run(&["user", "role", "root", "reader"]).0, Some(0), "ada is an admin too now");
    let (code, _, last) = run(&["user", "disable", "ada"]);
    assert_eq!(code, Some(2), "ada is the last admin now");
    assert!(last.contains("only active admin"), "{last}");
    assert_eq!(run(&["user", "role", "root", "admin"]).0, Some(0));
    let (code, disabled, _) = run(&["user", "disable", "ada"]);
    assert_eq!(code, Some(0));
    assert!(disabled.contains("tokens are revoked"), "{disabled}");
    let (_, tokens, _) = run(&["token", "list", "--user", "ada"]);
    assert!(tokens.lines().any(|line| line.contains("\tada\tdeploys\twrite\trevoked\tnever\tnever")), "{tokens}");
    assert_eq!(run(&["user", "enable", "ada"]).0, Some(0));
    let (code, reset, _) = run(&["user", "reset-password", "ada"]);
    assert_eq!(code, Some(0));
    assert!(reset.contains("has the new password: "), "{reset}");
    let (_, second, _) = run(&["token", "add", "ada", "--name", "reader"]);
    let store = database.open_store().await;
    let id = store.list_tokens(None).await.unwrap().iter().find(|t| t.name == "reader").unwrap().id;
    assert!(store.find_token(&hindsight::auth::tokens::hash_token(second.trim())).await.unwrap().is_some());
    store.close().await;
    assert_eq!(run(&["token", "revoke", &id.to_string()]).0, Some(0));
    assert_eq!(run(&["token", "revoke", &id.to_string()]).0, Some(2), "revoked already");
    let (_, all, _) = run(&["token", "list"]);
    assert_eq!(all.lines().filter(|line| line.contains("\trevoked\t")).count(), 2, "{all}");
}
