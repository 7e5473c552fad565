//! PNG images of the photos, rendered on first request and kept in a bounded cache.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use axum::body::Bytes;

use crate::library::{self, FULL_SIZE, THUMBNAIL_SIZE};
use crate::scene;
use crate::sync::lock;

/// How many encoded images are kept (full-size PNGs are a few hundred KiB each).
const CACHE_CAPACITY: usize = 96;

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

type CacheKey = (usize, Rendition);

/// Encoded PNGs by photo index and rendition, oldest evicted first.
#[derive(Default)]
pub(crate) struct ImageCache {
    entries: Mutex<CacheEntries>,
}

#[derive(Default)]
struct CacheEntries {
    images: HashMap<CacheKey, Bytes>,
    insertion_order: VecDeque<CacheKey>,
}

impl ImageCache {
    /// The PNG of a photo, rendering it on a blocking thread if it is not cached.
    pub async fn png(&self, index: usize, rendition: Rendition) -> Result<Bytes, String> {
        let key = (index, rendition);
        if let Some(png) = lock(&self.entries).images.get(&key) {
            return Ok(png.clone());
        }
        let png = tokio::task::spawn_blocking(move || render_png(index, rendition))
            .await
            .map_err(|error| format!("image rendering stopped: {error}"))??;
        let png = Bytes::from(png);
        let mut entries = lock(&self.entries);
        if entries.images.insert(key, png.clone()).is_none() {
            entries.insertion_order.push_back(key);
        }
        while entries.insertion_order.len() > CACHE_CAPACITY {
            if let Some(oldest) = entries.insertion_order.pop_front() {
                entries.images.remove(&oldest);
            }
        }
        Ok(png)
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
