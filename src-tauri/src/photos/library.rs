//! The account's photo library: lists pages through a [`PhotoSource`] and fetches renditions,
//! holding the index of the ids the window uses.
//!
//! Every request the photos make goes through here, in this order of checks:
//!
//! 1. A URL fetched with the Bearer token must be on the photos endpoint's origin for a page;
//!    a [`Download::WithToken`] may also be on an origin its source names for renditions
//!    ([`PhotoSource::rendition_token_origins`]: Drive's thumbnail host). Anything else is
//!    refused before a request is made.
//! 2. A [`Download::WithoutCredentials`] is fetched with no `Authorization` header through
//!    the core's HTTP client (`Session::get_without_credentials`), so the core's endpoint rule
//!    holds for it (`https`, or `http` on a loopback IP literal when the provider is there
//!    too), as do its proxy rule, its size cap and its retries of 5xx and 429 answers. When a
//!    thumbnail off the photo API's origin is refused (401, 403, 404, 410: a link that
//!    expired, or one the service wants credentials for), the photo's full image is fetched
//!    instead; the `photo:` scheme still applies the thumbnail's size cap.
//! 3. Requests with the token use the core's `Session::authorized_get`: 5xx and 429 answers
//!    are retried as the core's retry policy allows (honouring `Retry-After`), and a 401
//!    refreshes the token once.
//! 4. What the window sees of a listed photo is made safe: an opaque id from the
//!    [`PhotoIndex`] instead of the service's id, `photo:` URLs instead of the service's, and
//!    the title without control characters and capped in length, the date as the
//!    [`TakenAt`](super::details::TakenAt) the source read strictly.
//! 5. A page token from the window is fetched only when it is one the [`PhotoIndex`] handed
//!    out; any other is [`AppError::UnknownPageToken`], refused before a request is made.
//! 6. A page without photos is followed by the next (up to [`EMPTY_PAGES_FOLLOWED`] more), the
//!    next page token coming from the source, not the window; only the last page's token is
//!    handed out.
//! 7. A page that answers 404 or 410 is an error unless the source says what to show instead
//!    ([`PhotoSource::instead_of_missing`]): a folder deleted while the library was being
//!    walked is skipped, not the end of the list.
//! 8. A page fetched before the account went away ([`forget`](PhotoLibrary::forget)) is
//!    [`AppError::AccountChanged`]: it is not indexed, so it cannot fill the index again.
//!
//! # Following changes
//!
//! A source that can say what changed ([`PhotoSource::delta`]: Graph's `delta` on a personal
//! OneDrive) is not walked page by page: [`read_changes`](PhotoLibrary::read_changes) brings
//! a [`SavedLibrary`] up to date (the whole library the first time, only the changes since its
//! saved links later), by the same rules as every page (the token only to the photos
//! endpoint's origin, the core's retries of 429 and 5xx with `Retry-After`, one refresh on a
//! 401), and the window's pages are cut from it, newest first, without a request. Where the
//! service says it does not follow changes (a work or school drive; or a 400, 405 or 501 to
//! the first request for them), the library walks the source's pages as above, all of them,
//! into a [`SavedLibrary`] without links to changes ([`read_walk`](PhotoLibrary::read_walk)),
//! so that its pages too are newest first; a later start walks it again.

use std::sync::{Arc, Mutex};

use photolink_oauth::{ResourceDownload, ResourceResponse, Session, shown_text};
use serde::Serialize;
use url::Url;

use super::delta::{Followed, MAX_PAGES, SavedLibrary};
use super::details::TakenAt;
use super::google_drive::GoogleDrive;
use super::google_photos_picker::GooglePhotosPicker;
use super::index::{self, Listing, PhotoIndex, Rendition, Sources};
use super::microsoft_graph::MicrosoftGraph;
use super::photolink::PhotoLinkList;
use super::source::{
    Change, DeltaNext, DeltaSource, Download, PhotoSource, SourcePage, TokenOrigins,
};
use crate::error::AppError;
use crate::photos::settings::PhotoApi;
use crate::sync::lock;

