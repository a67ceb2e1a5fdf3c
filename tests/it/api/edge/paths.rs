//! The edge serves exactly the object whose key the signature covered: paths that decode to
//! another key (dot segments, encoded separators, empty segments, control characters, spellings
//! that are not the server's own encoding) are refused with 400 before S3 is asked. Sent as raw
//! bytes, since every ordinary client would resolve the dots itself.

use super::super::uploads::{Setup, png, uploaded_bytes};
use super::edge_app;
use super::raw::{RawResponse, raw_get};

const MARK: &[u8] = b"BOB-PRIVATE-BYTES";

/// Bytes that say whose they are, so a leak is seen in any body.
fn bobs_bytes() -> Vec<u8> {
    let mut bytes = png(8);
    while bytes.len() < 400 {
        bytes.extend_from_slice(MARK);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn jar(set_cookies: &[String]) -> String {
    set_cookies
        .iter()
        .map(|c| c.split(';').next().expect("pair"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe(res: &RawResponse) -> String {
    format!(
        "{} {:?} {}",
        res.status,
        res.headers,
        String::from_utf8_lossy(&res.body[..res.body.len().min(300)])
    )
}

#[tokio::test]
async fn paths_that_decode_to_another_key_are_refused_before_s3() {
    let Setup { app, _server } = edge_app().await;
    let carol_id = app.user("carol").await;
    let bob_id = app.user("bob").await;
    let carol = app.token("carol");
    let bob = app.token("bob");
    let (_, bobs_key) = uploaded_bytes(&app, &bob, "private.png", "PRIVATE", bobs_bytes()).await;
    let (_, carols_key) = uploaded_bytes(&app, &carol, "mine.png", "PRIVATE", png(300)).await;
    assert!(bobs_key.starts_with(&format!("{bob_id}/")));
    // Carol's own cookies: a wildcard policy over /edge/{carol}/*.
    let cookie = jar(&app.set_cookies(&carol).await);
    let with_cookie = [("Cookie", cookie.as_str())];

    // They work for her own object, so every refusal below is the path's doing.
    let own = raw_get(
        &app.base,
        format!("/edge/{carols_key}").as_bytes(),
        &with_cookie,
    )
    .await;
    assert_eq!(own.status, 200, "{}", describe(&own));
    assert_eq!(own.body, png(300));

    let c = &carol_id;
    let b = &bobs_key;
    let (bob_image, bob_file) = b
        .strip_prefix(&format!("{bob_id}/"))
        .and_then(|rest| rest.split_once('/'))
        .expect("key shape");
    let attacks: Vec<(&str, String)> = vec![
        ("lower-case %2e%2e", format!("{c}/%2e%2e/{b}")),
        ("upper-case %2E%2E", format!("{c}/%2E%2E/{b}")),
        ("mixed .%2e", format!("{c}/.%2e/{b}")),
        ("mixed %2e.", format!("{c}/%2e./{b}")),
        ("..%2f", format!("{c}/..%2f{b}")),
        ("..%2F", format!("{c}/..%2F{b}")),
        ("%2e%2e%2f", format!("{c}/%2e%2e%2f{b}")),
        ("raw ..", format!("{c}/../{b}")),
        ("raw .. twice", format!("{c}/x/../../{b}")),
        ("raw . then ..", format!("{c}/./../{b}")),
        ("encoded slash in a segment", format!("{c}%2f..%2f{b}")),
        ("..%5c", format!("{c}/..%5c{b}")),
        ("..%5C", format!("{c}/..%5C{b}")),
        ("empty segment", format!("{c}//../{b}")),
        (
            "empty segment alone",
            format!("{c}//{bob_image}/{bob_file}"),
        ),
        ("NUL", format!("{c}/%00/../{b}")),
        ("newline", format!("{c}/%0a/{b}")),
        ("DEL", format!("{c}/%7F/{b}")),
        // Keys the server would have spelled otherwise: one key, one URL.
        ("needless escape", format!("{c}/%61/{bob_image}")),
        ("lower-case hex", format!("{c}/caf%c3%a9.png")),
        ("trailing slash", format!("{c}/{bob_image}/")),
        ("long dot chain", format!("{c}/{}{b}", "../".repeat(3000))),
        (
            "long encoded dot chain",
            format!("{c}/{}{b}", "%2e%2e/".repeat(3000)),
        ),
    ];
    // Every spelling is tried before judging, so a failure lists all that got through.
    let mut wrong = Vec::new();
    for (what, path) in &attacks {
        let res = raw_get(&app.base, format!("/edge/{path}").as_bytes(), &with_cookie).await;
        let body = String::from_utf8_lossy(&res.body);
        if contains(&res.body, MARK) {
            wrong.push(format!(
                "{what}: BOB'S PRIVATE BYTES SERVED ({})",
                res.status
            ));
        } else if res.status != 400
            || !body.starts_with("<?xml")
            || !body.contains("<Code>InvalidURI</Code>")
            || res
                .header("x-mediagate-edge-reason")
                .is_none_or(str::is_empty)
        {
            wrong.push(format!("{what}: {}", describe(&res)));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} spellings:\n{}",
        wrong.len(),
        attacks.len(),
        wrong.join("\n")
    );
    // A raw backslash is refused too (by the HTTP parser or by the edge), never served.
    let res = raw_get(
        &app.base,
        format!("/edge/{c}/..\\{b}").as_bytes(),
        &with_cookie,
    )
    .await;
    assert!(!contains(&res.body, MARK), "{}", describe(&res));
    assert_eq!(res.status, 400, "{}", describe(&res));

    // The refusals cost S3 nothing and broke nothing: Bob's object is still his, and served to
    // him through his own cookies.
    let bobs_cookie = jar(&app.set_cookies(&bob).await);
    let his = raw_get(
        &app.base,
        format!("/edge/{b}").as_bytes(),
        &[("Cookie", bobs_cookie.as_str())],
    )
    .await;
    assert_eq!(his.status, 200, "{}", describe(&his));
    assert_eq!(his.body, bobs_bytes());
}
