//! Signing in and out of the pages: rotated HttpOnly sessions, CSRF tokens,
//! cross-site refusal, the rate limit, and the audit trail.

use reqwest::header::{COOKIE, LOCATION};

use crate::helpers::{browser, csrf_in, post_sign_in, session_of, set_cookie_value, sign_in_form, Backend, TestApp};
use crate::on_both_backends;
use hindsight::app::App;
use hindsight::domain::Role;

on_both_backends!(
    signing_in_starts_a_rotated_httponly_session_and_signing_out_ends_it,
    a_wrong_password_is_refused_and_keeps_the_name_typed,
    forged_and_cross_site_posts_are_refused,
    brute_forcing_meets_429_with_retry_after,
    concurrent_guesses_check_no_more_passwords_than_the_limit,
    failures_from_one_address_do_not_lock_the_owner_out_elsewhere,
    without_public_read_every_page_and_api_call_needs_sign_in,
    a_signed_in_user_creates_a_token_in_the_settings_and_revokes_it,
    behind_a_trusted_proxy_clients_are_told_apart_by_x_forwarded_for,
    admins_read_the_audit_log_in_the_browser_and_nobody_else_does,
    sessions_end_when_idle_and_at_their_absolute_limit,
);

async fn signing_in_starts_a_rotated_httponly_session_and_signing_out_ends_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, password) = hindsight::auth::add_user(&app.store, "ada", Role::Writer, "test").await.unwrap();
    let first = post_sign_in(&app, "Ada", &password, &[]).await;
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()[LOCATION], "/incidents");
    let (session, cookie) = set_cookie_value(first.headers(), "hindsight_session").expect("session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Max-Age="), "{cookie}");
    let second = post_sign_in(&app, "ada", &password, &[]).await;
    let (rotated, _) = set_cookie_value(second.headers(), "hindsight_session").unwrap();
    assert_ne!(session, rotated, "every sign-in gets a new session id");

    let account =
        browser().get(app.url("/login")).header(COOKIE, format!("hindsight_session={session}")).send().await.unwrap();
    let page = account.text().await.unwrap();
    assert!(page.contains("signed in as <strong>ada</strong>"), "{page}");
    let csrf = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let out = browser()
        .post(app.url("/logout"))
        .header(COOKIE, format!("hindsight_session={session}"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert!(set_cookie_value(out.headers(), "hindsight_session").unwrap().1.contains("Max-Age=0"));
    let after =
        browser().get(app.url("/login")).header(COOKIE, format!("hindsight_session={session}")).send().await.unwrap();
    assert!(after.text().await.unwrap().contains("<h1>Sign in</h1>"), "the session is gone");
    let log = app.get_json("/api/v1/audit?limit=500").await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"sign-in") && actions.contains(&"sign-out"), "{actions:?}");
}

async fn a_wrong_password_is_refused_and_keeps_the_name_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    hindsight::auth::add_user(&app.store, "ada", Role::Writer, "test").await.unwrap();
    for name in ["ada", "nobody"] {
        let response = post_sign_in(&app, name, "wrong password", &[]).await;
        assert_eq!(response.status(), 401);
        assert!(set_cookie_value(response.headers(), "hindsight_session").is_none());
        let page = response.text().await.unwrap();
        assert!(page.contains(&format!("value=\"{name}\"")), "the name typed is kept");
        assert!(page.contains("do not match"));
    }
    let log = app.get_json("/api/v1/audit?limit=500").await;
    let failed = log["items"].as_array().unwrap().iter().filter(|e| e["action"] == "sign-in.failed").count();
    assert_eq!(failed, 2);
}

