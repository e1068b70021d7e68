//! Markdown to safe HTML: pulldown-cmark renders, then ammonia keeps only an
//! allow-list of tags, attributes and URL schemes. Nothing a writer types can
//! run script in a reader's browser.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{html, Options, Parser};

/// Renders Markdown to sanitised HTML.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    SANITIZER.clean(&unsafe_html).to_string()
}

/// Renders one line of Markdown (a timeline event, a factor) without the
/// surrounding paragraph.
pub fn render_inline(markdown: &str) -> String {
    let html = render(markdown);
    let trimmed = html.trim();
    match trimmed.strip_prefix("<p>").and_then(|rest| rest.strip_suffix("</p>")) {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => html,
    }
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
            ) => text.push_str(". "),
            _ => {}
        }
    }
    text
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
    fn plain_text_drops_the_markup() {
        assert_eq!(
            plain_text("## What **happened**\n\nThe `ns2` server. <b>x</b>"),
            "What happened. The ns2 server. x. "
        );
    }

    #[test]
    fn task_lists_keep_only_checkboxes() {
        let html = render("- [x] done\n- [ ] open");
        assert!(html.contains(r#"type="checkbox""#), "{html}");
        assert!(!render("<input type=\"text\" value=\"x\">").contains("type=\"text\""));
    }
}
