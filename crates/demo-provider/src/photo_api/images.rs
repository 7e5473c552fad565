//! PNG images of the photos, encoded once and then served as stored bytes, as a photo service
//! serves stored thumbnails rather than drawing them per request.
//!
//! Each image is made on its first request, not at start: drawing all of a 10,000-photo
//! library would take minutes before the first answer. Requests for an image that is being
//! made wait for that one rendering instead of drawing it again. Encoded bytes are kept up to a
//! budget per rendition, the first made dropped first once it is spent:
//!
//! | Rendition | Kept | What that holds |
//! | --- | --- | --- |
//! | Thumbnail (320×213) | [`THUMBNAIL_BYTES`] | 66 KB each on average, 76 KB at most (the starry designs): a whole 10,000-photo library, about 660 MB, stays stored. |
//! | Full size (1200×800) | [`FULL_SIZE_BYTES`] | A few hundred KiB each: the last hundred or so opened. |

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use tokio::sync::OnceCell;

use crate::photo_api::library::{self, FULL_SIZE, THUMBNAIL_SIZE};
use crate::photo_api::scene;
use crate::shared::sync::lock;

/// Bytes of encoded thumbnails kept: 10,000 of the largest fit.
const THUMBNAIL_BYTES: usize = 768 * 1024 * 1024;
/// Bytes of encoded full-size images kept.
const FULL_SIZE_BYTES: usize = 32 * 1024 * 1024;

/// Which rendition of a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Rendition {
    Full,
    Thumbnail,
}

impl Rendition {
    pub fn size(self) -> (u32, u32) {
        match self {
            Self::Full => FULL_SIZE,
            Self::Thumbnail => THUMBNAIL_SIZE,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "image",
            Self::Thumbnail => "thumbnail",
        }
    }
}

/// The encoded images of both renditions.
pub(crate) struct ImageStore {
    thumbnails: Shelf,
    full_size: Shelf,
}

impl Default for ImageStore {
    fn default() -> Self {
        Self {
            thumbnails: Shelf::new(THUMBNAIL_BYTES),
            full_size: Shelf::new(FULL_SIZE_BYTES),
        }
    }
}

impl ImageStore {
    /// The PNG of a photo: the stored bytes, or made now on a blocking thread and stored.
    pub async fn png(&self, index: usize, rendition: Rendition) -> Result<Bytes, String> {
        let shelf = match rendition {
            Rendition::Thumbnail => &self.thumbnails,
            Rendition::Full => &self.full_size,
        };
        shelf
            .get_or_make(index, move || render_png(index, rendition))
            .await
    }
}

/// Encoded images of one rendition by photo index, within a byte budget.
struct Shelf {
    budget: usize,
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    /// One cell per photo asked for: empty while it is being made (or after making it failed).
    images: HashMap<usize, Arc<OnceCell<Bytes>>>,
    /// Indexes in the order their cells were added: the first is dropped first.
    order: VecDeque<usize>,
    /// Bytes of the images made and still kept.
    bytes: usize,
}

impl Shelf {
    fn new(budget: usize) -> Self {
        Self {
            budget,
            kept: Mutex::default(),
        }
    }

    /// The image at `index`, made by `make` (on a blocking thread) unless it is kept or being
    /// made by an earlier request, which this one then waits for.
    async fn get_or_make(
        &self,
        index: usize,
        make: impl FnOnce() -> Result<Vec<u8>, String> + Send + 'static,
    ) -> Result<Bytes, String> {
        let cell = {
            let mut kept = lock(&self.kept);
            let Kept { images, order, .. } = &mut *kept;
            images
                .entry(index)
                .or_insert_with(|| {
                    order.push_back(index);
                    Arc::default()
                })
                .clone()
        };
        let mut made_here = false;
        let image = cell
            .get_or_try_init(|| async {
                made_here = true;
                let made = tokio::task::spawn_blocking(make)
                    .await
                    .map_err(|error| format!("image rendering stopped: {error}"))??;
                Ok::<_, String>(Bytes::from(made))
            })
            .await?
            .clone();
        if made_here {
            self.count_in(index, &cell, image.len());
        }
        Ok(image)
    }

