//! A report form as the browser posts it: URL-encoded pairs read into the
//! form, its pasted timeline read, its times settled, then validated as a
//! draft and as a published report.
#![no_main]

use hindsight::web::report_form::ReportForm;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) else { return };
    let mut form = ReportForm::from_pairs(&pairs);
    let _ = form.read_paste();
    form.settle_times();
    let _ = form.timeline_out_of_order();
    for status in ["draft", "published"] {
        let _ = form.validate(status);
    }
});