async fn forged_and_cross_site_posts_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, password) = hindsight::auth::add_user(&app.store, "ada", Role::Writer, "test").await.unwrap();
    for extra in [[("Origin", "https://evil.example")], [("Sec-Fetch-Site", "cross-site")]] {
        let response = post_sign_in(&app, "ada", &password, &extra).await;
        assert_eq!(response.status(), 403, "{extra:?}");
        assert!(set_cookie_value(response.headers(), "hindsight_session").is_none());
    }
    // No CSRF token, or one that does not match its cookie.
    let (csrf, _) = sign_in_form(&app).await;
    let forged = browser()
        .post(app.url("/login"))
        .header(COOKIE, "hindsight_form=somethingelse")
        .form(&[("name", "ada"), ("password", password.as_str()), ("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let bare = browser()
        .post(app.url("/login"))
        .form(&[("name", "ada"), ("password", password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 403);
    // A cross-site sign-out does not end the session.
    let signed_in = post_sign_in(&app, "ada", &password, &[]).await;
    let (session, _) = set_cookie_value(signed_in.headers(), "hindsight_session").unwrap();
    let out = browser()
        .post(app.url("/logout"))
        .header(COOKIE, format!("hindsight_session={session}"))
        .header("Origin", "https://evil.example")
        .form(&[("csrf", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 403);
    let wrong_token = browser()
        .post(app.url("/logout"))
        .header(COOKIE, format!("hindsight_session={session}"))
        .form(&[("csrf", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), 403);
    let still =
        browser().get(app.url("/login")).header(COOKIE, format!("hindsight_session={session}")).send().await.unwrap();
    assert!(still.text().await.unwrap().contains("signed in as"));
}

async fn brute_forcing_meets_429_with_retry_after(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, password) = hindsight::auth::add_user(&app.store, "ada", Role::Writer, "test").await.unwrap();
    for attempt in 0..10 {
        // A new forged X-Forwarded-For each time changes nothing.
        let spoof = format!("10.0.0.{attempt}");
        let response = post_sign_in(&app, "ada", "guess", &[("X-Forwarded-For", spoof.as_str())]).await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    let limited = post_sign_in(&app, "ada", &password, &[("X-Forwarded-For", "10.9.9.9")]).await;
    assert_eq!(limited.status(), 429, "even the right password waits");
    let wait: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    assert!(limited.text().await.unwrap().contains("Too many failed sign-ins"));
    let other = post_sign_in(&app, "grace", "guess", &[]).await;
    assert_eq!(other.status(), 401, "another account from the same address has its own limit");
}

async fn concurrent_guesses_check_no_more_passwords_than_the_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    hindsight::auth::add_user(&app.store, "ada", Role::Writer, "test").await.unwrap();
    // The forms first, so the hundred posts go out together.
    let mut forms = Vec::new();
    for _ in 0..100 {
        forms.push(sign_in_form(&app).await);
    }
    let posts: Vec<_> = forms
        .into_iter()
        .map(|(csrf, cookie)| {
            tokio::spawn(
                browser()
                    .post(app.url("/login"))
                    .header(COOKIE, format!("hindsight_form={cookie}"))
                    .form(&[("name", "ada"), ("password", "guess"), ("csrf", &csrf), ("next", "/")])
                    .send(),
            )
        })
        .collect();
    let mut statuses = Vec::new();
    for post in posts {
        statuses.push(post.await.unwrap().unwrap().status().as_u16());
    }
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        (1..=hindsight::auth::limiter::MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS).contains(&checked),
        "{checked} passwords were checked: {statuses:?}"
    );
    assert!(statuses.iter().all(|s| [401, 429, 503].contains(s)), "{statuses:?}");
}

async fn failures_from_one_address_do_not_lock_the_owner_out_elsewhere(backend: Backend) {
    let proxy = "127.0.0.1".parse().unwrap();
    let app = TestApp::spawn_configured(backend, |app| App { trusted_proxy: Some(proxy), ..app }).await;
    let (_, password) = hindsight::auth::add_user(&app.store, "root", Role::Admin, "test").await.unwrap();
    let attacker = [("X-Forwarded-For", "203.0.113.7")];
    for _ in 0..hindsight::auth::limiter::MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
        assert_eq!(post_sign_in(&app, "root", "guess", &attacker).await.status(), 401);
    }
    assert_eq!(post_sign_in(&app, "root", &password, &attacker).await.status(), 429, "the guesser waits");
    let owner = post_sign_in(&app, "root", &password, &[("X-Forwarded-For", "198.51.100.4")]).await;
    assert_eq!(owner.status(), 303, "the owner signs in from elsewhere");
}

async fn without_public_read_every_page_and_api_call_needs_sign_in(backend: Backend) {
    let app = TestApp::spawn_configured(backend, |app| App { public_read: false, ..app }).await;
    let anonymous = browser();
    for path in
        ["/", "/incidents", "/incidents/honeycomb-api-outage-2019-07-09", "/search?q=dns", "/feed.atom", "/actions"]
    {
        let response = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 303, "{path}");
        assert!(response.headers()[LOCATION].to_str().unwrap().starts_with("/login?next=/"), "{path}");
    }
    for path in ["/api/v1/incidents", "/api/v1/search?q=dns", "/api/v1/incidents/honeycomb-api-outage-2019-07-09"] {
        let response = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }
    for path in ["/login", "/healthz", "/readyz", "/static/app.css"] {
        assert_eq!(anonymous.get(app.url(path)).send().await.unwrap().status(), 200, "{path} stays open");
    }
    // A report form posted after its session ended is held, not dropped,
    // and shows nothing but what was posted.
    let held = anonymous.post(app.url("/incidents/new")).form(&[("title", "Typed late")]).send().await.unwrap();
    assert_eq!(held.status(), 401);
    let page = held.text().await.unwrap();
    assert!(page.contains("value=\"Typed late\"") && !page.contains("honeycomb"));
    let edit = "/incidents/honeycomb-api-outage-2019-07-09/edit";
    let held = anonymous.post(app.url(edit)).form(&[("title", "Edited late")]).send().await.unwrap();
    assert_eq!(held.status(), 401, "the edit form's post is held too");
    let other = "/incidents/honeycomb-api-outage-2019-07-09/history/1/restore";
    let gated = anonymous.post(app.url(other)).form(&[("csrf", "x")]).send().await.unwrap();
    assert_eq!(gated.status(), 303, "other posts meet the sign-in gate");
    // A token opens the API; a session opens the pages.
    assert_eq!(app.get("/api/v1/incidents").await.status(), 200);
    let (_, password) = hindsight::auth::add_user(&app.store, "rita", Role::Reader, "test").await.unwrap();
    let signed_in = post_sign_in(&app, "rita", &password, &[]).await;
    assert_eq!(signed_in.status(), 303);
    let (session, _) = set_cookie_value(signed_in.headers(), "hindsight_session").unwrap();
    for path in ["/", "/incidents/honeycomb-api-outage-2019-07-09", "/api/v1/incidents"] {
        let response =
            anonymous.get(app.url(path)).header(COOKIE, format!("hindsight_session={session}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path} with a session");
    }
}

/// Signs `name` in and returns the session cookie's value.
async fn a_signed_in_user_creates_a_token_in_the_settings_and_revokes_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anonymous = browser();
    let redirected = anonymous.get(app.url("/settings/tokens")).send().await.unwrap();
    assert_eq!(redirected.status(), 303);
    let (_, password) = hindsight::auth::add_user(&app.store, "wes", Role::Writer, "test").await.unwrap();
    let session = session_of(&app, "wes", &password).await;
    let cookie = format!("hindsight_session={session}");
    let page =
        anonymous.get(app.url("/settings/tokens")).header(COOKIE, &cookie).send().await.unwrap().text().await.unwrap();
    let csrf = csrf_in(&page);
    let created = anonymous
        .post(app.url("/settings/tokens"))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str()), ("name", "incident bot"), ("scope", "write"), ("expires_in_days", "30")])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let page = created.text().await.unwrap();
    let secret = page.split("<code class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert!(secret.starts_with("hst_"));
    let written = anonymous
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({"title": "Filed by the bot"}))
        .send()
        .await
        .unwrap();
    assert_eq!(written.status(), 201, "the new token writes");
    let listed =
        anonymous.get(app.url("/settings/tokens")).header(COOKIE, &cookie).send().await.unwrap().text().await.unwrap();
    assert!(listed.contains("incident bot") && !listed.contains(&secret), "listed, but never shown again");
    let id = listed.split("/settings/tokens/").nth(1).unwrap().split('/').next().unwrap().to_string();
    let cross_site = anonymous
        .post(app.url(&format!("/settings/tokens/{id}/revoke")))
        .header(COOKIE, &cookie)
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let revoked = anonymous
        .post(app.url(&format!("/settings/tokens/{id}/revoke")))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 303);
    let refused = anonymous.get(app.url("/api/v1/incidents")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(refused.status(), 401, "a revoked token is refused");
    // A reader may only make read tokens.
    let (_, reader_password) = hindsight::auth::add_user(&app.store, "rita", Role::Reader, "test").await.unwrap();
    let reader = format!("hindsight_session={}", session_of(&app, "rita", &reader_password).await);
    let page =
        anonymous.get(app.url("/settings/tokens")).header(COOKIE, &reader).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("value=\"write\""));
    let denied = anonymous
        .post(app.url("/settings/tokens"))
        .header(COOKIE, &reader)
        .form(&[("csrf", csrf_in(&page).as_str()), ("name", "sneaky"), ("scope", "write")])
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 422);
    assert!(denied.text().await.unwrap().contains("token can only read."));
    // The same rules as `hindsight token add`: a name, and an expiry in days.
    for (name, days, message) in [("", "30", "Give the token a name"), ("cron", "0", "from 1 to 3650")] {
        let refused = anonymous
            .post(app.url("/settings/tokens"))
            .header(COOKIE, &reader)
            .form(&[("csrf", csrf_in(&page).as_str()), ("name", name), ("scope", "read"), ("expires_in_days", days)])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 422);
        let page = refused.text().await.unwrap();
        assert!(page.contains(message), "{message}");
        assert!(page.contains(&format!("value=\"{name}\"")), "what was typed is kept");
        assert!(page.contains("aria-invalid=\"true\""), "the field is marked");
    }
    let log = app.get_json("/api/v1/audit?limit=500").await;
    let actions: Vec<&str> = log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"token.create") && actions.contains(&"token.revoke"), "{actions:?}");
}

