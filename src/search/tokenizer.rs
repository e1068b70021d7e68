//! The tokenizer for incident text. Engineers search for names that prose
//! tokenizers break apart: `static.crates.io`, `co.nz`, `ns2`, `BinaryPack`,
//! `us-east-1`. A compound word is indexed whole, and also as its parts
//! (split at dots, hyphens, underscores and CamelCase humps), so both
//! `static.crates.io` and `crates` find it. Lowercasing and English stemming
//! follow in the analyzer.

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer,
};

/// The name the analyzer is registered under in the index.
pub const ANALYZER: &str = "hindsight";
/// Tokens longer than this (hashes, base64) are dropped rather than indexed.
const MAX_TOKEN_BYTES: usize = 64;

pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(TechTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES + 1))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

#[derive(Clone, Default)]
pub struct TechTokenizer {
    tokens: Vec<Token>,
}

pub struct TechTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    next: usize,
}

impl Tokenizer for TechTokenizer {
    type TokenStream<'a> = TechTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TechTokenStream<'a> {
        self.tokens.clear();
        tokenize(text, &mut self.tokens);
        TechTokenStream { tokens: &mut self.tokens, next: 0 }
    }
}

impl TokenStream for TechTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

fn is_joiner(c: char) -> bool {
    matches!(c, '.' | '-' | '_')
}

/// Splits `text` into words (letters and digits, with single joiners inside)
/// and emits each word, then its parts when it has more than one.
fn tokenize(text: &str, tokens: &mut Vec<Token>) {
    let mut position = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut index = 0;
    while index < chars.len() {
        if !chars[index].1.is_alphanumeric() {
            index += 1;
            continue;
        }
        let start = index;
        let mut end = index + 1;
        loop {
            while end < chars.len() && chars[end].1.is_alphanumeric() {
                end += 1;
            }
            // A joiner continues the word only between two letters or digits.
            if end + 1 < chars.len() && is_joiner(chars[end].1) && chars[end + 1].1.is_alphanumeric() {
                end += 1;
            } else {
                break;
            }
        }
        let from = chars[start].0;
        let to = chars.get(end).map_or(text.len(), |(at, _)| *at);
        index = end;
        let word = &text[from..to];
        let parts = parts(word);
        push(tokens, word, from, position);
        if parts.len() > 1 {
            for (offset, (part_from, part)) in parts.into_iter().enumerate() {
                push(tokens, part, from + part_from, position + offset);
            }
            position += word_positions(word);
        } else {
            position += 1;
        }
    }
}

fn word_positions(word: &str) -> usize {
    parts(word).len().max(1)
}

fn push(tokens: &mut Vec<Token>, text: &str, from: usize, position: usize) {
    tokens.push(Token {
        offset_from: from,
        offset_to: from + text.len(),
        position,
        text: text.to_string(),
        position_length: 1,
    });
}

/// The parts of a word, with their byte offsets inside it: split at joiners,
/// then at CamelCase humps (`BinaryPack`, `HTTPServer`). Letters and digits
/// stay together (`ns2`, `ipv6`).
fn parts(word: &str) -> Vec<(usize, &str)> {
    let mut parts = Vec::new();
    let mut segment_start = 0;
    for (at, c) in word.char_indices().chain(std::iter::once((word.len(), '.'))) {
        if !is_joiner(c) {
            continue;
        }
        let segment = &word[segment_start..at];
        let mut start = 0;
        let letters: Vec<(usize, char)> = segment.char_indices().collect();
        for window in 1..letters.len() {
            let (previous, current) = (letters[window - 1].1, letters[window].1);
            let next = letters.get(window + 1).map(|(_, c)| *c);
            let hump = (previous.is_lowercase() && current.is_uppercase())
                || (previous.is_uppercase() && current.is_uppercase() && next.is_some_and(char::is_lowercase));
            if hump {
                let cut = letters[window].0;
                parts.push((segment_start + start, &segment[start..cut]));
                start = cut;
            }
        }
        if start < segment.len() {
            parts.push((segment_start + start, &segment[start..]));
        }
        segment_start = at + c.len_utf8();
    }
    parts
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