/// Longest title shown, in characters.
const MAX_TITLE_CHARS: usize = 200;
/// How many more pages the library fetches while a page has no photos, before answering the
/// window: a walk through folders that hold only folders (OneDrive's Camera Roll of year
/// folders) or a service's empty page (Drive may answer one with a next page token) costs the
/// window no round trips, and a server that answers only empty pages is still answered in a
/// bounded number of requests.
const EMPTY_PAGES_FOLLOWED: usize = 16;
/// Photos per page cut from a [`SavedLibrary`].
const SAVED_PAGE_PHOTOS: usize = 100;
/// How the page tokens of pages cut from a [`SavedLibrary`] begin (then the offset).
const SAVED_PAGE_TOKEN: &str = "newest-first:";
/// The most pages of a list read whole ([`PhotoLibrary::fetch_whole`]): 100 pages of 100
/// photos, far past what a person picks by hand (the Picker allows up to 2,000).
const WHOLE_LIST_PAGES: usize = 100;

/// The connected account's photos at one photo API.
pub struct PhotoLibrary {
    session: Arc<Session>,
    source: Box<dyn PhotoSource>,
    /// Where the Bearer token is sent: the photos endpoint's origin, and for renditions the
    /// origins the source names.
    token_origins: TokenOrigins,
    index: PhotoIndex,
    /// Whether the source's changes are followed, and the library they keep.
    changes: Mutex<Following>,
}

/// Where following a source's changes stands.
enum Following {
    /// Not tried yet in this listing.
    NotYet,
    /// Read (through the changes, or walked whole where the service does not follow them),
    /// and the window's pages are cut from it.
    Read(SavedLibrary),
}

/// One page of photos as the window sees it.
#[derive(Debug, Serialize)]
pub struct PhotoPage {
    pub photos: Vec<Photo>,
    /// Pass to `photos` for the next page; `None` on the last page.
    pub next_page_token: Option<String>,
    /// The provider could not be reached: this is the page as saved in the cache.
    pub offline: bool,
    /// The service lists its photos newest first across pages (by date taken, or for Google
    /// Drive by upload); `false` claims no order.
    pub newest_first: bool,
}

#[derive(Debug, Serialize)]
pub struct Photo {
    /// Opaque id, meaningful only to this run of PhotoLink.
    pub id: String,
    pub title: String,
    /// `photo:` URLs of the two renditions.
    pub thumbnail: String,
    pub image: String,
    /// The full image's size in pixels, when the service gave it.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// When the photo was taken (else created): ISO 8601 to the second, `YYYY-MM-DDTHH:MM:SS`
    /// then `Z`, `±HH:MM` or nothing (a local time), when the service gave a real date.
    pub taken_at: Option<String>,
    /// The full image's file size in bytes, when the service gave it.
    pub bytes: Option<u64>,
}

impl PhotoLibrary {
    /// The photos `session`'s account keeps at `source`, whose endpoint is `endpoint`.
    pub fn new(session: Arc<Session>, endpoint: &Url, source: Box<dyn PhotoSource>) -> Self {
        let token_origins = TokenOrigins::api(&endpoint.origin())
            .with_renditions_at(source.rendition_token_origins());
        Self {
            session,
            source,
            token_origins,
            index: PhotoIndex::default(),
            changes: Mutex::new(Following::NotYet),
        }
    }

    /// The photos `session`'s account keeps at the photo API `api` at `endpoint`.
    pub fn for_api(session: Arc<Session>, api: PhotoApi, endpoint: Url) -> Self {
        let source = source_for(api, endpoint.clone());
        Self::new(session, &endpoint, source)
    }

    /// Lists the page `page_token` names as it is now, without the cache (which the app lists
    /// through: [`PhotoCache::list`](super::PhotoCache::list)).
    #[cfg(test)]
    pub async fn list(&self, page_token: Option<&str>) -> Result<PhotoPage, AppError> {
        let listing = self.listing();
        let page = self.fetch_page(page_token).await?;
        self.show_page(page, false, listing)
    }

    /// The listing a page fetched from now on belongs to: pass it to
    /// [`show_page`](Self::show_page).
    pub fn listing(&self) -> Listing {
        self.index.listing()
    }

    /// Fetches the page `page_token` names (the first for `None`), as the source reads it. A
    /// token the library did not hand out is refused without a request. A page without photos
    /// is followed by the next, up to [`EMPTY_PAGES_FOLLOWED`] times.
    pub async fn fetch_page(&self, page_token: Option<&str>) -> Result<SourcePage, AppError> {
        let page_token = page_token.filter(|t| !t.is_empty());
        if let Some(token) = page_token
            && !self.index.issued(token)
        {
            return Err(AppError::UnknownPageToken);
        }
        if let Some(page) = self.saved_page(page_token) {
            return page;
        }
        let mut page = self.fetch_one_page(page_token).await?;
        for _ in 0..EMPTY_PAGES_FOLLOWED {
            if !page.photos.is_empty() {
                break;
            }
            let Some(next) = page.next_page_token.take() else {
                break;
            };
            page = self.fetch_one_page(Some(&next)).await?;
        }
        Ok(page)
    }

