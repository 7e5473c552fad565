//! The photo API client: lists pages of photos, and tells where each photo's renditions are.

use photolink_oauth::Session;
use serde::{Deserialize, Serialize};
use url::Url;

use super::index::{PhotoIndex, Rendition, Sources};
use super::scheme;
use crate::error::AppError;

/// One page of photos as the window sees it.
#[derive(Debug, Serialize)]
pub struct PhotoPage {
    pub photos: Vec<Photo>,
    /// Pass to `photos` for the next page; `None` on the last page.
    pub next_page_token: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Photo {
    /// Opaque id, meaningful only to this run of PhotoLink.
    pub id: String,
    pub title: String,
    /// `photo:` URLs of the two renditions.
    pub thumbnail: String,
    pub image: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub taken_at: Option<String>,
}

/// The photo API's list answer: `{"photos": [...], "next_page_token": "..."}`.
#[derive(Debug, Deserialize)]
struct ListAnswer {
    photos: Vec<ListedPhoto>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ListedPhoto {
    id: String,
    #[serde(default)]
    title: Option<String>,
    /// Full-size image; defaults to `{photos_endpoint}/{id}/image`.
    #[serde(default)]
    url: Option<String>,
    /// Defaults to `{photos_endpoint}/{id}/thumbnail`.
    #[serde(default)]
    thumbnail_url: Option<String>,
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    height: Option<u32>,
    #[serde(default)]
    taken_at: Option<String>,
}

/// Fetches one page of the list at `endpoint` and indexes its photos, so that the window can
/// load them through the `photo:` scheme.
pub async fn list_page(
    session: &Session,
    endpoint: &Url,
    index: &PhotoIndex,
    page_token: Option<String>,
) -> Result<PhotoPage, AppError> {
    let mut url = endpoint.clone();
    if let Some(token) = page_token.filter(|t| !t.is_empty()) {
        url.query_pairs_mut().append_pair("page_token", &token);
    }
    let response = session.authorized_get(url.as_str()).await?;
    let answer: ListAnswer =
        serde_json::from_slice(&response.body).map_err(|e| AppError::PhotoList(e.to_string()))?;
    Ok(answer.into_page(endpoint, index))
}

impl ListAnswer {
    fn into_page(self, endpoint: &Url, index: &PhotoIndex) -> PhotoPage {
        let photos = self
            .photos
            .into_iter()
            .map(|listed| {
                let id = index.add(&listed.id, sources(endpoint, &listed));
                Photo {
                    thumbnail: scheme::url(&id, Rendition::Thumbnail),
                    image: scheme::url(&id, Rendition::Image),
                    id,
                    title: listed
                        .title
                        .filter(|t| !t.trim().is_empty())
                        .unwrap_or_else(|| "Untitled".into()),
                    width: listed.width,
                    height: listed.height,
                    taken_at: listed.taken_at,
                }
            })
            .collect();
        PhotoPage {
            photos,
            next_page_token: self.next_page_token.filter(|t| !t.is_empty()),
        }
    }
}

/// The listed URLs when they are on the photo API's origin, else the conventional ones under
/// the photos endpoint (the Bearer token must not travel anywhere else).
fn sources(endpoint: &Url, listed: &ListedPhoto) -> Sources {
    let pick = |given: Option<&String>, rendition: Rendition| {
        given
            .and_then(|given| endpoint.join(given).ok())
            .filter(|url| url.origin() == endpoint.origin())
            .unwrap_or_else(|| {
                let mut url = endpoint.clone();
                if let Ok(mut segments) = url.path_segments_mut() {
                    segments
                        .pop_if_empty()
                        .push(&listed.id)
                        .push(rendition.name());
                }
                url
            })
    };
    Sources {
        thumbnail: pick(listed.thumbnail_url.as_ref(), Rendition::Thumbnail),
        image: pick(listed.url.as_ref(), Rendition::Image),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(json: &str) -> ListedPhoto {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn images_stay_on_the_photo_apis_origin() {
        let endpoint = Url::parse("https://api.example/v1/photos").unwrap();
        let same = listed(
            r#"{"id":"a","url":"https://api.example/img/a.jpg","thumbnail_url":"/thumbs/a.jpg"}"#,
        );
        let kept = sources(&endpoint, &same);
        assert_eq!(kept.image.as_str(), "https://api.example/img/a.jpg");
        assert_eq!(kept.thumbnail.as_str(), "https://api.example/thumbs/a.jpg");

        let foreign = listed(r#"{"id":"a b/c","url":"https://evil.example/a.jpg"}"#);
        let replaced = sources(&endpoint, &foreign);
        assert_eq!(
            replaced.image.as_str(),
            "https://api.example/v1/photos/a%20b%2Fc/image"
        );
        assert_eq!(
            replaced.thumbnail.as_str(),
            "https://api.example/v1/photos/a%20b%2Fc/thumbnail"
        );
    }

    #[test]
    fn a_listed_page_names_photos_by_their_index_ids() {
        let endpoint = Url::parse("http://127.0.0.1:1/photos").unwrap();
        let index = PhotoIndex::default();
        let answer: ListAnswer = serde_json::from_str(
            r#"{"photos":[{"id":"x","title":" "},{"id":"y","title":"Sea"}],"next_page_token":""}"#,
        )
        .unwrap();
        let page = answer.into_page(&endpoint, &index);
        assert_eq!(page.photos.len(), 2);
        assert_eq!(page.photos[0].title, "Untitled");
        assert_eq!(page.photos[1].title, "Sea");
        assert_eq!(page.next_page_token, None);
        let photo = &page.photos[1];
        assert_eq!(photo.image, scheme::url(&photo.id, Rendition::Image));
        assert_eq!(
            index
                .source(&photo.id, Rendition::Thumbnail)
                .unwrap()
                .as_str(),
            "http://127.0.0.1:1/photos/y/thumbnail"
        );
    }
}
