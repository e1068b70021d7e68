//! Markdown as a preview and a write render it: the nesting bound, then
//! rendering and sanitising; and the one-line rendering of table cells.
#![no_main]

use hindsight::markdown;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(html) = markdown::preview(text) {
        assert!(!html.contains("<script"), "a script survived the sanitiser: {html}");
        let _ = markdown::render_inline(text);
    }
});
