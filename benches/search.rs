//! Search benchmark: builds a generated corpus at each size, then measures,
//! side by side in one run, index build time and size, the `/api/v1/search`
//! endpoint (facets and snippets included), a bare tantivy top-10 over the
//! same index, SQLite FTS5 `bm25()` top-10 over the same documents, and the
//! time from a write until it is searchable.
//!
//! cargo bench --bench search -- --sizes 1000,10000,100000

mod corpus;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hindsight::app::{self, AppState};
use hindsight::markdown::plain_text;
use hindsight::search::facets::{FacetCounter, FacetLabels};
use hindsight::search::{schema, tokenizer, SearchIndex, SearchRequest};
use hindsight::store::Store;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, Term};

/// Each query of the mix runs this many times per engine.
const ROUNDS: usize = 20;
const WRITE_PROBES: usize = 20;

/// The fixed query mix: single words, pairs, phrases, dotted and CamelCase
/// names, a field query and a negation.
pub const QUERIES: &[&str] = &[
    "dns",
    "database failover",
    "\"connection pool\"",
    "certificate expired",
    "memory",
    "rollback deploy",
    "static.example.net",
    "BinaryPack",
    "ns2",
    "rate limit",
    "\"load balancer\" timed",
    "kubernetes",
    "quorum",
    "tag:terraform",
    "disk -replica",
    "retry storm",
    "heap",
    "gateway errors",
    "autoscaler",
    "BGP session flapped",
];

/// The same mix in FTS5's syntax: phrases for dotted names, a column filter
/// for the field query, NOT for the negation.
const FTS_QUERIES: &[&str] = &[
    "dns",
    "database failover",
    "\"connection pool\"",
    "certificate expired",
    "memory",
    "rollback deploy",
    "\"static.example.net\"",
    "BinaryPack",
    "ns2",
    "rate limit",
    "\"load balancer\" timed",
    "kubernetes",
    "quorum",
    "tags:terraform",
    "disk NOT replica",
    "retry storm",
    "heap",
    "gateway errors",
    "autoscaler",
    "BGP session flapped",
];

struct Latencies(Vec<Duration>);