    /// The page `page_token` names cut from the library read through its changes, if it was
    /// (`None`: a page to walk to). A token of such a page when none is read is an error.
    fn saved_page(&self, page_token: Option<&str>) -> Option<Result<SourcePage, AppError>> {
        let offset = match page_token {
            None => 0,
            Some(token) => match token.strip_prefix(SAVED_PAGE_TOKEN) {
                Some(offset) => match offset.parse::<usize>() {
                    Ok(offset) => offset,
                    Err(_) => return Some(Err(AppError::UnknownPageToken)),
                },
                None => return None,
            },
        };
        let following = lock(&self.changes);
        let Following::Read(library) = &*following else {
            return page_token.map(|_| Err(AppError::UnknownPageToken));
        };
        let (photos, next) = library.page(offset, SAVED_PAGE_PHOTOS);
        Some(Ok(SourcePage {
            photos,
            next_page_token: next.map(|offset| format!("{SAVED_PAGE_TOKEN}{offset}")),
            newest_first: true,
        }))
    }

    /// Whether the first page should come from [`read_changes`](Self::read_changes): the
    /// source can say what changed (where the service does not follow them, the library is
    /// walked whole there).
    pub fn follows_changes(&self) -> bool {
        self.source.delta().is_some()
    }

    /// Brings the library read through the source's changes up to date: from `saved` (read
    /// from what the last call returned, in an earlier run) only the changes since, else the
    /// whole library; where the service does not follow changes, the whole library walked
    /// ([`read_walk`](Self::read_walk)). What to save for the next run; `None` for a source
    /// that cannot say what changed.
    pub async fn read_changes(
        &self,
        saved: Option<SavedLibrary>,
    ) -> Result<Option<Vec<u8>>, AppError> {
        let Some(delta) = self.source.delta() else {
            return Ok(None);
        };
        let listing = self.listing();
        // Walked already in this run: the service was asked whether it follows changes once.
        let walked_before = matches!(&*lock(&self.changes), Following::Read(library) if library.followed.is_empty());
        let read = match saved {
            _ if walked_before => None,
            // A walked library has no links to its changes: it is walked again.
            Some(library) if library.followed.is_empty() => self.read_whole(delta).await?,
            Some(mut library) => {
                if self.read_since(delta, &mut library).await? {
                    Some(library)
                } else {
                    tracing::info!(
                        "the saved links to the changes are not followed any more; reading the whole library"
                    );
                    self.read_whole(delta).await?
                }
            }
            None => self.read_whole(delta).await?,
        };
        let mut library = match read {
            Some(library) => library,
            None => {
                tracing::info!("the service does not follow changes here; walking the folders");
                self.read_walk().await?
            }
        };
        let mut following = lock(&self.changes);
        if self.listing() != listing {
            return Err(AppError::AccountChanged);
        }
        library.sort();
        tracing::info!(photos = library.len(), "the library is up to date");
        let bytes = library.to_bytes();
        *following = Following::Read(library);
        Ok(Some(bytes))
    }

    /// Walks every page of the source's list (its own page tokens, never the window's) into a
    /// library without links to changes, at most [`MAX_PAGES`] pages: all of it is needed to
    /// show it newest first.
    async fn read_walk(&self) -> Result<SavedLibrary, AppError> {
        let mut library = SavedLibrary::new();
        let mut page_token = None;
        for _ in 0..MAX_PAGES {
            let page = self.fetch_one_page(page_token.as_deref()).await?;
            library.apply(
                page.photos
                    .into_iter()
                    .map(|photo| Change::Photo {
                        photo: Box::new(photo),
                        parent: None,
                    })
                    .collect(),
            );
            match page.next_page_token {
                Some(next) => page_token = Some(next),
                None => return Ok(library),
            }
        }
        Err(AppError::UnusableAnswer(
            "the library's folders did not end within the cap on pages",
        ))
    }

    /// Applies the changes since `library`'s links; `false` when a link is not followed any
    /// more (404, 410: the library must be read whole).
    async fn read_since(
        &self,
        delta: &dyn DeltaSource,
        library: &mut SavedLibrary,
    ) -> Result<bool, AppError> {
        let mut followed = std::mem::take(&mut library.followed);
        for folder in &mut followed {
            let Some(url) = delta.delta_link(&folder.link) else {
                return Ok(false);
            };
            let mut changes = Vec::new();
            folder.link = match self.read_pages(delta, url, &mut changes).await {
                Err(error) if is_gone(&error) => return Ok(false),
                link => link?,
            };
            library.apply(changes);
        }
        library.followed = followed;
        Ok(true)
    }

