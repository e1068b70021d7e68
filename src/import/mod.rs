//! Reading and writing reports as files: Markdown with TOML front matter (the
//! format of `seeds/`), and a JSON dump of everything. Export then import is
//! lossless: versions, authorship and times come back as they were.

pub mod dump;
pub mod export;
pub mod feed;
pub mod html;
pub mod markdown;
pub mod sre_template;

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::domain::{Incident, IncidentFields, IncidentInput, IncidentMeta};
use crate::read_model::Derived;
use crate::store::{Store, StoreError};

/// Files larger than this are refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// One incident as files carry it: the fields a writer controls plus the
/// bookkeeping that makes a re-import identical to the original.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IncidentDocument {
    #[serde(flatten)]
    pub incident: IncidentInput,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
}

impl IncidentDocument {
    pub fn from_incident(incident: &Incident) -> IncidentDocument {
        let time = crate::domain::reported_time::format_rfc3339;
        IncidentDocument {
            incident: incident.fields.to_input(),
            version: Some(incident.meta.version),
            created_at: Some(time(incident.meta.created_at)),
            created_by: Some(incident.meta.created_by.clone()),
            updated_at: Some(time(incident.meta.updated_at)),
            updated_by: Some(incident.meta.updated_by.clone()),
            published_at: incident.meta.published_at.map(time),
        }
    }

    /// The stored bookkeeping: what the document says, else a first version
    /// written now by `actor`.
    fn meta(&self, actor: &str) -> Result<IncidentMeta, String> {
        let fresh = IncidentMeta::new_by(actor);
        let instant = |name: &str, value: &Option<String>| -> Result<Option<OffsetDateTime>, String> {
            value
                .as_deref()
                .map(|text| {
                    OffsetDateTime::parse(text, &Rfc3339)
                        .map_err(|_| format!("{name} `{text}` is not an RFC 3339 timestamp"))
                })
                .transpose()
        };
        let version = self.version.unwrap_or(1);
        if version < 1 {
            return Err(format!("version must be 1 or more, not {version}"));
        }
        let created_at = instant("created_at", &self.created_at)?.unwrap_or(fresh.created_at);
        Ok(IncidentMeta {
            version,
            created_at,
            created_by: self.created_by.clone().unwrap_or(fresh.created_by),
            updated_at: instant("updated_at", &self.updated_at)?.unwrap_or(created_at),
            updated_by: self.updated_by.clone().unwrap_or(fresh.updated_by),
            published_at: instant("published_at", &self.published_at)?,
        })
    }
}

/// What an import did, file by file.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub imported: usize,
    /// Incidents whose slug is already taken: left as they are.
    pub skipped: Vec<(String, String)>,
    /// Files or incidents that could not be read or are not valid.
    pub failed: Vec<(String, String)>,
}

/// Imports a Markdown file, a JSON dump, or every Markdown file in a folder.
/// `progress` is told after each file: (files done, files in all, name).
pub async fn import_path(
    store: &Store,
    path: &Path,
    actor: &str,
    mut progress: impl FnMut(usize, usize, &str),
) -> anyhow::Result<ImportReport> {
    let files = files_to_import(path)?;
    let mut batch = Batch::new(store, actor);
    for (done, file) in files.iter().enumerate() {
        let name = file.display().to_string();
        if has_extension(file, "jsonl") {
            // Read a line at a time: any size, one incident in memory.
            match std::fs::File::open(file) {
                Ok(opened) => {
                    let mut input = std::io::BufReader::new(opened);
                    let mut lines = |line: usize| progress(done, files.len(), &format!("{name}:{line}"));
                    if let Err(error) = dump::import_lines(&mut batch, &name, &mut input, &mut lines).await {
                        batch.report.failed.push((name.clone(), format!("cannot be read: {error}")));
                    }
                }
                Err(error) => batch.report.failed.push((name.clone(), format!("cannot be read: {error}"))),
            }
            progress(done + 1, files.len(), &name);
            continue;
        }
        match read_text(file) {
            Err(reason) => batch.report.failed.push((name.clone(), reason)),
            Ok(text) if has_extension(file, "json") => dump::import_document(&mut batch, &name, &text).await,
            Ok(text) => match markdown::parse(&text) {
                Ok(document) => batch.add(&name, document).await,
                // Without front matter it may be a postmortem from the
                // Google SRE template.
                Err(reason) => match sre_template::parse(&text) {
                    Some(document) => batch.add(&name, document).await,
                    None => batch.report.failed.push((
                        name.clone(),
                        format!("{reason} (or a postmortem written from the Google SRE template)"),
                    )),
                },
            },
        }
        progress(done + 1, files.len(), &name);
    }
    Ok(batch.finish().await)
}

fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case(extension))
}

/// A file is imported as given; a folder contributes its Markdown files, in
/// name order (a JSON dump in it is left for an explicit import).
fn files_to_import(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let metadata =
        std::fs::metadata(path).map_err(|error| anyhow::anyhow!("cannot read {}: {error}", path.display()))?;
    if metadata.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    // A device never ends (/dev/zero) and a FIFO blocks until someone
    // writes to it: only files and folders are read.
    anyhow::ensure!(
        metadata.is_dir(),
        "{} is not a file or a folder (a device, FIFO or socket); give a report, a dump or a folder of reports",
        path.display()
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|file| file.is_file() && file.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("md")))
        .collect();
    files.sort();
    Ok(files)
}

