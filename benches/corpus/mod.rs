//! A generator of realistic incident reports for benchmarks: deterministic
//! (the same seed gives the same corpus), about 700 words of narrative and
//! ten timeline events each, with the names engineers search for.

use std::path::Path;
use std::time::{Duration, Instant};

use hindsight::domain::incident::{ActionInput, FactorInput, TimelineEventInput};
use hindsight::domain::{IncidentInput, ReportedTimeInput};
use hindsight::import::IncidentDocument;
use hindsight::store::Store;

/// The seed every benchmark's corpus grows from.
pub const SEED: u64 = 0x5eed;

/// Writes `size` reports as the Markdown files `hindsight import` reads into
/// `dir`/corpus, imports them into `store`, and returns how long the import
/// took.
pub async fn load(store: &Store, dir: &Path, size: usize) -> anyhow::Result<Duration> {
    let files = dir.join("corpus");
    std::fs::create_dir_all(&files)?;
    let mut rng = Rng::new(SEED);
    for n in 0..size {
        let document = IncidentDocument { incident: incident(&mut rng, n), ..Default::default() };
        let text = hindsight::import::markdown::render(&document).map_err(anyhow::Error::msg)?;
        std::fs::write(files.join(format!("bench-{n:06}.md")), text)?;
    }
    let started = Instant::now();
    let report = hindsight::import::import_path(store, &files, "bench", |_, _, _| {}).await?;
    let took = started.elapsed();
    anyhow::ensure!(report.imported == size, "imported {} of {size}: {:?}", report.imported, report.failed.first());
    std::fs::remove_dir_all(&files)?;
    Ok(took)
}

/// xorshift64*: small, fast and good enough to vary text.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const SERVICES: &[&str] = &[
    "api",
    "dns",
    "cdn",
    "auth",
    "billing",
    "search",
    "checkout",
    "storage",
    "queue",
    "scheduler",
    "gateway",
    "static.example.net",
    "db.primary",
    "redis-cache",
    "kafka",
    "ingest",
    "web",
    "mobile-api",
    "payments",
    "email",
];
const TAGS: &[&str] = &[
    "dns",
    "deploy",
    "rollback",
    "database",
    "network",
    "certificate",
    "capacity",
    "memory-leak",
    "config",
    "ddos",
    "kubernetes",
    "terraform",
    "monitoring",
    "on-call",
    "third-party",
    "disk",
    "latency",
    "replication",
    "tls",
    "ci",
];
const OWNERS: &[&str] = &["sre", "platform", "dns-team", "db-team", "edge", "payments", "ana", "bo", "chen", "dev"];
const ACTION_STATES: &[&str] = &["open", "in_progress", "done", "done", "done", "wont_do"];
const PRIORITIES: &[&str] = &["low", "medium", "high", "critical"];
const ORGANIZATIONS: &[&str] = &["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell"];
const CATEGORIES: &[&str] = &[
    "change",
    "configuration",
    "software_defect",
    "dependency",
    "capacity",
    "hardware",
    "monitoring_gap",
    "process",
    "security",
    "data_loss",
];
const KINDS: &[&str] =
    &["trigger", "detection", "escalation", "action", "mitigation", "resolution", "communication", "note"];
const NOUNS: &[&str] = &[
    "connection pool",
    "load balancer",
    "primary database",
    "replica",
    "certificate",
    "cache cluster",
    "message queue",
    "deploy pipeline",
    "feature flag",
    "rate limiter",
    "health check",
    "config map",
    "DNS record",
    "TLS handshake",
    "BinaryPack decoder",
    "ns2 resolver",
    "failover script",
    "autoscaler",
    "disk volume",
    "JVM heap",
    "cron job",
    "API gateway",
    "service mesh",
    "object store",
    "search index",
    "kernel upgrade",
    "NTP sync",
    "BGP session",
];
const VERBS: &[&str] = &[
    "exhausted",
    "timed out",
    "rejected traffic",
    "filled up",
    "expired",
    "crashed",
    "restarted in a loop",
    "dropped packets",
    "returned errors",
    "stalled",
    "leaked memory",
    "lost quorum",
    "fell behind",
    "flapped",
    "was misconfigured",
    "overflowed the stack",
    "deadlocked",
    "hit its rate limit",
];
const FILLER: &[&str] = &[
    "the on-call engineer",
    "customers",
    "the team",
    "our monitoring",
    "the status page",
    "the incident commander",
    "a rollback",
    "a config change",
    "the release",
    "error rates",
    "p99 latency",
    "the retry storm",
    "a runbook",
    "the dashboard",
    "an alert",
    "the vendor",
    "traffic",
    "the queue depth",
    "write throughput",
    "the migration",
];

