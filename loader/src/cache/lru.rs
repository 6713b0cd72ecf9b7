//! An LRU cache of loaded models under a memory budget. It never holds more
//! than the budget: inserting evicts least-recently-used entries until the
//! new one fits, and an entry larger than the whole budget is handed back
//! without being cached. The ledger's H20 checks the
//! budget on a real request mix (`reports/H20.md` in the loadlab
//! repository) — and measured that, with a budget of two models for three,
//! it saved little time: misses cost more while the cache holds memory the
//! allocator could otherwise reuse.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// Hit, miss and eviction counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Lookups served from the cache.
    pub hits: u64,
    /// Lookups that loaded.
    pub misses: u64,
    /// Entries evicted to stay in budget.
    pub evictions: u64,
    /// Entries too large for the budget, returned uncached.
    pub oversize: u64,
    /// Bytes held now.
    pub bytes: u64,
    /// Most bytes ever held.
    pub peak_bytes: u64,
    /// Entries held now.
    pub entries: usize,
}

struct Entry<V> {
    value: Arc<V>,
    bytes: u64,
    last_used: u64,
}

struct Inner<K, V> {
    map: HashMap<K, Entry<V>>,
    tick: u64,
    stats: Stats,
}

/// A cache of loaded models that keeps at most a byte budget, evicting the least recently used.
pub struct ModelCache<K, V> {
    budget: u64,
    inner: Mutex<Inner<K, V>>,
}

impl<K: Hash + Eq + Clone, V> ModelCache<K, V> {
    /// An empty cache holding at most `budget_bytes`.
    pub fn new(budget_bytes: u64) -> Self {
        ModelCache {
            budget: budget_bytes,
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                tick: 0,
                stats: Stats::default(),
            }),
        }
    }

    /// The byte budget.
    pub fn budget(&self) -> u64 {
        self.budget
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        // A panic while holding the lock cannot leave the map inconsistent
        // (every mutation is a single insert/remove), so keep going.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Returns the cached value, or loads it with `load` (outside the lock)
    /// and caches it with its size in bytes.
    pub fn get_or_load<E>(&self, key: &K, load: impl FnOnce() -> Result<(V, u64), E>) -> Result<Arc<V>, E> {
        {
            let mut g = self.lock();
            g.tick += 1;
            let tick = g.tick;
            if let Some(e) = g.map.get_mut(key) {
                e.last_used = tick;
                let v = e.value.clone();
                g.stats.hits += 1;
                return Ok(v);
            }
            g.stats.misses += 1;
        }
        let (value, bytes) = load()?;
        let value = Arc::new(value);
        let mut g = self.lock();
        if bytes > self.budget {
            g.stats.oversize += 1;
            return Ok(value);
        }
        if let Some(e) = g.map.get(key) {
            // Loaded concurrently by another caller: keep theirs.
            return Ok(e.value.clone());
        }
        while g.stats.bytes + bytes > self.budget {
            let Some(victim) = g.map.iter().min_by_key(|(_, e)| e.last_used).map(|(k, _)| k.clone()) else {
                break;
            };
            let e = g.map.remove(&victim).expect("victim is present");
            g.stats.bytes -= e.bytes;
            g.stats.evictions += 1;
        }
        g.tick += 1;
        let tick = g.tick;
        g.map.insert(
            key.clone(),
            Entry {
                value: value.clone(),
                bytes,
                last_used: tick,
            },
        );
        g.stats.bytes += bytes;
        g.stats.peak_bytes = g.stats.peak_bytes.max(g.stats.bytes);
        g.stats.entries = g.map.len();
        Ok(value)
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        let g = self.lock();
        Stats {
            entries: g.map.len(),
            ..g.stats
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_and_never_exceeds_the_budget() {
        let c: ModelCache<&str, Vec<u8>> = ModelCache::new(100);
        let load = |n: usize| move || Ok::<_, ()>((vec![0u8; n], n as u64));
        c.get_or_load(&"a", load(40)).unwrap();
        c.get_or_load(&"b", load(40)).unwrap();
        c.get_or_load(&"a", load(40)).unwrap(); // a is now more recent than b
        c.get_or_load(&"c", load(40)).unwrap(); // evicts b
        let s = c.stats();
        assert_eq!((s.hits, s.misses, s.evictions, s.entries), (1, 3, 1, 2));
        assert!(s.peak_bytes <= 100);
        c.get_or_load(&"a", load(40)).unwrap();
        assert_eq!(c.stats().hits, 2, "a survived");
        c.get_or_load(&"b", load(40)).unwrap();
        assert_eq!(c.stats().misses, 4, "b was evicted");
        let big = c.get_or_load(&"huge", load(500)).unwrap();
        assert_eq!(big.len(), 500);
        let s = c.stats();
        assert_eq!(s.oversize, 1);
        assert!(s.bytes <= 100 && s.peak_bytes <= 100);
    }
}
