//! Markdown to safe HTML: pulldown-cmark renders, then ammonia keeps only an
//! allow-list of tags, attributes and URL schemes. Nothing a writer types can
//! run script in a reader's browser.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{html, Options, Parser};

/// How deeply Markdown may nest quotes, lists and HTML elements. The
/// sanitiser's cost grows with the square of the depth (measured: 5,000
/// levels of `> ` take 0.14 s, 40,000 take 9 s); real reports nest a few
/// levels.
pub const MAX_NESTING: usize = 64;

fn unsafe_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    unsafe_html
}

/// Escapes plain text for HTML and SVG content and attribute values: what
/// is drawn or written by hand rather than through a template.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders Markdown to sanitised HTML. Markdown nested deeper than
/// `MAX_NESTING` is not sanitised (validation refuses it on write; this
/// guards what was stored before): a short notice stands in its place.
pub fn render(markdown: &str) -> String {
    let unsafe_html = unsafe_html(markdown);
    let depth = html_depth(&unsafe_html);
    if depth > MAX_NESTING {
        return format!(
            "<p><em>Not shown: this text nests {depth} levels deep, more than the {MAX_NESTING} allowed.</em></p>"
        );
    }
    SANITIZER.clean(&unsafe_html).to_string()
}

/// Markdown rendered for a preview, or why it cannot be: the same bound on
/// nesting as a write, so no preview costs the sanitiser more than a save.
pub fn preview(markdown: &str) -> Result<String, String> {
    check_nesting(markdown)?;
    Ok(render(markdown))
}

/// Refuses Markdown nested deeper than `MAX_NESTING`, saying how deep.
pub fn check_nesting(markdown: &str) -> Result<(), String> {
    // Only a text with that many markers could nest so deep.
    if markdown.bytes().filter(|b| matches!(b, b'>' | b'<' | b'-' | b'*' | b'+' | b' ' | b'\t')).count() <= MAX_NESTING
    {
        return Ok(());
    }
    match nesting_depth(markdown) {
        depth if depth > MAX_NESTING => Err(format!(
            "nests {depth} levels deep (quotes, lists or HTML elements inside each other); at most {MAX_NESTING}"
        )),
        _ => Ok(()),
    }
}

/// How deeply a Markdown text nests once rendered: quotes, lists and HTML
/// elements, as the sanitiser would see them. Linear in the text's length.
pub fn nesting_depth(markdown: &str) -> usize {
    html_depth(&unsafe_html(markdown))
}

/// The deepest element nesting in `html`, from a single pass over its tags.
/// Void elements and those HTML closes by itself (`<p>`, `<li>`) do not
/// count, so a text can only be judged deeper than it is by a little.
fn html_depth(html: &str) -> usize {
    const FLAT: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
        "p", "li", "dt", "dd", "tr", "td", "th", "option",
    ];
    let bytes = html.as_bytes();
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0usize);
    while let Some(offset) = bytes[at..].iter().position(|b| *b == b'<') {
        at += offset + 1;
        let closing = bytes.get(at) == Some(&b'/');
        let start = at + usize::from(closing);
        let end = bytes[start..].iter().position(|b| !b.is_ascii_alphanumeric()).map_or(bytes.len(), |n| start + n);
        if end == start {
            continue;
        }
        let name = html[start..end].to_ascii_lowercase();
        if FLAT.contains(&name.as_str()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            let self_closing =
                bytes[end..].iter().position(|b| *b == b'>').is_some_and(|n| n > 0 && bytes[end + n - 1] == b'/');
            if !self_closing {
                depth += 1;
                deepest = deepest.max(depth);
            }
        }
    }
    deepest
}

/// Renders one line of Markdown (a timeline event, a factor) without the
/// surrounding paragraph.
pub fn render_inline(markdown: &str) -> String {
    if renders_as_itself(markdown) {
        return markdown.to_string();
    }
    let html = render(markdown);
    let trimmed = html.trim();
    match trimmed.strip_prefix("<p>").and_then(|rest| rest.strip_suffix("</p>")) {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => html,
    }
}

/// Whether a line renders as itself: it starts with a letter and holds only
/// letters, digits, single spaces and punctuation that neither Markdown,
/// HTML nor smart punctuation changes. Most timeline events, factors and
/// actions are such lines, and they skip the parser and the sanitiser.
fn renders_as_itself(text: &str) -> bool {
    let plain = |c: char| {
        c.is_alphanumeric() || matches!(c, ' ' | ',' | '.' | ';' | ':' | '(' | ')' | '/' | '%' | '?' | '=' | '+' | '-')
    };
    text.chars().next().is_some_and(char::is_alphabetic)
        && text.chars().all(plain)
        && !text.ends_with(' ')
        && !text.contains("  ")
        && !text.contains("--")
        && !text.contains("..")
}

