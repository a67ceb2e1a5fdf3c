//! A presigned PUT cannot choose how its bytes are served: headers the signature does not cover
//! (Cache-Control, Content-Disposition, …) may be stored with the object, but the edge answers
//! with its own Cache-Control, `X-Content-Type-Options: nosniff` and an inline
//! Content-Disposition named after the key, whatever is stored.

use serde_json::json;

use super::super::uploads::{
    Setup, complete, id_of, input, png, put_with, setup, sha256_hex, ticket,
};
use super::{header, link_of};

async fn headers_the_uploader_sends_are_not_served(real_server: bool) {
    let Setup { app, _server } = setup(real_server, |c| c.cloudfront.domain = None).await;
    app.user("alice").await;
    let alice = app.token("alice");
    for (name, served_as) in [
        ("p.png", r#"inline; filename="p.png""#),
        (
            "写真.png",
            r#"inline; filename="__.png"; filename*=UTF-8''%E5%86%99%E7%9C%9F.png"#,
        ),
    ] {
        let bytes = png(300);
        let mut inp = input(name, "image/png", bytes.len(), Some(&sha256_hex(&bytes)));
        inp["visibility"] = json!("PUBLIC");
        let t = ticket(&app, &alice, inp).await;
        let url = t["upload"]["url"].as_str().expect("url").to_owned();
        let res = put_with(
            &app,
            &t,
            &url,
            bytes.clone(),
            &[
                ("cache-control", Some("public, max-age=31536000, immutable")),
                (
                    "content-disposition",
                    Some(r#"attachment; filename="evil.html""#),
                ),
                ("expires", Some("Thu, 01 Jan 2099 00:00:00 GMT")),
            ],
        )
        .await;
        // S3 stores unsigned standard headers as metadata; that is why the edge must not serve them.
        assert_eq!(
            res.status(),
            200,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let done = complete(&app, &alice, &id_of(&t)).await;
        assert_eq!(done["data"]["completeUpload"]["status"], "READY", "{done}");
        let link = link_of(&app, None, &id_of(&t)).await;
        let res = app.client.get(&link).send().await.expect("GET");
        assert_eq!(res.status(), 200);
        let cache = header(&res, "cache-control");
        assert!(
            cache.starts_with("private, max-age=") && !cache.contains("public"),
            "{name}: {cache}"
        );
        assert_eq!(header(&res, "x-content-type-options"), "nosniff", "{name}");
        assert_eq!(header(&res, "content-disposition"), served_as, "{name}");
        assert_eq!(header(&res, "expires"), "", "{name}");
        assert_eq!(res.bytes().await.expect("body").to_vec(), bytes);
    }
}

#[tokio::test]
async fn headers_the_uploader_sends_are_not_served_from_s3s_fs() {
    headers_the_uploader_sends_are_not_served(true).await;
}

#[tokio::test]
async fn headers_the_uploader_sends_are_not_served_from_the_embedded_s3() {
    headers_the_uploader_sends_are_not_served(false).await;
}
