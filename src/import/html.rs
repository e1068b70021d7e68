//! A post's HTML (a status blog's feed) as Markdown for a report's
//! narrative. The HTML is read as a stream of tags by html5ever's tokenizer,
//! never built into a tree, so a post nested 100,000 levels deep costs what
//! a flat one of the same size does. Only plain structure survives:
//! paragraphs, headings, lists, quotes, code, emphasis, line breaks and
//! links to http, https and mailto addresses. Scripts, styles, frames,
//! forms and their contents are dropped; every other tag gives its text
//! only. The Markdown is rendered and sanitised again when it is shown.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer};

/// Lists and quotes deeper than this are written at this depth.
const MAX_DEPTH: usize = 8;

/// The Markdown of `html`.
pub fn to_markdown(html: &str) -> String {
    convert(html, false)
}

/// The text of `html`: its words, a line for each paragraph, heading and
/// list item, without marks.
pub fn to_text(html: &str) -> String {
    convert(html, true)
}

fn convert(html: &str, plain: bool) -> String {
    let writer = Writer { state: RefCell::new(State { plain, ..State::default() }) };
    let tokenizer = Tokenizer::new(writer, Default::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let out = tokenizer.sink.state.into_inner().out;
    tidy(&out)
}

/// Blank lines at most two in a row, trailing spaces of a line kept only
/// as a line break, and no blank start or end.
fn tidy(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut blank = 0;
    for line in markdown.lines() {
        let hard_break = line.ends_with("  ") && !line.trim().is_empty();
        let line = line.trim_end();
        if line.is_empty() || line.chars().all(|c| c == '>' || c == ' ') {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
        if hard_break {
            out.push_str("  ");
        }
    }
    out.trim_end().to_string()
}

#[derive(Default)]
struct Writer {
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    /// Text only: no Markdown marks, nothing escaped.
    plain: bool,
    out: String,
    /// The lists open around the text: ordered ones with their next number.
    lists: Vec<Option<u32>>,
    quotes: usize,
    in_pre: bool,
    /// Inside a tag whose content is dropped (`<script>`), its name.
    dropping: Option<String>,
    /// The open links: their address, when it is one we keep.
    links: Vec<Option<String>>,
    /// A space was seen and is written before the next word.
    space: bool,
    /// Nothing but the line's prefix has been written on this line.
    line_start: bool,
}

/// Tags whose content is not text of the post.
const DROPPED: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "head", "title", "textarea",
    "select", "button", "form", "noembed", "noframes", "xmp",
];
/// Tags that end a paragraph.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "nav",
    "main",
    "figure",
    "figcaption",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "dl",
    "dt",
    "dd",
    "address",
    "details",
    "summary",
    "center",
];

