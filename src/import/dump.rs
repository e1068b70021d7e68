//! The JSON dump: every incident in the API's JSON shape. Written as JSON
//! Lines (a header line, then one incident a line) and read a line at a
//! time, so export and import hold one incident in memory whatever the
//! base's size. The older single-document dump is still read.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use super::{Batch, IncidentDocument};

pub const FORMAT: &str = "hindsight-export";
/// 1: one JSON document; 2: JSON Lines.
pub const FORMAT_VERSION: u32 = 2;
/// A line longer than this is refused and skipped: an incident is at most
/// a few hundred KiB.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    #[serde(default)]
    pub exported_at: String,
}

/// Writes the header line.
pub fn write_header(out: &mut impl Write, exported_at: String) -> std::io::Result<()> {
    let header = Header { format: FORMAT.into(), format_version: FORMAT_VERSION, exported_at };
    serde_json::to_writer(&mut *out, &header)?;
    out.write_all(b"\n")
}

/// Writes one incident as one line.
pub fn write_incident(out: &mut impl Write, incident: &crate::domain::Incident) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, incident)?;
    out.write_all(b"\n")
}

/// The next line of `input`, at most `MAX_LINE_BYTES`: `Ok(None)` at the
/// end, `Err` with the length for a longer line, which is read past.
fn next_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Option<Result<(), usize>>> {
    line.clear();
    let mut too_long = 0usize;
    loop {
        let (done, used) = {
            let available = input.fill_buf()?;
            if available.is_empty() {
                let nothing = line.is_empty() && too_long == 0;
                return Ok(if nothing {
                    None
                } else if too_long > 0 {
                    Some(Err(too_long))
                } else {
                    Some(Ok(()))
                });
            }
            match available.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    if too_long == 0 && line.len() + end <= MAX_LINE_BYTES {
                        line.extend_from_slice(&available[..end]);
                    } else {
                        too_long += end;
                    }
                    (true, end + 1)
                }
                None => {
                    if too_long == 0 && line.len() + available.len() <= MAX_LINE_BYTES {
                        line.extend_from_slice(available);
                    } else {
                        too_long += line.len() + available.len();
                        line.clear();
                    }
                    (false, available.len())
                }
            }
        };
        input.consume(used);
        if done {
            return Ok(Some(if too_long > 0 { Err(too_long) } else { Ok(()) }));
        }
    }
}

/// Imports a JSON Lines dump from `input`, a line at a time; `progress` is
/// told the count of lines read so far.
pub async fn import_lines(
    batch: &mut Batch<'_>,
    name: &str,
    input: &mut impl BufRead,
    progress: &mut impl FnMut(usize),
) -> std::io::Result<()> {
    let mut line = Vec::new();
    let mut number = 0usize;
    let mut header_seen = false;
    while let Some(read) = next_line(input, &mut line)? {
        number += 1;
        let label = format!("{name}:{number}");
        if let Err(length) = read {
            batch.report.failed.push((label, format!("a line of {} MiB; the limit is 8 MiB", length >> 20)));
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if crate::json_depth::too_deep(&line) {
            let reason = format!("nested more than {} levels deep", crate::json_depth::MAX_JSON_DEPTH);
            batch.report.failed.push((label, reason));
            continue;
        }
        if !header_seen {
            match serde_json::from_slice::<Header>(&line) {
                Ok(header) if header.format == FORMAT && header.format_version == FORMAT_VERSION => {
                    header_seen = true;
                    continue;
                }
                _ => {
                    let reason = format!("not a Hindsight dump: the first line is not a `{FORMAT}` header");
                    batch.report.failed.push((name.to_string(), reason));
                    return Ok(());
                }
            }
        }
        match serde_json::from_slice::<IncidentDocument>(&line) {
            Ok(document) => {
                let label = format!("{label} ({})", document.incident.slug.as_deref().unwrap_or("no slug"));
                batch.add(&label, document).await;
            }
            Err(error) => batch.report.failed.push((label, format!("not an incident: {error}"))),
        }
        progress(number);
    }
    Ok(())
}

#[derive(Deserialize)]
struct DumpIn {
    format: Option<String>,
    #[serde(default)]
    incidents: Vec<IncidentDocument>,
}

/// Adds every incident of a single-document dump (format 1) to `batch`,
/// recording failures in its report.
pub async fn import_document(batch: &mut Batch<'_>, name: &str, text: &str) {
    if crate::json_depth::too_deep(text.as_bytes()) {
        let reason = format!("nested more than {} levels deep", crate::json_depth::MAX_JSON_DEPTH);
        return batch.report.failed.push((name.to_string(), reason));
    }
    let dump: DumpIn = match serde_json::from_str(text) {
        Ok(dump) => dump,
        Err(error) => {
            return batch.report.failed.push((name.to_string(), format!("not a Hindsight JSON dump: {error}")));
        }
    };
    if dump.format.as_deref() != Some(FORMAT) {
        let reason = format!("not a Hindsight JSON dump: `format` is not \"{FORMAT}\"");
        return batch.report.failed.push((name.to_string(), reason));
    }
    for (index, document) in dump.incidents.into_iter().enumerate() {
        let label = format!("{name}#{index} ({})", document.incident.slug.as_deref().unwrap_or("no slug"));
        batch.add(&label, document).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_one_at_a_time_and_long_ones_are_skipped() {
        let long = "x".repeat(MAX_LINE_BYTES + 10);
        let text = format!("first\n{long}\nthird\nlast");
        let mut input = std::io::BufReader::with_capacity(64, text.as_bytes());
        let mut line = Vec::new();
        let mut seen = Vec::new();
        while let Some(read) = next_line(&mut input, &mut line).unwrap() {
            seen.push(read.map(|()| String::from_utf8_lossy(&line).to_string()));
        }
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[0].as_deref(), Ok("first"));
        assert!(seen[1].is_err(), "the long line is refused");
        assert_eq!(seen[2].as_deref(), Ok("third"));
        assert_eq!(seen[3].as_deref(), Ok("last"), "a last line without a newline");
    }
}
