//! Status-blog feeds imported as drafts: DNSimple's real feed (a fixture
//! of ours) and hostile ones, through the library and the command line.

use std::process::Command;

use hindsight::import::feed::{self, Choice, Outcome};
use serde_json::Value;

use crate::helpers::{browser, csrf_in, session_of, Backend, TestApp, TestDatabase};
use crate::on_both_backends;

on_both_backends!(
    the_dnsimple_feed_drafts_its_three_post_mortems_once,
    ticked_posts_are_imported_whatever_their_verdict,
    hostile_feeds_get_a_clear_error_or_a_sanitised_draft,
    the_command_line_imports_a_feed_and_a_second_run_adds_nothing,
    an_admin_uploads_a_feed_ticks_posts_and_imports_them_as_drafts,
);

const DNSIMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dnsimple-blog-feed.xml");

fn dnsimple() -> feed::Feed {
    feed::read(&std::fs::read(DNSIMPLE).unwrap()).unwrap()
}

async fn the_dnsimple_feed_drafts_its_three_post_mortems_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let feed = dnsimple();
    let outcomes = feed::import(&app.store, &feed, &Choice::default(), "tester").await.unwrap();
    let drafted: Vec<String> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Imported { slug } => Some(slug.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        drafted,
        [
            "incident-report-dns-changes-blocked-may-20",
            "sporadic-alias-record-resolution-failure",
            "partial-dns-outage"
        ]
    );
    assert_eq!(outcomes.iter().filter(|outcome| **outcome == Outcome::LeftOut).count(), 7, "the other posts");

    let report = app.get_json("/api/v1/incidents/partial-dns-outage").await;
    assert_eq!(report["status"], "draft");
    assert_eq!(report["source_url"], "http://blog.dnsimple.com/partial-dns-outage/");
    assert_eq!(report["organization"], "DNSimple");
    assert!(report["body"].as_str().unwrap().contains("check each against the post"), "{}", report["body"]);
    let timeline = report["timeline"].as_array().unwrap();
    assert!(!timeline.is_empty(), "the post states times");
    // "A few minutes past noon Pacific time (20:00 UTC)" on 8 March 2013.
    let first = &timeline[0]["at"];
    assert!(first["at"].as_str().unwrap().starts_with("2013-03-08T"), "{first}");
    let revisions = app.get_json("/api/v1/incidents/partial-dns-outage/revisions").await;
    assert!(revisions["items"][0]["note"].as_str().unwrap().contains("to be checked"));

    let again = feed::import(&app.store, &feed, &Choice::default(), "tester").await.unwrap();
    let before: Vec<&Outcome> = again.iter().filter(|o| matches!(o, Outcome::AlreadyImported { .. })).collect();
    assert_eq!(before.len(), 3, "{again:?}");
    assert!(!again.iter().any(|o| matches!(o, Outcome::Imported { .. })), "a second import adds nothing");
    assert_eq!(app.all_incidents("").await.len(), 3);
}

async fn ticked_posts_are_imported_whatever_their_verdict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let feed = dnsimple();
    let maintenance =
        feed.posts.iter().find(|post| post.title.starts_with("Application maintenance window (May")).unwrap();
    let choice = Choice {
        posts: Some([maintenance.key.clone()].into_iter().collect()),
        organization: Some("DNSimple, Inc.".into()),
        ..Choice::default()
    };
    let outcomes = feed::import(&app.store, &feed, &choice, "tester").await.unwrap();
    assert_eq!(outcomes.iter().filter(|o| matches!(o, Outcome::Imported { .. })).count(), 1);
    let report = app.get_json("/api/v1/incidents/application-maintenance-window-may-15").await;
    assert_eq!(report["organization"], "DNSimple, Inc.");

    let everything =
        feed::import(&app.store, &feed, &Choice { all: true, ..Choice::default() }, "tester").await.unwrap();
    assert_eq!(everything.iter().filter(|o| matches!(o, Outcome::Imported { .. })).count(), 9, "all the others");
    // Two posts share a title's start but not a slug; none is lost.
    assert_eq!(app.all_incidents("").await.len(), 10);
}

fn rss(items: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Status</title>{items}</channel></rss>"
    )
    .into_bytes()
}

fn item(title: &str, guid: &str, html: &str) -> String {
    format!(
        "<item><title>{title}</title><guid>{guid}</guid><link>https://status.example.com/{guid}</link>\
         <category>Incident</category><description><![CDATA[{html}]]></description></item>"
    )
}

