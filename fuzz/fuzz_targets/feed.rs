//! A status blog's feed, as `hindsight import FEED.xml` and /admin/import
//! read it: the feed, each post's verdict, its HTML as Markdown and the
//! times its text states, and the draft each post becomes, validated.
#![no_main]

use hindsight::import::feed;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(read) = feed::read(data) else { return };
    for post in &read.posts {
        let (draft, _) = feed::draft(post, read.title.as_deref());
        let _ = draft.validate();
    }
});