    /// Reads every folder the source follows whole; `None` when the service does not follow
    /// changes on them.
    async fn read_whole(&self, delta: &dyn DeltaSource) -> Result<Option<SavedLibrary>, AppError> {
        let mut library = SavedLibrary::new();
        for (n, url) in delta.folders().into_iter().enumerate() {
            let answer = match self.get_with_token(&url, Request::Page).await {
                Err(error) if n > 0 && is_gone(&error) => continue,
                answer => answer?,
            };
            let folder = delta.read_folder(&answer)?;
            if !folder.follows_changes {
                return Ok(None);
            }
            if library.holds_folder(&folder.id) {
                // Read already, inside a folder read before it.
                continue;
            }
            let mut changes = Vec::new();
            let link = match self
                .read_pages(delta, delta.delta_url(&folder.id)?, &mut changes)
                .await
            {
                Err(error) if is_not_followed(&error) => return Ok(None),
                link => link?,
            };
            library.apply(changes);
            library.followed.push(Followed {
                id: folder.id,
                link,
            });
        }
        Ok(Some(library))
    }

    /// Reads the pages of contents or changes from `first` on into `changes`; the link to the
    /// changes after them.
    async fn read_pages(
        &self,
        delta: &dyn DeltaSource,
        first: Url,
        changes: &mut Vec<Change>,
    ) -> Result<String, AppError> {
        let mut url = first;
        for _ in 0..MAX_PAGES {
            let answer = self.get_with_token(&url, Request::Page).await?;
            let page = delta.read_delta(&answer)?;
            changes.extend(page.changes);
            match page.next {
                DeltaNext::More(next) => url = next,
                DeltaNext::Done(link) => return Ok(link.into()),
            }
        }
        Err(AppError::UnusableAnswer(
            "the library's changes did not end within the cap on pages",
        ))
    }

    /// Every page of a list read whole at once, from the page the source's own token `first`
    /// names (never one handed to the window) to the end, at most [`WHOLE_LIST_PAGES`] pages:
    /// the photos picked in a Google Photos Picker session, which are saved, since the list
    /// ends with the session.
    pub async fn fetch_whole(&self, first: &str) -> Result<Vec<SourcePage>, AppError> {
        let mut pages = vec![self.fetch_one_page(Some(first)).await?];
        while let Some(next) = pages.last().and_then(|page| page.next_page_token.clone()) {
            if pages.len() >= WHOLE_LIST_PAGES {
                if let Some(page) = pages.last_mut() {
                    page.next_page_token = None;
                }
                break;
            }
            pages.push(self.fetch_one_page(Some(&next)).await?);
        }
        Ok(pages)
    }

    /// A request with the Bearer token to the photo API itself, besides its list (the
    /// Picker's sessions): refused unless `url` is on the photos endpoint's origin.
    pub async fn call_api(
        &self,
        call: ApiCall<'_>,
        url: &Url,
    ) -> Result<ResourceResponse, AppError> {
        self.check_token_address(url, Request::Page)?;
        let url = url.as_str();
        Ok(match call {
            ApiCall::Get => self.session.authorized_get(url).await?,
            ApiCall::PostJson(body) => self.session.authorized_post_json(url, body).await?,
            ApiCall::Delete => self.session.authorized_delete(url).await?,
        })
    }

    /// Fetches the page `page_token` names, a token the window was handed or the source's own.
    async fn fetch_one_page(&self, page_token: Option<&str>) -> Result<SourcePage, AppError> {
        let url = self.source.page_url(page_token)?;
        let answer = match self.get_with_token(&url, Request::Page).await {
            Err(error) if is_gone(&error) => {
                let instead = self.source.instead_of_missing(page_token);
                if instead.is_some() {
                    tracing::info!("a listed collection went away; the list goes on without it");
                }
                return instead.ok_or(error);
            }
            answer => answer?,
        };
        self.source.read_page(page_token, &answer)
    }

