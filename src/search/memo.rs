//! Answers remembered for one state of the index: the change-log position
//! it has applied. Similar incidents and searches are worked out once per
//! state and answered from memory until the index changes; a broad search
//! at 100k reports visits most of the index for its counts, and asking it
//! again costs a lookup.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// What a memo holds, for one state of the index.
#[derive(Debug)]
struct Entries<K, V> {
    state: i64,
    values: HashMap<K, V>,
}

#[derive(Debug)]
pub(super) struct Memo<K, V> {
    entries: Mutex<Entries<K, V>>,
    /// Answers held at most; past this the memo starts again.
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Memo<K, V> {
    pub(super) fn with_capacity(capacity: usize) -> Memo<K, V> {
        Memo { entries: Mutex::new(Entries { state: i64::MIN, values: HashMap::new() }), capacity }
    }

    /// The answer for `key` worked out at `state`, if there is one.
    ///
    /// Read the state before working an answer out: a commit meanwhile
    /// leaves that answer under the older state, which the next lookup
    /// then discards.
    pub(super) fn get(&self, state: i64, key: &K) -> Option<V> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // A caller that read the position just before a commit asks about
        // an older state: a miss, which must not throw away the newer one.
        if state > entries.state {
            entries.values.clear();
            entries.state = state;
        }
        (state == entries.state).then(|| entries.values.get(key).cloned()).flatten()
    }

    pub(super) fn put(&self, state: i64, key: K, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if state != entries.state {
            return;
        }
        if entries.values.len() >= self.capacity && !entries.values.contains_key(&key) {
            entries.values.clear();
        }
        entries.values.insert(key, value);
    }

    /// Forgets every answer (a benchmark measures the work, not the memory).
    pub(super) fn forget(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).values.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_remembered_for_one_state_of_the_index() {
        let memo = Memo::with_capacity(8);
        assert!(memo.get(10, &"dns").is_none());
        memo.put(10, "dns", 1);
        assert_eq!(memo.get(10, &"dns"), Some(1), "remembered");
        assert!(memo.get(10, &"memory").is_none(), "another question is worked out");
        assert!(memo.get(9, &"dns").is_none(), "an older state of the index is not answered");
        assert_eq!(memo.get(10, &"dns"), Some(1), "and does not throw the newer answers away");
        assert!(memo.get(11, &"dns").is_none(), "a change to the index forgets everything");
        memo.put(10, "dns", 2);
        assert!(memo.get(11, &"dns").is_none(), "an answer worked out before the change is not kept");
    }

    #[test]
    fn a_full_memo_starts_again() {
        let memo = Memo::with_capacity(2);
        memo.get(1, &0);
        for key in 0..3 {
            memo.put(1, key, key);
        }
        assert!(memo.get(1, &0).is_none() && memo.get(1, &1).is_none());
        assert_eq!(memo.get(1, &2), Some(2));
        memo.put(1, 3, 3);
        memo.put(1, 3, 30);
        assert_eq!((memo.get(1, &2), memo.get(1, &3)), (Some(2), Some(30)), "a key already held does not empty it");
    }
}
