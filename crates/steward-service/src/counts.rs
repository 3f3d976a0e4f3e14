//! Queue counts, remembered until the next change. Counting a busy queue reads many index entries;
//! the agent workspace shows several counts on every page, so each is computed once per change of
//! any ticket (a "generation", bumped by every change notice) and reused until then.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// How many distinct counts are kept before the cache starts over.
const MAX_ENTRIES: usize = 2000;

#[derive(Default)]
pub(crate) struct CountCache {
    generation: AtomicU64,
    entries: Mutex<HashMap<String, (u64, i64)>>,
}

impl CountCache {
    /// Something changed: every remembered count is stale.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub(crate) fn get(&self, key: &str) -> Option<i64> {
        let g = self.generation();
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).filter(|(eg, _)| *eg == g).map(|(_, n)| *n)
    }

    /// Remembers a count computed at generation `g` (ignored if a change happened meanwhile).
    pub(crate) fn put(&self, key: String, g: u64, n: i64) {
        if g != self.generation() {
            return;
        }
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (g, n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_makes_counts_stale() {
        let c = CountCache::default();
        let g = c.generation();
        c.put("open".into(), g, 5);
        assert_eq!(c.get("open"), Some(5));
        c.invalidate();
        assert_eq!(c.get("open"), None);
        // A count computed before a change is not remembered after it.
        c.put("open".into(), g, 5);
        assert_eq!(c.get("open"), None);
    }
}