    /// Counts a newly made image against the budget and drops the first made while it is over.
    fn count_in(&self, index: usize, cell: &Arc<OnceCell<Bytes>>, len: usize) {
        let mut kept = lock(&self.kept);
        // Dropped while it was being made: it is not kept, so it does not count.
        if !kept
            .images
            .get(&index)
            .is_some_and(|kept_cell| Arc::ptr_eq(kept_cell, cell))
        {
            return;
        }
        kept.bytes += len;
        while kept.bytes > self.budget {
            let Some(first) = kept.order.pop_front() else {
                break;
            };
            if let Some(dropped) = kept.images.remove(&first) {
                kept.bytes -= dropped.get().map_or(0, Bytes::len);
            }
        }
    }
}

/// Renders and encodes one photo.
fn render_png(index: usize, rendition: Rendition) -> Result<Vec<u8>, String> {
    let (width, height) = rendition.size();
    let pixels = scene::render(&library::scene(index), width, height);
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder
        .write_header()
        .map_err(|error| format!("cannot encode PNG: {error}"))?;
    writer
        .write_image_data(&pixels)
        .map_err(|error| format!("cannot encode PNG: {error}"))?;
    writer
        .finish()
        .map_err(|error| format!("cannot encode PNG: {error}"))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A maker of `len` bytes that counts how often it ran.
    fn counted(
        made: &Arc<AtomicUsize>,
        len: usize,
    ) -> impl FnOnce() -> Result<Vec<u8>, String> + use<> {
        let made = made.clone();
        move || {
            made.fetch_add(1, Ordering::SeqCst);
            Ok(vec![7; len])
        }
    }

    #[tokio::test]
    async fn an_image_is_made_once_and_then_served_stored() {
        let shelf = Shelf::new(1024 * 1024);
        let made = Arc::new(AtomicUsize::new(0));
        // More images than the earlier cache of 96 held: the first must still be stored.
        for index in 0..300 {
            shelf.get_or_make(index, counted(&made, 100)).await.unwrap();
        }
        let again = shelf.get_or_make(0, counted(&made, 100)).await.unwrap();
        assert_eq!(again.len(), 100);
        assert_eq!(made.load(Ordering::SeqCst), 300);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_wait_for_one_rendering() {
        let shelf = Arc::new(Shelf::new(1024 * 1024));
        let made = Arc::new(AtomicUsize::new(0));
        let requests: Vec<_> = (0..32)
            .map(|_| {
                let (shelf, made) = (shelf.clone(), made.clone());
                tokio::spawn(async move {
                    let slow = move || {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        counted(&made, 10)()
                    };
                    shelf.get_or_make(5, slow).await
                })
            })
            .collect();
        for request in requests {
            assert_eq!(request.await.unwrap().unwrap().len(), 10);
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_budget_drops_the_first_made() {
        let shelf = Shelf::new(250);
        let made = Arc::new(AtomicUsize::new(0));
        for index in 0..3 {
            shelf.get_or_make(index, counted(&made, 100)).await.unwrap();
        }
        assert_eq!(lock(&shelf.kept).bytes, 200);
        assert!(!lock(&shelf.kept).images.contains_key(&0));
        shelf.get_or_make(2, counted(&made, 100)).await.unwrap();
        assert_eq!(
            made.load(Ordering::SeqCst),
            3,
            "the last made is still kept"
        );
        shelf.get_or_make(0, counted(&made, 100)).await.unwrap();
        assert_eq!(
            made.load(Ordering::SeqCst),
            4,
            "the first was dropped and made again"
        );
    }

    #[tokio::test]
    async fn a_failed_rendering_is_tried_again() {
        let shelf = Shelf::new(1024);
        let failed = shelf.get_or_make(1, || Err("no pixels".to_owned())).await;
        assert_eq!(failed.unwrap_err(), "no pixels");
        let made = Arc::new(AtomicUsize::new(0));
        assert_eq!(
            shelf.get_or_make(1, counted(&made, 3)).await.unwrap().len(),
            3
        );
    }

    #[test]
    fn a_thumbnail_is_small_enough_for_a_large_library_to_stay_stored() {
        let largest = (0..12)
            .map(|index| render_png(index, Rendition::Thumbnail).unwrap().len())
            .max()
            .unwrap();
        assert!(
            largest * 10_000 <= THUMBNAIL_BYTES,
            "a thumbnail of {largest} bytes: 10,000 of them exceed the budget"
        );
    }
}
