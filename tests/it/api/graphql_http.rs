//! GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/): the media types, the
//! statuses that go with them, a code on every error; then software nobody here wrote,
//! graphql-http's server audit and Apollo Client, against the running app.

use std::path::Path;
use std::process::{Command, Stdio};

use mediagate::store::Visibility;
use serde_json::{Value, json};

use super::helpers::{TestApp, code};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// POSTs `body` with `accept` (none when `None`): the status, the Content-Type and the body.
async fn post(app: &TestApp, accept: Option<&str>, body: Value) -> (u16, String, Value) {
    let mut req = app.client.post(format!("{}/graphql", app.base)).json(&body);
    if let Some(accept) = accept {
        req = req.header("accept", accept);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, content_type, body)
}

/// Every error in `body` has a code; the codes, in order.
fn codes(body: &Value) -> Vec<String> {
    let errors = body["errors"].as_array().expect("errors");
    assert!(!errors.is_empty(), "{body}");
    errors
        .iter()
        .map(|e| {
            e["extensions"]["code"]
                .as_str()
                .unwrap_or_else(|| panic!("an error without a code: {body}"))
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn request_errors_follow_the_media_type_and_every_error_has_a_code() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.image(&alice, "img-1", Visibility::Private).await;
    let deep = "{ image(id: \"x\") { owner { images { nodes { owner { images { nodes { owner { images { nodes { id } } } } } } } } } } }";
    let cases = [
        (json!({"query": "{"}), "GRAPHQL_PARSE_FAILED"),
        (
            json!({"query": "{ nosuchfield }"}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            json!({"query": "query A { viewer { id } } query B { viewer { id } }"}),
            "OPERATION_RESOLUTION_FAILURE",
        ),
        (
            json!({"query": "query A { viewer { id } }", "operationName": "Z"}),
            "OPERATION_RESOLUTION_FAILURE",
        ),
        (
            json!({"query": "query($i: ID!) { image(id: $i) { id } }", "variables": {"i": null}}),
            "BAD_USER_INPUT",
        ),
        (json!({"query": deep}), "BAD_USER_INPUT"),
    ];
    for (body, want) in &cases {
        for (accept, status, content_type) in [
            (None, 200, "application/json"),
            (Some("application/json"), 200, "application/json"),
            (Some("*/*"), 200, "application/json"),
            (Some(GRAPHQL_RESPONSE), 400, GRAPHQL_RESPONSE),
            (
                Some("application/graphql-response+json, application/json;q=0.9"),
                400,
                GRAPHQL_RESPONSE,
            ),
        ] {
            let (got_status, got_type, got) = post(&app, accept, body.clone()).await;
            let what = format!("{body} with Accept {accept:?}");
            assert_eq!(got_status, status, "{what}: {got}");
            assert!(got_type.starts_with(content_type), "{what}: {got_type}");
            assert!(got_type.contains("charset=utf-8"), "{what}: {got_type}");
            assert_eq!(codes(&got), [*want], "{what}: {got}");
            assert!(
                got.get("data").is_none(),
                "{what}: nothing ran, no data: {got}"
            );
        }
    }

    // Executed: 200 whatever the media type, field errors included (the viewer may not see
    // the image: null, no error; signedCookies needs a user: a field error with its code).
    for accept in [None, Some(GRAPHQL_RESPONSE)] {
        let (status, content_type, body) = post(
            &app,
            accept,
            json!({"query": "{ image(id: \"img-1\") { id } signedCookies { name } }"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(content_type.starts_with(accept.unwrap_or("application/json")));
        assert_eq!(
            body["data"],
            Value::Null,
            "signedCookies is non-null: {body}"
        );
        assert_eq!(codes(&body), ["UNAUTHENTICATED"], "{body}");
    }

    // Neither media type acceptable: 406, and nothing ran.
    let (status, _, _) = post(
        &app,
        Some("text/html"),
        json!({"query": "{ viewer { id } }"}),
    )
    .await;
    assert_eq!(status, 406);

    // A bad token is refused with 401 in the negotiated type, so a client can read why.
    let res = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("accept", GRAPHQL_RESPONSE)
        .bearer_auth("not-a-token")
        .json(&json!({"query": "{ viewer { id } }"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with(GRAPHQL_RESPONSE)
    );
    assert!(res.headers().contains_key("www-authenticate"));
    assert_eq!(code(&res.json().await.expect("json")), "UNAUTHENTICATED");

    // Not a GraphQL-over-HTTP request at all: 400 (415 without a JSON body type).
    for (body, status) in [
        (json!({"qeury": "{ viewer { id } }"}), 400),
        (
            json!({"query": "{ viewer { id } }", "variables": "{}"}),
            400,
        ),
        (json!({"query": "{ viewer { id } }", "variables": [7]}), 400),
        (
            json!({"query": "{ viewer { id } }", "extensions": "x"}),
            400,
        ),
        (
            json!({"query": "{ viewer { id } }", "operationName": 3}),
            400,
        ),
    ] {
        let (got, _, reply) = post(&app, Some(GRAPHQL_RESPONSE), body.clone()).await;
        assert_eq!(got, status, "{body}: {reply}");
        assert_eq!(code(&reply), "BAD_USER_INPUT", "{body}: {reply}");
    }
    let res = app
        .client
        .post(format!("{}/graphql", app.base))
        .body("{\"query\": \"{ viewer { id } }\"}")
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 415);
    let res = app
        .client
        .put(format!("{}/graphql", app.base))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 405);
}

/// The packages of tests/graphql-http/package.json, as scripts/test installs them.
fn node_modules() -> String {
    std::env::var("MEDIAGATE_GQL_CLIENTS_NODE_MODULES").unwrap_or_else(|_| {
        panic!(
            "MEDIAGATE_GQL_CLIENTS_NODE_MODULES is not set: run the suite with ./scripts/test, which installs graphql-http and @apollo/client"
        )
    })
}

/// Runs `tests/graphql-http/<script>` with `args` and `stdin`; its JSON output.
async fn node(script: &str, args: Vec<String>, stdin: Value) -> Value {
    let modules = node_modules();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/graphql-http")
        .join(script);
    // The app answers on other threads; the blocking wait stays off the test's runtime.
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut child = Command::new("node")
            .arg(&path)
            .args(&args)
            .env("MEDIAGATE_GQL_CLIENTS_NODE_MODULES", modules)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node {}: {e}", path.display()));
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.to_string().as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("node output")
    })
    .await
    .expect("node task");
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from node")
}

#[tokio::test]
async fn graphql_http_server_audit_passes_every_check() {
    let app = TestApp::spawn_with(|c| {
        // Some audits ask for `__type`; production shape may switch introspection off.
        c.graphql.introspection = Some(true);
    })
    .await;
    let report = node(
        "audit.cjs",
        vec![format!("{}/graphql", app.base)],
        json!({}),
    )
    .await;
    let results = report["results"].as_array().expect("results");
    println!("graphql-http {} server audit:", report["version"]);
    for r in results {
        println!("  {} {} {}", r["status"], r["id"], r["name"]);
    }
    assert!(results.len() >= 60, "only {} audits ran", results.len());
    let failed: Vec<&Value> = results.iter().filter(|r| r["status"] != "ok").collect();
    assert!(failed.is_empty(), "audits that did not pass: {failed:#?}");
}

#[tokio::test]
async fn apollo_client_sees_the_errors_and_their_codes() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.image(&alice, "img-1", Visibility::Public).await;
    let token = app.token("alice");
    let budget_buster = format!(
        "query {{ user(id: \"{alice}\") {{ images(first: 100) {{ nodes {{ owner {{ images(first: 100) {{ nodes {{ id }} }} }} }} }} }} }}"
    );
    let cases = json!([
        {"query": "query Ok { image(id: \"img-1\") { id } }"},
        {"query": "query Bad { nosuchfield }"},
        {"query": "query NeedsUser { signedCookies { name } }"},
        {"query": "query Coerce($i: ID!) { image(id: $i) { id } }", "variables": {}},
        {"query": budget_buster},
        {"query": "query Token { viewer { id } }", "token": "not-a-token"},
        {"query": "query Me { viewer { id } }", "token": token},
    ]);
    let report = node(
        "apollo.cjs",
        vec![],
        json!({"url": format!("{}/graphql", app.base), "cases": cases}),
    )
    .await;
    println!("@apollo/client {}", report["version"]);
    let results = report["results"].as_array().expect("results");
    assert_eq!(
        results[0],
        json!({"data": {"image": {"__typename": "Image", "id": "img-1"}}})
    );
    assert_eq!(
        results[6],
        json!({"data": {"viewer": {"__typename": "User", "id": alice}}})
    );
    for (i, want_code, says) in [
        (1, "GRAPHQL_VALIDATION_FAILED", "nosuchfield"),
        (2, "UNAUTHENTICATED", "sign in"),
        (3, "BAD_USER_INPUT", "$i"),
        (4, "BAD_USER_INPUT", "exceeds the budget"),
        (5, "UNAUTHENTICATED", "token"),
    ] {
        let error = &results[i]["error"];
        assert_eq!(error["name"], "CombinedGraphQLErrors", "case {i}: {error}");
        let first = &error["graphqlErrors"][0];
        assert_eq!(first["code"], want_code, "case {i}: {error}");
        let message = first["message"].as_str().unwrap_or("");
        assert!(
            message.contains(says),
            "case {i}: {message:?} should say {says:?}"
        );
        assert!(
            !error["message"]
                .as_str()
                .unwrap_or("")
                .contains("Received status code"),
            "case {i}: {error}"
        );
    }
}