    /// The window's view of `page` (fetched now, or saved when `offline`) during `listing`,
    /// its photos indexed so that the window can load them through the `photo:` scheme.
    /// [`AppError::AccountChanged`] when the account went away since `listing` began.
    pub fn show_page(
        &self,
        page: SourcePage,
        offline: bool,
        listing: Listing,
    ) -> Result<PhotoPage, AppError> {
        let (sources, shown): (Vec<_>, Vec<_>) = page
            .photos
            .into_iter()
            .map(|photo| {
                let sources = Sources {
                    thumbnail: photo.thumbnail,
                    image: photo.image,
                };
                let shown = Shown {
                    title: photo.title,
                    width: photo.width,
                    height: photo.height,
                    taken_at: photo.taken_at,
                    bytes: photo.bytes,
                };
                ((photo.id, sources), shown)
            })
            .unzip();
        let (ids, next_page_token) = self
            .index
            .add_page(listing, sources, page.next_page_token)
            .ok_or(AppError::AccountChanged)?;
        Ok(PhotoPage {
            photos: ids
                .into_iter()
                .zip(shown)
                .map(|(id, shown)| shown.photo(id))
                .collect(),
            next_page_token,
            offline,
            newest_first: page.newest_first,
        })
    }

    /// How many photos are indexed.
    #[cfg(test)]
    pub fn indexed(&self) -> usize {
        self.index.photo_count()
    }

    /// The service's id of the photo `id` stands for.
    pub fn provider_id(&self, id: &str) -> Option<String> {
        self.index.provider_id(id)
    }

    /// Fetches `rendition` of the photo `id` stands for; `None` when no listed photo has that
    /// id.
    pub async fn fetch(
        &self,
        id: &str,
        rendition: Rendition,
    ) -> Option<Result<ResourceResponse, AppError>> {
        let mut download = self.index.source(id, rendition)?;
        let mut fetched = self.get(&download).await;
        if let Err(error) = &fetched
            && matches!(download, Download::WithoutCredentials(_))
            && is_refusal(error)
            && let Some(renewed) = self.renew(id).await
        {
            download = renewed.of(rendition);
            fetched = self.get(&download).await;
        }
        Some(match fetched {
            Err(error)
                if rendition == Rendition::Thumbnail
                    && self.off_the_api(&download)
                    && is_refusal(&error) =>
            {
                tracing::info!("a thumbnail link was refused; showing the full image instead");
                let image = self.index.source(id, Rendition::Image)?;
                self.get(&image).await
            }
            fetched => fetched,
        })
    }

    /// Fetches one rendition as its [`Download`] says: with the token, or with no credentials.
    pub(super) async fn get(&self, download: &Download) -> Result<ResourceResponse, AppError> {
        match download {
            Download::WithToken(url) => self.get_with_token(url, Request::Rendition).await,
            Download::WithoutCredentials(url) => {
                Ok(self.session.get_without_credentials(url.as_str()).await?)
            }
        }
    }

    /// Starts downloading the original of the photo `id` stands for: its full image as the
    /// service listed it, by the same rules as [`fetch`](Self::fetch) (the token only to the
    /// photos endpoint's origin, a pre-authenticated URL without credentials, the core's
    /// address rule, retries and refresh for both), its body read piece by piece. `None` when
    /// no listed photo has that id.
    pub async fn download_original(&self, id: &str) -> Option<Result<ResourceDownload, AppError>> {
        let download = self.index.source(id, Rendition::Image)?;
        let started = self.start_download(&download).await;
        Some(match started {
            Err(error)
                if matches!(download, Download::WithoutCredentials(_)) && is_refusal(&error) =>
            {
                match self.renew(id).await {
                    Some(renewed) => self.start_download(&renewed.image).await,
                    None => Err(error),
                }
            }
            started => started,
        })
    }

    /// Starts downloading `download` (see [`download_original`](Self::download_original)).
    async fn start_download(&self, download: &Download) -> Result<ResourceDownload, AppError> {
        match download {
            Download::WithToken(url) => match self.check_token_address(url, Request::Rendition) {
                Ok(()) => self
                    .session
                    .authorized_download(url.as_str())
                    .await
                    .map_err(AppError::from),
                Err(error) => Err(error),
            },
            Download::WithoutCredentials(url) => self
                .session
                .download_without_credentials(url.as_str())
                .await
                .map_err(AppError::from),
        }
    }

