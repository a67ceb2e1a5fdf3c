//! Every query, pagination, the guards, and the operational endpoints.

use mediagate::store::Visibility;
use serde_json::{Value, json};

use super::helpers::{TestApp, code};

#[tokio::test]
async fn viewer_and_user() {
    let app = TestApp::spawn().await;
    let (status, body) = app.gql(None, "{ viewer { id } }", json!({})).await;
    assert_eq!((status, body), (200, json!({"data": {"viewer": null}})));

    // First sight of a sub creates the user, named from preferred_username.
    let token = mediagate::auth::issue_hs256(
        super::helpers::SECRET.as_bytes(),
        "auth0|abc",
        Some("Alice A."),
        "mediagate-dev",
        "mediagate",
        600,
        app.clock_now().0,
    )
    .expect("token");
    let (_, body) = app
        .gql(Some(&token), "{ viewer { id username } }", json!({}))
        .await;
    let id = body["data"]["viewer"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(id.starts_with('u') && id.len() == 25, "derived id {id}");
    assert_eq!(body["data"]["viewer"]["username"], json!("Alice A."));
    let (_, again) = app.gql(Some(&token), "{ viewer { id } }", json!({})).await;
    assert_eq!(again["data"]["viewer"]["id"], json!(id));

    let q = "query($u: ID!) { user(id: $u) { id username } }";
    assert_eq!(
        app.gql(None, q, json!({"u": id})).await.1["data"]["user"]["username"],
        json!("Alice A.")
    );
    assert_eq!(
        app.gql(None, q, json!({"u": "nobody"})).await.1,
        json!({"data": {"user": null}})
    );
    assert_eq!(
        app.gql(None, q, json!({"u": "../etc"})).await.1,
        json!({"data": {"user": null}})
    );
}

#[tokio::test]
async fn image_fields() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let image = app.image(&alice, "img-1", Visibility::Public).await;
    let q = "{ image(id: \"img-1\") { id key owner { id } visibility status contentType size sha256 createdAt } }";
    let (_, body) = app.gql(None, q, json!({})).await;
    assert_eq!(
        body["data"]["image"],
        json!({"id": "img-1", "key": image.key, "owner": {"id": alice}, "visibility": "PUBLIC", "status": "READY",
               "contentType": "image/jpeg", "size": 1234, "sha256": null, "createdAt": "2027-01-15T08:00:00.000Z"})
    );
}

#[tokio::test]
async fn pagination_by_cursor() {
    let app = TestApp::spawn().await;
    app.seeder()
        .await
        .seed(
            2,
            250,
            "mediagate-dev",
            app.clock_now().0 as i64 * 1000,
            &|_| {},
        )
        .await
        .expect("seed");
    let q = "query($a: String, $f: Int!) { user(id: \"u0001\") { images(first: $f, after: $a) { nodes { id } pageInfo { endCursor hasNextPage } } } }";
    let mut after = Value::Null;
    let mut seen = Vec::new();
    for expected in [100, 100, 50] {
        let (_, body) = app.gql(None, q, json!({"a": after, "f": 100})).await;
        let page = &body["data"]["user"]["images"];
        let nodes = page["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), expected);
        seen.extend(
            nodes
                .iter()
                .map(|n| n["id"].as_str().expect("id").to_owned()),
        );
        assert_eq!(page["pageInfo"]["hasNextPage"], json!(expected == 100));
        after = page["pageInfo"]["endCursor"].clone();
    }
    let mut expected: Vec<String> = (0..250).map(|n| format!("u0001-{n:04}")).collect();
    expected.reverse();
    assert_eq!(
        seen, expected,
        "pages must cover every image once, newest (then highest id) first"
    );

    for (first, after) in [
        (101, Value::Null),
        (-1, Value::Null),
        (10, json!("forged")),
        (10, json!("djE6MTp1MDAwMS0wMDAx/")),
    ] {
        let (_, body) = app.gql(None, q, json!({"a": after, "f": first})).await;
        assert_eq!(
            code(&body),
            "BAD_USER_INPUT",
            "first={first} after={after}: {body}"
        );
    }
    let (_, body) = app
        .gql(
            None,
            "{ user(id: \"u0000\") { images { nodes { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["user"]["images"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(20),
        "default page is 20"
    );
}

#[tokio::test]
async fn guards() {
    let app = TestApp::spawn_with(|c| {
        c.graphql.max_depth = 4;
        c.graphql.max_aliases = 3;
        c.graphql.introspection = Some(false);
        c.server.body_limit_bytes = 2048;
    })
    .await;
    // A refused document is a request error: 200 as application/json (GraphQL over HTTP).
    let deep = "{ image(id: \"x\") { owner { images { nodes { id } } } } }";
    let (status, body) = app.gql(None, deep, json!({})).await;
    assert_eq!((status, code(&body)), (200, "BAD_USER_INPUT"), "{body}");
    let aliases = "{ a: viewer { id } b: viewer { id } c: viewer { id } d: viewer { id } }";
    assert_eq!(
        code(&app.gql(None, aliases, json!({})).await.1),
        "BAD_USER_INPUT"
    );
    let (_, body) = app
        .gql(None, "{ __schema { types { name } } }", json!({}))
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("introspection"),
        "{body}"
    );

    let big = format!("{{ viewer {{ id }} }} # {}", "x".repeat(4096));
    let res = app
        .client
        .post(format!("{}/graphql", app.base))
        .json(&json!({"query": big}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 413);
    assert_eq!(code(&res.json().await.expect("json")), "BAD_USER_INPUT");
    let res = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 400);
    assert_eq!(code(&res.json().await.expect("json")), "BAD_USER_INPUT");

    // GET runs queries, never mutations (a link in an e-mail must not change anything).
    let get = |q: &str| {
        app.client
            .get(format!("{}/graphql", app.base))
            .query(&[("query", q)])
            .send()
    };
    let res = get("{ viewer { id } }").await.expect("get");
    assert_eq!(
        res.json::<Value>().await.expect("json"),
        json!({"data": {"viewer": null}})
    );
    let res = get("mutation { deleteImage(imageId: \"x\") { method } }")
        .await
        .expect("get");
    assert_eq!(res.status(), 405);
    assert_eq!(
        res.headers().get("allow").map(|v| v.as_bytes()),
        Some(&b"POST"[..])
    );
    let (status, body) = app.gql(None, "{ nosuchfield }", json!({})).await;
    assert_eq!(
        (status, code(&body)),
        (200, "GRAPHQL_VALIDATION_FAILED"),
        "{body}"
    );
}

