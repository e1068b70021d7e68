//! Hostile Markdown: whatever a writer types, the rendered HTML carries no
//! script, no script-bearing URL, no event attribute and no embedding tag.

use hindsight::markdown::{render, render_inline};

/// Tags the sanitiser may let through.
const ALLOWED_TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "sup",
    "section",
    "cite",
    "strike",
    "mark",
    "ins",
    "caption",
    "col",
    "colgroup",
    "figure",
    "figcaption",
    "time",
    "var",
    "samp",
    "bdi",
    "bdo",
    "center",
    "data",
    "dfn",
    "font",
    "hgroup",
    "map",
    "area",
    "nav",
    "rp",
    "rt",
    "ruby",
    "summary",
    "details",
    "tt",
    "wbr",
    "article",
    "aside",
    "footer",
    "header",
    "big",
];

const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" OnError=\"alert(1)\">",
    "<img src=`x`onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<svg><foreignObject><iframe src=javascript:alert(1)></iframe></foreignObject></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math href=\"javascript:alert(1)\">click</math>",
    "<math><maction actiontype=\"statusline#\" xlink:href=\"javascript:alert(1)\">x</maction></math>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>",
    "<base href=\"javascript:alert(1)//\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\"java&#x09;script:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)\">x</a>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](jav&#x61;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[x](<javascript:alert(1)>)",
    "[x](https://ok.example \"title\" onclick=alert(1))",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">x</a>",
    "<p onmouseover=\"alert(1)\">hover</p>",
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<audio src=x onerror=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<input type=\"image\" src=\"javascript:alert(1)\">",
    "<textarea autofocus onfocus=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<template><script>alert(1)</script></template>",
    "<a href=\"https://ok.example\" target=\"_blank\" formaction=\"javascript:alert(1)\">x</a>",
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "<div><div><div><script>alert(1)</script></div></div></div>",
    "<img src=\"https://ok.example/a.png\" srcset=\"javascript:alert(1) 1x\">",
    "<a href=\"//evil.example/%0Ajavascript:alert(1)\">x</a>",
    "<x onclick=alert(1)>custom</x>",
    "<a href=\"\u{0}javascript:alert(1)\">x</a>",
    "<a href=\"\u{feff}javascript:alert(1)\">x</a>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
];

/// Every tag in `html` with its attributes. The sanitiser's serializer always
/// quotes attribute values and escapes `<` in text, so a plain scan is exact.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find('>').expect("every tag closes");
        let inside = rest[..end].trim_end_matches('/').trim();
        rest = &rest[end + 1..];
        if inside.starts_with('/') {
            continue;
        }
        let (name, mut attributes_text) = inside.split_once(char::is_whitespace).unwrap_or((inside, ""));
        let mut attributes = Vec::new();
        while let Some(eq) = attributes_text.find('=') {
            let attribute = attributes_text[..eq].trim().to_ascii_lowercase();
            let after = attributes_text[eq + 1..].strip_prefix('"').expect("quoted value");
            let close = after.find('"').expect("closed value");
            attributes.push((attribute, after[..close].to_string()));
            attributes_text = &after[close + 1..];
        }
        for flag in attributes_text.split_whitespace() {
            attributes.push((flag.to_ascii_lowercase(), String::new()));
        }
        found.push((name.to_ascii_lowercase(), attributes));
    }
    found
}

/// The scheme a browser would see, following the WHATWG URL parser: entities
/// decoded, leading C0 controls and spaces stripped, tabs and newlines
/// removed anywhere, then a letter followed by letters, digits, `+`, `-` or
/// `.` before a colon. Anything else is a relative address.
fn scheme_of(url: &str) -> Option<String> {
    let decoded = decode_once(url);
    let trimmed = decoded.trim_start_matches(|c: char| c <= ' ');
    let cleaned: String = trimmed.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let (scheme, _) = cleaned.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then(|| scheme.to_ascii_lowercase())
}