impl Latencies {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
    }

    fn summary(&self, elapsed: Duration) -> String {
        format!(
            "{:.0} q/s, p50 {:.2} ms, p99 {:.2} ms",
            self.0.len() as f64 / elapsed.as_secs_f64(),
            self.percentile(0.5).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3
        )
    }

    fn rate(&self, elapsed: Duration) -> f64 {
        self.0.len() as f64 / elapsed.as_secs_f64()
    }
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() {
                        dir_size(&path)
                    } else {
                        entry.metadata().map(|m| m.len()).unwrap_or(0)
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmRSS:"))
                .and_then(|line| line.split_whitespace().nth(1).and_then(|kib| kib.parse::<f64>().ok()))
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

async fn run(size: usize) -> anyhow::Result<()> {
    println!("\n## {size} incidents\n");
    let dir = tempfile::tempdir()?;
    let store = Store::open(None, dir.path()).await?;

    let import = corpus::load(&store, dir.path(), size).await?;
    println!(
        "- imported from Markdown files (`hindsight import`): {:.1} s ({:.0} incidents/s)",
        import.as_secs_f64(),
        size as f64 / import.as_secs_f64()
    );

    let index_dir = dir.path().join("index");
    let started = Instant::now();
    let (_, writer, _) = SearchIndex::rebuild(&index_dir, &store, |_, _| {}).await?;
    let build = started.elapsed();
    drop(writer);
    println!(
        "- index built from the database: {:.1} s ({:.0} incidents/s), {:.1} MiB on disk; import and index together {:.1} s",
        build.as_secs_f64(),
        size as f64 / build.as_secs_f64(),
        dir_size(&index_dir) as f64 / 1048576.0,
        (import + build).as_secs_f64()
    );

    let (search, indexer) = SearchIndex::open(&index_dir, &store, |_, _| {}).await?;
    let indexer = indexer.spawn();

    // The index opened bare, with the same analyzer, for the two measures below.
    let index = Index::open_in_dir(&index_dir)?;
    index.tokenizers().register(tokenizer::ANALYZER, tokenizer::analyzer());
    let (_, fields) = schema::build();
    let searcher = index.reader()?.searcher();

    // Bare tantivy: parse and top-10 only.
    let bare = {
        let mut parser = QueryParser::for_index(
            &index,
            vec![
                fields.title,
                fields.summary,
                fields.body,
                fields.timeline,
                fields.factors,
                fields.actions,
                fields.tag,
            ],
        );
        parser.set_conjunction_by_default();
        let mut latencies = Vec::new();
        let started = Instant::now();
        for _ in 0..ROUNDS {
            for q in QUERIES {
                let one = Instant::now();
                let (query, _) = parser.parse_query_lenient(q);
                let top = searcher.search(&query, &TopDocs::with_limit(10).order_by_score())?;
                std::hint::black_box(top);
                latencies.push(one.elapsed());
            }
        }
        (Latencies(latencies), started.elapsed())
    };

    // Where the endpoint's time goes: the bare search, then each of its
    // stages added in turn, over the same index and queries (one thread).
    let stages = {
        let f = &fields;
        let mut parser = QueryParser::for_index(
            &index,
            vec![f.title, f.summary, f.body, f.timeline, f.factors, f.actions, f.tag, f.service, f.organization],
        );
        parser.set_conjunction_by_default();
        let published = || -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(f.status, "published"), IndexRecordOption::Basic))
        };
        // The endpoint's facet counts, by ordinal (see `search::facets`).
        let labels = FacetLabels::for_field("facets");
        let facets = || FacetCounter { labels: &labels };
        let mut rows = Vec::new();
        for stage in 0..4 {
            let started = Instant::now();
            for _ in 0..ROUNDS {
                for q in QUERIES {
                    let (user, _) = parser.parse_query_lenient(q);
                    let query = BooleanQuery::new(vec![(Occur::Must, user), (Occur::Must, published())]);
                    let top = TopDocs::with_limit(10).order_by_score();
                    let addresses = match stage {
                        0 => searcher.search(&query, &top)?,
                        1 => searcher.search(&query, &(Count, top))?.1,
                        _ => searcher.search(&query, &(Count, top, facets()))?.1,
                    };
                    if stage == 3 {
                        for (_, address) in &addresses {
                            std::hint::black_box(searcher.doc::<tantivy::TantivyDocument>(*address)?);
                        }
                    }
                    std::hint::black_box(addresses);
                }
            }
            rows.push(started.elapsed());
        }
        rows
    };

    // The endpoint's work without HTTP: facets, snippets and stored fields.
    // A search is remembered until the index changes, so each is measured
    // twice: worked out (its answer forgotten first), and asked again.
    let in_process = |remembered| {
        each_query(&search, remembered, |q| {
            let request = SearchRequest { q: q.to_string(), limit: 10, ..Default::default() };
            let answer = search.search(&request);
            async move { answer.map(std::hint::black_box).map(drop).map_err(Into::into) }
        })
    };
    let (in_process, in_process_again) = (in_process(false).await?, in_process(true).await?);

    // The HTTP endpoint, facets and snippets included, one client at a time.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = format!("http://{}", listener.local_addr()?);
    let router = app::router(AppState::new(store.clone(), Arc::clone(&search)));
    let server = tokio::spawn(async move { app::serve(listener, router, std::future::pending()).await });
    let client = reqwest::Client::new();
    let encode = |q: &str| {
        q.bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    let http = |remembered| {
        each_query(&search, remembered, |q| {
            let request = client.get(format!("{address}/api/v1/search?q={}&limit=10", encode(q))).send();
            async move {
                let response = request.await?;
                anyhow::ensure!(response.status() == 200, "search {q:?} answered {}", response.status());
                std::hint::black_box(response.bytes().await?);
                Ok(())
            }
        })
    };
    let (http, http_again) = (http(false).await?, http(true).await?);
    // The round trip alone, with the same client: `/healthz` answers a
    // few bytes without work.
    let round_trip = {
        let mut latencies = Vec::new();
        let started = Instant::now();
        for _ in 0..ROUNDS * QUERIES.len() {
            let one = Instant::now();
            std::hint::black_box(client.get(format!("{address}/healthz")).send().await?.bytes().await?);
            latencies.push(one.elapsed());
        }
        (Latencies(latencies), started.elapsed())
    };
    // Two clients at once, one per core, each search worked out (its
    // answer forgotten just before; the second client asks the queries in
    // the other order, so the two seldom ask the same one at once).
    let http_parallel = {
        let started = Instant::now();
        let tasks: Vec<_> = (0..2)
            .map(|client_number| {
                let (client, address, search) = (client.clone(), address.clone(), Arc::clone(&search));
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    for _ in 0..ROUNDS / 2 {
                        let queries: Vec<_> = match client_number {
                            0 => QUERIES.iter().collect(),
                            _ => QUERIES.iter().rev().collect(),
                        };
                        for q in queries {
                            search.forget_answers();
                            let one = Instant::now();
                            let body = client
                                .get(format!("{address}/api/v1/search?q={}&limit=10", encode(q)))
                                .send()
                                .await?
                                .bytes()
                                .await?;
                            std::hint::black_box(body);
                            latencies.push(one.elapsed());
                        }
                    }
                    Ok::<_, anyhow::Error>(latencies)
                })
            })
            .collect();
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await??);
        }
        (Latencies(latencies), started.elapsed())
    };

    // SQLite FTS5 over the same documents, in its own file.
    let fts = {
        let options = SqliteConnectOptions::new().filename(dir.path().join("fts.db")).create_if_missing(true);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        sqlx::query("CREATE VIRTUAL TABLE docs USING fts5(title, summary, body, timeline, factors, actions, tags)")
            .execute(&pool)
            .await?;
        let started = Instant::now();
        let mut rng = corpus::Rng::new(corpus::SEED);
        let mut tx = pool.begin().await?;
        for n in 0..size {
            let input = corpus::incident(&mut rng, n);
            let join = |texts: Vec<&str>| texts.into_iter().map(plain_text).collect::<Vec<_>>().join(" ");
            sqlx::query("INSERT INTO docs VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&input.title)
                .bind(plain_text(&input.summary))
                .bind(plain_text(&input.body) + " " + &plain_text(&input.impact))
                .bind(join(input.timeline.iter().map(|e| e.text.as_str()).collect()))
                .bind(join(input.factors.iter().map(|f| f.text.as_str()).collect()))
                .bind(join(input.actions.iter().map(|a| a.text.as_str()).collect()))
                .bind(input.tags.join(" "))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        println!("- FTS5 table built: {:.1} s", started.elapsed().as_secs_f64());
        let mut latencies = Vec::new();
        let started = Instant::now();
        for _ in 0..ROUNDS {
            for q in FTS_QUERIES {
                let one = Instant::now();
                let rows = sqlx::query("SELECT rowid FROM docs WHERE docs MATCH $1 ORDER BY bm25(docs) LIMIT 10")
                    .bind(q)
                    .fetch_all(&pool)
                    .await?;
                std::hint::black_box(rows);
                latencies.push(one.elapsed());
            }
        }
        pool.close().await;
        (Latencies(latencies), started.elapsed())
    };

    // From a committed write until a search finds it.
    let mut visible = Vec::new();
    for probe in 0..WRITE_PROBES {
        let word = format!("probe{probe}zz{size}");
        let input = hindsight::domain::IncidentInput {
            title: format!("Write probe {word}"),
            status: Some("published".into()),
            ..Default::default()
        };
        let fields = input.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        store.create_incident(&fields, "bench", None).await?;
        let written = Instant::now();
        let request = SearchRequest { q: word.clone(), limit: 1, ..Default::default() };
        while search.search(&request)?.total == 0 {
            anyhow::ensure!(written.elapsed() < Duration::from_secs(30), "{word} never became searchable");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        visible.push(written.elapsed());
    }
    let visible = Latencies(visible);

    let (bare, bare_time) = bare;
    let (http, http_time) = http;
    let (http_again, http_again_time) = http_again;
    let (in_process, in_process_time) = in_process;
    let (in_process_again, in_process_again_time) = in_process_again;
    let (parallel, parallel_time) = http_parallel;
    let (fts, fts_time) = fts;
    println!("\n| engine ({} queries each) | throughput and latency |\n|---|---|", bare.0.len());
    println!("| bare tantivy top-10, one thread | {} |", bare.summary(bare_time));
    println!(
        "| the endpoint's search in-process (facets, snippets), one thread | {} |",
        in_process.summary(in_process_time)
    );
    println!("| the same, asked again (remembered) | {} |", in_process_again.summary(in_process_again_time));
    println!("| `/api/v1/search` over HTTP, one client | {} |", http.summary(http_time));
    println!("| the same, asked again (remembered) | {} |", http_again.summary(http_again_time));
    println!("| `/api/v1/search` over HTTP, two clients | {} |", parallel.summary(parallel_time));
    println!("| `/healthz` over HTTP, one client: the round trip alone | {} |", round_trip.0.summary(round_trip.1));
    println!("| SQLite FTS5 `bm25()` top-10, one connection | {} |", fts.summary(fts_time));
    let per_query = |elapsed: Duration| elapsed.as_secs_f64() * 1e3 / bare.0.len() as f64;
    println!("\nWhere the endpoint's time goes (mean ms a query, one thread, each stage adding to the last):\n");
    println!("| stage | ms a query |\n|---|---|");
    let names = [
        "parse over the endpoint's nine fields, published only, top-10",
        "and the total count",
        "and the facet counts",
        "and the ten hits' stored fields",
    ];
    for (name, elapsed) in names.iter().zip(&stages) {
        println!("| {name} | {:.3} |", per_query(*elapsed));
    }
    println!("| the endpoint in-process (and snippets, boosts, the facet map) | {:.3} |", per_query(in_process_time));
    println!("| the endpoint over HTTP, one client (and JSON, HTTP) | {:.3} |", per_query(http_time));
    let ratios = |label: &str, rate: f64| {
        println!("- {label}: {:.2}× bare tantivy, {:.1}× FTS5", rate / bare.rate(bare_time), rate / fts.rate(fts_time))
    };
    println!("\nRatios:\n");
    ratios("HTTP, one client, worked out", http.rate(http_time));
    ratios("HTTP, one client, asked again", http_again.rate(http_again_time));
    ratios("HTTP, two clients, worked out", parallel.rate(parallel_time));
    println!(
        "\nWrite to searchable ({WRITE_PROBES} writes): p50 {:.0} ms, p99 {:.0} ms. Resident memory of the benchmark process: {:.0} MiB.",
        visible.percentile(0.5).as_secs_f64() * 1e3,
        visible.percentile(0.99).as_secs_f64() * 1e3,
        rss_mib()
    );
    server.abort();
    indexer.stop().await;
    store.close().await;
    Ok(())
}

/// Each query of the mix, `ROUNDS` times over, timed one by one; every
/// remembered search is forgotten before each unless `remembered`.
async fn each_query<F, Answer>(
    search: &SearchIndex,
    remembered: bool,
    mut ask: F,
) -> anyhow::Result<(Latencies, Duration)>
where
    F: FnMut(&'static str) -> Answer,
    Answer: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut latencies = Vec::new();
    for _ in 0..ROUNDS {
        for q in QUERIES {
            if !remembered {
                search.forget_answers();
            }
            let one = Instant::now();
            ask(q).await?;
            latencies.push(one.elapsed());
        }
    }
    let elapsed = latencies.iter().sum();
    Ok((Latencies(latencies), elapsed))
}

/// The allocator the `hindsight` binary uses, so the figures are its own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let sizes: Vec<usize> = args
        .iter()
        .position(|arg| arg == "--sizes")
        .and_then(|at| args.get(at + 1))
        .map(|list| list.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000]);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    println!(
        "# Search benchmark\n\nSizes: {sizes:?}; each query of a {}-query mix runs {ROUNDS} times per engine.",
        QUERIES.len()
    );
    for size in sizes {
        runtime.block_on(run(size))?;
    }
    Ok(())
}
