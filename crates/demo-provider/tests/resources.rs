//! The protected resources: userinfo, the paged photo list and real image bytes.

mod common;

use common::*;
use photolink_demo_provider::Config;
use reqwest::StatusCode;
use serde_json::Value;

async fn get_json(http: &reqwest::Client, url: &str, token: &str) -> (StatusCode, Value) {
    let response = http.get(url).bearer_auth(token).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn userinfo_describes_the_demo_account() {
    let provider = provider(Config::default()).await;
    let http = http();
    let token = string(&tokens(&http, &provider).await, "access_token");
    let (status, body) = get_json(&http, &provider.endpoints().userinfo, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], "Alex Rivera");
    assert_eq!(body["email"], "alex@demo.photos");
    assert!(body["sub"].as_str().is_some_and(|sub| !sub.is_empty()));
}

#[tokio::test]
async fn missing_or_unknown_tokens_get_401_with_a_bearer_challenge() {
    let provider = provider(Config::default()).await;
    let http = http();
    let endpoints = provider.endpoints();
    let image = format!("{}/p00001/image", endpoints.photos);
    for url in [&endpoints.photos, &endpoints.userinfo, &image] {
        for token in [None, Some("not-a-token")] {
            let mut request = http.get(url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{url}");
            let challenge = response.headers()["www-authenticate"].to_str().unwrap();
            assert!(challenge.starts_with("Bearer "), "{challenge}");
            assert!(
                challenge.contains(r#"error="invalid_token""#),
                "{challenge}"
            );
        }
    }
    assert_eq!(provider.stats().unauthorized_requests, 6);
}

#[tokio::test]
async fn a_token_without_the_scope_gets_403() {
    let provider = provider(Config::default()).await;
    let http = http();
    let body = tokens_with(&http, &provider, &[("scope", "profile")]).await;
    let token = string(&body, "access_token");
    let response = get_photos(&http, &provider, &token).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    assert_eq!(
        get_json(&http, &provider.endpoints().userinfo, &token)
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_default_library_has_twelve_distinct_photos_on_one_page() {
    let provider = provider(Config::default()).await;
    let http = http();
    let token = string(&tokens(&http, &provider).await, "access_token");
    let (status, body) = get_json(&http, &provider.endpoints().photos, &token).await;
    assert_eq!(status, StatusCode::OK);
    let photos = body["photos"].as_array().unwrap();
    assert_eq!(photos.len(), 12);
    assert!(body.get("next_page_token").is_none());
    let first = &photos[0];
    assert_eq!(first["title"], "Alpine sunrise");
    assert_eq!(
        (first["width"].as_u64(), first["height"].as_u64()),
        (Some(1200), Some(800))
    );
    assert!(first["taken_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["order"], "newest_first");
    let prefix = format!("{}/", provider.endpoints().photos);
    for photo in photos {
        assert!(photo["url"].as_str().unwrap().starts_with(&prefix));
        assert!(
            photo["thumbnail_url"]
                .as_str()
                .unwrap()
                .starts_with(&prefix)
        );
    }
    let mut titles: Vec<&str> = photos
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    titles.sort_unstable();
    titles.dedup();
    assert_eq!(titles.len(), 12);
}

#[tokio::test]
async fn pages_follow_next_page_token_to_the_end() {
    let provider = provider(Config {
        photo_count: 10_000,
        ..Config::default()
    })
    .await;
    let http = http();
    let token = string(&tokens(&http, &provider).await, "access_token");
    let (_, body) = get_json(&http, &provider.endpoints().photos, &token).await;
    assert_eq!(body["photos"].as_array().unwrap().len(), 50);

    let mut ids = Vec::new();
    let mut page_token: Option<String> = None;
    loop {
        let mut url = url::Url::parse(&provider.endpoints().photos).unwrap();
        url.query_pairs_mut().append_pair("page_size", "1000");
        if let Some(page_token) = &page_token {
            url.query_pairs_mut().append_pair("page_token", page_token);
        }
        let (status, body) = get_json(&http, url.as_str(), &token).await;
        assert_eq!(status, StatusCode::OK);
        let photos = body["photos"].as_array().unwrap();
        assert_eq!(
            photos.len(),
            100.min(10_000 - ids.len()),
            "page_size is capped at 100"
        );
        ids.extend(photos.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match body.get("next_page_token") {
            Some(next) => page_token = Some(next.as_str().unwrap().to_owned()),
            None => break,
        }
    }
    assert_eq!(ids.len(), 10_000);
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 10_000);

    // The last photo's image is made on demand, like the first one's.
    let last = format!("{}/p10000/thumbnail", provider.endpoints().photos);
    let response = http.get(&last).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (width, height, _) = decode_png(&response.bytes().await.unwrap());
    assert_eq!((width, height), (320, 213));

    for query in [
        "page_size=0",
        "page_size=abc",
        "page_token=garbage",
        "page_size=5&page_size=6",
    ] {
        let url = format!("{}?{query}", provider.endpoints().photos);
        let (status, body) = get_json(&http, &url, &token).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_request")),
            "{query}"
        );
    }
}

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![
        0;
        reader
            .output_buffer_size()
            .expect("a size that fits in memory")
    ];
    let frame = reader.next_frame(&mut pixels).expect("PNG image data");
    pixels.truncate(frame.buffer_size());
    (frame.width, frame.height, pixels)
}

/// How many distinct colors an image has: a flat rectangle has one or two.
fn distinct_colors(pixels: &[u8]) -> usize {
    let mut colors: Vec<[u8; 3]> = pixels.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
    colors.sort_unstable();
    colors.dedup();
    colors.len()
}

#[tokio::test]
async fn images_and_thumbnails_are_real_pngs_of_the_stated_size() {
    let provider = provider(Config::default()).await;
    let http = http();
    let token = string(&tokens(&http, &provider).await, "access_token");
    let (_, list) = get_json(&http, &provider.endpoints().photos, &token).await;
    let photo = &list["photos"][1];
    for (url, size) in [
        (&photo["url"], (1200, 800)),
        (&photo["thumbnail_url"], (320, 213)),
    ] {
        let response = http
            .get(url.as_str().unwrap())
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "image/png");
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("private")
        );
        let etag = response.headers()["etag"].clone();
        let bytes = response.bytes().await.unwrap();
        let (width, height, pixels) = decode_png(&bytes);
        assert_eq!((width, height), size);
        assert!(
            distinct_colors(&pixels) > 500,
            "a picture, not a flat rectangle"
        );

        let cached = http
            .get(url.as_str().unwrap())
            .bearer_auth(&token)
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    }
}

#[tokio::test]
async fn thumbnails_of_different_photos_differ() {
    let provider = provider(Config::default()).await;
    let http = http();
    let token = string(&tokens(&http, &provider).await, "access_token");
    let mut images = Vec::new();
    for id in ["p00001", "p00002", "p00005"] {
        let url = format!("{}/{id}/thumbnail", provider.endpoints().photos);
        let bytes = http
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        images.push(decode_png(&bytes).2);
    }
    assert_ne!(images[0], images[1]);
    assert_ne!(images[1], images[2]);
    assert_eq!(provider.stats().image_requests, 3);
    assert_eq!(provider.stats().thumbnail_requests, 3);
}

#[tokio::test]
async fn thumbnail_requests_are_counted_apart_from_full_images() {
    let provider = provider(Config::default()).await;
    let http = http();
    let token = string(&tokens(&http, &provider).await, "access_token");
    for rendition in ["image", "thumbnail", "thumbnail"] {
        let url = format!("{}/p00003/{rendition}", provider.endpoints().photos);
        let response = http.get(url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{rendition}");
    }
    let stats = provider.stats();
    assert_eq!(stats.image_requests, 3);
    assert_eq!(stats.thumbnail_requests, 2);
}

#[tokio::test]
async fn unknown_photos_are_404() {
    let provider = provider(Config::default()).await;
    let http = http();
    let token = string(&tokens(&http, &provider).await, "access_token");
    for id in ["p00013", "p0", "x"] {
        let url = format!("{}/{id}/image", provider.endpoints().photos);
        let response = http.get(url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{id}");
    }
}

#[tokio::test]
async fn expire_access_tokens_makes_the_provider_answer_401() {
    let provider = provider(Config::default()).await;
    let http = http();
    let body = tokens(&http, &provider).await;
    let access = string(&body, "access_token");
    assert_eq!(
        photos_status(&http, &provider, &access).await,
        StatusCode::OK
    );
    provider.expire_access_tokens().unwrap();
    assert_only_a_refresh_brings_the_photos_back(&http, &provider, &body).await;
}
