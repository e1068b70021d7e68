//! Markdown with TOML front matter: the fields between `+++` lines, the
//! narrative after them.
//!
//! ```text
//! +++
//! title = "API outage after deploying a build that was missing its binary"
//! status = "published"
//! started_at = { at = "2019-07-09T22:50:00Z", zone = "UTC" }
//! [[timeline]]
//! at = { at = "2019-07-09T22:50:00Z", zone = "UTC" }
//! kind = "trigger"
//! text = "…"
//! +++
//!
//! ## What happened
//! ```

use super::IncidentDocument;

const FENCE: &str = "+++";

/// Reads a report. Errors say what is wrong and where.
pub fn parse(text: &str) -> Result<IncidentDocument, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).trim_start();
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some(FENCE) {
        return Err(format!(
            "a report starts with a `{FENCE}` line, then TOML front matter, then another `{FENCE}` line"
        ));
    }
    let front_start = text.find('\n').map_or(text.len(), |at| at + 1);
    let mut offset = front_start;
    let mut front_end = None;
    for line in lines {
        if line.trim_end() == FENCE {
            front_end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let (front_end, body_start) = front_end.ok_or_else(|| format!("the front matter has no closing `{FENCE}` line"))?;
    let mut document: IncidentDocument =
        toml::from_str(&text[front_start..front_end]).map_err(|error| format!("front matter: {}", error.message()))?;
    let body = text[body_start..].trim();
    if !body.is_empty() {
        document.incident.body = body.to_string();
    }
    Ok(document)
}

/// Writes a report that `parse` reads back to the same document.
pub fn render(document: &IncidentDocument) -> Result<String, String> {
    let mut front = document.clone();
    let body = std::mem::take(&mut front.incident.body);
    let toml = toml::to_string(&front).map_err(|error| error.to_string())?;
    Ok(format!("{FENCE}\n{toml}{FENCE}\n\n{body}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "+++\ntitle = \"Disk full\"\nstatus = \"published\"\ntags = [\"disk\"]\n\
        started_at = { at = \"2020-01-01T10:00:00Z\" }\n\n[[timeline]]\nat = { at = \"2020-01-01T10:00:00Z\", zone = \"UTC\" }\n\
        kind = \"trigger\"\ntext = \"The disk filled.\"\n+++\n\n## What happened\n\nThe disk filled.\n";

    #[test]
    fn a_report_reads_and_writes_back_the_same() {
        let document = parse(REPORT).unwrap();
        assert_eq!(document.incident.title, "Disk full");
        assert_eq!(document.incident.body, "## What happened\n\nThe disk filled.");
        assert_eq!(document.incident.timeline.len(), 1);
        let again = parse(&render(&document).unwrap()).unwrap();
        assert_eq!(again.incident, document.incident);
    }

    #[test]
    fn broken_files_are_explained() {
        assert!(parse("title = 1").unwrap_err().contains("starts with"));
        assert!(parse("+++\ntitle = \"x\"\n").unwrap_err().contains("closing"));
        assert!(parse("+++\ntitle = \n+++\n").unwrap_err().contains("front matter"));
        assert!(parse("+++\ntitle = 5\n+++\n").unwrap_err().contains("front matter"));
    }

    #[test]
    fn hostile_nesting_in_front_matter_is_an_error_not_a_crash() {
        let deep = format!("+++\nx = {}{}\n+++\n", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deep).is_err());
        let tables = format!("+++\nx = {}1{}\n+++\n", "{a = ".repeat(100_000), "}".repeat(100_000));
        assert!(parse(&tables).is_err());
    }
}
