//! The guards in front of juniper, over HTTP: depth, aliases and cost are checked on the document
//! juniper executes, whatever it contains; fragments cost their expansion but are walked once;
//! a refusal is remembered; the response size is bounded.

use std::time::{Duration, Instant};

use mediagate::store::Visibility;
use serde_json::{Value, json};

use super::helpers::{TestApp, code};

/// Strings juniper reads and a parser that predates the October 2021 spec does not: a braced
/// escape and a surrogate pair (each of them once made the old checker give up and let the
/// document through unchecked).
const AWKWARD_STRINGS: [&str; 2] = [r#""\u{78}""#, r#""\uD83D\uDE00""#];

/// `{ image(id: <id>) { owner { images(first: 2) { nodes { owner … __typename } } } } }`:
/// `depth` fields deep, valid against the schema, so juniper would run it; small pages keep it
/// within the cost budget.
fn chain(depth: usize, id: &str) -> String {
    const CYCLE: [&str; 3] = ["owner", "images(first: 2)", "nodes"];
    let mut q = format!("{{ image(id: {id}) {{");
    for i in 0..depth.saturating_sub(2) {
        q.push(' ');
        q.push_str(CYCLE[i % 3]);
        q.push_str(" {");
    }
    q.push_str(" __typename");
    q.push_str(&" }".repeat(depth.saturating_sub(1)));
    q.push_str(" }");
    q
}

fn aliases(n: usize, id: &str) -> String {
    let fields: Vec<String> = (0..n)
        .map(|i| format!("a{i}: image(id: {id}) {{ id }}"))
        .collect();
    format!("{{ {} }}", fields.join(" "))
}

/// The issue's document: `F{n}` spreads `F{n-1}` twice, so `...F{top}` expands into
/// 2^(top+1) fields.
fn doubling_fragments(top: usize) -> String {
    let mut q = format!("query Q{{...F{top}}} fragment F0 on Query{{viewer{{id}}}}");
    for i in 1..=top {
        q.push_str(&format!(
            " fragment F{i} on Query{{...F{} ...F{}}}",
            i - 1,
            i - 1
        ));
    }
    q
}

/// A refusal before execution: an error with `code`, whose message contains `says`, and no data.
fn assert_refused(body: &Value, want_code: &str, says: &str, what: &str) {
    assert_eq!(code(body), want_code, "{what}: {}", brief(body));
    let message = body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(
        message.contains(says),
        "{what}: {message:?} should say {says:?}"
    );
    assert!(
        body.get("data").is_none_or(Value::is_null),
        "{what} was executed: {}",
        brief(body)
    );
}

/// The start of a body, for failure messages (an executed query's answer can be megabytes).
fn brief(body: &Value) -> String {
    body.to_string().chars().take(400).collect()
}

#[tokio::test]
async fn the_guards_hold_for_every_document_juniper_accepts() {
    let app = TestApp::spawn().await;
    // The defaults: 10 levels, 30 aliases.
    for id in AWKWARD_STRINGS.iter().copied().chain([r#""x""#]) {
        let (_, body) = app.gql(None, &chain(13, id), json!({})).await;
        assert_refused(
            &body,
            "BAD_USER_INPUT",
            "at most 10 levels",
            &format!("depth 13, {id}"),
        );
        let (_, body) = app.gql(None, &aliases(31, id), json!({})).await;
        assert_refused(
            &body,
            "BAD_USER_INPUT",
            "31 aliases",
            &format!("31 aliases, {id}"),
        );
        // Within the limits the same strings are fine.
        let (status, body) = app.gql(None, &chain(10, id), json!({})).await;
        assert_eq!(
            (status, &body["data"]),
            (200, &json!({"image": null})),
            "{body}"
        );
    }
    // Deeper than the old checker's parser could follow.
    for depth in [55, 60] {
        let (_, body) = app.gql(None, &chain(depth, r#""x""#), json!({})).await;
        assert_refused(&body, "BAD_USER_INPUT", "levels", &format!("depth {depth}"));
    }
    // An escape inside a variable's default value, and a block string, are read the same way.
    let q = format!("query($i: ID = {}) {}", AWKWARD_STRINGS[0], chain(13, "$i"));
    let (_, body) = app.gql(None, &q, json!({})).await;
    assert_refused(
        &body,
        "BAD_USER_INPUT",
        "levels",
        "escape in a default value",
    );
    let q = chain(13, r#""""\u{78} block""""#);
    let (_, body) = app.gql(None, &q, json!({})).await;
    assert_refused(&body, "BAD_USER_INPUT", "levels", "block string");
}

#[tokio::test]
async fn fragments_are_expanded_once_not_once_per_path() {
    let app = TestApp::spawn().await;
    let issue = doubling_fragments(24);
    let started = Instant::now();
    let (_, body) = app.gql(None, &issue, json!({})).await;
    println!(
        "F24 ({} bytes, 2^25 fields expanded): refused over HTTP in {:?}",
        issue.len(),
        started.elapsed()
    );
    assert_refused(&body, "BAD_USER_INPUT", "", "F24");

    // 2^64 paths: a checker that walks each of them never answers. The timeout only tells a hang
    // from an answer; the figures printed are the measurement.
    let endless = doubling_fragments(63);
    let started = Instant::now();
    let (_, body) =
        tokio::time::timeout(Duration::from_secs(120), app.gql(None, &endless, json!({})))
            .await
            .expect("the F63 document was still being expanded after two minutes");
    println!(
        "F63 (2^64 fields expanded): refused over HTTP in {:?}",
        started.elapsed()
    );
    assert_refused(&body, "BAD_USER_INPUT", "", "F63");

    // The same work, in process and without the HTTP round trip: each document is new to the
    // cache (another operation name), so this is the whole analysis.
    let mut times = Vec::new();
    for i in 0..200 {
        let doc = doubling_fragments(24).replacen("query Q{", &format!("query Q{i}{{"), 1);
        let started = Instant::now();
        let refused = app.documents.prepare(&doc, None).is_err();
        times.push(started.elapsed());
        assert!(refused);
    }
    times.sort();
    println!(
        "F24 analysed in process: median {:?}, max {:?} over {} new documents",
        times[times.len() / 2],
        times[times.len() - 1],
        times.len()
    );

    // With the budget out of the way, the largest doubling juniper's parser lets through (F12,
    // 8,192 fields) goes on to juniper's validation: where the time goes when nothing of ours
    // refuses it.
    let unbudgeted = TestApp::spawn_with(|c| c.graphql.max_cost = u64::MAX).await;
    let started = Instant::now();
    let prepared = unbudgeted.documents.prepare(&doubling_fragments(12), None);
    println!(
        "F12 parsed, checked and validated by juniper in {:?} (accepted: {})",
        started.elapsed(),
        prepared.is_ok()
    );
}

#[tokio::test]
async fn a_query_costs_what_it_could_return_and_the_budget_is_checked_first() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    for n in 0..3 {
        app.image(&alice, &format!("img-{n}"), Visibility::Public)
            .await;
    }
    // Issue 11's document: within the depth and alias limits, 92 MB of answer on a full dataset.
    let nested = |first: &str| {
        format!(
            "user(id: \"{alice}\") {{ images(first: {first}) {{ nodes {{ url owner {{ images(first: {first}) {{ nodes {{ url owner {{ images(first: {first}) {{ nodes {{ url }} }} }} }} }} }} }} }} }}"
        )
    };
    let three = |first: &str| {
        let user = nested(first);
        let variables = if first.starts_with('$') {
            "($n: Int)"
        } else {
            ""
        };
        format!("query{variables} {{ a: {user} b: {user} c: {user} }}")
    };
    let (_, body) = app.gql(None, &three("40"), json!({})).await;
    assert_refused(
        &body,
        "BAD_USER_INPUT",
        "exceeds the budget of 5,000",
        "three aliases of first: 40",
    );
    let message = body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("query cost "), "{message}");

    // The same through a variable: one document, the cost worked out per request.
    let by_variable = three("$n");
    for (n, refused) in [(40, true), (2, false), (40, true), (1, false)] {
        let (_, body) = app.gql(None, &by_variable, json!({"n": n})).await;
        if refused {
            assert_refused(
                &body,
                "BAD_USER_INPUT",
                "exceeds the budget",
                &format!("n = {n}"),
            );
        } else {
            assert!(body.get("errors").is_none(), "n = {n}: {}", brief(&body));
            let nodes = &body["data"]["a"]["images"]["nodes"];
            assert_eq!(nodes.as_array().map(Vec::len), Some(n), "{}", brief(&body));
        }
    }
    // A missing `first` counts as the schema's default, 20.
    let (_, body) = app.gql(None, &by_variable, json!({})).await;
    assert_refused(
        &body,
        "BAD_USER_INPUT",
        "exceeds the budget",
        "n unset (20)",
    );
}

#[tokio::test]
async fn a_refused_document_is_remembered_as_refused() {
    let app = TestApp::spawn().await;
    let cases = [
        (chain(13, r#""x""#), "too deep"),
        (aliases(31, r#""x""#), "too many aliases"),
        ("{ nosuchfield }".to_owned(), "not valid for the schema"),
        ("{".to_owned(), "not GraphQL"),
        (doubling_fragments(24), "too many fields once expanded"),
    ];
    for (doc, what) in &cases {
        let before = app.documents.analyses();
        let mut times = Vec::new();
        for _ in 0..20 {
            let started = Instant::now();
            let (_, body) = app.gql(None, doc, json!({})).await;
            times.push(started.elapsed());
            assert!(
                body["errors"][0]["message"].is_string(),
                "{what}: {}",
                brief(&body)
            );
            assert!(
                body.get("data").is_none_or(Value::is_null),
                "{what}: {}",
                brief(&body)
            );
        }
        assert_eq!(
            app.documents.analyses() - before,
            1,
            "{what}: analysed once, then answered from the cache"
        );
        let first = times[0];
        times.sort();
        println!(
            "{what}: first answer {first:?}, median of 20 {:?}",
            times[10]
        );
    }
}

/// `const QUERY = '…'` (or a template literal) of a k6 script in loadtests/.
fn load_test_query(script: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("loadtests")
        .join(script);
    let text = std::fs::read_to_string(&path).expect("load test script");
    let start = text.find("const QUERY = ").expect("a QUERY constant") + "const QUERY = ".len();
    let quote = text[start..].chars().next().expect("a quote");
    let body = &text[start + 1..];
    body[..body.find(quote).expect("closing quote")].to_owned()
}

fn variables(value: Value) -> juniper::Variables {
    serde_json::from_value(value).expect("variables")
}

#[tokio::test]
async fn what_clients_send_fits_the_default_budget() {
    let app = TestApp::spawn().await;
    // The demo page's (web/app.js) documents, with its field lists spelled out and the largest
    // page the API serves (the page itself asks for 24).
    let gallery_fields =
        "id key visibility status contentType size sha256 createdAt url urlExpiresAt";
    let image_fields = format!("{gallery_fields} owner {{ id username }}");
    let demo = [
        ("query Viewer { viewer { id username } }".to_owned(), json!({})),
        (
            format!("query Gallery($id: ID!, $first: Int!, $after: String) {{ user(id: $id) {{ id username images(first: $first, after: $after) {{ nodes {{ {gallery_fields} }} pageInfo {{ endCursor hasNextPage }} }} }} }}"),
            json!({"id": "u", "first": 100}),
        ),
        (format!("query Image($id: ID!) {{ image(id: $id) {{ {image_fields} }} }}"), json!({"id": "i"})),
        (
            "mutation CreateUpload($input: CreateUploadInput!) { createUpload(input: $input) { image { id key status } upload { method url headers { name value } expiresAt } } }".to_owned(),
            json!({"input": {"filename": "a.jpg", "contentType": "image/jpeg", "size": 1}}),
        ),
        (
            format!("mutation SetVisibility($id: ID!, $v: Visibility!) {{ setVisibility(imageId: $id, visibility: $v) {{ {image_fields} }} }}"),
            json!({"id": "i", "v": "PUBLIC"}),
        ),
        (
            "mutation DeleteImage($id: ID!) { deleteImage(imageId: $id) { method url headers { name value } expiresAt } }".to_owned(),
            json!({"id": "i"}),
        ),
    ];
    let load_tests = [
        (load_test_query("gallery.js"), json!({"u": "u0000"})),
        (load_test_query("one.js"), json!({"i": "u0000-0000"})),
        (
            load_test_query("upload.js"),
            json!({"in": {"filename": "a.jpg", "contentType": "image/jpeg", "size": 1}}),
        ),
    ];
    for (query, vars) in demo.iter().chain(&load_tests) {
        let prepared = app
            .documents
            .prepare(query, None)
            .unwrap_or_else(|e| panic!("{query}: {}", String::from_utf8_lossy(e.body())));
        let vars = variables(vars.clone());
        println!("cost {:>5}: {query}", prepared.cost(&vars));
        assert!(prepared.check_cost(&vars).is_ok(), "{query}");
    }
}

#[tokio::test]
async fn the_budget_and_the_response_size_are_settings() {
    let app = TestApp::spawn_with(|c| {
        c.graphql.max_cost = 100;
        c.graphql.max_response_bytes = 4096;
    })
    .await;
    let alice = app.user("alice").await;
    for n in 0..20 {
        app.image(&alice, &format!("img-{n:02}"), Visibility::Public)
            .await;
    }
    let gallery = |first: u32, fields: &str| {
        format!(
            "{{ user(id: \"{alice}\") {{ images(first: {first}) {{ nodes {{ {fields} }} }} }} }}"
        )
    };
    // 1 + 1 + 50 × 3 = 152.
    let (status, body) = app.gql(None, &gallery(50, "id url"), json!({})).await;
    assert_eq!(status, 200);
    assert_refused(
        &body,
        "BAD_USER_INPUT",
        "query cost 152 exceeds the budget of 100",
        "first: 50",
    );
    let (_, body) = app.gql(None, &gallery(10, "id"), json!({})).await;
    assert_eq!(
        body["data"]["user"]["images"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(10)
    );

    // Within the budget, but 20 signed URLs are more than 4 KiB: the answer becomes an error.
    let (status, body) = app.gql(None, &gallery(20, "url"), json!({})).await;
    assert_eq!(status, 200, "data is null, not absent: {}", brief(&body));
    assert_eq!(body["data"], Value::Null, "{}", brief(&body));
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let message = body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("larger than 4096 bytes"), "{message}");
    let (_, body) = app.gql(None, &gallery(2, "url"), json!({})).await;
    assert_eq!(
        body["data"]["user"]["images"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}