async fn behind_a_trusted_proxy_clients_are_told_apart_by_x_forwarded_for(backend: Backend) {
    let proxy = "127.0.0.1".parse().unwrap();
    let app = TestApp::spawn_configured(backend, |app| App { trusted_proxy: Some(proxy), ..app }).await;
    for n in 0..hindsight::auth::limiter::MAX_FAILURES_PER_ADDRESS {
        let name = format!("nobody{n}");
        let response = post_sign_in(&app, &name, "guess", &[("X-Forwarded-For", "203.0.113.7")]).await;
        assert_eq!(response.status(), 401);
    }
    let same_client = post_sign_in(&app, "someone", "guess", &[("X-Forwarded-For", "203.0.113.7")]).await;
    assert_eq!(same_client.status(), 429, "the client behind the proxy is limited");
    let other_client = post_sign_in(&app, "someone", "guess", &[("X-Forwarded-For", "198.51.100.4")]).await;
    assert_eq!(other_client.status(), 401, "another client behind the same proxy is not");
    let forged_prefix =
        post_sign_in(&app, "someone", "guess", &[("X-Forwarded-For", "198.51.100.9, 203.0.113.7")]).await;
    assert_eq!(forged_prefix.status(), 429, "only the address the proxy appended counts");
}

async fn admins_read_the_audit_log_in_the_browser_and_nobody_else_does(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create(serde_json::json!({"title": "Logged"})).await;
    let anonymous = browser();
    assert_eq!(anonymous.get(app.url("/admin/audit")).send().await.unwrap().status(), 303);
    let (_, writer_password) = hindsight::auth::add_user(&app.store, "wes", Role::Writer, "test").await.unwrap();
    let writer = format!("hindsight_session={}", session_of(&app, "wes", &writer_password).await);
    assert_eq!(anonymous.get(app.url("/admin/audit")).header(COOKIE, &writer).send().await.unwrap().status(), 403);
    let (_, admin_password) = hindsight::auth::add_user(&app.store, "ann", Role::Admin, "test").await.unwrap();
    let admin = format!("hindsight_session={}", session_of(&app, "ann", &admin_password).await);
    let page = anonymous.get(app.url("/admin/audit")).header(COOKIE, &admin).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for expected in ["incident.create", "logged", "user.create", "sign-in", "wes"] {
        assert!(html.contains(expected), "the audit page lacks {expected}");
    }
}

