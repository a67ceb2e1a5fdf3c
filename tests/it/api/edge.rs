//! The local edge (`/edge`, on when `cloudfront.domain` is unset) over HTTP: it serves what
//! the API signed, streams ranges, and refuses every verifier reason with a CloudFront-like 403
//! that says why. Objects live in the embedded local S3 server.

use mediagate::cloudfront::{
    BaseUrl, Cidr, CustomPolicy, Epoch, HashAlgorithm, KeyPairId, Resource, SignedPolicy,
    SigningKey,
};
use mediagate::keyfile;
use serde_json::json;

use super::helpers::{KEY_ID, TestApp};
use super::uploads::{Setup, png, setup, uploaded};

const REASON: &str = "x-mediagate-edge-reason";

pub(super) async fn edge_app() -> Setup {
    setup(false, |c| c.cloudfront.domain = None).await
}

pub(super) fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// GETs `url` (with `cookie`, if any); returns status, reason header and body.
async fn get(app: &TestApp, url: &str, cookie: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut req = app.client.get(url);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = req.send().await.expect("GET");
    let status = res.status().as_u16();
    let reason = header(&res, REASON);
    (status, reason, res.bytes().await.expect("body").to_vec())
}

/// The signed URL the API gives `token`'s holder for image `id`.
pub(super) async fn link_of(app: &TestApp, token: Option<&str>, id: &str) -> String {
    let (_, body) = app
        .gql(
            token,
            "query($i: ID!) { image(id: $i) { url } }",
            json!({ "i": id }),
        )
        .await;
    body["data"]["image"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("no url: {body}"))
        .to_owned()
}

/// The app's signing key, to make the custom policies the API itself never makes.
fn signing_key(app: &TestApp) -> SigningKey {
    SigningKey {
        id: KeyPairId::parse(KEY_ID).expect("id"),
        key: keyfile::load_private_key(&app.dir.path().join("signing.pem")).expect("key"),
    }
}

fn custom(
    app: &TestApp,
    url: &str,
    resource: &str,
    not_before: Option<Epoch>,
    ip: Option<&str>,
    hash: HashAlgorithm,
) -> String {
    let now = app.clock_now();
    let policy = CustomPolicy::new(
        Resource::parse(resource).expect("resource"),
        Epoch(now.seconds() + 600),
        not_before,
        ip.map(|c| Cidr::parse(c).expect("cidr")),
        now,
    )
    .expect("policy");
    SignedPolicy::sign(policy, &signing_key(app), hash)
        .expect("sign")
        .url_for(&BaseUrl::parse(url).expect("url"))
        .expect("url_for")
        .url
}

/// The signature with its 6th character changed (still valid CloudFront base64).
fn flip_one(signature: &str) -> String {
    signature
        .char_indices()
        .map(|(i, c)| match (i, c) {
            (5, 'A') => 'B',
            (5, _) => 'A',
            _ => c,
        })
        .collect()
}