async fn hostile_feeds_get_a_clear_error_or_a_sanitised_draft(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let started = std::time::Instant::now();

    // Entities that expand a billion times are not expanded at all.
    let laughs = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">{}]><rss version=\"2.0\"><channel>\
         <title>&lol9;</title><item><title>Outage &lol9;</title><guid>x</guid></item></channel></rss>",
        (1..10).map(|n| format!("<!ENTITY lol{n} \"{}\">", format!("&lol{};", n - 1).repeat(10))).collect::<String>()
    )
    .replace("&lol0;", "&lol;");
    match feed::read(laughs.as_bytes()) {
        Ok(feed) => assert!(feed.posts.iter().all(|post| post.title.len() < 1_000), "nothing was expanded"),
        Err(reason) => assert!(reason.contains("feed"), "{reason}"),
    }

    // Nesting 100,000 deep, in the XML and in a post's HTML.
    let deep_xml = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title>{}{}</channel></rss>",
        "<a>".repeat(100_000),
        "</a>".repeat(100_000)
    );
    let _ = feed::read(deep_xml.as_bytes());
    let deep_html = format!("{}deep{}", "<div><ul><li>".repeat(100_000), "</li></ul></div>".repeat(100_000));
    let deep = feed::read(&rss(&item("Deep outage", "deep", &deep_html))).unwrap();
    let outcomes = feed::import(&app.store, &deep, &Choice::default(), "tester").await.unwrap();
    assert!(matches!(&outcomes[0], Outcome::Imported { .. }), "{outcomes:?}");

    // A 50 MB post is cut to fit a report's narrative, with a note.
    let huge = format!("<p>{}</p>", "The database stopped answering. ".repeat(1_600_000));
    let huge = feed::read(&rss(&item("Huge outage", "huge", &huge))).unwrap();
    let outcomes = feed::import(&app.store, &huge, &Choice::default(), "tester").await.unwrap();
    assert!(matches!(&outcomes[0], Outcome::Imported { .. }), "{outcomes:?}");
    let report = app.get_json("/api/v1/incidents/huge-outage").await;
    assert!(report["body"].as_str().unwrap().contains("the rest is at its link"));

    // Bytes that are not what the feed says it is encoded in, and a feed
    // that is not a feed at all.
    let mut broken = rss(&item("Broken outage", "broken", "<p>caf\u{e9}</p>"));
    broken.splice(100..100, [0xff, 0xfe, 0xc3, 0x28]);
    match feed::read(&broken) {
        Ok(feed) => assert!(feed.posts.len() <= 1),
        Err(reason) => assert!(reason.contains("feed"), "{reason}"),
    }
    let latin = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>Caf\xe9</title>\
                  <item><title>Outage at the caf\xe9</title><guid>latin</guid></item></channel></rss>";
    assert_eq!(feed::read(latin).unwrap().posts[0].title, "Outage at the café");
    assert!(feed::read(b"{\"not\": \"a feed\"}").is_err());
    assert!(feed::read(b"\x00\x01\x02").unwrap_err().contains("not a feed"));

    // Script, handlers and javascript: links in a post leave nothing behind.
    let script = "<p onclick=\"alert(1)\">We <script>alert('x')</script>failed over \
                  <a href=\"javascript:alert(2)\">here</a><img src=x onerror=alert(3)>.</p>";
    let scripted = feed::read(&rss(&item("Scripted <b>outage</b>", "scripted", script))).unwrap();
    let outcomes = feed::import(&app.store, &scripted, &Choice::default(), "tester").await.unwrap();
    let Outcome::Imported { slug } = &outcomes[0] else { panic!("{outcomes:?}") };
    let report: Value = app.get_json(&format!("/api/v1/incidents/{slug}")).await;
    let body = report["body"].as_str().unwrap();
    assert!(!body.contains("alert") && !body.contains("javascript") && !body.contains("onerror"), "{body}");
    assert!(body.contains("We failed over here"), "{body}");
    let page = app.get(&format!("/incidents/{slug}")).await.text().await.unwrap();
    assert!(!page.contains("alert("), "the page shows no script either");

    assert!(started.elapsed() < std::time::Duration::from_secs(120), "no hostile feed hangs the import");
}