    /// Reads the photo `id` stands for afresh from a source that can say so
    /// ([`DeltaSource::photo_url`]), when the pre-authenticated links it was listed with were
    /// refused (they expire: a library read in an earlier run keeps them). Its renditions are
    /// fetched by the new links from now on; `None` when there are none (another source, a
    /// photo gone, an error, or the same links again).
    async fn renew(&self, id: &str) -> Option<Sources> {
        let delta = self.source.delta()?;
        let provider_id = self.index.provider_id(id)?;
        let url = delta.photo_url(&provider_id).ok()?;
        let read = match self.get_with_token(&url, Request::Page).await {
            Ok(answer) => delta.read_photo(&answer),
            Err(error) => Err(error),
        };
        let photo = match read {
            Ok(Some(photo)) if photo.id == provider_id => photo,
            Ok(_) => return None,
            Err(error) => {
                tracing::info!(%error, "a photo's links could not be renewed");
                return None;
            }
        };
        let sources = Sources {
            thumbnail: photo.thumbnail.clone(),
            image: photo.image.clone(),
        };
        let known = self.index.source(id, Rendition::Image)?;
        if known == sources.image
            && self.index.source(id, Rendition::Thumbnail)? == sources.thumbnail
        {
            return None;
        }
        tracing::info!("a photo's links had expired; renewed them");
        self.index.renew(id, sources.clone());
        if let Following::Read(library) = &mut *lock(&self.changes) {
            library.renew(photo);
        }
        Some(sources)
    }

    /// Forgets every listed photo and page token (after disconnecting). Their ids are never
    /// handed out again, and a page still being fetched is not indexed.
    pub fn forget(&self) {
        self.index.clear();
        *lock(&self.changes) = Following::NotYet;
    }

    /// A GET with the Bearer token, refused unless the token may go there for `request`.
    async fn get_with_token(
        &self,
        url: &Url,
        request: Request,
    ) -> Result<ResourceResponse, AppError> {
        self.check_token_address(url, request)?;
        Ok(self.session.authorized_get(url.as_str()).await?)
    }

    /// Whether `url` may be sent the Bearer token for `request`: a page only on the photos
    /// endpoint's origin, a rendition there or on an origin the source names.
    fn check_token_address(&self, url: &Url, request: Request) -> Result<(), AppError> {
        let allowed = match request {
            Request::Page => self.token_origins.is_api(url),
            Request::Rendition => self.token_origins.take_rendition(url),
        };
        if allowed {
            Ok(())
        } else {
            Err(AppError::AddressRefused)
        }
    }

    /// Whether `download` is fetched from somewhere other than the photo API (a thumbnail
    /// link, which may have expired or want credentials it was not given).
    fn off_the_api(&self, download: &Download) -> bool {
        match download {
            Download::WithToken(url) | Download::WithoutCredentials(url) => {
                !self.token_origins.is_api(url)
            }
        }
    }
}

/// A request to the photo API besides a page of its list ([`PhotoLibrary::call_api`]).
#[derive(Debug, Clone, Copy)]
pub enum ApiCall<'a> {
    Get,
    PostJson(&'a serde_json::Value),
    Delete,
}

/// What a request with the Bearer token is for.
#[derive(Debug, Clone, Copy)]
enum Request {
    /// A page of the list, or another request about the list to the API itself (a folder, a
    /// page of its changes, one photo's item).
    Page,
    /// A photo's thumbnail or full image.
    Rendition,
}

/// What the window sees of a listed photo besides its id.
struct Shown {
    title: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    taken_at: Option<TakenAt>,
    bytes: Option<u64>,
}

impl Shown {
    /// The window's view of the photo indexed as `id` (see the module docs, step 4).
    fn photo(self, id: String) -> Photo {
        Photo {
            thumbnail: index::url(&id, Rendition::Thumbnail),
            image: index::url(&id, Rendition::Image),
            id,
            title: self
                .title
                .map(|title| shown_text(&title, MAX_TITLE_CHARS))
                .filter(|title| !title.is_empty())
                .unwrap_or_else(|| "Untitled".into()),
            width: self.width,
            height: self.height,
            taken_at: self.taken_at.map(String::from),
            bytes: self.bytes,
        }
    }
}

/// An answer that says "not for you" (401, 403) or "gone" (404, 410): a pre-authenticated
/// link that expired, or one the service wants credentials for.
pub(super) fn is_refusal(error: &AppError) -> bool {
    matches!(
        error,
        AppError::OAuth(photolink_oauth::Error::UnexpectedResponse {
            status: 401 | 403 | 404 | 410,
            ..
        })
    )
}

/// An answer that says "gone" (404, 410): what the request named is not there (any more).
fn is_gone(error: &AppError) -> bool {
    matches!(
        error,
        AppError::OAuth(photolink_oauth::Error::UnexpectedResponse {
            status: 404 | 410,
            ..
        })
    )
}

