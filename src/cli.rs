//! The command line: `hindsight` serves; `hindsight import PATH` and
//! `hindsight export PATH` move reports in and out.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::app::{self, App, AppState};
use crate::auth;
use crate::config::Config;
use crate::domain::workflow::Publisher;
use crate::domain::Role;
use crate::import::{self, export};
use crate::search::{self, SearchError, SearchIndex};
use crate::store::Store;

#[derive(Debug, Parser)]
#[command(name = "hindsight", version, about = "A self-hosted knowledge base of incident postmortems")]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the pages and the API (the default).
    Serve,
    /// Import a Markdown report, a folder of them, or a JSON dump.
    Import {
        /// A `.md` file, a folder of `.md` files, a `.jsonl` dump (streamed,
        /// any size), an older `.json` dump, or a status blog's RSS or Atom
        /// feed (`.xml`, `.rss`, `.atom`), whose incident posts become drafts.
        path: PathBuf,
        /// With a feed: import every post as a draft, not only the posts
        /// that read as incident reports.
        #[arg(long)]
        all: bool,
        /// With a feed: the organization its drafts name (the feed's title
        /// when absent).
        #[arg(long)]
        organization: Option<String>,
    },
    /// Export every incident as Markdown files plus a JSON dump, into a folder.
    Export {
        /// The folder to write (created if missing).
        path: PathBuf,
    },
    /// Rebuild the search index from the database (the server must be stopped).
    Reindex,
    /// Copy the SQLite database, consistently, while the server goes on
    /// writing, and check the copy (on PostgreSQL: how to use pg_dump).
    Backup {
        /// A new file, or a folder to write a dated file into.
        path: PathBuf,
    },
    /// Put a backup in place of the data dir's database (the server must be
    /// stopped; the database there is kept aside), and rebuild the index.
    Restore {
        /// A file `hindsight backup` wrote.
        path: PathBuf,
    },
    /// Manage the people who sign in.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage webhooks: addresses told when a report is published, changed
    /// while published, unpublished or deleted.
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register an address; its signing secret is printed once.
    Add {
        /// An https:// (or http://) address that takes a JSON POST.
        url: String,
    },
    /// The webhooks registered, and how their latest deliveries went.
    List,
    /// Stop sending to a webhook.
    Remove {
        /// The webhook's number, as `hindsight webhook list` shows it.
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; the token is printed once.
    Add {
        /// The user the token acts as.
        user: String,
        /// `read`, or `write` to create, edit and delete reports (writers and admins only).
        #[arg(long, default_value = "read")]
        scope: String,
        /// A label to recognise the token by.
        #[arg(long, default_value = "command line")]
        name: String,
        /// Days until the token expires (1 to 3650); without it, it never does.
        #[arg(long, default_value = "")]
        expires_in_days: String,
    },
    /// Every token, or one person's: owner, scope, last use and state.
    List {
        /// Only this person's tokens.
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a token: it stops working at its next request.
    Revoke {
        /// The token's number, as `hindsight token list` shows it.
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user with a generated password, printed once.
    Add {
        /// The user's name: letters, digits, dots, hyphens, underscores.
        name: String,
        /// What the user may do.
        #[arg(long, default_value = "writer", value_parser = ["reader", "writer", "admin"], conflicts_with = "admin")]
        role: String,
        /// Shorthand for `--role admin`.
        #[arg(long)]
        admin: bool,
    },
    /// Everyone: role, last sign-in, and whether they are disabled.
    List,
    /// Give someone another role.
    Role {
        name: String,
        #[arg(value_parser = ["reader", "writer", "admin"])]
        role: String,
    },
    /// Disable someone: they cannot sign in, and their sessions and tokens
    /// end at once.
    Disable { name: String },
    /// Let a disabled person sign in again (their old tokens stay revoked).
    Enable { name: String },
    /// Give someone a new generated password, printed once; their sessions end.
    ResetPassword { name: String },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, as text for a terminal or as one JSON object a line
/// (`--log-format json`), whose fields a collector reads as they are.
fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init()
    } else {
        builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).try_init()
    };
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await.map(|()| ExitCode::SUCCESS),
        Command::Import { path, all, organization } => {
            let choice = import::feed::Choice { all, posts: None, organization };
            import(&config, &path, &choice).await
        }
        Command::Export { path } => {
            let store = open_store(&config).await?;
            let count = export::export_all(&store, &path, |done| {
                if done % 100 == 0 {
                    eprintln!("exported {done} incident(s)…");
                }
            })
            .await?;
            println!("exported {count} incident(s) to {} (Markdown files and {})", path.display(), export::DUMP_FILE);
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reindex => reindex(&config).await,
        Command::Backup { path } => backup(&config, &path).await,
        Command::Restore { path } => restore(&config, &path).await,
        Command::Token { command } => token(&config, command).await,
        Command::Webhook { command } => webhook(&config, command).await,
        Command::User { command } => user(&config, command).await,
    }
}

