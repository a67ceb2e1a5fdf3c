//! The edge reads `Range` itself (one `bytes=a-b`, `a-` or `-n`) and hands S3 only the range it
//! normalised; several ranges or garbage are ignored (the whole object, as S3 does), numbers
//! past what S3 can address and unsatisfiable ranges get 416 without S3 being asked.

use super::super::uploads::{Setup, png, uploaded};
use super::{edge_app, header, link_of};

/// Status, Content-Range and body the edge should answer with.
type Answer = (u16, String, Vec<u8>);

#[tokio::test]
async fn the_edge_normalises_ranges_and_refuses_overflowing_ones_itself() {
    let Setup { app, _server } = edge_app().await;
    app.user("alice").await;
    let alice = app.token("alice");
    let (id, _) = uploaded(&app, &alice, "r.png", "PRIVATE").await;
    let url = link_of(&app, Some(alice.as_str()), &id).await;
    let all = png(300);
    let partial = |from: usize, to: usize| {
        (
            206,
            format!("bytes {from}-{to}/300"),
            all[from..=to].to_vec(),
        )
    };
    let whole = (200, String::new(), all.clone());
    let refused = (416, String::new(), Vec::new());
    let cases: Vec<(&str, Answer)> = vec![
        ("bytes=-18446744073709551615", refused.clone()),
        ("bytes=-18446744073709551616", refused.clone()),
        ("bytes=-9223372036854775808", refused.clone()),
        ("bytes=18446744073709551615-", refused.clone()),
        ("bytes=0-99999999999999999999999999", refused.clone()),
        ("bytes=-0", refused.clone()),
        ("bytes=300-", refused.clone()),
        ("bytes=300-400", refused.clone()),
        // A suffix longer than the object is the whole object, as a range.
        ("bytes=-5000", partial(0, 299)),
        ("bytes=-9223372036854775807", partial(0, 299)),
        ("bytes=-5", partial(295, 299)),
        ("bytes=10-19", partial(10, 19)),
        ("bytes=010-019", partial(10, 19)),
        ("bytes=290-", partial(290, 299)),
        ("bytes=290-5000", partial(290, 299)),
        ("BYTES=1-2", partial(1, 2)),
        // Not one range we understand: ignored, the whole object.
        ("bytes=0-0,5-6", whole.clone()),
        ("bytes=5-2", whole.clone()),
        ("bytes=abc", whole.clone()),
        ("bytes=", whole.clone()),
        ("bytes=-", whole.clone()),
        ("bytes=1-2-3", whole.clone()),
        ("bytes=+1-2", whole.clone()),
        ("items=0-1", whole.clone()),
        ("bytes=0x10-", whole.clone()),
    ];
    let mut wrong = Vec::new();
    for (range, (status, content_range, body)) in &cases {
        let res = app
            .client
            .get(&url)
            .header("range", *range)
            .send()
            .await
            .expect("GET");
        let got_status = res.status().as_u16();
        let got_range = header(&res, "content-range");
        let got_body = res.bytes().await.expect("body").to_vec();
        let body_ok = *status == 416 || got_body == *body;
        let range_ok = *status == 416 || got_range == *content_range;
        if got_status != *status || !body_ok || !range_ok {
            wrong.push(format!(
                "{range}: {got_status} {got_range:?} ({} bytes), wanted {status} {content_range:?} ({} bytes)",
                got_body.len(),
                body.len()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} ranges:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
