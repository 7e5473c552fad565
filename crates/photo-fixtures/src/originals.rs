//! Full images as large as a test asks, sent piece by piece, and ending as it asks: complete,
//! cut off (the connection closes short of the announced `Content-Length`), or stalled (nothing
//! more is sent until the client gives up). So a client's download of an original can be
//! watched mid-way, cancelled there, or broken there, over real HTTP.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};

/// How a large full image ends (see [`Fixture::set_images`](crate::Fixture::set_images)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Every byte is sent.
    Complete,
    /// After this many bytes the connection closes, short of the announced length.
    CutOffAfter(usize),
    /// After this many bytes nothing more is sent, and the connection stays open.
    StallAfter(usize),
}

/// The largest piece of a body sent at once.
const PIECE: usize = 64 * 1024;

/// The full image of photo `id` when images are `bytes` long: a marker naming the photo, then
/// bytes that differ from place to place (so a piece written twice or out of order shows).
pub fn large_image(id: &str, bytes: usize) -> Vec<u8> {
    let mut image = format!("\u{89}PNG {id} image ").into_bytes();
    let start = image.len();
    image.extend((start..bytes.max(start)).map(|at| (at.wrapping_mul(31) % 251) as u8));
    image.truncate(bytes.max(start));
    image
}

/// The answer with `image`, sent as `ending` says.
pub(crate) fn response(image: Vec<u8>, ending: Ending) -> Response {
    let total = image.len() as u64;
    let (sent, then) = match ending {
        Ending::Complete => (image.len(), Then::End),
        Ending::CutOffAfter(sent) => (sent.min(image.len()), Then::CutOff),
        Ending::StallAfter(sent) => (sent.min(image.len()), Then::Stall),
    };
    let mut image = image;
    image.truncate(sent);
    let body = Pieces {
        rest: Bytes::from(image),
        then,
        total,
    };
    ([(header::CONTENT_TYPE, "image/png")], Body::new(body)).into_response()
}

/// What happens once the bytes to send are sent.
enum Then {
    End,
    CutOff,
    Stall,
}

struct Pieces {
    rest: Bytes,
    then: Then,
    /// The length announced.
    total: u64,
}

impl http_body::Body for Pieces {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if !self.rest.is_empty() {
            let length = self.rest.len().min(PIECE);
            let piece = self.rest.split_to(length);
            return Poll::Ready(Some(Ok(Frame::data(piece))));
        }
        match self.then {
            Then::End => Poll::Ready(None),
            Then::CutOff => Poll::Ready(Some(Err(std::io::Error::other(
                "the image is cut off on purpose",
            )))),
            // Never woken: the connection stays open with nothing more to read.
            Then::Stall => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty() && matches!(self.then, Then::End)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.total)
    }
}
