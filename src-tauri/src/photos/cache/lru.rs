//! The bookkeeping both caches share: which entries exist, how many bytes each takes, and in
//! which order they were last used. It holds no data; the caches keep the bytes (in memory or
//! in files) and remove what [`Lru::insert`] says to evict.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// Entries with their sizes, least recently used first, within a budget of bytes.
pub struct Lru<K> {
    budget: u64,
    total: u64,
    /// Counts uses; a larger tick is a more recent use.
    clock: u64,
    entries: HashMap<K, Use>,
    /// Tick of the last use → entry, so the oldest is the first key.
    order: BTreeMap<u64, K>,
}

#[derive(Clone, Copy)]
struct Use {
    bytes: u64,
    tick: u64,
}

impl<K: Eq + Hash + Clone> Lru<K> {
    /// Empty, holding at most `budget` bytes.
    pub fn new(budget: u64) -> Self {
        Self {
            budget,
            total: 0,
            clock: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    /// The bytes the entries take together.
    #[cfg(test)]
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Whether an entry of `bytes` fits the budget at all.
    pub fn fits(&self, bytes: u64) -> bool {
        bytes <= self.budget
    }

    /// Records a use of `key`; false when there is no such entry.
    pub fn touch(&mut self, key: &K) -> bool {
        let tick = self.tick();
        let Some(entry) = self.entries.get_mut(key) else {
            return false;
        };
        self.order.remove(&entry.tick);
        entry.tick = tick;
        self.order.insert(tick, key.clone());
        true
    }

    /// Adds `key` (or replaces its size) as the most recently used entry, and returns the
    /// entries evicted to stay within the budget, oldest first. The new entry itself is never
    /// evicted: the caller checks [`fits`](Self::fits) first.
    pub fn insert(&mut self, key: K, bytes: u64) -> Vec<K> {
        self.remove(&key);
        let tick = self.tick();
        self.entries.insert(key.clone(), Use { bytes, tick });
        self.order.insert(tick, key);
        self.total += bytes;
        let mut evicted = Vec::new();
        while self.total > self.budget && self.order.len() > 1 {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(entry) = self.entries.remove(&oldest) {
                self.total -= entry.bytes;
            }
            evicted.push(oldest);
        }
        evicted
    }

    /// Forgets `key`; false when there was no such entry.
    pub fn remove(&mut self, key: &K) -> bool {
        match self.entries.remove(key) {
            Some(entry) => {
                self.order.remove(&entry.tick);
                self.total -= entry.bytes;
                true
            }
            None => false,
        }
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.total = 0;
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entries_are_evicted_first() {
        let mut lru = Lru::new(30);
        assert!(lru.insert("a", 10).is_empty());
        assert!(lru.insert("b", 10).is_empty());
        assert!(lru.insert("c", 10).is_empty());
        assert!(lru.touch(&"a"), "a was used again");
        assert_eq!(lru.insert("d", 10), vec!["b"]);
        assert_eq!(lru.insert("e", 15), vec!["c", "a"]);
        assert_eq!(lru.total(), 25);
    }

    #[test]
    fn the_total_never_exceeds_the_budget() {
        let mut lru = Lru::new(100);
        for n in 0..1000u64 {
            lru.insert(n, n % 37 + 1);
            assert!(lru.total() <= 100, "{} after {n}", lru.total());
        }
    }

    #[test]
    fn replacing_an_entry_counts_its_new_size_only() {
        let mut lru = Lru::new(100);
        lru.insert("a", 40);
        lru.insert("a", 10);
        assert_eq!(lru.total(), 10);
        assert!(lru.remove(&"a"));
        assert!(!lru.remove(&"a"));
        assert!(!lru.touch(&"a"));
        assert_eq!(lru.total(), 0);
    }

    #[test]
    fn an_entry_larger_than_the_budget_does_not_fit() {
        let lru = Lru::<&str>::new(100);
        assert!(lru.fits(100));
        assert!(!lru.fits(101));
    }
}
