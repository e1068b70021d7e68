//! A Markdown postmortem written from the Google SRE template, as
//! `hindsight import` reads one without front matter, then validated.
#![no_main]

use hindsight::import::sre_template;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(document) = sre_template::parse(text) {
        let _ = document.incident.validate();
    }
});
