//! A Markdown report with TOML front matter, as `hindsight import` reads
//! it, then validated as the import does.
#![no_main]

use hindsight::import::markdown;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(document) = markdown::parse(text) {
        let _ = document.incident.validate();
    }
});
