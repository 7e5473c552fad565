//! The id index: which photo an opaque id in a `photo:` URL stands for.
//!
//! An id is 128 random bits from the thread's CSPRNG, base64url (22 characters): it says nothing
//! about the photo, cannot be guessed, and is never handed out twice in a process. So after a
//! disconnect and a new connection, `photo://localhost/{id}/…` cannot name another account's
//! photo, and an image the web view cached for an old id can never be shown for a new photo.
//! Listing a photo again while it is indexed gives the same id. The index holds the newest
//! [`CAPACITY`] photos; adding one more forgets the oldest (its URLs then answer 404, and
//! listing it again gives it a new id).
//!
//! It also holds the page tokens handed to the window (the newest [`PAGE_TOKENS`]): a page
//! token is only fetched when it is one of them, so the window cannot make PhotoLink fetch an
//! address of its choosing with the token (a Graph `@odata.nextLink` is a whole URL).
//!
//! Clearing the index starts a new [`Listing`]: a page fetched before the clear (for an
//! account that has gone since) is not indexed after it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;

use super::source::{Download, PAGE_TOKEN_MAX_BYTES};
use crate::sync::lock;

/// How many photos the index holds at most.
pub const CAPACITY: usize = 20_000;
/// How many of the page tokens handed out are honoured (the newest).
pub const PAGE_TOKENS: usize = 256;

/// How the window addresses the `photo:` scheme (WebView2 and Android map custom schemes to
/// http).
#[cfg(any(windows, target_os = "android"))]
const SCHEME_BASE: &str = "http://photo.localhost";
#[cfg(not(any(windows, target_os = "android")))]
const SCHEME_BASE: &str = "photo://localhost";

/// The `photo:` URL of `rendition` of the photo `id` stands for.
pub fn url(id: &str, rendition: Rendition) -> String {
    format!("{SCHEME_BASE}/{id}/{}", rendition.name())
}

/// The two renditions of a photo, as named in `photo:` URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

/// How the two renditions of one photo are fetched.
#[derive(Debug, Clone)]
pub struct Sources {
    pub thumbnail: Download,
    pub image: Download,
}

impl Sources {
    /// How `rendition` is fetched.
    pub fn of(&self, rendition: Rendition) -> Download {
        match rendition {
            Rendition::Thumbnail => self.thumbnail.clone(),
            Rendition::Image => self.image.clone(),
        }
    }
}

/// Photos listed so far: opaque id → how to fetch its renditions.
#[derive(Default)]
pub struct PhotoIndex {
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    /// The provider's id → ours.
    ids: HashMap<String, String>,
    photos: HashMap<String, Entry>,
    /// Our ids, oldest first.
    order: VecDeque<String>,
    /// The page tokens handed out, oldest first.
    page_tokens: VecDeque<String>,
    listing: Listing,
}

/// Which clearing of the index a page was fetched after (see the module docs).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Listing(u64);

struct Entry {
    provider_id: String,
    sources: Sources,
}

impl PhotoIndex {
    /// Forgets every photo and page token (after disconnecting), and starts a new
    /// [`Listing`]. The ids are never handed out again.
    pub fn clear(&self) {
        let mut entries = self.lock();
        let listing = Listing(entries.listing.0 + 1);
        *entries = Entries {
            listing,
            ..Entries::default()
        };
    }

    /// The listing a page fetched from now on belongs to.
    pub fn listing(&self) -> Listing {
        self.lock().listing
    }