#[tokio::test]
async fn operational_endpoints() {
    let app = TestApp::spawn().await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.base)).send();
    assert_eq!(
        get("/healthz")
            .await
            .expect("healthz")
            .text()
            .await
            .expect("text"),
        "ok"
    );
    let ready: Value = get("/readyz")
        .await
        .expect("readyz")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["ready"], json!(true));
    assert_eq!(ready["active_key"], json!(super::helpers::KEY_ID));
    let alice = app.user("alice").await;
    app.image(&alice, "img-1", Visibility::Public).await;
    for _ in 0..3 {
        app.gql(None, "{ image(id: \"img-1\") { url } }", json!({}))
            .await;
    }
    let res = get("/metrics").await.expect("metrics");
    let id = res
        .headers()
        .get("x-request-id")
        .expect("request id")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(id.len(), 32);
    let metrics = res.text().await.expect("text");
    assert!(
        metrics.contains("mediagate_signature_cache_misses_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("mediagate_signature_cache_hits_total 2"));
    assert!(metrics.contains("mediagate_links_signed_total{kind=\"url\"} 3"));
    assert!(metrics.contains(
        "http_request_duration_seconds_bucket{method=\"POST\",route=\"/graphql\",status=\"200\""
    ));
    assert!(metrics.contains("mediagate_signing_duration_seconds_count 1"));
    let html = get("/graphiql")
        .await
        .expect("graphiql")
        .text()
        .await
        .expect("text");
    assert!(html.contains("GraphiQL"));
}

/// A document is parsed and validated once and then reused; every request still gets its own
/// variables, its own variable checks and its own operation.
#[tokio::test]
async fn a_reused_document_answers_each_request_on_its_own() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    for id in ["a-1", "a-2"] {
        app.image(&alice, id, Visibility::Public).await;
    }
    const DOC: &str = "query One($i: ID!) { image(id: $i) { id } } query Other { viewer { id } }";
    for _ in 0..2 {
        for id in ["a-1", "a-2", "nope"] {
            let res = app
                .client
                .post(format!("{}/graphql", app.base))
                .json(&json!({"query": DOC, "operationName": "One", "variables": {"i": id}}))
                .send()
                .await
                .expect("request");
            let body: Value = res.json().await.expect("json");
            let want = if id == "nope" {
                Value::Null
            } else {
                json!({"id": id})
            };
            assert_eq!(body["data"]["image"], want, "{body}");
        }
        let res = app
            .client
            .post(format!("{}/graphql", app.base))
            .json(&json!({"query": DOC, "operationName": "One", "variables": {}}))
            .send()
            .await
            .expect("request");
        assert_eq!(
            res.status(),
            200,
            "a variable coercion error, as application/json"
        );
        let body: Value = res.json().await.expect("json");
        assert!(body.to_string().contains("$i"), "{body}");
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body.get("data").is_none(), "nothing ran: {body}");
        let res = app
            .client
            .post(format!("{}/graphql", app.base))
            .json(&json!({"query": DOC, "operationName": "Other"}))
            .send()
            .await
            .expect("request");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["data"], json!({"viewer": null}), "{body}");
    }
}