/// Who did it, in the audit log, for every change made here.
const COMMAND_LINE: &str = "command line";

async fn user(config: &Config, command: UserCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let outcome = user_change(&store, command).await;
    store.close().await;
    match outcome {
        Err(error) => match error.downcast::<crate::store::StoreError>() {
            Ok(refused @ (crate::store::StoreError::NoSuchUser(_) | crate::store::StoreError::LastAdmin(_))) => {
                eprintln!("error: {refused}");
                Ok(ExitCode::from(2))
            }
            Ok(other) => Err(other.into()),
            Err(other) => Err(other),
        },
        Ok(()) => Ok(ExitCode::SUCCESS),
    }
}

async fn user_change(store: &Store, command: UserCommand) -> anyhow::Result<()> {
    let when = |at: Option<i64>| {
        at.and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok())
            .map_or_else(|| "never".to_string(), crate::format::date_time)
    };
    match command {
        UserCommand::Add { name, role, admin } => {
            let role = if admin { Role::Admin } else { Role::parse(&role).unwrap_or(Role::Writer) };
            let (user, password) = auth::add_user(store, &name, role, COMMAND_LINE).await?;
            println!("added {} `{}` with the password: {password}", user.role, user.name);
            println!("The password is shown only this once.");
        }
        UserCommand::List => {
            println!("NAME\tROLE\tSTATE\tLAST SIGN-IN\tLIVE TOKENS");
            for person in store.people().await? {
                let state =
                    person.disabled_at.map_or("active".to_string(), |at| format!("disabled {}", when(Some(at))));
                println!(
                    "{}\t{}\t{state}\t{}\t{}",
                    person.name,
                    person.role,
                    when(person.last_sign_in_at),
                    person.live_tokens
                );
            }
        }
        UserCommand::Role { name, role } => {
            let role = Role::parse(&role).unwrap_or(Role::Reader);
            store.set_role(COMMAND_LINE, &name, role).await?;
            println!("`{name}` is now a {role}");
        }
        UserCommand::Disable { name } => {
            store.disable_user(COMMAND_LINE, &name).await?;
            println!("disabled `{name}`: their sessions have ended and their tokens are revoked");
        }
        UserCommand::Enable { name } => {
            store.enable_user(COMMAND_LINE, &name).await?;
            println!("`{name}` may sign in again; their old tokens stay revoked");
        }
        UserCommand::ResetPassword { name } => {
            let password = auth::reset_password(store, &name, COMMAND_LINE).await?;
            println!("`{name}` has the new password: {password}");
            println!("The password is shown only this once; their sessions have ended.");
        }
    }
    Ok(())
}

async fn token(config: &Config, command: TokenCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let outcome = token_change(&store, command).await;
    store.close().await;
    outcome
}

