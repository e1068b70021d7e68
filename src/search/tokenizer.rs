//! The tokenizer for incident text. Engineers search for names that prose
//! tokenizers break apart: `static.crates.io`, `co.nz`, `ns2`, `BinaryPack`,
//! `us-east-1`. A compound word is indexed whole, and also as its parts
//! (split at dots, hyphens, underscores and CamelCase humps), so both
//! `static.crates.io` and `crates` find it. Lowercasing and English stemming
//! follow in the analyzer.

use std::collections::HashMap;
use std::sync::{LazyLock, PoisonError, RwLock};

use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer};

/// The name the analyzer is registered under in the index.
pub const ANALYZER: &str = "hindsight";
/// Tokens longer than this (hashes, base64) are dropped rather than indexed.
const MAX_TOKEN_BYTES: usize = 64;
/// Words whose stems the process remembers; it forgets them all past this
/// (a few MiB).
const MAX_REMEMBERED_STEMS: usize = 100_000;

pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(TechTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES + 1))
        .filter(LowerCaser)
        .filter(RememberingStemmer)
        .build()
}

/// Word to stem, for every analyzer in the process. Kept for the process
/// rather than per analyzer: a query or a snippet analyses a few hundred
/// words with a fresh copy of the analyzer, and a memory that lived only as
/// long as the copy cost more to fill than it saved. Not per thread either,
/// so that its size does not grow with the threads serving searches.
static STEMS: LazyLock<RwLock<HashMap<Box<str>, Box<str>>>> = LazyLock::new(RwLock::default);

/// English Snowball stemming that remembers the stems it has worked out.
/// Reports repeat their vocabulary, and stemming each word afresh was a
/// fifth of the time spent building the index and most of finding snippets.
#[derive(Clone, Copy)]
pub struct RememberingStemmer;

impl TokenFilter for RememberingStemmer {
    type Tokenizer<T: Tokenizer> = RememberingStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> RememberingStemmerFilter<T> {
        RememberingStemmerFilter { inner }
    }
}

#[derive(Clone)]
pub struct RememberingStemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for RememberingStemmerFilter<T> {
    type TokenStream<'a> = RememberingStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RememberingStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
        }
    }
}

pub struct RememberingStemmerStream<T> {
    tail: T,
    stemmer: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for RememberingStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        // The map is whole after any panic: entries are inserted complete.
        if let Some(stem) = STEMS.read().unwrap_or_else(PoisonError::into_inner).get(token.text.as_str()) {
            token.text.clear();
            token.text.push_str(stem);
            return true;
        }
        let stem: Box<str> = self.stemmer.stem(&token.text).into();
        let word = std::mem::replace(&mut token.text, stem.to_string());
        let mut remembered = STEMS.write().unwrap_or_else(PoisonError::into_inner);
        if remembered.len() >= MAX_REMEMBERED_STEMS {
            remembered.clear();
        }
        remembered.insert(word.into_boxed_str(), stem);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[derive(Clone, Default)]
pub struct TechTokenizer {
    token: Token,
    parts: Vec<(usize, usize)>,
}

/// Streams tokens without allocating per token: the current token's text
/// buffer and the list of a word's parts are reused.
pub struct TechTokenStream<'a> {
    text: &'a str,
    /// Where the next word search starts.
    cursor: usize,
    token: &'a mut Token,
    /// Byte ranges of the current word's parts not yet emitted.
    parts: &'a mut Vec<(usize, usize)>,
    next_part: usize,
    /// Position of the current word's first token.
    word_position: usize,
    /// Position the next word will take.
    next_position: usize,
}

impl Tokenizer for TechTokenizer {
    type TokenStream<'a> = TechTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TechTokenStream<'a> {
        self.token.reset();
        self.parts.clear();
        TechTokenStream {
            text,
            cursor: 0,
            token: &mut self.token,
            parts: &mut self.parts,
            next_part: 0,
            word_position: 0,
            next_position: 0,
        }
    }
}

impl TechTokenStream<'_> {
    fn emit(&mut self, from: usize, to: usize, position: usize) {
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = position;
        self.token.position_length = 1;
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
    }

    /// The byte range of the next word at or after the cursor: letters and
    /// digits, with single joiners between them.
    fn next_word(&mut self) -> Option<(usize, usize)> {
        let rest = &self.text[self.cursor..];
        let (offset, _) = rest.char_indices().find(|(_, c)| c.is_alphanumeric())?;
        let from = self.cursor + offset;
        let mut to = from;
        let mut chars = self.text[from..].char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if c.is_alphanumeric() {
                to = from + at + c.len_utf8();
            } else if is_joiner(c) && chars.peek().is_some_and(|(_, next)| next.is_alphanumeric()) {
                continue;
            } else {
                break;
            }
        }
        self.cursor = to;
        Some((from, to))
    }
}

