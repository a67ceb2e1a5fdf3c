//! Three `mediagate serve` processes on one PostgreSQL database (a fresh one per run), one S3
//! (s3s-fs) and one CloudFront control plane (moto's server), as a load balancer would see them:
//! what one replica does, the others honour; what is limited, is limited once; what one queued,
//! another sends when it dies; and a replica started later migrates nothing and serves at once.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use mediagate::auth::issue_hs256;
use mediagate::cloudfront::{KeyAlgorithm, PrivateKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use sqlx::Row as _;

use crate::moto::Moto;
use crate::s3_server::S3Server;
use crate::store_contract::with_fresh_postgres;

mod process;

use process::{ISSUER, Replica, SECRET, Settings};

const CREATE: &str = "mutation($in: CreateUploadInput!) { createUpload(input: $in) {
    image { id key } upload { url headers { name value } } } }";
const COMPLETE: &str = "mutation($i: ID!) { completeUpload(imageId: $i) { id status } }";
const ONE: &str = "query($i: ID!) { image(id: $i) { id url } }";
const SET_VISIBILITY: &str =
    "mutation($i: ID!, $v: Visibility!) { setVisibility(imageId: $i, visibility: $v) { id } }";

/// Per minute, per user, across all replicas.
const PER_MINUTE: u32 = 5;
const ABANDON_AFTER_SECS: u64 = 4;

fn token(sub: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    issue_hs256(SECRET.as_bytes(), sub, None, ISSUER, ISSUER, 3600, now).expect("token")
}

fn upload_input(bytes: &[u8]) -> Value {
    json!({
        "filename": "photo.png",
        "contentType": "image/png",
        "size": bytes.len(),
        "sha256": hex::encode(Sha256::digest(bytes)),
        "visibility": "PUBLIC",
    })
}

/// Polls `check` every 200 ms until it holds, at most `secs`.
async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(Instant::now() < deadline, "not within {secs} s: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn sum(replicas: &[&Replica], sample: &str) -> f64 {
    let mut total = 0.0;
    for r in replicas {
        total += r.metric(sample).await;
    }
    total
}