    /// Indexes a page fetched during `listing`: the ids of its photos (provider id and
    /// sources), which the window may use in `photo:` URLs from now on, and its next page
    /// token (`None` when the token is too long to hand out). `None` when the index was cleared
    /// since: the page is not indexed.
    pub fn add_page(
        &self,
        listing: Listing,
        photos: Vec<(String, Sources)>,
        next_page_token: Option<String>,
    ) -> Option<(Vec<String>, Option<String>)> {
        let mut entries = self.lock();
        if entries.listing != listing {
            return None;
        }
        let ids = photos
            .into_iter()
            .map(|(provider_id, sources)| entries.add(provider_id, sources))
            .collect();
        let next_page_token = next_page_token.filter(|token| {
            let fits = token.len() <= PAGE_TOKEN_MAX_BYTES;
            if !fits {
                tracing::warn!(
                    bytes = token.len(),
                    "a next page token too long; the list ends here"
                );
            }
            fits
        });
        if let Some(token) = &next_page_token
            && !entries.page_tokens.contains(token)
        {
            if entries.page_tokens.len() >= PAGE_TOKENS {
                entries.page_tokens.pop_front();
            }
            entries.page_tokens.push_back(token.clone());
        }
        Some((ids, next_page_token))
    }

    /// Whether `token` is one of the page tokens handed out (and not forgotten since).
    pub fn issued(&self, token: &str) -> bool {
        self.lock().page_tokens.iter().any(|issued| issued == token)
    }

    /// How many photos are indexed.
    #[cfg(test)]
    pub fn photo_count(&self) -> usize {
        self.lock().photos.len()
    }

    /// Indexes one photo during the current listing (see [`add_page`](Self::add_page)).
    #[cfg(test)]
    pub fn add(&self, provider_id: &str, sources: Sources) -> String {
        let listing = self.listing();
        let (mut ids, _) = self
            .add_page(listing, vec![(provider_id.to_owned(), sources)], None)
            .expect("not cleared meanwhile");
        ids.remove(0)
    }

    /// How `rendition` of the photo `id` stands for is fetched.
    pub fn source(&self, id: &str, rendition: Rendition) -> Option<Download> {
        self.lock()
            .photos
            .get(id)
            .map(|entry| entry.sources.of(rendition))
    }

    /// Fetches the photo `id` stands for by `sources` from now on (its earlier links expired);
    /// `false` when no listed photo has that id.
    pub fn renew(&self, id: &str, sources: Sources) -> bool {
        match self.lock().photos.get_mut(id) {
            Some(entry) => {
                entry.sources = sources;
                true
            }
            None => false,
        }
    }

    /// The provider's id of the photo `id` stands for.
    pub fn provider_id(&self, id: &str) -> Option<String> {
        self.lock()
            .photos
            .get(id)
            .map(|entry| entry.provider_id.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        lock(&self.inner)
    }
}

impl Entries {
    fn add(&mut self, provider_id: String, sources: Sources) -> String {
        if let Some(id) = self.ids.get(&provider_id).cloned() {
            if let Some(entry) = self.photos.get_mut(&id) {
                entry.sources = sources;
            }
            return id;
        }
        if self.order.len() >= CAPACITY {
            self.forget_oldest();
        }
        let id = new_id();
        self.ids.insert(provider_id.clone(), id.clone());
        self.photos.insert(
            id.clone(),
            Entry {
                provider_id,
                sources,
            },
        );
        self.order.push_back(id.clone());
        id
    }