impl TokenStream for TechTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next_part < self.parts.len() {
            let (from, to) = self.parts[self.next_part];
            let position = self.word_position + self.next_part;
            self.next_part += 1;
            self.emit(from, to, position);
            return true;
        }
        let Some((from, to)) = self.next_word() else { return false };
        self.parts.clear();
        split_parts(&self.text[from..to], from, self.parts);
        if self.parts.len() < 2 {
            self.parts.clear();
        }
        self.next_part = 0;
        self.word_position = self.next_position;
        self.next_position += self.parts.len().max(1);
        let position = self.word_position;
        self.emit(from, to, position);
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

fn is_joiner(c: char) -> bool {
    matches!(c, '.' | '-' | '_')
}

/// Pushes the byte ranges (offset by `base`) of a word's parts: split at
/// joiners, then at CamelCase humps (`BinaryPack`, `HTTPServer`). Letters
/// and digits stay together (`ns2`, `ipv6`).
fn split_parts(word: &str, base: usize, parts: &mut Vec<(usize, usize)>) {
    let mut segment_start = 0;
    for segment in word.split(is_joiner) {
        let mut start = 0;
        let mut chars = segment.char_indices().peekable();
        let mut previous: Option<char> = None;
        while let Some((at, current)) = chars.next() {
            if let Some(before) = previous {
                let next = chars.peek().map(|(_, c)| *c);
                let hump = (before.is_lowercase() && current.is_uppercase())
                    || (before.is_uppercase() && current.is_uppercase() && next.is_some_and(char::is_lowercase));
                if hump {
                    parts.push((base + segment_start + start, base + segment_start + at));
                    start = at;
                }
            }
            previous = Some(current);
        }
        if start < segment.len() {
            parts.push((base + segment_start + start, base + segment_start + segment.len()));
        }
        segment_start += segment.len() + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze(text: &str) -> Vec<(String, usize)> {
        let mut analyzer = analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push((token.text.clone(), token.position));
        }
        out
    }

    fn texts(text: &str) -> Vec<String> {
        analyze(text).into_iter().map(|(text, _)| text).collect()
    }

    #[test]
    fn dotted_names_are_kept_whole_and_in_parts() {
        assert_eq!(
            analyze("static.crates.io failed"),
            [
                ("static.crates.io".into(), 0),
                ("static".into(), 0),
                ("crate".into(), 1),
                ("io".into(), 2),
                ("fail".into(), 3)
            ]
        );
        assert!(texts("records for co.nz").contains(&"co.nz".to_string()));
    }

    #[test]
    fn remembered_stems_are_the_stemmers_own() {
        let text = "Failed deploys failed again; the deploying team rolled back rollbacks";
        let stemmer = frostem::Stemmer::new(frostem::Algorithm::English);
        let fresh: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| stemmer.stem(&w.to_lowercase()).into_owned())
            .collect();
        // The first pass stems, the later ones (new copies of the analyzer
        // included) read from the process's memory.
        for _ in 0..3 {
            let mut analyzer = analyzer();
            let mut stream = analyzer.token_stream(text);
            let mut stems = Vec::new();
            while let Some(token) = stream.next() {
                stems.push(token.text.clone());
            }
            assert_eq!(stems, fresh, "the same on every pass, from memory or not");
        }
    }

    #[test]
    fn camel_case_and_versions_stay_findable() {
        assert_eq!(texts("BinaryPack"), ["binarypack", "binari", "pack"]);
        assert_eq!(texts("HTTPServer"), ["httpserver", "http", "server"]);
        assert_eq!(texts("ns2 and ipv6"), ["ns2", "and", "ipv6"]);
        assert_eq!(texts("v1.2.3"), ["v1.2.3", "v1", "2", "3"]);
    }

    #[test]
    fn punctuation_ends_words_and_prose_is_stemmed() {
        assert_eq!(
            texts("Deploys failed. (exit code) -- DMARC/SPF"),
            ["deploy", "fail", "exit", "code", "dmarc", "spf"]
        );
        assert_eq!(texts("end. Next"), ["end", "next"]);
        assert_eq!(texts("us-east-1"), ["us-east-1", "us", "east", "1"]);
    }

    #[test]
    fn long_blobs_are_dropped_and_odd_text_is_fine() {
        assert!(texts(&"a".repeat(200)).is_empty());
        assert!(texts("").is_empty());
        assert_eq!(texts("…—…"), Vec::<String>::new());
        assert_eq!(texts("Ünïcödé Straße"), ["ünïcödé", "straße"]);
    }
}