/// A gallery's nodes are resolved by juniper's synchronous executor when they ask only for
/// fields that do no I/O (`src/graphql/sync_list.rs`), by the async one otherwise; `image(id)` is
/// always async. Every field of `Image`, asked alone, in fragments, or next to the async `owner`,
/// must come out of a gallery exactly as `image(id)` gives it.
#[tokio::test]
async fn gallery_nodes_resolve_every_image_field_as_image_does() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.image(&alice, "img-1", Visibility::Public).await;
    let (_, types) = app
        .gql(
            None,
            "{ __type(name: \"Image\") { fields { name type { kind ofType { kind } } } } }",
            json!({}),
        )
        .await;
    let fields: Vec<(String, bool)> = types["data"]["__type"]["fields"]
        .as_array()
        .expect("Image's fields")
        .iter()
        .map(|f| {
            let kind = f["type"]["ofType"]["kind"]
                .as_str()
                .or(f["type"]["kind"].as_str());
            (
                f["name"].as_str().expect("name").to_owned(),
                kind == Some("OBJECT"),
            )
        })
        .collect();
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"owner") && names.contains(&"url") && names.len() >= 11,
        "{names:?}"
    );

    let single = |selection: String| {
        let app = &app;
        async move {
            let q = format!("{{ image(id: \"img-1\") {{ {selection} }} }}");
            let (status, body) = app.gql(None, &q, json!({})).await;
            assert_eq!(status, 200, "{q}: {body}");
            body["data"]["image"].clone()
        }
    };
    let gallery = |nodes: String, fragments: &'static str| {
        let app = &app;
        let alice = alice.clone();
        async move {
            let q = format!(
                "query($u: ID!) {{ user(id: $u) {{ images {{ nodes {{ {nodes} }} }} }} }} {fragments}"
            );
            let (status, body) = app.gql(None, &q, json!({"u": alice})).await;
            assert_eq!(status, 200, "{q}: {body}");
            assert!(body.get("errors").is_none(), "{q}: {body}");
            body["data"]["user"]["images"]["nodes"][0].clone()
        }
    };

    let mut everything = Vec::new();
    for (name, object) in &fields {
        let selection = if *object {
            format!("{name} {{ id username }}")
        } else {
            name.clone()
        };
        let expected = single(selection.clone()).await;
        assert!(expected.get(name.as_str()).is_some(), "{name}: {expected}");
        assert_eq!(gallery(selection.clone(), "").await, expected, "{name}");
        everything.push(selection);
    }
    let all = everything.join(" ");
    let expected = single(all.clone()).await;
    assert_eq!(gallery(all.clone(), "").await, expected);
    assert_eq!(
        gallery("...F".into(), "fragment F on Image { id url }").await,
        single("id url".into()).await
    );
    assert_eq!(
        gallery(
            "... on Image { id ...G }".into(),
            "fragment G on Image { owner { id } }"
        )
        .await,
        single("id owner { id }".into()).await
    );
    assert_eq!(
        gallery("__typename id".into(), "").await,
        json!({"__typename": "Image", "id": "img-1"})
    );
    // The same response key twice, the second asking for an async field: both are answered.
    assert_eq!(
        gallery("id } nodes { owner { id } url".into(), "").await,
        single("id owner { id } url".into()).await
    );
}

/// A row the service cannot read (written behind its back, past SQLite's CHECK constraints) is an
/// INTERNAL error: the client gets "internal error" and nothing of the cause, and the rest of the
/// API keeps answering.
#[tokio::test]
async fn an_unreadable_row_is_internal_and_hides_its_cause() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.image(&alice, "fine", Visibility::Public).await;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(app.dir.path().join("mediagate.db"))
        .pragma("ignore_check_constraints", "ON");
    let raw = sqlx::SqlitePool::connect_with(options).await.expect("raw");
    // An unknown visibility (for `image(id)`), and an id no API could have made, in a PUBLIC
    // image (for the gallery, which asks only for the visibilities the viewer may see).
    for (id, visibility) in [("broken", "SECRET"), ("not an id!", "PUBLIC")] {
        sqlx::query(
            "INSERT INTO images (id, owner_id, key, visibility, status, content_type, size, \
             sha256, created_at_ms, updated_at_ms) \
             VALUES (?1, ?2, ?2 || '/x/x.jpg' || ?1, ?3, 'READY', 'image/jpeg', 1, NULL, 1, 1)",
        )
        .bind(id)
        .bind(&alice)
        .bind(visibility)
        .execute(&raw)
        .await
        .expect("insert");
    }
    raw.close().await;

    for (q, vars) in [
        ("{ image(id: \"broken\") { id url } }", json!({})),
        (
            "query($u: ID!) { user(id: $u) { images { nodes { id } } } }",
            json!({"u": alice}),
        ),
    ] {
        let (status, body) = app.gql(None, q, vars).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(code(&body), "INTERNAL", "{body}");
        assert_eq!(
            body["errors"][0]["message"],
            json!("internal error"),
            "{body}"
        );
        let text = body.to_string();
        assert!(
            !text.contains("SECRET") && !text.contains("not an id") && !text.contains("corrupt"),
            "the cause leaked: {text}"
        );
    }
    let (_, body) = app
        .gql(None, "{ image(id: \"fine\") { id } }", json!({}))
        .await;
    assert_eq!(body, json!({"data": {"image": {"id": "fine"}}}));
    let (_, body) = app
        .gql(None, "{ image(id: \"broken\") { id } }", json!({}))
        .await;
    assert_eq!(
        code(&body),
        "INTERNAL",
        "a corrupt row is not a missing one: {body}"
    );
}
