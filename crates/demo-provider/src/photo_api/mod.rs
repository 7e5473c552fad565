//! The photo API: the library's listing, the images and thumbnails, and the landscapes they
//! are drawn from.

pub(crate) mod images;
pub(crate) mod library;
pub(crate) mod photos;
pub(crate) mod scene;