async fn the_command_line_imports_a_feed_and_a_second_run_adds_nothing(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let run = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hindsight"));
        command.env("HINDSIGHT_DATA_DIR", database.dir.path()).env("HINDSIGHT_NO_SEEDS", "true");
        match backend {
            Backend::Sqlite => command.env_remove("DATABASE_URL"),
            Backend::Postgres => command.env("DATABASE_URL", &database.url),
        };
        let output = command.args(["import", DNSIMPLE]).output().expect("run hindsight import");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        (String::from_utf8_lossy(&output.stdout).to_string(), String::from_utf8_lossy(&output.stderr).to_string())
    };
    let (first, notes) = run();
    assert!(first.contains("drafted “Partial DNS outage” as /incidents/partial-dns-outage"), "{first}");
    assert!(first.contains("imported 3 incident(s), skipped 7, failed 0"), "{first}");
    assert!(notes.contains("left out: a notice of planned work"), "{notes}");
    let (second, notes) = run();
    assert!(second.contains("imported 0 incident(s), skipped 10, failed 0"), "{second}");
    assert!(notes.contains("already here, as /incidents/partial-dns-outage"), "{notes}");
}

/// A `multipart/form-data` body of text fields and one file.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "hindsight-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"feed.xml\"\r\n\
                 Content-Type: application/rss+xml\r\n\r\n"
            )
            .bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn an_admin_uploads_a_feed_ticks_posts_and_imports_them_as_drafts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, password) =
        hindsight::auth::add_user(&app.store, "ada", hindsight::domain::Role::Admin, "test").await.unwrap();
    let session = session_of(&app, "ada", &password).await;
    let cookie = format!("hindsight_session={session}");
    let form = browser().get(app.url("/admin/import")).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let csrf = csrf_in(&form.text().await.unwrap());
    let post = |fields: Vec<(&str, String)>, file: Option<Vec<u8>>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let (content_type, body) = multipart(&fields, file.as_deref().map(|bytes| ("feed", bytes)));
        browser()
            .post(app.url("/admin/import"))
            .header("Cookie", &cookie)
            .header("Origin", &app.address)
            .header("Content-Type", content_type)
            .body(body)
    };

    let not_a_feed = post(vec![("csrf", csrf.clone()), ("step", "read".into())], Some(b"hello".to_vec()));
    let page = not_a_feed.send().await.unwrap().text().await.unwrap();
    assert!(page.contains("class=\"field-error\" id=\"feed-file-error\""), "the reason is beside the field");

    let feed = std::fs::read(DNSIMPLE).unwrap();
    let read = post(vec![("csrf", csrf.clone()), ("step", "read".into())], Some(feed)).send().await.unwrap();
    assert_eq!(read.status(), 200);
    let page = read.text().await.unwrap();
    assert!(page.contains("10 post(s) in <strong>DNSimple</strong>"), "{page}");
    assert_eq!(page.matches(" checked>").count(), 3, "the three incident reports are ticked");
    assert!(page.contains("a notice of planned work"), "each verdict says why");
    let carried = page.split("name=\"carried\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let key_of = |title: &str| -> String {
        let at = page.find(title).unwrap();
        let before = &page[..at];
        let value = before.rsplit("name=\"post\" value=\"").next().unwrap();
        value.split('"').next().unwrap().replace("&#x2f;", "/").replace("&#47;", "/").replace("&amp;", "&")
    };
    let outage = key_of("Partial DNS outage");
    let maintenance = key_of("Application maintenance window (May 15)");

    // One incident post untouched, one unticked, and a maintenance notice ticked.
    let fields = vec![
        ("csrf", csrf.clone()),
        ("step", "import".into()),
        ("carried", carried.clone()),
        ("organization", "DNSimple".into()),
        ("post", outage),
        ("post", maintenance),
    ];
    let imported = post(fields.clone(), None).send().await.unwrap();
    assert_eq!(imported.status(), 200);
    let page = imported.text().await.unwrap();
    assert_eq!(page.matches(">Drafted<").count(), 2, "{page}");
    assert!(page.contains("/incidents/partial-dns-outage/edit"));
    assert_eq!(app.all_incidents("").await.len(), 2);

    let again = post(fields, None).send().await.unwrap().text().await.unwrap();
    assert_eq!(again.matches(">Already here<").count(), 2, "nothing twice");
    assert_eq!(app.all_incidents("").await.len(), 2);

    let forged = post(vec![("csrf", "forged".into()), ("step", "read".into())], Some(b"<rss/>".to_vec()));
    assert_eq!(forged.send().await.unwrap().status(), 403);
    let stranger = browser().get(app.url("/admin/import")).send().await.unwrap();
    assert_eq!(stranger.status(), 303, "for admins only: others are sent to sign in");
}