/// An attribute value as a browser reads it: character references decoded
/// once, in one pass (`&amp;#x09;` is the text `&#x09;`, not a tab).
fn decode_once(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let named = [
            ("&amp;", '&'),
            ("&quot;", '"'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&Tab;", '\t'),
            ("&NewLine;", '\n'),
            ("&colon;", ':'),
        ];
        if let Some((entity, c)) = named.iter().find(|(entity, _)| rest.starts_with(entity)) {
            out.push(*c);
            rest = &rest[entity.len()..];
            continue;
        }
        let numeric = rest.strip_prefix("&#").and_then(|after| {
            let (digits, radix) = match after.strip_prefix(['x', 'X']) {
                Some(hex) => (hex, 16),
                None => (after, 10),
            };
            let end = digits.find(|c: char| !c.is_digit(radix)).unwrap_or(digits.len());
            let c = u32::from_str_radix(&digits[..end], radix).ok().and_then(char::from_u32)?;
            let consumed = after.len() - digits.len() + end + usize::from(digits[end..].starts_with(';'));
            Some((c, 2 + consumed))
        });
        match numeric {
            Some((c, length)) => {
                out.push(c);
                rest = &rest[length..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn assert_safe(input: &str, html: &str) {
    for (tag, attributes) in tags(html) {
        assert!(ALLOWED_TAGS.contains(&tag.as_str()), "tag <{tag}> survived {input:?}: {html}");
        for (attribute, value) in attributes {
            assert!(!attribute.starts_with("on"), "event attribute {attribute} survived {input:?}: {html}");
            assert!(
                !matches!(attribute.as_str(), "style" | "srcdoc" | "formaction" | "action" | "srcset" | "xlink:href"),
                "attribute {attribute} survived {input:?}: {html}"
            );
            if matches!(attribute.as_str(), "href" | "src" | "cite" | "data" | "poster") {
                if let Some(scheme) = scheme_of(&value) {
                    assert!(
                        matches!(scheme.as_str(), "http" | "https" | "mailto"),
                        "{attribute} with scheme {scheme}: survived {input:?}: {html}"
                    );
                }
            }
        }
    }
}

#[test]
fn no_script_survives_any_of_the_hostile_inputs() {
    assert!(HOSTILE.len() >= 50, "the corpus keeps at least 50 inputs");
    for input in HOSTILE {
        assert_safe(input, &render(input));
        assert_safe(input, &render_inline(input));
        // The same input wrapped in ordinary Markdown structure.
        for wrapped in
            [format!("- {input}"), format!("> {input}"), format!("| a |\n|---|\n| {input} |"), format!("**{input}**")]
        {
            assert_safe(&wrapped, &render(&wrapped));
        }
    }
}

#[test]
fn harmless_links_and_images_stay() {
    let html = render(
        "[docs](https://example.com/a?b=c&d=e) and ![graph](https://example.com/g.png) and <mailto:ops@example.com>",
    );
    assert!(html.contains(r#"href="https://example.com/a?b=c&amp;d=e""#), "{html}");
    assert!(html.contains(r#"src="https://example.com/g.png""#), "{html}");
    assert!(html.contains("mailto:ops@example.com"), "{html}");
    assert_safe("harmless", &html);
}

#[test]
fn the_checker_itself_catches_unsafe_html() {
    let caught = |html: &str| std::panic::catch_unwind(|| assert_safe("probe", html)).is_err();
    assert!(caught("<script>alert(1)</script>"));
    assert!(caught(r#"<a href="javascript:alert(1)">x</a>"#));
    // A browser decodes a character reference in an attribute once: a tab
    // written as `&#x09;` is dropped from the scheme, `&amp;#x09;` is text.
    assert!(caught(r#"<a href="java&#x09;script:alert(1)">x</a>"#));
    assert!(caught(r#"<a href="&#106;avascript:alert(1)">x</a>"#));
    assert!(caught(r#"<a href="&#x6A;avascript&colon;alert(1)">x</a>"#));
    assert!(!caught(r#"<a href="java&amp;#x09;script:alert(1)">x</a>"#));
    assert!(caught(r#"<img src="x" onerror="alert(1)">"#));
    assert!(caught(r#"<a href=" JavaScript:alert(1)">x</a>"#));
    assert!(!caught(r#"<a href="https://ok.example/x:y">x</a>"#));
}