/// The words of a Markdown text without its markup, for the search index
/// and its snippets: `## What **happened**` reads `What happened`.
pub fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, TagEnd};
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(words) | Event::Code(words) => text.push_str(&words),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::CodeBlock | TagEnd::TableCell,
            ) => {
                // A block ends a sentence, unless its own words already did.
                let ended = text.trim_end().ends_with(['.', '!', '?', ':', ';']) || text.trim().is_empty();
                text.push_str(if ended { " " } else { ". " });
            }
            _ => {}
        }
    }
    text
}

/// A short Markdown text (an action item, a title) as one line of plain
/// words, with no full stop added where its writer put none.
pub fn plain_line(markdown: &str) -> String {
    let text = plain_text(markdown);
    let text = text.trim();
    let added = text.ends_with('.') && !markdown.trim_end().ends_with('.');
    text.strip_suffix('.').filter(|_| added).unwrap_or(text).to_string()
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .strip_comments(true)
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tags(["input"])
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // Task-list checkboxes are shown, never edited.
            ("input", "type") if value != "checkbox" => None,
            _ => Some(value.into()),
        });
    builder
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_markdown_renders() {
        let html = render("## What happened\n\nThe **primary** failed. See [the graph](https://example.com/g).\n\n| a | b |\n|---|---|\n| 1 | 2 |");
        assert!(html.contains("<h2>What happened</h2>"), "{html}");
        assert!(html.contains("<strong>primary</strong>"));
        assert!(html.contains(r#"<a href="https://example.com/g" rel="noopener noreferrer nofollow">"#), "{html}");
        assert!(html.contains("<table>"));
        assert_eq!(render_inline("NS2 **stopped** responding"), "NS2 <strong>stopped</strong> responding");
    }

    #[test]
    fn a_line_that_renders_as_itself_skips_the_renderer_and_loses_nothing() {
        let plain = [
            "NS2 stopped responding at 07:49 (UTC), 40% of queries failed; see ticket INC-123/4.",
            "Überprüfung der Zone für example.com abgeschlossen",
            "Rolled back v2.3+build=7? Yes.",
        ];
        for line in plain {
            assert!(renders_as_itself(line), "{line}");
            assert_eq!(render_inline(line), render(line).trim().trim_start_matches("<p>").trim_end_matches("</p>"));
        }
        let marked = [
            "- a list",
            "1. first",
            "# heading",
            "a *word*",
            "a_b_",
            "`code`",
            "<b>x</b>",
            "a & b",
            "[x](y)",
            "it's",
            "\"quoted\"",
            "wait...",
            "a -- b",
            "two  spaces",
            "trailing ",
            "    code",
            "x\ny",
            "a | b",
            "~~gone~~",
            "x\\y",
            "a^[note]",
            "",
        ];
        for line in marked {
            assert!(!renders_as_itself(line), "{line}");
        }
    }

    #[test]
    fn plain_text_drops_the_markup() {
        assert_eq!(
            plain_text("## What **happened**\n\nThe `ns2` server. <b>x</b>"),
            "What happened. The ns2 server. x. "
        );
    }

    #[test]
    fn nesting_is_measured_in_one_pass_and_deep_text_is_not_sanitised() {
        assert_eq!(nesting_depth("plain"), 0, "paragraphs do not count");
        assert_eq!(nesting_depth("> a\n>\n> > b"), 2, "two quotes");
        assert_eq!(nesting_depth("- a\n  - b\n    - c"), 3, "three lists; items do not count");
        assert_eq!(nesting_depth("<div><div><span>x</span></div></div>"), 3);
        assert_eq!(nesting_depth("a<br/>b<img src=x>"), 0);
        let quotes = format!("{}deep", "> ".repeat(100_000));
        let started = std::time::Instant::now();
        assert!(nesting_depth(&quotes) > 99_000);
        let shown = render(&quotes);
        assert!(shown.contains("Not shown") && shown.len() < 200, "{shown}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "no quadratic sanitising");
        assert!(render(&"<div>".repeat(50_000)).contains("Not shown"));
        let fine = format!("{}at the limit", "> ".repeat(MAX_NESTING - 1));
        assert!(!render(&fine).contains("Not shown"));
    }

    #[test]
    fn task_lists_keep_only_checkboxes() {
        let html = render("- [x] done\n- [ ] open");
        assert!(html.contains(r#"type="checkbox""#), "{html}");
        assert!(!render("<input type=\"text\" value=\"x\">").contains("type=\"text\""));
    }
}
