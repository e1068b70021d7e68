//! Reading-path benchmark: builds a generated base of reports at each size,
//! serves it with the real router on 127.0.0.1, and loads each common page
//! with `wrk` (Debian's package), side by side in one run with a bare axum
//! server answering a static 8 KB page. Prints throughput and p50/p99 per
//! page, and each page's throughput as a share of the static page's; then
//! the same pages for a caller with an API token, who is never served a
//! kept page: what a page costs to render from the database and the index.
//!
//! cargo bench --bench pages                                   # 1k and 10k on SQLite
//! cargo bench --bench pages -- --sizes 1000,10000,100000
//! cargo bench --bench pages -- --sizes 100000 --postgres postgres://…
//! cargo bench --bench pages -- --sizes 10000 --keep /tmp/base   # keep the base to click through
//! cargo bench --bench pages -- --sizes 100000 --import-only     # time the import and index alone

mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::get;
use hindsight::app::{self, AppState};
use hindsight::domain::Scope;
use hindsight::search::SearchIndex;
use hindsight::store::Store;

/// How long `wrk` loads each page, with how many connections.
const SECONDS: u32 = 5;
const CONNECTIONS: u32 = 16;

struct Options {
    sizes: Vec<usize>,
    postgres: Option<String>,
    keep: Option<PathBuf>,
    /// Stop after importing and indexing: for timing the import.
    import_only: bool,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |name: &str| args.iter().position(|arg| arg == name).and_then(|at| args.get(at + 1)).cloned();
    Options {
        sizes: value("--sizes")
            .map(|list| list.split(',').filter_map(|n| n.trim().parse().ok()).collect())
            .unwrap_or_else(|| vec![1_000, 10_000]),
        postgres: value("--postgres"),
        keep: value("--keep").map(PathBuf::from),
        import_only: args.iter().any(|arg| arg == "--import-only"),
    }
}

/// What `wrk` measured for one URL.
struct Measured {
    requests_per_second: f64,
    p50: Duration,
    p99: Duration,
    errors: bool,
}

