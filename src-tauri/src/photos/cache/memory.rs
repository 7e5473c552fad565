//! The memory cache: images of the current view, bounded by bytes, least recently used out
//! first. Entries larger than a quarter of the budget are not kept, so one large image cannot
//! push out a screenful of thumbnails.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};

use super::CachedBody;
use super::lru::Lru;
use crate::sync::lock;

/// Images by key, within a budget of bytes.
pub struct MemoryCache<K> {
    budget: u64,
    inner: Mutex<Entries<K>>,
}

struct Entries<K> {
    lru: Lru<K>,
    images: HashMap<K, CachedBody>,
}

impl<K: Eq + Hash + Clone> MemoryCache<K> {
    /// Empty, holding at most `budget` bytes of images.
    pub fn new(budget: u64) -> Self {
        Self {
            budget,
            inner: Mutex::new(Entries {
                lru: Lru::new(budget),
                images: HashMap::new(),
            }),
        }
    }

    /// The image kept under `key`, now the most recently used.
    pub fn get(&self, key: &K) -> Option<CachedBody> {
        let mut entries = self.lock();
        let image = entries.images.get(key)?.clone();
        entries.lru.touch(key);
        Some(image)
    }

    /// Keeps `image` under `key`, evicting the least recently used images as needed.
    pub fn put(&self, key: K, image: CachedBody) {
        let bytes = image.bytes.len() as u64;
        if bytes > self.budget / 4 {
            return;
        }
        let mut entries = self.lock();
        for evicted in entries.lru.insert(key.clone(), bytes) {
            entries.images.remove(&evicted);
        }
        entries.images.insert(key, image);
    }

    /// Forgets every image.
    pub fn clear(&self) {
        let mut entries = self.lock();
        entries.lru.clear();
        entries.images.clear();
    }

    /// The bytes the images take together.
    #[cfg(test)]
    pub fn bytes(&self) -> u64 {
        self.lock().lru.total()
    }

    fn lock(&self) -> MutexGuard<'_, Entries<K>> {
        lock(&self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(bytes: usize) -> CachedBody {
        CachedBody::new("image/png", vec![7; bytes])
    }

    #[test]
    fn the_cache_holds_at_most_its_budget_evicting_the_least_recently_used() {
        let cache = MemoryCache::new(100);
        cache.put("a", image(25));
        cache.put("b", image(25));
        cache.put("c", image(25));
        cache.put("d", image(25));
        assert!(cache.get(&"a").is_some(), "a is used again");
        cache.put("e", image(25));
        assert!(cache.bytes() <= 100);
        assert!(cache.get(&"b").is_none(), "b was the least recently used");
        for kept in ["a", "c", "d", "e"] {
            assert_eq!(cache.get(&kept).unwrap().bytes.len(), 25, "{kept}");
        }
    }

    #[test]
    fn an_image_over_a_quarter_of_the_budget_is_not_kept() {
        let cache = MemoryCache::new(100);
        cache.put("small", image(25));
        cache.put("large", image(26));
        assert!(cache.get(&"large").is_none());
        assert!(
            cache.get(&"small").is_some(),
            "the large image evicted nothing"
        );
    }

    #[test]
    fn clearing_forgets_every_image() {
        let cache = MemoryCache::new(100);
        cache.put("a", image(10));
        cache.clear();
        assert!(cache.get(&"a").is_none());
        assert_eq!(cache.bytes(), 0);
    }
}