/// An answer that says the service does not follow changes on that folder: 400, 405 or 501
/// to the first request for them (Graph follows them on a folder only on a personal OneDrive,
/// and documents no error for the others).
fn is_not_followed(error: &AppError) -> bool {
    matches!(
        error,
        AppError::OAuth(photolink_oauth::Error::UnexpectedResponse {
            status: 400 | 405 | 501,
            ..
        })
    )
}

/// The source for `api` at `endpoint` (the list's URL for `photolink`, the API root for the
/// others).
fn source_for(api: PhotoApi, endpoint: Url) -> Box<dyn PhotoSource> {
    match api {
        PhotoApi::PhotoLink => Box::new(PhotoLinkList::new(endpoint)),
        PhotoApi::MicrosoftGraph => Box::new(MicrosoftGraph::new(endpoint)),
        PhotoApi::GoogleDrive => Box::new(GoogleDrive::new(endpoint)),
        PhotoApi::GooglePhotosPicker => Box::new(GooglePhotosPicker::new(endpoint)),
    }
}

#[cfg(test)]
mod tests {
    use photolink_oauth::{ClientConfig, MemoryTokenStore, OAuthClient, ServerMetadata};

    use super::*;
    use crate::photos::photolink::PhotoLinkList;
    use crate::photos::source::SourcePhoto;

    /// A library at `endpoint` for a session with no tokens (nothing here reaches a server).
    fn library(endpoint: &str) -> PhotoLibrary {
        library_of("http://127.0.0.1:1", endpoint)
    }

    fn library_of(issuer: &str, endpoint: &str) -> PhotoLibrary {
        let metadata = ServerMetadata::new(
            issuer,
            format!("{issuer}/authorize"),
            format!("{issuer}/token"),
        );
        let client = OAuthClient::new(ClientConfig::new("c", "app:/callback"), metadata).unwrap();
        let session = Session::new(client, Arc::new(MemoryTokenStore::new())).unwrap();
        let endpoint = Url::parse(endpoint).unwrap();
        let source = Box::new(PhotoLinkList::new(endpoint.clone()));
        PhotoLibrary::new(Arc::new(session), &endpoint, source)
    }

    /// The window's view of `photo`, listed on a page of its own.
    fn shown(library: &PhotoLibrary, photo: SourcePhoto) -> Photo {
        let page = SourcePage {
            photos: vec![photo],
            next_page_token: None,
            newest_first: false,
        };
        let mut shown = library.show_page(page, false, library.listing()).unwrap();
        shown.photos.remove(0)
    }

    fn listed(id: &str, title: Option<&str>, thumbnail: &str) -> SourcePhoto {
        let url = |text: &str| Download::WithToken(Url::parse(text).unwrap());
        SourcePhoto {
            id: id.into(),
            title: title.map(Into::into),
            width: Some(4),
            height: None,
            taken_at: TakenAt::rfc3339("2024-05-01T10:00:00Z"),
            bytes: Some(7),
            thumbnail: url(thumbnail),
            image: url("http://127.0.0.1:1/photos/x/image"),
        }
    }

    #[test]
    fn a_listed_photo_is_shown_under_an_index_id_with_photo_urls() {
        let library = library("http://127.0.0.1:1/photos");
        let untitled = shown(&library, listed("x", Some(" "), "http://127.0.0.1:1/t/x"));
        assert_eq!(untitled.title, "Untitled");
        assert_ne!(untitled.id, "x");
        assert_eq!(untitled.image, index::url(&untitled.id, Rendition::Image));
        assert_eq!(
            untitled.thumbnail,
            index::url(&untitled.id, Rendition::Thumbnail)
        );
        assert_eq!(untitled.taken_at.as_deref(), Some("2024-05-01T10:00:00Z"));
        assert_eq!((untitled.width, untitled.bytes), (Some(4), Some(7)));
        assert_eq!(
            library.index.source(&untitled.id, Rendition::Thumbnail),
            Some(Download::WithToken(
                Url::parse("http://127.0.0.1:1/t/x").unwrap()
            ))
        );
        let sea = shown(&library, listed("y", Some("Sea"), "http://127.0.0.1:1/t/y"));
        assert_eq!(sea.title, "Sea");
        library.forget();
        assert!(library.index.source(&sea.id, Rendition::Image).is_none());
    }

    #[tokio::test]
    async fn the_token_is_never_sent_outside_the_photo_apis_origin() {
        let library = library("http://127.0.0.1:1/photos");
        let photo = shown(&library, listed("x", None, "http://127.0.0.2:1/t/x"));
        let refused = library
            .fetch(&photo.id, Rendition::Thumbnail)
            .await
            .expect("the photo is listed");
        assert!(
            matches!(refused, Err(AppError::AddressRefused)),
            "{refused:?}"
        );
        assert!(library.fetch("unknown", Rendition::Image).await.is_none());
    }