#[tokio::test]
async fn the_edge_serves_signed_links_and_refuses_each_verifier_reason_with_a_why() {
    let Setup { app, _server } = edge_app().await;
    let alice_id = app.user("alice").await;
    let alice = app.token("alice");
    let (id, key) = uploaded(&app, &alice, "p.png", "PUBLIC").await;
    let url = link_of(&app, None, &id).await;
    let plain = format!("{}/edge/{key}", app.base);
    assert!(
        url.starts_with(&format!("{plain}?v=0&Expires=")),
        "{url} vs {plain}"
    );
    assert!(key.starts_with(&format!("{alice_id}/")));

    let res = app.client.get(&url).send().await.expect("GET");
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "image/png");
    assert_eq!(header(&res, "content-length"), "300");
    assert_eq!(header(&res, "accept-ranges"), "bytes");
    assert!(header(&res, "etag").starts_with('"'));
    assert!(header(&res, "last-modified").ends_with(" GMT"));
    let expires_in = url
        .split("Expires=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .expect("E")
        .parse::<u64>()
        .expect("n")
        - app.clock_now().seconds();
    assert_eq!(
        header(&res, "cache-control"),
        format!("private, max-age={}", expires_in.min(3600))
    );
    assert_eq!(res.bytes().await.expect("body").to_vec(), png(300));
    let head = app.client.head(&url).send().await.expect("HEAD");
    assert_eq!(
        (head.status().as_u16(), header(&head, "content-length")),
        (200, "300".into())
    );

    let swap = |from: &str, to: &str| url.replacen(from, to, 1);
    let signature = url
        .split("Signature=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .expect("sig");
    let not_yet = custom(
        &app,
        &plain,
        &plain,
        Some(Epoch(app.clock_now().seconds() + 300)),
        None,
        HashAlgorithm::Sha1,
    );
    let wrong_ip = custom(
        &app,
        &plain,
        &plain,
        None,
        Some("10.0.0.0/8"),
        HashAlgorithm::Sha1,
    );
    // A grant for Bob's prefix, presented with Alice's object.
    let bobs = format!("{}/edge/bob/x.png", app.base);
    let elsewhere = custom(
        &app,
        &bobs,
        &format!("{}/edge/bob/*", app.base),
        None,
        None,
        HashAlgorithm::Sha1,
    )
    .replacen(&bobs, &plain, 1);
    let both = format!("{url}&Policy=eyJ9");
    let cases: Vec<(&str, String, &str)> = vec![
        ("unsigned", plain.clone(), "unsigned"),
        (
            "tampered signature",
            swap(signature, &flip_one(signature)),
            "bad signature",
        ),
        (
            "unknown key id",
            swap(&format!("Key-Pair-Id={KEY_ID}"), "Key-Pair-Id=KUNKNOWNKEY"),
            "unknown key-pair id",
        ),
        ("another object", swap("p.png?", "q.png?"), "bad signature"),
        (
            "malformed Expires",
            swap("Expires=", "Expires=x"),
            "malformed",
        ),
        ("both policy forms", both, "both Expires and Policy"),
        ("not yet valid", not_yet, "not valid yet"),
        ("IP not allowed", wrong_ip, "IP"),
        ("resource mismatch", elsewhere, "resource mismatch"),
    ];
    for (what, bad, says) in cases {
        let (status, reason, body) = get(&app, &bad, None).await;
        assert_eq!(status, 403, "{what}: {bad}");
        assert!(reason.contains(says), "{what}: reason {reason:?}");
        let body = String::from_utf8(body).expect("utf-8");
        assert!(
            body.starts_with("<?xml") && body.contains("<Error><Code>"),
            "{what}: {body}"
        );
    }
    let (_, _, body) = get(&app, &plain, None).await;
    assert!(String::from_utf8_lossy(&body).contains("<Code>MissingKey</Code>"));

    // SHA-256 signatures and custom policies that allow the request are served.
    let sha256 = custom(
        &app,
        &plain,
        &plain,
        None,
        Some("127.0.0.1"),
        HashAlgorithm::Sha256,
    );
    assert!(sha256.contains("Hash-Algorithm=SHA256"));
    assert_eq!(get(&app, &sha256, None).await.0, 200);

    // Past its expiry the same link is refused, and the edge says how long ago.
    let expires: u64 = url
        .split("Expires=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .expect("E")
        .parse()
        .expect("n");
    app.clock.set(Epoch(expires + 42));
    let (status, reason, _) = get(&app, &url, None).await;
    assert_eq!(
        (status, reason.starts_with("expired 42 s ago")),
        (403, true),
        "{reason}"
    );
}

#[tokio::test]
async fn the_edge_answers_range_requests_and_missing_objects() {
    let Setup { app, _server } = edge_app().await;
    app.user("alice").await;
    let alice = app.token("alice");
    let (id, _) = uploaded(&app, &alice, "r.png", "PRIVATE").await;
    let url = link_of(&app, Some(alice.as_str()), &id).await;
    let res = app
        .client
        .get(&url)
        .header("range", "bytes=10-19")
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 206);
    assert_eq!(header(&res, "content-range"), "bytes 10-19/300");
    assert_eq!(header(&res, "content-length"), "10");
    assert_eq!(
        res.bytes().await.expect("body").to_vec(),
        png(300)[10..20].to_vec()
    );
    let res = app
        .client
        .get(&url)
        .header("range", "bytes=-5")
        .send()
        .await
        .expect("GET");
    assert_eq!(
        res.bytes().await.expect("body").to_vec(),
        png(300)[295..].to_vec()
    );
    let res = app
        .client
        .get(&url)
        .header("range", "bytes=5000-")
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 416);

    // A correctly signed link to an object that is not there: 404, as S3 says.
    let link = app
        .state
        .links
        .link("alice/nothing/here.png", 0, app.clock_now())
        .expect("link");
    assert_eq!(get(&app, link.url(), None).await.0, 404);
}