fn sentence(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => format!(
            "The {} {} while {} watched {}.",
            rng.pick(NOUNS),
            rng.pick(VERBS),
            rng.pick(FILLER),
            rng.pick(FILLER)
        ),
        1 => format!(
            "After {} the {} {}, so {} paged {}.",
            rng.pick(FILLER),
            rng.pick(NOUNS),
            rng.pick(VERBS),
            rng.pick(FILLER),
            rng.pick(FILLER)
        ),
        2 => format!(
            "We saw that {} {} and {} {} within minutes.",
            rng.pick(FILLER),
            rng.pick(VERBS),
            rng.pick(NOUNS),
            rng.pick(VERBS)
        ),
        3 => format!(
            "Because the {} {}, {} could not reach the {} and {} climbed.",
            rng.pick(NOUNS),
            rng.pick(VERBS),
            rng.pick(FILLER),
            rng.pick(NOUNS),
            rng.pick(FILLER)
        ),
        _ => format!(
            "{} confirmed the {} {} during the {} on service {}.",
            capitalise(rng.pick(FILLER)),
            rng.pick(NOUNS),
            rng.pick(VERBS),
            rng.pick(FILLER),
            rng.pick(SERVICES)
        ),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

/// About `words` words of narrative in a few Markdown sections.
fn narrative(rng: &mut Rng, words: usize) -> String {
    let mut text = String::new();
    let mut count = 0;
    for heading in ["What happened", "Why it happened", "How we responded", "What we changed"] {
        text.push_str(&format!("## {heading}\n\n"));
        while count < words * (text.matches("## ").count()) / 4 {
            let s = sentence(rng);
            count += s.split_whitespace().count();
            text.push_str(&s);
            text.push(' ');
        }
        text.push_str("\n\n");
    }
    text
}

pub fn incident(rng: &mut Rng, n: usize) -> IncidentInput {
    let year = 2012 + rng.below(13) as i32;
    let month = time::Month::try_from(1 + rng.below(12) as u8).unwrap_or(time::Month::January);
    let day = 1 + rng.below(28) as u8;
    let start = time::Date::from_calendar_date(year, month, day).unwrap_or(time::Date::MIN).midnight().assume_utc()
        + time::Duration::minutes((rng.below(24 * 60)) as i64);
    let at = |minutes: usize| {
        let when = start + time::Duration::minutes(minutes as i64);
        Some(ReportedTimeInput {
            at: Some(hindsight::domain::reported_time::format_rfc3339(when)),
            zone: Some("UTC".into()),
            precision: Some("minute".into()),
            approximate: false,
        })
    };
    let mut minute = 0;
    let timeline = (0..10)
        .map(|i| {
            minute += 1 + rng.below(25);
            TimelineEventInput { at: at(minute), kind: Some(KINDS[i % KINDS.len()].into()), text: sentence(rng) }
        })
        .collect();
    let service = rng.pick(SERVICES);
    IncidentInput {
        slug: Some(format!("bench-{n}")),
        title: format!("{} {} on {} ({n})", capitalise(rng.pick(NOUNS)), rng.pick(VERBS), service),
        summary: format!("{} {}", sentence(rng), sentence(rng)),
        body: narrative(rng, 700),
        impact: sentence(rng),
        status: Some(if rng.below(10) == 0 { "draft" } else { "published" }.into()),
        severity: Some(format!("sev{}", 1 + rng.below(4))),
        organization: Some(rng.pick(ORGANIZATIONS).into()),
        services: vec![service.into(), rng.pick(SERVICES).into()],
        tags: (0..3).map(|_| rng.pick(TAGS).to_string()).collect(),
        detection: Some("monitoring".into()),
        started_at: at(0),
        detected_at: at(5),
        resolved_at: at(minute + 5),
        timeline,
        factors: (0..3)
            .map(|i| FactorInput { category: Some(rng.pick(CATEGORIES).into()), text: sentence(rng), primary: i == 0 })
            .collect(),
        // Owned, prioritised, due some weeks after the incident; most done
        // at some point after it, each addressing one of the factors.
        actions: (0..3)
            .map(|i| {
                let status = rng.pick(ACTION_STATES);
                let due = start.date() + time::Duration::days(14 + rng.below(120) as i64);
                let done = status == "done";
                let completed = at(24 * 60 * (1 + rng.below(200)));
                ActionInput {
                    text: sentence(rng),
                    owner: Some(rng.pick(OWNERS).into()),
                    status: Some(status.into()),
                    priority: Some(rng.pick(PRIORITIES).into()),
                    due_on: Some(hindsight::domain::incident::format_date(due)),
                    completed_at: completed
                        .filter(|_| done)
                        .map(hindsight::domain::incident::CompletionInput::Reported),
                    addresses: vec![i],
                    ..Default::default()
                }
            })
            .collect(),
        went_well: sentence(rng),
        ..Default::default()
    }
}
