//! The Picker API fixture over loopback HTTP, as a client and as the browser on its picker page
//! use it: a session from creation to deletion, its media items paged, base URLs with their
//! size parameters, the token and their expiry.

use photolink_photo_fixtures::pictures::{self, STORED, Size};
use photolink_photo_fixtures::{Fixture, SERVER_MESSAGE, Service};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

struct Api {
    fixture: Fixture,
    http: Client,
}

impl Api {
    async fn start(photos: usize) -> Self {
        Self {
            fixture: Fixture::start(Service::GooglePhotosPicker, photos).await,
            http: Client::new(),
        }
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.fixture.access_token())
    }

    /// A request to the API at `path` under its root, with the account's token.
    async fn call(&self, method: reqwest::Method, path: &str) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.fixture.api_root());
        let response = self
            .http
            .request(method, url)
            .header("Authorization", self.bearer())
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn create_session(&self) -> Value {
        let url = format!("{}/sessions", self.fixture.api_root());
        let response = self
            .http
            .post(url)
            .header("Authorization", self.bearer())
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// What the browser does on the picker page: check `items` and press Done.
    async fn pick(&self, picker_uri: &str, items: &[&str]) -> StatusCode {
        let page = self.http.get(picker_uri).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let page = page.text().await.unwrap();
        for item in items {
            assert!(
                page.contains(&format!("value=\"{item}\"")),
                "{item} offered"
            );
        }
        assert!(page.contains(">Done</button>"));
        let form: Vec<(&str, &str)> = items.iter().map(|item| ("item", *item)).collect();
        self.http
            .post(picker_uri)
            .form(&form)
            .send()
            .await
            .unwrap()
            .status()
    }

    /// The base URL of the one photo `item`, picked in `session` and listed.
    async fn base_url_picked(&self, session: &Value, item: &str) -> String {
        let id = session["id"].as_str().unwrap();
        self.pick(session["pickerUri"].as_str().unwrap(), &[item])
            .await;
        let (_, page) = self
            .call(reqwest::Method::GET, &format!("/mediaItems?sessionId={id}"))
            .await;
        page["mediaItems"][0]["mediaFile"]["baseUrl"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn get_content(&self, url: &str, token: Option<&str>) -> (StatusCode, Vec<u8>) {
        let mut request = self.http.get(url);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.bytes().await.unwrap().to_vec())
    }
}

fn ids(page: &Value) -> Vec<&str> {
    page["mediaItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_session_is_created_picked_on_its_page_listed_in_pages_and_deleted() {
    let api = Api::start(10).await;
    let session = api.create_session().await;
    let id = session["id"].as_str().unwrap();
    assert_eq!(session["mediaItemsSet"], false);
    assert_eq!(session["pollingConfig"]["pollInterval"], "1s");
    assert_eq!(session["pollingConfig"]["timeoutIn"], "1800s");
    let picker_uri = session["pickerUri"].as_str().unwrap();
    assert!(
        picker_uri.starts_with(&api.fixture.content_origin()),
        "{picker_uri}"
    );

    let (status, body) = api
        .call(reqwest::Method::GET, &format!("/mediaItems?sessionId={id}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not picked yet");
    assert_eq!(body["error"]["status"], "FAILED_PRECONDITION");

    assert_eq!(
        api.pick(picker_uri, &["p2", "p7", "p9"]).await,
        StatusCode::OK
    );
    let (_, session) = api
        .call(reqwest::Method::GET, &format!("/sessions/{id}"))
        .await;
    assert_eq!(session["mediaItemsSet"], true);
    let after_done = api.http.get(picker_uri).send().await.unwrap().status();
    assert_eq!(
        after_done,
        StatusCode::NOT_FOUND,
        "the pickerUri ends with Done"
    );

    let (status, first) = api
        .call(
            reqwest::Method::GET,
            &format!("/mediaItems?sessionId={id}&pageSize=2"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&first), ["p2", "p7"]);
    let token = first["nextPageToken"].as_str().unwrap();
    let (_, second) = api
        .call(
            reqwest::Method::GET,
            &format!("/mediaItems?sessionId={id}&pageSize=2&pageToken={token}"),
        )
        .await;
    assert_eq!(ids(&second), ["p9"]);
    assert_eq!(second.get("nextPageToken"), None);
    let item = &first["mediaItems"][0];
    assert_eq!(item["type"], "PHOTO");
    assert_eq!(item["mediaFile"]["mimeType"], "image/png");
    assert_eq!(item["mediaFile"]["mediaFileMetadata"]["width"], STORED.0);

    let (status, body) = api
        .call(reqwest::Method::DELETE, &format!("/sessions/{id}"))
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    assert_eq!(api.fixture.picking_sessions(), 0);
    assert_eq!(api.fixture.picking_sessions_deleted(), 1);
    let (status, body) = api
        .call(reqwest::Method::GET, &format!("/sessions/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["status"], "NOT_FOUND");
    assert_eq!(body["error"]["message"], SERVER_MESSAGE);
}

#[tokio::test]
async fn the_autoclose_picker_uri_is_the_same_page_and_unknown_photos_are_refused() {
    let api = Api::start(3).await;
    let session = api.create_session().await;
    let picker_uri = format!("{}/autoclose", session["pickerUri"].as_str().unwrap());
    let refused = api
        .http
        .post(&picker_uri)
        .form(&[("item", "p1"), ("item", "p4")])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(refused, StatusCode::BAD_REQUEST, "p4 is not in the library");
    assert_eq!(api.pick(&picker_uri, &["p3"]).await, StatusCode::OK);
}

#[tokio::test]
async fn base_urls_take_the_token_and_size_parameters_and_expire() {
    let api = Api::start(2).await;
    let session = api.create_session().await;
    let id = session["id"].as_str().unwrap();
    let base = api.base_url_picked(&session, "p1").await;
    assert!(base.starts_with(&api.fixture.content_origin()), "{base}");
    let token = api.fixture.access_token();

    let (status, thumbnail) = api
        .get_content(&format!("{base}=w512-h512"), Some(&token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(thumbnail, pictures::png("p1", Size::Within(512, 512)));
    assert_eq!(pixels(&thumbnail), (512, 384), "fitted within 512 × 512");
    let (status, cropped) = api
        .get_content(&format!("{base}=w100-h100-c"), Some(&token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pixels(&cropped), (100, 100));
    let (status, image) = api.get_content(&format!("{base}=d"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(pixels(&image), STORED, "the image as stored");
    assert_ne!(image, pictures::png("p2", Size::Stored), "p1's own image");

    for (url, token, expected) in [
        (base.clone(), Some(token.as_str()), StatusCode::BAD_REQUEST),
        (
            format!("{base}=w0-h10"),
            Some(&token),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{base}=s220"),
            Some(&token),
            StatusCode::BAD_REQUEST,
        ),
        (format!("{base}=w512-h512"), None, StatusCode::FORBIDDEN),
        (
            format!("{base}=w512-h512"),
            Some("another"),
            StatusCode::UNAUTHORIZED,
        ),
    ] {
        assert_eq!(api.get_content(&url, token).await.0, expected, "{url}");
    }

    api.fixture.expire_base_urls();
    let (status, _) = api.get_content(&format!("{base}=d"), Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an expired base URL");
    let (_, again) = api
        .call(reqwest::Method::GET, &format!("/mediaItems?sessionId={id}"))
        .await;
    let fresh = again["mediaItems"][0]["mediaFile"]["baseUrl"]
        .as_str()
        .unwrap();
    assert_ne!(fresh, base, "listing again hands out new base URLs");
    let (status, _) = api.get_content(&format!("{fresh}=d"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK);

    api.fixture.expire_picking_sessions();
    let (status, _) = api
        .call(reqwest::Method::GET, &format!("/mediaItems?sessionId={id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an expired session");
}

#[tokio::test]
async fn every_request_to_the_api_needs_the_token_and_polling_can_be_set() {
    let api = Api::start(1).await;
    let url = format!("{}/sessions", api.fixture.api_root());
    let without = api.http.post(&url).send().await.unwrap();
    assert_eq!(without.status(), StatusCode::UNAUTHORIZED);
    assert!(without.headers().contains_key("www-authenticate"));
    api.fixture.set_polling("0.05s", "2s");
    let session = api.create_session().await;
    assert_eq!(
        session["pollingConfig"],
        json!({"pollInterval": "0.05s", "timeoutIn": "2s"})
    );
}

/// A userinfo endpoint on loopback that knows one access token.
async fn userinfo_knowing(token: &'static str) -> String {
    use axum::http::{HeaderMap, StatusCode as Status};
    let app = axum::Router::new().route(
        "/userinfo",
        axum::routing::get(move |headers: HeaderMap| async move {
            let sent = headers.get("authorization").and_then(|v| v.to_str().ok());
            if sent == Some(&format!("Bearer {token}")) {
                (Status::OK, "{\"sub\":\"a\"}")
            } else {
                (Status::UNAUTHORIZED, "{}")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/userinfo")
}

#[tokio::test]
async fn tokens_another_issuer_vouches_for_are_accepted_and_base_urls_can_be_on_the_api() {
    let api = Api::start(2).await;
    api.fixture
        .accept_tokens_of(&userinfo_knowing("issued-elsewhere").await);
    api.fixture.links_on_the_api();
    let create = |token: &'static str| {
        api.http
            .post(format!("{}/sessions", api.fixture.api_root()))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(
        create("unknown").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let session: Value = create("issued-elsewhere")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let base = api.base_url_picked(&session, "p2").await;
    let api_origin = api.fixture.issuer();
    assert!(base.starts_with(&api_origin), "{base}");
    let (status, body) = api
        .get_content(&format!("{base}=w512-h512"), Some("issued-elsewhere"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, pictures::png("p2", Size::Within(512, 512)));
}

/// The width and height of the PNG `bytes`, as a decoder reads them.
fn pixels(bytes: &[u8]) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let info = decoder.read_info().expect("a PNG");
    let info = info.info();
    (info.width, info.height)
}
