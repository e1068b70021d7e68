//! A search query, answered by a real index over the seed reports: the
//! bounds, the `NOT` rewrite, the lenient parser, the collectors, the
//! facet counts and the snippets.
#![no_main]

use std::sync::{Arc, OnceLock};

use hindsight::search::{Order, SearchIndex, SearchRequest};
use libfuzzer_sys::fuzz_target;

/// The index, built once; its folder lives as long as the process.
fn index() -> &'static Arc<SearchIndex> {
    static INDEX: OnceLock<(Arc<SearchIndex>, tempfile::TempDir)> = OnceLock::new();
    &INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let runtime =
                tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
            let search = runtime.block_on(async {
                let store = hindsight::store::Store::open(None, dir.path()).await.expect("store");
                hindsight::seeds::load_if_empty(&store).await.expect("seeds");
                let index_dir = hindsight::search::index_dir(dir.path());
                let (search, _indexer) = SearchIndex::open(&index_dir, &store, |_, _| {}).await.expect("index");
                search
            });
            (search, dir)
        })
        .0
}

fuzz_target!(|data: &[u8]| {
    let Some((choice, rest)) = data.split_first() else { return };
    let Ok(q) = std::str::from_utf8(rest) else { return };
    let request = SearchRequest {
        q: q.to_string(),
        filters: Vec::new(),
        order: if choice & 1 == 0 { Order::Relevance } else { Order::Newest },
        limit: 10,
        offset: usize::from(choice >> 4),
    };
    let search = index();
    let _ = search.search(&request);
    search.forget_answers();
});
