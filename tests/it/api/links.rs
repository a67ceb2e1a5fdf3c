//! Links from the API: verified by our verifier and by `cryptography`, stable within a window,
//! identical across processes, and signed cookies that open exactly the viewer's prefix.

use mediagate::cloudfront::{Epoch, Request, base64, verify};
use mediagate::store::Visibility;
use serde_json::json;

use super::helpers::{KEY_ID, TestApp, test_config};
use crate::support::{python_oracle, query_param};

const ONE: &str = "query($i: ID!) { image(id: $i) { url urlExpiresAt } }";

#[tokio::test]
async fn urls_verify_with_the_cryptography_oracle() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let mut cases = Vec::new();
    for n in 0..20 {
        let id = format!("img-{n}");
        app.image(&alice, &id, Visibility::Public).await;
        let (_, body) = app.gql(None, ONE, json!({"i": id})).await;
        let url = body["data"]["image"]["url"]
            .as_str()
            .expect("url")
            .to_owned();
        let expires: u64 = query_param(&url, "Expires")
            .expect("Expires")
            .parse()
            .expect("number");
        assert_eq!(json!(expires), body["data"]["image"]["urlExpiresAt"]);
        assert_eq!(query_param(&url, "Key-Pair-Id"), Some(KEY_ID));
        // The link version is part of the signed resource, so no one can strip or raise it.
        let resource = url.split_once("&Expires=").expect("canned").0;
        assert_eq!(
            resource,
            format!("https://d111111abcdef8.cloudfront.net/{alice}/{id}/photo.jpg?v=0")
        );
        let policy = format!(
            r#"{{"Statement":[{{"Resource":"{resource}","Condition":{{"DateLessThan":{{"AWS:EpochTime":{expires}}}}}}}]}}"#
        );
        cases.push(json!({
            "message": policy, "signature": query_param(&url, "Signature").expect("Signature"),
            "public_key_pem": app.dir.path().join("signing.pub.pem"), "hash": "sha1",
        }));
    }
    for result in python_oracle("verify", cases) {
        assert_eq!(result["valid"], json!(true), "{result}");
    }
}

#[tokio::test]
async fn same_window_same_url_next_window_new_expiry() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.image(&alice, "img-1", Visibility::Public).await;
    let ask =
        || async { app.gql(None, ONE, json!({"i": "img-1"})).await.1["data"]["image"].clone() };
    let first = ask().await;
    let hits_before = app.state.metrics.cache_hits.get();
    app.clock.advance(100);
    let second = ask().await;
    assert_eq!(first, second, "same window, different URL");
    assert_eq!(app.state.metrics.cache_hits.get(), hits_before + 1);
    // START is a multiple of the 300 s window: its links expire at START + 300 + 3600.
    assert_eq!(
        first["urlExpiresAt"],
        json!(super::helpers::START.0 + 300 + 3600)
    );
    app.clock.advance(200);
    let third = ask().await;
    assert_eq!(
        third["urlExpiresAt"],
        json!(super::helpers::START.0 + 600 + 3600)
    );
    assert_ne!(third["url"], first["url"]);
}

#[tokio::test]
async fn two_processes_with_the_same_key_hand_out_identical_urls() {
    let shared = tempfile::tempdir().expect("dir");
    let config = test_config(shared.path());
    let one = TestApp::spawn_in(tempfile::tempdir().expect("dir"), config.clone()).await;
    let two = TestApp::spawn_in(tempfile::tempdir().expect("dir"), config).await;
    let alice = one.user("alice").await;
    one.image(&alice, "img-1", Visibility::Public).await;
    let a = one.gql(None, ONE, json!({"i": "img-1"})).await.1;
    let b = two.gql(None, ONE, json!({"i": "img-1"})).await.1;
    assert!(a["data"]["image"]["url"].is_string(), "{a}");
    assert_eq!(a, b);
}

#[tokio::test]
async fn signed_cookies_open_only_the_viewers_prefix() {
    let app = TestApp::spawn_with(|c| c.cookies.domain = Some("example.com".into())).await;
    let alice = app.user("alice").await;
    let q = "{ signedCookies { name value domain path expiresAt } }";
    let (_, body) = app.gql(None, q, json!({})).await;
    assert_eq!(super::helpers::code(&body), "UNAUTHENTICATED");

    let token = app.token("alice");
    let (_, body) = app.gql(Some(&token), q, json!({})).await;
    let cookies = body["data"]["signedCookies"].as_array().expect("cookies");
    let names: Vec<&str> = cookies
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "CloudFront-Policy",
            "CloudFront-Signature",
            "CloudFront-Key-Pair-Id"
        ]
    );
    assert!(
        cookies.iter().all(
            |c| c["domain"] == json!("example.com") && c["path"] == json!(format!("/{alice}/"))
        )
    );
    let policy = base64::decode(cookies[0]["value"].as_str().expect("policy")).expect("base64");
    assert!(String::from_utf8_lossy(&policy).contains(&format!(
        "\"https://d111111abcdef8.cloudfront.net/{alice}/*\""
    )));

    let pairs: Vec<(&str, &str)> = cookies
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("n"),
                c["value"].as_str().expect("v"),
            )
        })
        .collect();
    let trusted = app.state.links.trusted();
    let now = app.clock_now();
    let mine = format!("https://d111111abcdef8.cloudfront.net/{alice}/img-1/photo.jpg");
    assert!(
        verify(
            &Request {
                url: &mine,
                cookies: &pairs,
                client_ip: None,
                now
            },
            &trusted
        )
        .is_ok()
    );
    let theirs = "https://d111111abcdef8.cloudfront.net/alice2/img-1/photo.jpg";
    let denied = verify(
        &Request {
            url: theirs,
            cookies: &pairs,
            client_ip: None,
            now,
        },
        &trusted,
    );
    assert_eq!(denied.map(|_| ()).unwrap_err().code(), "resource_mismatch");
    let later = Epoch(cookies[0]["expiresAt"].as_u64().expect("expiresAt"));
    assert_eq!(
        verify(
            &Request {
                url: &mine,
                cookies: &pairs,
                client_ip: None,
                now: later
            },
            &trusted
        )
        .map(|_| ())
        .unwrap_err()
        .code(),
        "expired"
    );

    // POST /cookies sets the same grant with Set-Cookie.
    let set = app.set_cookies(&token).await;
    assert_eq!(set.len(), 3);
    for h in &set {
        assert!(
            h.contains(&format!("; Domain=example.com; Path=/{alice}/; Max-Age=")),
            "{h}"
        );
        assert!(h.ends_with("; Secure; HttpOnly; SameSite=Lax"), "{h}");
    }
    let res = app
        .client
        .post(format!("{}/cookies", app.base))
        .send()
        .await
        .expect("POST /cookies");
    assert_eq!(res.status(), 401);
}