fn read_text(path: &Path) -> Result<String, String> {
    let bytes = read_bytes(path, MAX_FILE_BYTES as usize)?;
    String::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_string())
}

/// A file's bytes, when it is a file of at most `max` bytes.
pub fn read_bytes(path: &Path, max: usize) -> Result<Vec<u8>, String> {
    let metadata = std::fs::metadata(path).map_err(|error| error.to_string())?;
    // A device never ends (/dev/zero) and a FIFO blocks until someone
    // writes to it: only files are read.
    if !metadata.is_file() {
        return Err(format!("{} is not a file", path.display()));
    }
    if metadata.len() > max as u64 {
        return Err(format!("the file is {} MiB; the limit is {} MiB", metadata.len() >> 20, max >> 20));
    }
    // Read no more than the limit, whatever size the file said it had
    // (a file under /proc says 0) or grew to since.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(max as u64 + 1).read_to_end(&mut bytes))
        .map_err(|error| error.to_string())?;
    if bytes.len() > max {
        return Err(format!("the file is over {} MiB, the limit", max >> 20));
    }
    Ok(bytes)
}

/// Imports one Markdown report, recording the outcome in `report`.
pub async fn import_markdown(store: &Store, name: &str, text: &str, actor: &str, report: &mut ImportReport) {
    let mut batch = Batch::new(store, actor);
    match markdown::parse(text) {
        Ok(document) => batch.add(name, document).await,
        Err(reason) => batch.report.failed.push((name.to_string(), reason)),
    }
    let outcome = batch.finish().await;
    report.imported += outcome.imported;
    report.skipped.extend(outcome.skipped);
    report.failed.extend(outcome.failed);
}

/// How many incidents go into the database in one transaction.
const BATCH_SIZE: usize = 200;

/// Validated incidents waiting to be written together. A batch that fails
/// (a slug already taken, say) is written again one by one, so each
/// incident still gets its own outcome. One batch is written while the next
/// is rendered and the one after is read and validated, so the database,
/// the rendering and the parsing share the cores.
pub struct Batch<'a> {
    store: &'a Store,
    actor: &'a str,
    pending: Vec<Pending>,
    /// The batch being written, and what it will report.
    writing: Option<tokio::task::JoinHandle<ImportReport>>,
    pub report: ImportReport,
}

type Pending = (String, IncidentFields, IncidentMeta);

impl<'a> Batch<'a> {
    pub fn new(store: &'a Store, actor: &'a str) -> Batch<'a> {
        Batch { store, actor, pending: Vec::new(), writing: None, report: ImportReport::default() }
    }

    pub async fn add(&mut self, name: &str, document: IncidentDocument) {
        let fields = match document.incident.validate() {
            Ok(fields) => fields,
            Err(errors) => return self.report.failed.push((name.to_string(), errors.to_string())),
        };
        match document.meta(self.actor) {
            Ok(meta) => self.pending.push((name.to_string(), fields, meta)),
            Err(reason) => return self.report.failed.push((name.to_string(), reason)),
        }
        if self.pending.len() >= BATCH_SIZE {
            self.flush().await;
        }
    }

    /// Starts rendering the pending batch, and writing it once the batch
    /// before is written.
    async fn flush(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return self.wait_for_writing().await;
        }
        let rendering = tokio::task::spawn_blocking(move || {
            pending.into_iter().map(|(name, fields, meta)| (Derived::of(&fields), name, fields, meta)).collect()
        });
        self.wait_for_writing().await;
        self.writing = Some(tokio::spawn(write(self.store.clone(), rendering)));
    }

    async fn wait_for_writing(&mut self) {
        let Some(writing) = self.writing.take() else { return };
        let written = writing.await.unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()));
        self.report.imported += written.imported;
        self.report.skipped.extend(written.skipped);
        self.report.failed.extend(written.failed);
    }

    pub async fn finish(mut self) -> ImportReport {
        self.flush().await;
        self.wait_for_writing().await;
        self.report
    }
}

/// Writes a batch, once rendered, in one transaction, or one by one when
/// that fails.
async fn write(
    store: Store,
    rendering: tokio::task::JoinHandle<Vec<(Derived, String, IncidentFields, IncidentMeta)>>,
) -> ImportReport {
    let rendered = rendering.await.unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()));
    let mut report = ImportReport::default();
    let batch: Vec<_> =
        rendered.into_iter().map(|(derived, name, fields, meta)| (fields, derived, meta, name)).collect();
    let notes: Vec<String> = batch.iter().map(|(.., name)| note(name)).collect();
    let items: Vec<_> = batch
        .iter()
        .zip(&notes)
        .map(|((fields, derived, meta, _), note)| (fields, derived, meta.clone(), note.as_str()))
        .collect();
    if store.insert_incidents(items).await.is_ok() {
        report.imported = batch.len();
        return report;
    }
    for (fields, derived, meta, name) in batch {
        // One at a time, with the rendering it already has.
        match store.insert_incidents(vec![(&fields, &derived, meta, &note(&name))]).await {
            Ok(_) => report.imported += 1,
            Err(StoreError::DuplicateSlug(slug)) => {
                report.skipped.push((name, format!("an incident with the slug `{slug}` already exists")))
            }
            Err(error) => report.failed.push((name, error.to_string())),
        }
    }
    report
}

fn note(name: &str) -> String {
    let file = name.split('#').next().unwrap_or(name);
    format!("imported from {}", Path::new(file).file_name().and_then(|n| n.to_str()).unwrap_or(name))
}
