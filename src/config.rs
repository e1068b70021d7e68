//! Settings: defaults, overridden by environment variables, overridden by
//! flags. The database URL may hold a password, so `Debug` redacts it.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

#[derive(Clone, Args)]
pub struct Config {
    /// Address to serve on.
    #[arg(long, env = "HINDSIGHT_ADDR", default_value = "127.0.0.1:3000", global = true)]
    pub addr: SocketAddr,

    /// Folder for the SQLite database and the search index.
    #[arg(long, env = "HINDSIGHT_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// `postgres://…` to use PostgreSQL instead of the SQLite file in the data dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Do not load the seed incidents into an empty database.
    #[arg(long, env = "HINDSIGHT_NO_SEEDS", global = true)]
    pub no_seeds: bool,

    /// Let anyone read published reports; `false` requires signing in for
    /// every page and API call.
    #[arg(long, env = "HINDSIGHT_PUBLIC_READ", global = true, default_value_t = true, action = clap::ArgAction::Set)]
    pub public_read: bool,

    /// The address of a reverse proxy in front of the server: only requests
    /// from it have their client address taken from `X-Forwarded-For`.
    #[arg(long, env = "HINDSIGHT_TRUSTED_PROXY", global = true)]
    pub trusted_proxy: Option<std::net::IpAddr>,

    /// Mark session cookies Secure (set this when serving over https).
    #[arg(long, env = "HINDSIGHT_SECURE_COOKIES", global = true)]
    pub secure_cookies: bool,

    /// Who may publish a report: `anyone` (any writer) or `not-author` (a
    /// writer other than the one who created it).
    #[arg(long, env = "HINDSIGHT_PUBLISH_BY", global = true, default_value = "anyone", value_parser = ["anyone", "not-author"])]
    pub publish_by: String,

    /// Who may read `/metrics` without an admin's token: addresses and
    /// networks, comma-separated (`10.0.0.0/8,192.168.1.7`), or `none`.
    #[arg(long, env = "HINDSIGHT_METRICS_ALLOW", global = true, default_value = "127.0.0.0/8,::1")]
    pub metrics_allow: crate::metrics::MetricsAllow,

    /// While serving from SQLite, take a backup this often (`6h`, `30m`,
    /// `1d`) into the backup folder.
    #[arg(long, env = "HINDSIGHT_BACKUP_EVERY", global = true, value_parser = crate::backup::parse_every)]
    pub backup_every: Option<std::time::Duration>,

    /// How many scheduled backups to keep; older ones are removed.
    #[arg(long = "keep", env = "HINDSIGHT_BACKUP_KEEP", global = true, default_value_t = 14)]
    pub backup_keep: usize,

    /// Where the server's backups go (default: `backups` in the data dir).
    #[arg(long, env = "HINDSIGHT_BACKUP_DIR", global = true)]
    pub backup_dir: Option<PathBuf>,

    /// `text` for people reading a terminal, `json` for one JSON object a
    /// line, for a log collector.
    #[arg(long, env = "HINDSIGHT_LOG_FORMAT", global = true, default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(redact_password))
            .field("no_seeds", &self.no_seeds)
            .field("public_read", &self.public_read)
            .field("trusted_proxy", &self.trusted_proxy)
            .field("secure_cookies", &self.secure_cookies)
            .field("publish_by", &self.publish_by)
            .field("metrics_allow", &self.metrics_allow)
            .field("log_format", &self.log_format)
            .field("backup_every", &self.backup_every)
            .field("backup_keep", &self.backup_keep)
            .field("backup_dir", &self.backup_dir)
            .finish()
    }
}

/// `postgres://user:secret@host/db` becomes `postgres://user:***@host/db`.
pub fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((credentials, host)) = rest.rsplit_once('@') else { return url.to_string() };
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

impl Config {
    /// The folder the server's backups go to.
    pub fn backup_folder(&self) -> PathBuf {
        self.backup_dir.clone().unwrap_or_else(|| self.data_dir.join("backups"))
    }

    /// Where the database lives, for logs: the redacted URL or the SQLite file.
    pub fn database_description(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => redact_password(url),
            _ => self.data_dir.join("hindsight.db").display().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(redact_password("postgres://ci:s3cret@127.0.0.1:5432/db"), "postgres://ci:***@127.0.0.1:5432/db");
        assert_eq!(redact_password("postgres://127.0.0.1/db"), "postgres://127.0.0.1/db");
        let config = Config {
            addr: "127.0.0.1:3000".parse().unwrap(),
            data_dir: "./data".into(),
            database_url: Some("postgres://u:hunter2@h/d".into()),
            no_seeds: false,
            public_read: true,
            trusted_proxy: None,
            secure_cookies: false,
            publish_by: "anyone".into(),
            metrics_allow: crate::metrics::MetricsAllow::loopback(),
            log_format: "text".into(),
            backup_every: None,
            backup_keep: 14,
            backup_dir: None,
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