async fn token_change(store: &Store, command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Add { user, scope, name, expires_in_days } => {
            match auth::tokens::issue_token(store, COMMAND_LINE, &user, &name, &scope, &expires_in_days).await {
                Ok(secret) => println!("{secret}"),
                Err(auth::tokens::TokenRefused::Invalid(errors)) => {
                    for error in &errors.0 {
                        eprintln!("--{}: {}", error.field.replace('_', "-"), error.message);
                    }
                    return Ok(ExitCode::from(2));
                }
                Err(refused @ auth::tokens::TokenRefused::NoSuchUser(_)) => {
                    eprintln!("error: {refused}");
                    return Ok(ExitCode::from(2));
                }
                Err(other) => return Err(other.into()),
            }
            eprintln!(
                "This {scope} token for `{user}` is shown only this once; send it as `Authorization: Bearer <token>`."
            );
        }
        TokenCommand::List { user } => {
            let user_id = match user {
                Some(name) => match store.get_user(&name).await? {
                    Some(user) => Some(user.id),
                    None => {
                        eprintln!("error: there is no user named `{name}`");
                        return Ok(ExitCode::from(2));
                    }
                },
                None => None,
            };
            println!("ID\tOWNER\tNAME\tSCOPE\tSTATE\tLAST USED\tEXPIRES");
            let now = time::OffsetDateTime::now_utc();
            let day = |at: Option<time::OffsetDateTime>, none: &str| at.map_or(none.to_string(), crate::format::date);
            for token in store.list_tokens(user_id).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    token.id,
                    token.owner,
                    token.name,
                    token.scope,
                    token.state(now),
                    token.last_used_at.map_or("never".to_string(), crate::format::date_time),
                    day(token.expires_at, "never")
                );
            }
        }
        TokenCommand::Revoke { id } => {
            if !store.revoke_token(COMMAND_LINE, None, id).await? {
                eprintln!("error: there is no live token {id}");
                return Ok(ExitCode::from(2));
            }
            println!("revoked token {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn webhook(config: &Config, command: WebhookCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let outcome = match command {
        WebhookCommand::Add { url } => match crate::webhooks::check_url(&url) {
            Err(reason) => {
                eprintln!("the address {reason}");
                Ok(ExitCode::from(2))
            }
            Ok(url) => {
                let secret = crate::webhooks::new_secret()?;
                let hook = store.add_webhook(&url, &secret, "command line").await?;
                println!("added webhook {} for {}", hook.id, hook.url);
                println!("its secret: {secret}");
                println!(
                    "The secret is shown only this once. Each delivery is signed with it: \
                     X-Hindsight-Signature-256: sha256=HMAC-SHA256(secret, body) in hex."
                );
                Ok(ExitCode::SUCCESS)
            }
        },
        WebhookCommand::List => {
            for hook in store.webhooks().await? {
                println!("{}\t{}\tadded by {}", hook.id, hook.url, hook.created_by);
                let (waiting, head) = store.waiting(hook.id).await?;
                if let Some(head) = head {
                    println!(
                        "\t{waiting} waiting; trying {} {} ({} attempt(s): {})",
                        head.event,
                        head.incident_slug,
                        head.attempts,
                        head.last_error.as_deref().unwrap_or("not yet tried")
                    );
                }
                for delivery in store.deliveries(Some(hook.id), 5).await? {
                    let how = match (&delivery.last_status, &delivery.last_error) {
                        (_, Some(error)) if delivery.state != "delivered" => error.clone(),
                        (Some(status), _) => format!("answered {status}"),
                        _ => String::new(),
                    };
                    println!(
                        "\t{}\t{}\t{}\t{} attempt(s)\t{how}",
                        delivery.event, delivery.incident_slug, delivery.state, delivery.attempts
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        WebhookCommand::Remove { id } => {
            if store.remove_webhook(id, "command line").await? {
                println!("removed webhook {id}");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("there is no webhook {id}");
                Ok(ExitCode::from(2))
            }
        }
    };
    store.close().await;
    outcome
}

/// Imports reports with a progress bar, indexing them as they are written
/// when this data dir's index is ours to keep: the SQLite database's own,
/// or one already here, and not held by a running server (which then
/// indexes them itself).
async fn import(config: &Config, path: &std::path::Path, feed: &import::feed::Choice) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let dir = search::index_dir(&config.data_dir);
    let indexer = if store.backend() == crate::store::Backend::Sqlite || dir.join("meta.json").exists() {
        match SearchIndex::open_serving(&dir, &store).await {
            Ok((_, indexer)) => {
                // The indexer takes what the import writes from memory.
                store.hand_writes_to_indexer();
                Some(indexer.bulk().spawn())
            }
            Err(SearchError::InUse) => {
                eprintln!("A running server holds the search index; it will index the imported reports itself.");
                None
            }
            Err(error) => {
                store.close().await;
                anyhow::bail!("cannot open the search index in {}: {error}", dir.display());
            }
        }
    } else {
        None
    };
    let mut progress = ImportProgress::new();
    let report = if import::feed::is_feed_file(path) {
        import_feed(&store, path, feed).await
    } else {
        import::import_path(&store, path, "import", |done, total, name| progress.show(done, total, name)).await
    };
    progress.bar.finish_and_clear();
    if let Some(indexer) = indexer {
        let spinner = indicatif::ProgressBar::new_spinner().with_message("indexing the imported reports");
        spinner.enable_steady_tick(std::time::Duration::from_millis(200));
        indexer.stop().await;
        spinner.finish_and_clear();
    }
    store.close().await;
    let report = report?;
    for (name, reason) in &report.skipped {
        eprintln!("skipped {name}: {reason}");
    }
    for (name, reason) in &report.failed {
        eprintln!("failed {name}: {reason}");
    }
    println!(
        "imported {} incident(s), skipped {}, failed {}",
        report.imported,
        report.skipped.len(),
        report.failed.len()
    );
    Ok(if report.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Imports a feed's chosen posts as drafts, saying what became of each.
async fn import_feed(
    store: &Store,
    path: &std::path::Path,
    choice: &import::feed::Choice,
) -> anyhow::Result<import::ImportReport> {
    use import::feed::Outcome;
    let bytes = import::read_bytes(path, import::feed::MAX_FEED_BYTES).map_err(anyhow::Error::msg)?;
    let feed = import::feed::read(&bytes).map_err(|reason| anyhow::anyhow!("{}: {reason}", path.display()))?;
    let outcomes = import::feed::import(store, &feed, choice, "import").await?;
    let mut report = import::ImportReport::default();
    for (post, outcome) in feed.posts.iter().zip(outcomes) {
        let name = format!("“{}”", post.title);
        match outcome {
            Outcome::Imported { slug } => {
                report.imported += 1;
                println!("drafted {name} as /incidents/{slug} ({})", post.verdict.reason);
            }
            Outcome::AlreadyImported { slug } => {
                report.skipped.push((name, format!("already here, as /incidents/{slug}")));
            }
            Outcome::LeftOut => report.skipped.push((name, format!("left out: {}", post.verdict.reason))),
            Outcome::Failed(reason) => report.failed.push((name, reason)),
        }
    }
    Ok(report)
}

/// An import's progress on stderr: a bar on a terminal, redrawn a few times
/// a second; otherwise a line for each file, and for a dump every
/// `LINES_BETWEEN_REPORTS` incidents, as `[files done/files] where`.
struct ImportProgress {
    bar: indicatif::ProgressBar,
    files_done: usize,
    unreported: usize,
}

const LINES_BETWEEN_REPORTS: usize = 10_000;

impl ImportProgress {
    fn new() -> ImportProgress {
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template("importing [{bar:30}] {pos}/{len} file(s), at {msg} ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        ImportProgress { bar, files_done: 0, unreported: 0 }
    }

    /// After each file (`done` moves) and each line of a dump (`name` is
    /// the file and line).
    fn show(&mut self, done: usize, total: usize, name: &str) {
        if !self.bar.is_hidden() {
            self.bar.set_length(total as u64);
            self.bar.set_position(done as u64);
            self.bar.set_message(name.to_string());
            return;
        }
        self.unreported += 1;
        if done != self.files_done || self.unreported >= LINES_BETWEEN_REPORTS {
            eprintln!("[{done}/{total}] {name}");
            self.files_done = done;
            self.unreported = 0;
        }
    }
}

async fn backup(config: &Config, path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let target = crate::backup::target_for(path, time::OffsetDateTime::now_utc());
    let spinner = indicatif::ProgressBar::new_spinner().with_message("copying the database and checking the copy");
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    let taken = match target {
        Ok(target) => crate::backup::take(&store, &target).await,
        Err(refused) => Err(refused),
    };
    spinner.finish_and_clear();
    store.close().await;
    match taken {
        Ok(backup) => {
            println!(
                "backed up {} incident(s) to {} ({} KiB, in {:.1} s); the copy passed SQLite's integrity check",
                backup.incidents,
                backup.path.display(),
                backup.bytes.div_ceil(1024),
                backup.took.as_secs_f64()
            );
            println!(
                "To restore it: stop the server, run `hindsight --data-dir {} restore {}`, and start the server.",
                config.data_dir.display(),
                backup.path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(crate::backup::BackupError::Failed(error)) => Err(error),
        Err(refused) => {
            eprintln!("{refused}");
            Ok(ExitCode::from(2))
        }
    }
}

async fn restore(config: &Config, path: &std::path::Path) -> anyhow::Result<ExitCode> {
    if config.database_url.as_deref().is_some_and(|url| !url.trim().is_empty()) {
        eprintln!("{}", crate::backup::POSTGRES_ADVICE);
        return Ok(ExitCode::from(2));
    }
    let restored = match crate::backup::restore(path, &config.data_dir).await {
        Ok(restored) => restored,
        Err(crate::backup::BackupError::Failed(error)) => return Err(error),
        Err(refused) => {
            eprintln!("{refused}");
            return Ok(ExitCode::from(2));
        }
    };
    println!("restored {} incident(s) from {}", restored.incidents, path.display());
    if let Some(previous) = &restored.previous {
        println!("the database that was here is kept as {}", previous.display());
    }
    let code = reindex(config).await?;
    if code == ExitCode::SUCCESS {
        println!("Start the server: it serves the restored reports.");
    }
    Ok(code)
}

/// Rebuilds the index with a progress bar. A running server holds the
/// index's writer lock; then nothing is touched and the message says why.
async fn reindex(config: &Config) -> anyhow::Result<ExitCode> {
    let store = open_store(config).await?;
    let dir = search::index_dir(&config.data_dir);
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} incidents ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("indexing");
    let result = SearchIndex::rebuild(&dir, &store, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await;
    store.close().await;
    match result {
        Ok(_) => {
            bar.finish_with_message("indexed");
            println!("rebuilt the search index in {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(SearchError::InUse) => {
            bar.abandon();
            eprintln!(
                "error: the search index in {} is in use by a running server, which keeps it in step with the \
                 database by itself. Stop the server first to rebuild it.",
                dir.display()
            );
            Ok(ExitCode::FAILURE)
        }
        Err(error) => Err(error.into()),
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(config.database_url.as_deref(), &config.data_dir)
        .await
        .map_err(|error| anyhow::anyhow!("cannot open the database at {}: {error:#}", config.database_description()))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    tracing::info!(database = %config.database_description(), "opening the database");
    let store = open_store(&config).await?;
    if !config.no_seeds {
        let loaded = crate::seeds::load_if_empty(&store).await?;
        if loaded > 0 {
            tracing::info!(loaded, "loaded the seed incidents into the empty database");
        }
    }
    {
        // Reports written before cards and renderings were kept get theirs;
        // the pages derive them on read meanwhile.
        let store = store.clone();
        tokio::spawn(async move {
            if let Err(error) = store.fill_missing_derived().await {
                tracing::warn!(%error, "older reports could not be rendered; the pages render them on read");
            }
        });
    }
    if let Some((name, password)) = auth::create_first_admin(&store).await? {
        // Shown once, here; only its hash is stored.
        tracing::warn!(
            "first start: created the admin account `{name}` with the password {password} \
             (it is not shown again; add more people with `hindsight user add NAME`)"
        );
    }
    let dir = search::index_dir(&config.data_dir);
    let (search_index, indexer) = SearchIndex::open_serving(&dir, &store)
        .await
        .map_err(|error| anyhow::anyhow!("cannot open the search index in {}: {error}", dir.display()))?;
    let indexer = indexer.spawn();
    let listener = TcpListener::bind(config.addr)
        .await
        .map_err(|error| anyhow::anyhow!("cannot listen on {}: {error}", config.addr))?;
    let signal = shutdown_signal()?;
    tracing::info!("serving on http://{}", listener.local_addr()?);
    let backups = match store.backend() {
        crate::store::Backend::Sqlite => {
            crate::backup::Schedule::new(Some(config.backup_folder()), config.backup_every, config.backup_keep)
        }
        crate::store::Backend::Postgres if config.backup_every.is_some() => {
            anyhow::bail!("--backup-every backs up a SQLite database. {}", crate::backup::POSTGRES_ADVICE)
        }
        crate::store::Backend::Postgres => crate::backup::Schedule::none(),
    };
    if let (Some(every), Some(folder)) = (backups.every, &backups.folder) {
        tracing::info!(every = ?every, keep = backups.keep, folder = %folder.display(), "backing up on a schedule");
    }
    let state = AppState::from(App {
        backups: Arc::new(backups),
        secure_cookies: config.secure_cookies,
        public_read: config.public_read,
        trusted_proxy: config.trusted_proxy,
        publisher: Publisher::parse(&config.publish_by).unwrap_or_default(),
        metrics_allow: config.metrics_allow.clone(),
        ..App::new(store.clone(), search_index)
    });
    // The insights read every published report once; done now, the first
    // reader does not wait for it.
    let warm = state.clone();
    tokio::spawn(async move {
        if let Err(error) = warm.insights.current().await {
            tracing::warn!(%error, "the insights could not read the reports yet; the first reader will");
        }
    });
    crate::webhooks::spawn(store.clone(), crate::webhooks::Settings::default());
    crate::backup::spawn(store.clone(), Arc::clone(&state.backups));
    let router = app::router(state);
    let (stopping, mut stop_requested) = tokio::sync::watch::channel(false);
    let mut server = tokio::spawn(app::serve(listener, router, async move {
        signal.await;
        let _ = stopping.send(true);
    }));
    tokio::select! {
        finished = &mut server => finished??,
        _ = stop_requested.changed() => {
            // In-flight requests get most of the budget; one that is still
            // running then is cut off, so the process always exits in time.
            match tokio::time::timeout(DRAIN_REQUESTS, &mut server).await {
                Ok(finished) => finished??,
                Err(_) => {
                    tracing::warn!("requests still running after {DRAIN_REQUESTS:?}: stopping anyway");
                    server.abort();
                }
            }
        }
    }
    if tokio::time::timeout(COMMIT_INDEX, indexer.stop()).await.is_err() {
        tracing::warn!(
            "the search index did not commit in time; it will catch up from the change log at the next start"
        );
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// How long a stopping server lets in-flight requests finish, and then how
/// long the index has to commit: together well inside the 10 s a process
/// supervisor usually allows after SIGTERM.
const DRAIN_REQUESTS: std::time::Duration = std::time::Duration::from_secs(7);
const COMMIT_INDEX: std::time::Duration = std::time::Duration::from_secs(2);

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled, so a signal that arrives
/// right after the server announces itself is not lost.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => {},
                _ = interrupt.recv() => {},
            }
            tracing::info!("shutting down: finishing in-flight requests");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down: finishing in-flight requests");
        })
    }
}
