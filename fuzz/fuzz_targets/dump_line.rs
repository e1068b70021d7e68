//! One line of a JSON Lines dump, as `hindsight import` reads it: the
//! nesting check first, then the incident, then validation.
#![no_main]

use hindsight::import::IncidentDocument;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if hindsight::json_depth::too_deep(data) {
        return;
    }
    if let Ok(document) = serde_json::from_slice::<IncidentDocument>(data) {
        let _ = document.incident.validate();
    }
});
