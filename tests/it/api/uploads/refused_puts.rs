//! PUTs that are not what the ticket declared: S3 refuses them and nothing is left, and an object
//! that differs from its declaration anyway fails completeUpload and is deleted.

use mediagate::clock::{Clock as _, SystemClock};
use mediagate::cloudfront::Epoch;
use mediagate::store::ImageStatus;
use sha2::{Digest as _, Sha256};

use super::super::helpers::code;
use super::{
    Setup, complete, id_of, input, input_of, key_of, object_exists, png, put_with, setup,
    sha256_hex, status_of, ticket,
};

async fn refused_puts_leave_nothing_behind(real_server: bool) {
    let Setup { app, _server } = setup(real_server, |_| {}).await;
    app.user("alice").await;
    let token = app.token("alice");
    let bytes = png(1000);
    let other = png(999);
    let right_sum = sha256_hex(&bytes);
    let mut wrong = bytes.clone();
    wrong[500] ^= 1;

    struct Case {
        what: &'static str,
        declared_sum: Option<String>,
        body: Vec<u8>,
        tweak: Vec<(&'static str, Option<&'static str>)>,
        url: fn(&str) -> String,
        expired: bool,
    }
    let same = |u: &str| u.to_owned();
    let cases = [
        Case {
            what: "wrong Content-Type",
            declared_sum: Some(right_sum.clone()),
            body: bytes.clone(),
            tweak: vec![("content-type", Some("image/jpeg"))],
            url: same,
            expired: false,
        },
        Case {
            what: "wrong length",
            declared_sum: Some(right_sum.clone()),
            body: other.clone(),
            tweak: vec![],
            url: same,
            expired: false,
        },
        Case {
            what: "checksum mismatch",
            declared_sum: Some(right_sum.clone()),
            body: wrong.clone(),
            tweak: vec![],
            url: same,
            expired: false,
        },
        Case {
            what: "checksum header dropped",
            declared_sum: Some(right_sum.clone()),
            body: bytes.clone(),
            tweak: vec![("x-amz-checksum-sha256", None)],
            url: same,
            expired: false,
        },
        Case {
            what: "expired URL",
            declared_sum: Some(right_sum.clone()),
            body: bytes.clone(),
            tweak: vec![],
            url: same,
            expired: true,
        },
        Case {
            what: "tampered signature",
            declared_sum: Some(right_sum.clone()),
            body: bytes.clone(),
            tweak: vec![],
            url: |u| {
                let (head, sig) = u.rsplit_once("X-Amz-Signature=").expect("signature");
                let flipped: String = sig.chars().rev().collect();
                format!("{head}X-Amz-Signature={flipped}")
            },
            expired: false,
        },
        Case {
            what: "tampered key",
            declared_sum: Some(right_sum.clone()),
            body: bytes.clone(),
            tweak: vec![],
            url: |u| u.replacen(".png?", "x.png?", 1),
            expired: false,
        },
    ];
    for case in cases {
        let real_now = SystemClock.now();
        if case.expired {
            app.clock.set(Epoch(real_now.seconds() - 120));
        }
        let t = ticket(
            &app,
            &token,
            input(
                "photo.png",
                "image/png",
                bytes.len(),
                case.declared_sum.as_deref(),
            ),
        )
        .await;
        app.clock.set(real_now);
        let url = (case.url)(t["upload"]["url"].as_str().expect("url"));
        let res = put_with(&app, &t, &url, case.body.clone(), &case.tweak).await;
        let status = res.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{}: S3 answered {status}: {}",
            case.what,
            res.text().await.unwrap_or_default()
        );
        let key = key_of(&t);
        assert!(
            !object_exists(&app, &key).await,
            "{}: an object was left",
            case.what
        );
        assert!(!object_exists(&app, &format!("{}x.png", key.trim_end_matches(".png"))).await);
        let done = complete(&app, &token, &id_of(&t)).await;
        assert_eq!(code(&done), "BAD_USER_INPUT", "{}: {done}", case.what);
        assert!(
            done.to_string().contains("nothing has been uploaded yet"),
            "{done}"
        );
        assert_eq!(
            status_of(&app, &id_of(&t)).await,
            Some(ImageStatus::Pending),
            "{}",
            case.what
        );
    }
}

#[tokio::test]
async fn refused_puts_leave_nothing_behind_on_s3s_fs() {
    refused_puts_leave_nothing_behind(true).await;
}

#[tokio::test]
async fn refused_puts_leave_nothing_behind_on_the_embedded_local_s3() {
    refused_puts_leave_nothing_behind(false).await;
}

#[tokio::test]
async fn an_object_that_differs_from_its_declaration_fails_and_is_deleted() {
    let Setup { app, _server } = setup(true, |_| {}).await;
    app.user("alice").await;
    let token = app.token("alice");
    let t = ticket(&app, &token, input_of("a.png", "image/png", &png(1000))).await;
    let key = key_of(&t);
    // Something else lands under the key (another writer, a misbehaving S3-compatible server).
    let rogue = app
        .state
        .objects
        .presign_put(
            &key,
            "image/png",
            10,
            &Sha256::digest(png(10)).into(),
            app.clock_now(),
            60,
        )
        .await
        .expect("presign");
    let mut req = app.client.put(&rogue.url);
    for (name, value) in &rogue.headers {
        if !name.eq_ignore_ascii_case("content-length") {
            req = req.header(name, value);
        }
    }
    let res = req.body(png(10)).send().await.expect("PUT");
    assert_eq!(res.status(), 200);
    let done = complete(&app, &token, &id_of(&t)).await;
    assert_eq!(code(&done), "BAD_USER_INPUT", "{done}");
    assert!(
        done.to_string()
            .contains("the object has 10 bytes, 1000 were declared"),
        "{done}"
    );
    assert_eq!(status_of(&app, &id_of(&t)).await, Some(ImageStatus::Failed));
    assert!(!object_exists(&app, &key).await);
    let again = complete(&app, &token, &id_of(&t)).await;
    assert!(again.to_string().contains("failed its checks"), "{again}");
}