    fn forget_oldest(&mut self) {
        if let Some(entry) = self
            .order
            .pop_front()
            .and_then(|id| self.photos.remove(&id))
        {
            self.ids.remove(&entry.provider_id);
        }
    }
}

/// The length of an id: 128 bits in base64url without padding.
const ID_CHARS: usize = 22;

/// Whether `text` has the form of an id (which says nothing about whether it is listed).
pub fn is_id(text: &str) -> bool {
    text.len() == ID_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// 128 random bits, base64url without padding. No id repeats in practice: after a billion ids
/// the chance that any two are equal is below 10⁻²⁰.
fn new_id() -> String {
    URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;

    fn sources(name: &str) -> Sources {
        let base = Url::parse("http://127.0.0.1:1/photos/").unwrap();
        Sources {
            thumbnail: Download::WithToken(base.join(&format!("{name}/thumbnail")).unwrap()),
            image: Download::WithToken(base.join(&format!("{name}/image")).unwrap()),
        }
    }

    fn image(index: &PhotoIndex, id: &str) -> Option<Url> {
        match index.source(id, Rendition::Image)? {
            Download::WithToken(url) | Download::WithoutCredentials(url) => Some(url),
        }
    }

    #[test]
    fn listing_a_photo_again_gives_the_same_id() {
        let index = PhotoIndex::default();
        let first = index.add("secret-looking/id", sources("a"));
        let again = index.add("secret-looking/id", sources("a"));
        assert_eq!(first, again);
        assert_eq!(
            image(&index, &first).unwrap().as_str(),
            "http://127.0.0.1:1/photos/a/image"
        );
        assert!(image(&index, "p2").is_none());
        assert_eq!(
            index.provider_id(&first).as_deref(),
            Some("secret-looking/id")
        );
        assert!(index.provider_id("p2").is_none());
    }

    #[test]
    fn ids_are_128_random_bits_in_base64url() {
        let index = PhotoIndex::default();
        let id = index.add("a", sources("a"));
        assert!(is_id(&id), "{id}");
        assert_eq!(id.len(), 22, "{id}");
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{id}"
        );
        let other = index.add("b", sources("b"));
        assert_ne!(id, other);
    }

    #[test]
    fn an_id_from_before_a_disconnect_names_nothing_after_it() {
        let index = PhotoIndex::default();
        let old = index.add("a", sources("old-account-a"));
        index.clear();
        assert!(image(&index, &old).is_none());
        let new = index.add("a", sources("new-account-a"));
        assert_ne!(
            old, new,
            "the next account's photo got the previous account's id"
        );
        assert!(image(&index, &old).is_none());
    }

    #[test]
    fn ids_are_never_handed_out_twice() {
        let index = PhotoIndex::default();
        let mut seen = std::collections::HashSet::new();
        for _account in 0..10 {
            for name in ["a", "b", "c"] {
                assert!(
                    seen.insert(index.add(name, sources(name))),
                    "an id came back"
                );
            }
            index.clear();
        }
    }

    #[test]
    fn only_the_newest_page_tokens_handed_out_are_honoured_until_cleared() {
        let index = PhotoIndex::default();
        let listing = index.listing();
        for n in 0..=PAGE_TOKENS {
            let (_, handed_out) = index
                .add_page(listing, Vec::new(), Some(format!("page-{n}")))
                .unwrap();
            assert_eq!(handed_out, Some(format!("page-{n}")));
        }
        assert!(!index.issued("page-0"), "the oldest token was kept");
        assert!(index.issued("page-1") && index.issued(&format!("page-{PAGE_TOKENS}")));
        assert!(!index.issued("page-"));

        let too_long = "x".repeat(PAGE_TOKEN_MAX_BYTES + 1);
        let (_, handed_out) = index
            .add_page(listing, Vec::new(), Some(too_long.clone()))
            .unwrap();
        assert_eq!(
            handed_out, None,
            "a page naming a token too long is the last"
        );
        assert!(!index.issued(&too_long));

        index.clear();
        assert!(!index.issued("page-1"));
        assert!(
            index
                .add_page(
                    listing,
                    vec![("a".into(), sources("a"))],
                    Some("late".into())
                )
                .is_none(),
            "a page of the listing before the clear was indexed"
        );
        assert!(!index.issued("late"));
        assert_eq!(index.photo_count(), 0);
    }

    #[test]
    fn the_index_keeps_the_newest_twenty_thousand_photos() {
        let index = PhotoIndex::default();
        let ids: Vec<_> = (0..20_002)
            .map(|n| index.add(&n.to_string(), sources("x")))
            .collect();
        assert!(
            image(&index, &ids[0]).is_none(),
            "the oldest photo was kept"
        );
        assert!(
            image(&index, &ids[1]).is_none(),
            "the second oldest photo was kept"
        );
        assert!(ids[2..].iter().all(|id| image(&index, id).is_some()));

        let relisted = index.add("0", sources("x"));
        assert_ne!(relisted, ids[0]);
        assert!(image(&index, &relisted).is_some());
        assert!(
            image(&index, &ids[2]).is_none(),
            "adding one more evicts the oldest"
        );
    }
}