async fn sessions_end_when_idle_and_at_their_absolute_limit(backend: Backend) {
    use hindsight::auth::session::{ABSOLUTE_LIMIT_SECONDS, IDLE_LIMIT_SECONDS};
    use hindsight::auth::tokens::hash_token;
    let app = TestApp::spawn(backend).await;
    let (user, password) = hindsight::auth::add_user(&app.store, "ada", Role::Writer, "test").await.unwrap();
    let signed_in = |secret: &str| {
        let request = browser().get(app.url("/login")).header(COOKIE, format!("hindsight_session={secret}"));
        async move { request.send().await.unwrap().text().await.unwrap().contains("signed in as") }
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Idle: last seen longer ago than the idle limit.
    let idle = session_of(&app, "ada", &password).await;
    assert!(signed_in(&idle).await);
    app.store.touch_session(&hash_token(&idle), now - IDLE_LIMIT_SECONDS - 60).await.unwrap();
    assert!(!signed_in(&idle).await, "an idle session ends");
    // Absolute: busy, but created longer ago than the absolute limit.
    let old = "hst_oldoldoldoldoldoldoldoldoldoldoldold1";
    app.store.create_session(&hash_token(old), user.id, "csrf", now - ABSOLUTE_LIMIT_SECONDS - 60).await.unwrap();
    app.store.touch_session(&hash_token(old), now).await.unwrap();
    assert!(!signed_in(old).await, "no session outlives the absolute limit");
    assert!(app.store.find_session(&hash_token(old)).await.unwrap().is_none(), "and it is removed");
}
