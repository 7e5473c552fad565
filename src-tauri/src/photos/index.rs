//! The id index: which photo an opaque id in a `photo:` URL stands for.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use url::Url;

/// The two renditions of a photo, as named in `photo:` URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendition {
    Thumbnail,
    Image,
}

impl Rendition {
    /// The rendition a `photo:` URL names (`thumbnail` or `image`).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "thumbnail" => Some(Self::Thumbnail),
            "image" => Some(Self::Image),
            _ => None,
        }
    }

    /// The name used in `photo:` URLs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Thumbnail => "thumbnail",
            Self::Image => "image",
        }
    }
}

/// Where the photo API serves the two renditions of one photo.
#[derive(Debug, Clone)]
pub struct Sources {
    pub thumbnail: Url,
    pub image: Url,
}

/// Photos listed so far: opaque id → the photo API's URLs.
#[derive(Default)]
pub struct PhotoIndex {
    inner: Mutex<IndexInner>,
}

#[derive(Default)]
struct IndexInner {
    by_provider_id: HashMap<String, String>,
    sources: HashMap<String, Sources>,
}

impl PhotoIndex {
    /// Forgets every photo (after disconnecting).
    pub fn clear(&self) {
        *self.lock() = IndexInner::default();
    }

    /// The id of the photo the provider calls `provider_id`, which the window may use in
    /// `photo:` URLs from now on.
    pub fn add(&self, provider_id: &str, sources: Sources) -> String {
        let mut inner = self.lock();
        let next = format!("p{}", inner.by_provider_id.len() + 1);
        let id = inner
            .by_provider_id
            .entry(provider_id.to_owned())
            .or_insert(next)
            .clone();
        inner.sources.insert(id.clone(), sources);
        id
    }

    /// Where the photo API serves `rendition` of the photo `id` stands for.
    pub fn source(&self, id: &str, rendition: Rendition) -> Option<Url> {
        self.lock().sources.get(id).map(|sources| match rendition {
            Rendition::Thumbnail => sources.thumbnail.clone(),
            Rendition::Image => sources.image.clone(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, IndexInner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(name: &str) -> Sources {
        let base = Url::parse("http://127.0.0.1:1/photos/").unwrap();
        Sources {
            thumbnail: base.join(&format!("{name}/thumbnail")).unwrap(),
            image: base.join(&format!("{name}/image")).unwrap(),
        }
    }

    #[test]
    fn ids_are_opaque_and_stable() {
        let index = PhotoIndex::default();
        let first = index.add("secret-looking/id", sources("a"));
        let again = index.add("secret-looking/id", sources("a"));
        assert_eq!(first, again);
        assert!(index.source(&first, Rendition::Image).is_some());
        assert!(index.source("p2", Rendition::Image).is_none());
        index.clear();
        assert!(index.source(&first, Rendition::Thumbnail).is_none());
    }
}