/// `wrk --latency` prints "50%  1.23ms" lines and "Requests/sec: 1234.5".
fn wrk(url: &str, header: Option<&str>) -> anyhow::Result<Measured> {
    let mut command = Command::new("wrk");
    command.args(["-t2", &format!("-c{CONNECTIONS}"), &format!("-d{SECONDS}s"), "--timeout", "30s", "--latency"]);
    if let Some(header) = header {
        command.args(["-H", header]);
    }
    let output = command
        .arg(url)
        .output()
        .map_err(|error| anyhow::anyhow!("wrk could not be run ({error}): install it with `apt-get install wrk`"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let duration = |line: &str| -> Option<Duration> {
        let value = line.split_whitespace().nth(1)?;
        let (number, unit) = value.split_at(value.find(|c: char| c.is_ascii_alphabetic())?);
        let number: f64 = number.parse().ok()?;
        let seconds = match unit {
            "us" => number / 1e6,
            "ms" => number / 1e3,
            "s" => number,
            "m" => number * 60.0,
            _ => return None,
        };
        Some(Duration::from_secs_f64(seconds))
    };
    let find = |prefix: &str| text.lines().map(str::trim).find(|line| line.starts_with(prefix));
    Ok(Measured {
        requests_per_second: find("Requests/sec:")
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0.0),
        p50: find("50%").and_then(duration).unwrap_or_default(),
        p99: find("99%").and_then(duration).unwrap_or_default(),
        errors: text.contains("Non-2xx") || text.contains("Socket errors"),
    })
}

/// A bare axum server answering an 8 KB static page: the yardstick.
async fn static_server() -> anyhow::Result<String> {
    let page: &'static str = Box::leak("<p>static page</p>\n".repeat(8 * 1024 / 19).into_boxed_str());
    let router = axum::Router::new().route("/", get(move || async move { axum::response::Html(page) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = format!("http://{}/", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(address)
}

/// A published report's slug and a tag it carries, from the base.
async fn samples(store: &Store) -> anyhow::Result<(String, String)> {
    let page = store
        .list_incidents(
            &hindsight::store::IncidentFilter {
                status: Some(hindsight::domain::Status::Published),
                ..Default::default()
            },
            None,
            1,
        )
        .await?;
    let incident = page.items.first().ok_or_else(|| anyhow::anyhow!("the base has no published report"))?;
    Ok((incident.fields.slug.clone(), incident.fields.tags.first().cloned().unwrap_or_else(|| "dns".into())))
}

async fn run(size: usize, options: &Options) -> anyhow::Result<()> {
    let backend = if options.postgres.is_some() { "PostgreSQL" } else { "SQLite" };
    println!("\n## {size} reports on {backend}\n");
    let temporary = tempfile::tempdir()?;
    let dir: &Path = options.keep.as_deref().unwrap_or(temporary.path());
    std::fs::create_dir_all(dir)?;
    let store = Store::open(options.postgres.as_deref(), dir).await?;
    anyhow::ensure!(
        store.count_all_incidents().await? == 0,
        "the database already holds reports: give the benchmark an empty one"
    );
    let started = Instant::now();
    let import = corpus::load(&store, dir, size).await?;
    let index_dir = hindsight::search::index_dir(dir);
    let (search, indexer) = SearchIndex::open(&index_dir, &store, |_, _| {}).await?;
    let _indexer = indexer.spawn();
    println!(
        "Imported in {:.1} s ({:.0} reports/s), imported and indexed in {:.1} s. {}\n",
        import.as_secs_f64(),
        size as f64 / import.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        memory()
    );
    if options.import_only {
        return Ok(());
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = app::router(AppState::new(store.clone(), Arc::clone(&search)));
    tokio::spawn(async move { app::serve(listener, router, std::future::pending()).await });
    let static_page = static_server().await?;
    let (slug, tag) = samples(&store).await?;

    let pages = [
        ("static 8 KB page (bare axum)", static_page),
        ("`/`", format!("{base}/")),
        ("`/incidents`", format!("{base}/incidents")),
        ("`/incidents?tag=…`", format!("{base}/incidents?tag={tag}")),
        ("`/incidents?order=oldest`", format!("{base}/incidents?order=oldest")),
        ("`/tags`", format!("{base}/tags")),
        ("`/tags/{tag}`", format!("{base}/tags/{tag}")),
        ("`/actions`", format!("{base}/actions")),
        ("`/incidents/{slug}`", format!("{base}/incidents/{slug}")),
        ("`/api/v1/incidents/{slug}`", format!("{base}/api/v1/incidents/{slug}")),
        ("`/feed.atom`", format!("{base}/feed.atom")),
        ("`/insights`", format!("{base}/insights")),
        ("`/insights?service=dns`", format!("{base}/insights?service=dns")),
        ("`/api/v1/stats`", format!("{base}/api/v1/stats")),
        ("`/actions/calendar.ics`", format!("{base}/actions/calendar.ics")),
        ("`/api/v1/actions`", format!("{base}/api/v1/actions")),
        ("`/api/v1/actions?overdue=true`", format!("{base}/api/v1/actions?overdue=true")),
        // An owner no item has: the walk reads every action item.
        ("`/api/v1/actions?owner=nobody`", format!("{base}/api/v1/actions?owner=nobody")),
        ("`/search?q=dns`", format!("{base}/search?q=dns")),
    ];
    println!("| page | requests/s | share of static | p50 | p99 |");
    println!("|---|---|---|---|---|");
    let mut yardstick = 0.0;
    for (name, url) in &pages {
        let measured = load(url, None).await?;
        if yardstick == 0.0 {
            yardstick = measured.requests_per_second;
        }
        print_row(name, &measured, yardstick);
    }
    println!("\nResident memory: {}.", memory());

    hindsight::auth::add_user(&store, "bench", hindsight::domain::Role::Reader, "bench").await?;
    let token = hindsight::auth::tokens::add_token(&store, "bench", "bench", "bench", Scope::Read, None).await?;
    let header = format!("Authorization: Bearer {token}");
    println!("\nThe same pages with an API token, so never from the kept pages (rendered each time):\n");
    println!("| page | requests/s | share of static | p50 | p99 |");
    println!("|---|---|---|---|---|");
    for (name, url) in pages.iter().skip(1) {
        print_row(name, &load(url, Some(&header)).await?, yardstick);
    }
    println!("\nResident memory: {}.", memory());

    // Read as it comes, so the memory shown is the server's streaming.
    let started = Instant::now();
    let mut response = reqwest::Client::new()
        .get(format!("{base}/api/v1/export"))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await?;
    let (mut lines, mut size) = (0, 0);
    while let Some(chunk) = response.chunk().await? {
        lines += chunk.iter().filter(|byte| **byte == b'\n').count();
        size += chunk.len();
    }
    println!(
        "\n`/api/v1/export` streamed {lines} lines ({:.0} MB) in {:.1} s. {}",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        memory()
    );
    Ok(())
}

/// One `wrk` run, after a request that warms what a reader would find warm.
async fn load(url: &str, header: Option<&str>) -> anyhow::Result<Measured> {
    let mut warm = reqwest::Client::new().get(url);
    if let Some((name, value)) = header.and_then(|header| header.split_once(": ")) {
        warm = warm.header(name, value);
    }
    let _ = warm.send().await;
    let (url, header) = (url.to_string(), header.map(str::to_string));
    tokio::task::spawn_blocking(move || wrk(&url, header.as_deref())).await?
}

fn print_row(name: &str, measured: &Measured, yardstick: f64) {
    println!(
        "| {name} | {:.0} | {:.1}% | {:.1} ms | {:.1} ms |{}",
        measured.requests_per_second,
        100.0 * measured.requests_per_second / yardstick.max(1.0),
        measured.p50.as_secs_f64() * 1e3,
        measured.p99.as_secs_f64() * 1e3,
        if measured.errors { " errors or non-2xx answers" } else { "" }
    );
}

/// The process's own memory and the file pages it maps (index, database).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    format!("{:.0} MiB anonymous (RssAnon), {:.0} MiB mapped files (RssFile)", field("RssAnon:"), field("RssFile:"))
}

/// The allocator the `hindsight` binary uses, so the figures are its own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let options = options();
    // Logged as the server logs, at info unless RUST_LOG says otherwise,
    // into a sink: each request's line is formatted and written, as it is
    // in production.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::sink)
        .try_init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    println!(
        "# Reading-path benchmark\n\nSizes: {:?}; `wrk -t2 -c{CONNECTIONS} -d{SECONDS}s` per page, the bare static page first.",
        options.sizes
    );
    for size in &options.sizes {
        runtime.block_on(run(*size, &options))?;
    }
    Ok(())
}