impl TokenSink for Writer {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => return state.tag(&tag),
            Token::CharacterTokens(text) if state.dropping.is_none() => state.text(&text),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl State {
    fn tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let start = tag.kind == TagKind::StartTag;
        if let Some(dropping) = &self.dropping {
            if !start && dropping == name {
                self.dropping = None;
            }
            return TokenSinkResult::Continue;
        }
        if DROPPED.contains(&name) {
            if start && !tag.self_closing {
                self.dropping = Some(name.to_string());
                // What follows is text to the end tag, not markup.
                return match name {
                    "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                    "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
                    "style" | "iframe" | "noembed" | "noframes" | "xmp" => TokenSinkResult::RawData(RawKind::Rawtext),
                    _ => TokenSinkResult::Continue,
                };
            }
            return TokenSinkResult::Continue;
        }
        match (name, start) {
            (block, _) if BLOCKS.contains(&block) => self.paragraph(),
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => {
                self.paragraph();
                let level = name[1..].parse::<usize>().unwrap_or(2);
                self.mark(&format!("{} ", "#".repeat(level)));
            }
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", false) => self.paragraph(),
            ("ul" | "ol", true) => {
                self.paragraph();
                self.lists.push((name == "ol").then_some(1));
            }
            ("ul" | "ol", false) => {
                self.lists.pop();
                self.paragraph();
            }
            ("li", true) => {
                self.new_line();
                let depth = self.lists.len().clamp(1, MAX_DEPTH);
                let marker = match self.lists.last_mut() {
                    Some(Some(next)) => {
                        *next += 1;
                        format!("{}. ", *next - 1)
                    }
                    _ => "- ".to_string(),
                };
                self.mark(&format!("{}{marker}", "  ".repeat(depth - 1)));
            }
            ("li" | "tr", false) => self.new_line(),
            ("td" | "th", false) => self.write(" | "),
            ("blockquote", true) => {
                self.paragraph();
                self.quotes += 1;
            }
            ("blockquote", false) => {
                self.quotes = self.quotes.saturating_sub(1);
                self.paragraph();
            }
            ("pre", true) => {
                self.paragraph();
                self.mark("```");
                self.new_line();
                self.in_pre = true;
            }
            ("pre", false) => {
                self.in_pre = false;
                self.new_line();
                self.mark("```");
                self.paragraph();
            }
            ("code" | "kbd" | "samp" | "tt", _) if !self.in_pre => self.inline_mark("`", start),
            ("strong" | "b", _) => self.inline_mark("**", start),
            ("em" | "i", _) => self.inline_mark("*", start),
            ("br", _) => {
                self.mark("  ");
                self.new_line();
            }
            ("hr", _) => {
                self.paragraph();
                self.mark("---");
                self.paragraph();
            }
            ("a", true) => {
                let href = tag.attrs.iter().find(|attr| &*attr.name.local == "href").map(|attr| attr.value.trim());
                let kept = href.filter(|href| kept_link(href)).map(str::to_string);
                if kept.is_some() {
                    self.word_gap();
                    self.mark("[");
                }
                self.links.push(kept);
            }
            ("a", false) => {
                if let Some(Some(href)) = self.links.pop() {
                    self.mark(&format!("]({})", href.replace(' ', "%20").replace(')', "%29")));
                }
            }
            ("img", _) => {
                let alt = tag.attrs.iter().find(|attr| &*attr.name.local == "alt").map(|attr| attr.value.to_string());
                if let Some(alt) = alt.filter(|alt| !alt.trim().is_empty()) {
                    self.text(&format!(" ({}) ", alt.trim()));
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }

    /// Emphasis or code around the words between a start and an end tag;
    /// a pair around nothing is taken back.
    fn inline_mark(&mut self, mark: &str, start: bool) {
        if self.plain {
            return;
        }
        if start {
            self.word_gap();
            self.write(mark);
        } else if self.out.ends_with(mark) && !self.out.ends_with(&format!("{mark}{mark}")) {
            self.out.truncate(self.out.len() - mark.len());
        } else {
            self.write(mark);
        }
    }

    fn text(&mut self, text: &str) {
        if self.in_pre {
            // Fenced code ends at a line of three backticks: keep any out.
            for (index, line) in text.replace("```", "`\u{200b}``").split('\n').enumerate() {
                if index > 0 {
                    self.new_line();
                }
                self.write(line);
            }
            return;
        }
        for (index, word) in text.split(char::is_whitespace).enumerate() {
            if index > 0 {
                self.space = true;
            }
            if word.is_empty() {
                continue;
            }
            self.word_gap();
            if self.plain {
                self.write(word);
            } else {
                let escaped = escape(word, self.line_start);
                self.write(&escaped);
            }
        }
    }

    /// The space seen before this word, unless the line has just begun.
    fn word_gap(&mut self) {
        if self.space && !self.line_start {
            self.out.push(' ');
        }
        self.space = false;
    }

    /// Markdown's own marks: left out of plain text (a list item keeps its
    /// line of its own).
    fn mark(&mut self, mark: &str) {
        if !self.plain {
            self.write(mark);
        }
    }

    fn write(&mut self, text: &str) {
        if self.line_start {
            if !self.plain {
                self.out.push_str(&"> ".repeat(self.quotes.min(MAX_DEPTH)));
            }
            self.line_start = false;
        }
        self.out.push_str(text);
    }

    fn new_line(&mut self) {
        if !self.out.is_empty() && !self.line_start {
            self.out.push('\n');
        }
        self.line_start = true;
        self.space = false;
    }

    fn paragraph(&mut self) {
        self.new_line();
        if !self.out.ends_with("\n\n") && !self.out.is_empty() {
            self.out.push('\n');
        }
    }
}

/// Only addresses a reader may follow safely.
fn kept_link(href: &str) -> bool {
    let lower = href.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        && !href.chars().any(|c| c.is_control() || c == '<' || c == '>')
}

/// A word of text with Markdown's marks escaped, so it reads as written:
/// `*`, `_`, brackets, backticks, angle brackets and backslashes anywhere,
/// and what would start a heading, a list or a quote at a line's start.
fn escape(word: &str, line_start: bool) -> String {
    let mut out = String::with_capacity(word.len() + 4);
    for c in word.chars() {
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '`' | '<' | '>' | '|' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    if line_start {
        let numbered =
            out.len() > 1 && out.ends_with(['.', ')']) && out[..out.len() - 1].chars().all(|c| c.is_ascii_digit());
        if numbered {
            out.insert(out.len() - 1, '\\');
        } else if matches!(out.chars().next(), Some('#' | '-' | '+' | '=')) {
            out.insert(0, '\\');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure_survives_as_markdown() {
        let html = "<p>On May 20th we had an <strong>outage</strong>.</p><p><strong>Highlights</strong></p>\
                    <ul><li><span style=\"font-size: 13px\">Detected time: 11:40 PDT</span></li><li>Resolved</li></ul>\
                    <h2>Remediation</h2><p>See <a href=\"https://example.com/x\">the <em>notes</em></a> and <code>my.cnf</code>.</p>";
        assert_eq!(
            to_markdown(html),
            "On May 20th we had an **outage**.\n\n**Highlights**\n\n- Detected time: 11:40 PDT\n- Resolved\n\n\
             ## Remediation\n\nSee [the *notes*](https://example.com/x) and `my.cnf`."
        );
    }

    #[test]
    fn scripts_and_unsafe_links_leave_nothing_behind() {
        let html = "<p>Hi<script>alert('</p><p>x')</script> there <a href=\"javascript:alert(1)\">click</a>\
                    <style>p{}</style><img src=x onerror=alert(1) alt=\"a chart\"><iframe src=\"https://evil\">no</iframe></p>";
        let markdown = to_markdown(html);
        assert_eq!(markdown, "Hi there click (a chart)");
    }

    #[test]
    fn markdown_in_the_text_is_escaped() {
        assert_eq!(
            to_markdown("<p># not a heading *or* [link](x) &lt;b&gt;</p>"),
            "\\# not a heading \\*or\\* \\[link\\](x) \\<b\\>"
        );
        assert_eq!(to_markdown("<p>1. not a list</p>"), "1\\. not a list");
    }

    #[test]
    fn deep_nesting_is_read_without_recursion_and_written_shallow() {
        let depth = 100_000;
        let html = format!(
            "{}deep{}",
            "<div><ul><li><blockquote>".repeat(depth),
            "</blockquote></li></ul></div>".repeat(depth)
        );
        let markdown = to_markdown(&html);
        assert!(markdown.ends_with("deep"), "{}", &markdown[markdown.len().saturating_sub(100)..]);
        assert!(crate::markdown::check_nesting(&markdown).is_ok(), "the Markdown passes the narrative's check");
    }
}