    #[tokio::test]
    async fn a_pre_authenticated_url_must_pass_the_cores_https_rule() {
        let refused = |issuer: &'static str, endpoint: &'static str, link: &'static str| async move {
            let library = library_of(issuer, endpoint);
            let mut photo = listed("x", None, link);
            photo.thumbnail = Download::WithoutCredentials(Url::parse(link).unwrap());
            let photo = shown(&library, photo);
            library
                .fetch(&photo.id, Rendition::Thumbnail)
                .await
                .expect("the photo is listed")
                .unwrap_err()
        };
        let on_localhost = refused(
            "http://127.0.0.1:1",
            "http://127.0.0.1:1/photos",
            "http://localhost:1/t/x",
        )
        .await;
        assert!(
            matches!(
                on_localhost,
                AppError::OAuth(photolink_oauth::Error::InsecureEndpoint { .. })
            ),
            "{on_localhost:?}"
        );
        let plain_http_for_https = refused(
            "https://provider.example",
            "https://api.example/photos",
            "http://127.0.0.1:1/t/x",
        )
        .await;
        assert!(
            matches!(
                plain_http_for_https,
                AppError::OAuth(photolink_oauth::Error::InsecureEndpoint { .. })
            ),
            "{plain_http_for_https:?}"
        );
    }

    #[test]
    fn shown_text_has_no_control_or_reordering_characters_and_is_capped() {
        assert_eq!(
            shown_text("  Sea\n\tview\u{202E}gpj.exe ", 200),
            "Sea view gpj.exe"
        );
        assert_eq!(shown_text("\u{200B}\u{0007}", 200), "");
        let long = "é".repeat(300);
        let shown = shown_text(&long, MAX_TITLE_CHARS);
        assert_eq!(shown.chars().count(), MAX_TITLE_CHARS + 1);
        assert!(shown.ends_with('…'));
    }

    mod properties {
        use photolink_oauth::is_invisible;
        use proptest::prelude::*;

        use super::*;
        use crate::photos::source::tests::any_text;

        /// What every text shown must be, whatever the server sent.
        fn assert_shown(shown: &str, max_chars: usize) -> Result<(), TestCaseError> {
            let count = shown.chars().count();
            prop_assert!(count <= max_chars + 1, "{} characters", count);
            if count == max_chars + 1 {
                prop_assert!(shown.ends_with('…'));
            }
            prop_assert!(!shown.chars().any(is_invisible), "{:?}", shown);
            prop_assert_eq!(shown.trim(), shown);
            prop_assert!(
                !shown
                    .chars()
                    .zip(shown.chars().skip(1))
                    .any(|(a, b)| a.is_whitespace() && b.is_whitespace()),
                "{:?}",
                shown
            );
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn shown_text_is_capped_visible_and_collapsed(raw in any_text(600), max_chars in 0..300usize) {
                let shown = shown_text(&raw, max_chars);
                assert_shown(&shown, max_chars)?;
                let words = |text: &str| text.split(|c: char| c.is_whitespace() || is_invisible(c))
                    .filter(|word| !word.is_empty()).map(str::to_owned).collect::<Vec<_>>();
                if raw.chars().count() <= max_chars {
                    prop_assert_eq!(words(&shown), words(&raw), "nothing visible is lost under the cap");
                }
            }

            #[test]
            fn every_listed_title_is_shown_safely(
                titles in proptest::collection::vec(proptest::option::of(any_text(600)), 0..8),
            ) {
                let library = library("http://127.0.0.1:1/photos");
                let photos = titles.into_iter().enumerate().map(|(n, title)| {
                    let mut photo = listed(&n.to_string(), None, "http://127.0.0.1:1/t");
                    photo.title = title;
                    photo
                }).collect::<Vec<_>>();
                let count = photos.len();
                let page = SourcePage { photos, next_page_token: None, newest_first: true };
                let page = library.show_page(page, false, library.listing()).unwrap();
                prop_assert_eq!(page.photos.len(), count);
                prop_assert!(page.newest_first, "the source's word on its order is passed on");
                for photo in &page.photos {
                    prop_assert!(!photo.title.is_empty());
                    assert_shown(&photo.title, MAX_TITLE_CHARS)?;
                }
            }
        }
    }
}
