//! Export then import is lossless, field by field; imports skip what exists
//! and report what they cannot read without stopping.

use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use hindsight::import::{self, export};

on_both_backends!(
    an_export_imported_into_an_empty_database_gives_identical_incidents,
    importing_again_skips_incidents_that_exist,
    an_import_reports_bad_files_and_goes_on,
    a_json_lines_dump_is_read_a_line_at_a_time_and_bad_lines_are_reported,
    a_google_sre_template_postmortem_imports_as_a_draft_with_its_action_table,
);

/// A postmortem written from the Google SRE template, with no front matter,
/// comes in as a draft: its action-item table as items, its timeline read.
async fn a_google_sre_template_postmortem_imports_as_a_draft_with_its_action_table(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sre-template-postmortem.md");
    let report = import::import_path(&app.store, &path, "import", |_, _, _| {}).await.unwrap();
    assert_eq!((report.imported, report.failed.len()), (1, 0), "{:?}", report.failed);
    let incident = app.get_json("/api/v1/incidents/checkout-api-postmortem-incident-212").await;
    assert_eq!(incident["status"], "draft");
    let actions = incident["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 3);
    assert_eq!(actions[0]["owner"], "tomasz");
    assert_eq!(actions[1]["status"], "done");
    assert_eq!(incident["timeline"].as_array().unwrap().len(), 8);
    assert_eq!(incident["time_to_resolve_seconds"], 47 * 60, "09:05 to 09:52 UTC");
    assert_eq!(incident["factors"][0]["category"], "configuration");

    // A Markdown file that is neither says what a report file must be.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.md"), "# Notes\n\nJust notes.\n").unwrap();
    let report = import::import_path(&app.store, &dir.path().join("notes.md"), "import", |_, _, _| {}).await.unwrap();
    assert!(report.failed[0].1.contains("Google SRE template"), "{:?}", report.failed);
}

async fn an_export_imported_into_an_empty_database_gives_identical_incidents(backend: Backend) {
    let source = TestApp::spawn_seeded(backend).await;
    source.create(crate::helpers::full_incident("Checkout writes stalled")).await;
    let edit =
        json!({"title": "Checkout writes stalled", "summary": "Tricky: \"quotes\", +++ fences,\nand a second line."});
    let edited = source.put_json("/api/v1/incidents/checkout-writes-stalled", Some("\"1\""), &edit).await;
    assert_eq!(edited.status(), 200);
    let out = tempfile::tempdir().unwrap();
    let count = export::export_all(&source.store, out.path(), |_| {}).await.unwrap();
    assert_eq!(count, 9);

    let from_markdown = TestApp::spawn(backend).await;
    let report = import::import_path(&from_markdown.store, out.path(), "import", |_, _, _| {}).await.unwrap();
    assert_eq!((report.imported, report.skipped.len(), report.failed.len()), (9, 0, 0), "{report:?}");

    let from_dump = TestApp::spawn(backend).await;
    let dump = out.path().join(export::DUMP_FILE);
    let report = import::import_path(&from_dump.store, &dump, "import", |_, _, _| {}).await.unwrap();
    assert_eq!((report.imported, report.failed.len()), (9, 0), "{report:?}");

    let by_slug = |mut incidents: Vec<Value>| {
        incidents.sort_by_key(|incident| incident["slug"].as_str().unwrap_or_default().to_string());
        incidents
    };
    let original = by_slug(source.all_incidents("").await);
    for copy in [by_slug(from_markdown.all_incidents("").await), by_slug(from_dump.all_incidents("").await)] {
        assert_eq!(copy.len(), original.len());
        for (want, got) in original.iter().zip(&copy) {
            let (want, got) = (want.as_object().unwrap(), got.as_object().unwrap());
            assert_eq!(want.keys().collect::<Vec<_>>(), got.keys().collect::<Vec<_>>());
            for (field, value) in want {
                assert_eq!(&got[field], value, "{} differs in {field}", want["slug"]);
            }
        }
    }
    let copied = from_markdown.get_json("/api/v1/incidents/checkout-writes-stalled").await;
    assert_eq!(copied["version"], 2, "the version carries over");
}

async fn importing_again_skips_incidents_that_exist(backend: Backend) {
    let app = TestApp::spawn_seeded(backend).await;
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let report = import::import_path(&app.store, &seeds, "import", |_, _, _| {}).await.unwrap();
    assert_eq!(report.imported, 0);
    assert_eq!(report.skipped.len(), 8);
    assert!(report.skipped[0].1.contains("already exists"));
    assert_eq!(app.all_incidents("").await.len(), 8);
}

async fn an_import_reports_bad_files_and_goes_on(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("a-no-front-matter.md", "# Just a heading\n");
    write("b-invalid.md", "+++\ntitle = \"\"\nseverity = \"sev9\"\n+++\n");
    write("c-good.md", "+++\ntitle = \"Good one\"\nstatus = \"published\"\n+++\n\nBody text.\n");
    write("d-deep.md", &format!("+++\nx = {}{}\n+++\n", "[".repeat(50_000), "]".repeat(50_000)));
    std::fs::write(dir.path().join("e-binary.md"), [0xff, 0xfe, 0x00, 0x01]).unwrap();
    let mut seen = Vec::new();
    let report =
        import::import_path(&app.store, dir.path(), "import", |done, total, _| seen.push((done, total))).await.unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(report.failed.len(), 4, "{report:?}");
    let reasons: Vec<&str> = report.failed.iter().map(|(_, reason)| reason.as_str()).collect();
    assert!(reasons[0].contains("starts with"), "{reasons:?}");
    assert!(reasons[1].contains("title") && reasons[1].contains("severity"), "{reasons:?}");
    assert!(reasons[3].contains("UTF-8"), "{reasons:?}");
    assert_eq!(seen.last(), Some(&(5, 5)), "progress is reported for every file");
    let good: Value = app.get_json("/api/v1/incidents/good-one").await;
    assert_eq!(good["body"], "Body text.");
    assert_eq!(good["created_by"], "import");
}

/// A JSON Lines dump is read a line at a time: a line nested too deep, too
/// long or not an incident is reported and the rest imports; a file whose
/// first line is not a dump header imports nothing; the older single
/// document dump still imports.
async fn a_json_lines_dump_is_read_a_line_at_a_time_and_bad_lines_are_reported(backend: Backend) {
    let source = TestApp::spawn_seeded(backend).await;
    let out = tempfile::tempdir().unwrap();
    export::export_all(&source.store, out.path(), |_| {}).await.unwrap();
    let dump = std::fs::read_to_string(out.path().join(export::DUMP_FILE)).unwrap();
    let mut lines: Vec<String> = dump.lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 9, "a header and one line an incident");
    assert!(lines[0].contains("\"format_version\":2"));
    lines.insert(2, format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)));
    lines.insert(3, format!("{{\"title\": \"{}\"}}", "x".repeat(9 * 1024 * 1024)));
    lines.insert(4, "{\"title\": 42}".into());
    lines.insert(5, String::new());
    let hostile = out.path().join("hostile.jsonl");
    std::fs::write(&hostile, lines.join("\n")).unwrap();

    let target = TestApp::spawn(backend).await;
    let report = import::import_path(&target.store, &hostile, "import", |_, _, _| {}).await.unwrap();
    assert_eq!(report.imported, 8, "{report:?}");
    let reasons: Vec<&str> = report.failed.iter().map(|(_, reason)| reason.as_str()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("nested more than 32"), "{reasons:?}");
    assert!(reasons[1].contains("the limit is 8 MiB"), "{reasons:?}");
    assert!(reasons[2].contains("not an incident"), "{reasons:?}");

    let headless = out.path().join("headless.jsonl");
    std::fs::write(&headless, "{\"title\": \"No header\"}\n").unwrap();
    let report = import::import_path(&target.store, &headless, "import", |_, _, _| {}).await.unwrap();
    assert_eq!(report.imported, 0);
    assert!(report.failed[0].1.contains("not a Hindsight dump"));

    let older = out.path().join("older.json");
    std::fs::write(
        &older,
        json!({"format": "hindsight-export", "format_version": 1,
        "incidents": [{"title": "From an older dump", "status": "published"}]})
        .to_string(),
    )
    .unwrap();
    let report = import::import_path(&target.store, &older, "import", |_, _, _| {}).await.unwrap();
    assert_eq!(report.imported, 1, "{report:?}");
}
