//! The answers faults give in place of an endpoint's own: the one part of the fault
//! machinery that needs the provider (a discovery document naming another issuer).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use serde_json::{Value, json};

use crate::authorization::bearer::Refusal;
use crate::authorization::metadata;
use crate::shared::provider::Provider;
use crate::test_machinery::faults::{
    Fault, HUGE_BODY_BYTES, OTHER_SUBJECT, STALLED_DOWNLOAD_BYTES, STALLED_DOWNLOAD_SENT,
    ServedFault,
};

impl ServedFault {
    /// The faulty answer that replaces the endpoint's own.
    pub async fn answer(mut self, app: &Provider) -> Response {
        match self.fault {
            Fault::TokenServerError {
                status,
                retry_after,
            }
            | Fault::PhotosServerError {
                status,
                retry_after,
            }
            | Fault::ParServerError {
                status,
                retry_after,
            }
            | Fault::UserinfoServerError {
                status,
                retry_after,
            } => server_error(status, retry_after),
            Fault::JwksServerError { status } => server_error(status, None),
            Fault::TokenConnectionClosed | Fault::TokenAnswerLost => closed_without_answer(),
            Fault::TokenHang => {
                // Err means the switch is gone with the provider: stop waiting either way.
                let _ = self.changes.changed().await;
                closed_without_answer()
            }
            Fault::TokenHtml => (
                StatusCode::OK,
                [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
                axum::response::Html(
                    "<!doctype html><html><head><title>Service unavailable</title></head>\
                     <body><h1>Service unavailable</h1><p>Please try again later.</p></body></html>",
                ),
            )
                .into_response(),
            Fault::TokenTruncatedJson => {
                let complete = Value::Object(app.faults.fake_token_response()).to_string();
                let cut = complete.len() / 2;
                json_text(complete[..cut].to_owned())
            }
            Fault::TokenWithoutAccessToken => {
                let mut body = app.faults.fake_token_response();
                body.remove("access_token");
                json_text(Value::Object(body).to_string())
            }
            Fault::TokenTypeNotBearer => {
                let mut body = app.faults.fake_token_response();
                body.insert("token_type".into(), "mac".into());
                json_text(Value::Object(body).to_string())
            }
            Fault::TokenUnboundBearer => json_text(Value::Object(app.faults.fake_token_response()).to_string()),
            Fault::TokenHugeBody => (
                StatusCode::OK,
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    ),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                Body::new(HugeTokenBody { written: 0 }),
            )
                .into_response(),
            Fault::TokenFormEncoded => {
                let mut body = url::form_urlencoded::Serializer::new(String::new());
                for (name, value) in app.faults.fake_token_response() {
                    match value {
                        Value::String(text) => body.append_pair(&name, &text),
                        other => body.append_pair(&name, &other.to_string()),
                    };
                }
                let body = body.finish();
                (
                    StatusCode::OK,
                    [
                        (
                            header::CONTENT_TYPE,
                            HeaderValue::from_static("application/x-www-form-urlencoded"),
                        ),
                        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                    ],
                    body,
                )
                    .into_response()
            }
            Fault::PhotosInvalidToken => Refusal::InvalidToken { dpop: false }.into_response(),
            Fault::PhotosStalledDownload => (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
                    (header::CONTENT_LENGTH, HeaderValue::from(STALLED_DOWNLOAD_BYTES)),
                ],
                Body::new(StalledBody {
                    sent: 0,
                    cut_off: Box::pin(async move {
                        // Err means the switch is gone with the provider: stop waiting either way.
                        let _ = self.changes.changed().await;
                    }),
                }),
            )
                .into_response(),
            Fault::UserinfoOtherSubject => Json(json!({
                "sub": OTHER_SUBJECT,
                "name": "Someone Else",
                "email": "someone@else.example",
            }))
            .into_response(),
            Fault::DiscoveryMissing => StatusCode::NOT_FOUND.into_response(),
            Fault::DiscoveryOtherIssuer { issuer } => metadata::document_naming(app, &issuer),
        }
    }
}

fn json_text(body: String) -> Response {
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

fn server_error(status: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let error = if status == StatusCode::SERVICE_UNAVAILABLE {
        "temporarily_unavailable"
    } else {
        "server_error"
    };
    let mut response = (
        status,
        Json(json!({ "error": error, "error_description": "the server failed on purpose" })),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A response whose body fails before its first byte: the HTTP server then closes the
/// connection without writing anything, not even the status line.
fn closed_without_answer() -> Response {
    Response::new(Body::new(FailingBody))
}

struct FailingBody;

impl http_body::Body for FailingBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::other(
            "the connection is closed without an answer on purpose",
        ))))
    }
}

/// The body of [`Fault::PhotosStalledDownload`]: its first bytes, then nothing until `cut_off`
/// ends, then an error, which closes the connection.
struct StalledBody {
    sent: u64,
    cut_off: Pin<Box<dyn std::future::Future<Output = ()> + Send + Sync>>,
}

impl http_body::Body for StalledBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.sent < STALLED_DOWNLOAD_SENT {
            let length = (STALLED_DOWNLOAD_SENT - self.sent).min(FILLER.len() as u64);
            self.sent += length;
            return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(
                &FILLER[..length as usize],
            )))));
        }
        self.cut_off.as_mut().poll(context).map(|()| {
            Some(Err(std::io::Error::other(
                "the download is cut off on purpose",
            )))
        })
    }
}

/// `{"access_token":"AAAA…A","token_type":"Bearer","expires_in":3600}`, [`HUGE_BODY_BYTES`]
/// long, written in chunks of at most 64 KiB from one static buffer.
struct HugeTokenBody {
    written: u64,
}

const HUGE_BODY_START: &[u8] = br#"{"access_token":""#;
const HUGE_BODY_END: &[u8] = br#"","token_type":"Bearer","expires_in":3600}"#;
static FILLER: [u8; 64 * 1024] = [b'A'; 64 * 1024];

impl HugeTokenBody {
    fn next_chunk(&mut self) -> Option<Bytes> {
        let end_starts_at = HUGE_BODY_BYTES - HUGE_BODY_END.len() as u64;
        let chunk = if self.written == 0 {
            Bytes::from_static(HUGE_BODY_START)
        } else if self.written < end_starts_at {
            let length = (end_starts_at - self.written).min(FILLER.len() as u64);
            Bytes::from_static(&FILLER[..length as usize])
        } else if self.written < HUGE_BODY_BYTES {
            Bytes::from_static(HUGE_BODY_END)
        } else {
            return None;
        };
        self.written += chunk.len() as u64;
        Some(chunk)
    }
}

impl http_body::Body for HugeTokenBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.next_chunk().map(|chunk| Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.written >= HUGE_BODY_BYTES
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(HUGE_BODY_BYTES - self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_huge_body_is_exactly_its_size_and_valid_json_at_both_ends() {
        let mut body = HugeTokenBody { written: 0 };
        let (mut total, mut first, mut last) = (0u64, None, Bytes::new());
        while let Some(chunk) = body.next_chunk() {
            assert!(chunk.len() <= FILLER.len());
            total += chunk.len() as u64;
            first.get_or_insert_with(|| chunk.clone());
            last = chunk;
        }
        assert_eq!(total, HUGE_BODY_BYTES);
        assert_eq!(first.unwrap(), HUGE_BODY_START);
        assert_eq!(last, HUGE_BODY_END);
        assert!(http_body::Body::is_end_stream(&body));
    }
}