#[tokio::test]
async fn signed_cookies_open_the_viewers_prefix_only_and_a_signed_url_wins() {
    let Setup { app, _server } = edge_app().await;
    app.user("alice").await;
    app.user("bob").await;
    let alice = app.token("alice");
    let bob = app.token("bob");
    let (_, mine) = uploaded(&app, &alice, "mine.png", "PRIVATE").await;
    let (theirs_id, theirs) = uploaded(&app, &bob, "theirs.png", "PUBLIC").await;

    let set = app.set_cookies(&alice).await;
    assert_eq!(set.len(), 3, "{set:?}");
    assert!(
        set.iter().all(|c| c.contains("Path=/edge/alice/")),
        "{set:?}"
    );
    assert!(
        set.iter().all(|c| !c.contains("Secure")),
        "plain-http edge: {set:?}"
    );
    let jar = set
        .iter()
        .map(|c| c.split(';').next().expect("pair"))
        .collect::<Vec<_>>()
        .join("; ");

    let mine_plain = format!("{}/edge/{mine}", app.base);
    let theirs_plain = format!("{}/edge/{theirs}", app.base);
    assert_eq!(get(&app, &mine_plain, Some(&jar)).await.0, 200);
    let (status, reason, _) = get(&app, &theirs_plain, Some(&jar)).await;
    assert_eq!(status, 403);
    assert!(reason.contains("resource mismatch"), "{reason}");
    // A prefix that merely starts the same is another user's (alice2/… is not alice/…).
    let (status, ..) = get(
        &app,
        &format!("{}/edge/alice2/x/y.png", app.base),
        Some(&jar),
    )
    .await;
    assert_eq!(status, 403);

    // A signed URL wins over cookies, both ways.
    let theirs_signed = link_of(&app, Some(bob.as_str()), &theirs_id).await;
    assert_eq!(get(&app, &theirs_signed, Some(&jar)).await.0, 200);
    let mine_bad = format!("{mine_plain}?Expires=1&Signature=AAAA&Key-Pair-Id={KEY_ID}");
    let (status, reason, _) = get(&app, &mine_bad, Some(&jar)).await;
    assert_eq!(
        status, 403,
        "the URL's own (bad) signature decides, not the cookies"
    );
    assert!(!reason.is_empty());

    // Without cookies, and after they expire, the plain URL is refused.
    assert_eq!(get(&app, &mine_plain, None).await.0, 403);
    app.clock.advance(3600 * 3);
    let (status, reason, _) = get(&app, &mine_plain, Some(&jar)).await;
    assert_eq!(status, 403);
    assert!(reason.starts_with("expired"), "{reason}");
}

#[tokio::test]
async fn dev_tokens_and_the_demo_page_exist_only_where_they_should() {
    let Setup { app, _server } = edge_app().await;
    // TestApp configures a secret, so this is not dev mode: no tokens for strangers.
    let res = app
        .client
        .post(format!("{}/dev/token", app.base))
        .json(&json!({"sub": "mallory"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 404);
    let page = app
        .client
        .get(format!("{}/demo", app.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(page.status(), 200);
    assert!(header(&page, "content-type").starts_with("text/html"));
    // With a real CloudFront domain there is no edge.
    let cdn = TestApp::spawn().await;
    let res = cdn
        .client
        .get(format!("{}/edge/a/b/c.png", cdn.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 404);
}

mod headers;
mod paths;
mod ranges;
mod raw;