#[tokio::test]
async fn replicas_three_serve_processes_on_one_postgresql_behave_as_one_service() {
    with_fresh_postgres("replicas", |database_url| async move {
        let dir = tempfile::tempdir().expect("dir");
        let s3 = S3Server::start();
        let s3_secret = dir.path().join("s3-secret");
        std::fs::write(&s3_secret, crate::s3_server::SECRET_KEY).expect("secret");
        std::fs::set_permissions(
            &s3_secret,
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .expect("chmod");
        let moto = Moto::start();
        let distribution = moto.distribution().await;
        let key = PrivateKey::generate(KeyAlgorithm::Rsa2048).expect("key");
        mediagate::keyfile::write_key_pair(&dir.path().join("signing"), &key).expect("key file");
        let key_file = dir.path().join("signing.pem");
        let settings = |interval| Settings {
            dir: dir.path(),
            database_url: &database_url,
            key: &key_file,
            s3_endpoint: &s3.endpoint,
            s3_secret_file: &s3_secret,
            moto: &moto.endpoint,
            distribution: &distribution,
            per_minute: PER_MINUTE,
            abandon_after_secs: ABANDON_AFTER_SECS,
            invalidation_interval_secs: interval,
        };

        // All three start at once on an empty database: the migrations run once, under
        // sqlx's advisory lock, and every replica comes up. A's invalidation sender ticks at
        // start and then not for an hour: whatever A queues, another replica must send.
        let spawned = [("a", 3600), ("b", 1), ("c", 1)]
            .map(|(name, interval)| (name, Replica::spawn(name, &settings(interval))));
        let [a, b, c] = spawned.map(|(name, child)| Replica::ready(name, child, dir.path()));
        let all = [&a, &b, &c];

        // One upload: ticket from A, bytes to S3, confirmed through B.
        let owner = token("owner");
        let bytes = b"\x89PNG\r\n\x1a\nreplicas".to_vec();
        let t = a
            .gql(Some(&owner), CREATE, json!({ "in": upload_input(&bytes) }))
            .await;
        let ticket = &t["data"]["createUpload"];
        let id = ticket["image"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{t}"))
            .to_owned();
        let object_key = ticket["image"]["key"].as_str().expect("key").to_owned();
        let mut put = reqwest::Client::new().put(ticket["upload"]["url"].as_str().expect("url"));
        for h in ticket["upload"]["headers"].as_array().expect("headers") {
            let name = h["name"].as_str().expect("name");
            if !name.eq_ignore_ascii_case("content-length") {
                put = put.header(name, h["value"].as_str().expect("value"));
            }
        }
        let res = put.body(bytes).send().await.expect("PUT");
        assert_eq!(
            res.status(),
            200,
            "{}",
            res.text().await.unwrap_or_default()
        );
        let done = b.gql(Some(&owner), COMPLETE, json!({ "i": id })).await;
        assert_eq!(done["data"]["completeUpload"]["status"], "READY", "{done}");

        // The same URL for the same object from every replica (one key ring, one window).
        let mut urls = Vec::new();
        for r in all {
            let body = r.gql(None, ONE, json!({ "i": id })).await;
            urls.push(
                body["data"]["image"]["url"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{} {body}", r.name))
                    .to_owned(),
            );
        }
        assert!(urls.iter().all(|u| u == &urls[0]), "{urls:#?}");

        // One user's upload tickets, asked of the three in turn: the limit, not three times it.
        let uploader = token("uploader");
        let mut outcomes = BTreeMap::<String, u32>::new();
        for n in 0..(3 * PER_MINUTE) {
            let r = all[n as usize % 3];
            let body = r
                .gql(
                    Some(&uploader),
                    CREATE,
                    json!({ "in": upload_input(format!("abandoned {n}").as_bytes()) }),
                )
                .await;
            let outcome = body["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("ADMITTED");
            *outcomes.entry(outcome.to_owned()).or_default() += 1;
        }
        assert_eq!(
            outcomes,
            BTreeMap::from([
                ("ADMITTED".into(), PER_MINUTE),
                ("RATE_LIMITED".into(), 2 * PER_MINUTE)
            ])
        );

        // Those PER_MINUTE uploads are never sent: each is reaped once, by one of the three.
        let reaped = r#"mediagate_reaped_images_total{kind="abandoned"}"#;
        eventually(30, "the abandoned uploads reaped", || async {
            sum(&all, reaped).await >= f64::from(PER_MINUTE)
        })
        .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut kinds = 0.0;
        for kind in ["abandoned", "deleted", "failed"] {
            kinds += sum(
                &all,
                &format!("mediagate_reaped_images_total{{kind=\"{kind}\"}}"),
            )
            .await;
        }
        assert_eq!(
            kinds,
            f64::from(PER_MINUTE),
            "each abandoned upload reaped exactly once"
        );
        let pool = sqlx::PgPool::connect(&database_url).await.expect("connect");
        let left: i64 = sqlx::query("SELECT count(*) FROM images WHERE status <> 'READY'")
            .fetch_one(&pool)
            .await
            .expect("count")
            .get(0);
        assert_eq!(left, 0);

        // A visibility change through A is honoured by B and C on their very next request.
        let hidden = a
            .gql(
                Some(&owner),
                SET_VISIBILITY,
                json!({ "i": id, "v": "PRIVATE" }),
            )
            .await;
        assert!(hidden["errors"].is_null(), "{hidden}");
        for r in [&b, &c] {
            let body = r.gql(None, ONE, json!({ "i": id })).await;
            assert_eq!(body["data"]["image"], Value::Null, "{}: {body}", r.name);
            let own = r.gql(Some(&owner), ONE, json!({ "i": id })).await;
            assert!(own["data"]["image"]["url"].is_string(), "{}: {own}", r.name);
        }
        // The narrowing queued an invalidation on A; A dies at once, and B or C sends it.
        a.kill();
        let path = format!("/{object_key}");
        eventually(
            20,
            "the invalidation A queued reaches CloudFront",
            || async {
                moto.invalidations(&distribution)
                    .await
                    .concat()
                    .contains(&path)
            },
        )
        .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let sent = moto.invalidations(&distribution).await.concat();
        assert_eq!(sent, [path], "sent once");
        assert_eq!(
            sum(&[&b, &c], "mediagate_invalidation_paths_sent_total").await,
            1.0
        );

        // A fourth replica, started mid-run: nothing migrated again, and it serves at once.
        let migrations = |pool: sqlx::PgPool| async move {
            sqlx::query("SELECT version, installed_on::text FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&pool)
                .await
                .expect("migrations")
                .iter()
                .map(|r| (r.get::<i64, _>(0), r.get::<String, _>(1)))
                .collect::<Vec<_>>()
        };
        let before = migrations(pool.clone()).await;
        assert!(!before.is_empty());
        let d = Replica::start("d", &settings(1));
        let first = d.gql(Some(&owner), ONE, json!({ "i": id })).await;
        assert_eq!(
            first["data"]["image"]["url"].as_str(),
            c.gql(Some(&owner), ONE, json!({ "i": id })).await["data"]["image"]["url"].as_str(),
            "{first}"
        );
        assert_eq!(
            migrations(pool.clone()).await,
            before,
            "nothing migrated twice"
        );
        pool.close().await;
        drop((b, c, d));
    })
    .await;
}
