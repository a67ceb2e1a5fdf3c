//! The binary as the container image runs it (issue 14): another user than root, a working
//! directory it cannot write except its data folder, every setting from the environment and
//! mounted secret files (shaped as a Kubernetes Secret volume mounts them), `healthcheck` as the
//! probe; and one key ring shared by three replicas, rotated in place with no restart.

use std::os::unix::fs::{PermissionsExt as _, chown, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use mediagate::cloudfront::{KeyAlgorithm, PrivateKey};
use serde_json::{Value, json};

use super::served::{BIN, Served};
use super::uploads::{png, sha256_hex};
use crate::s3_server::{ACCESS_KEY, BUCKET, S3Server, SECRET_KEY};

/// The image's user (distroless `nonroot`).
const NONROOT: u32 = 65532;
const A: &str = "KAAAAAAAAAAAAA";
const B: &str = "KBBBBBBBBBBBBB";
const HS256: &str = "packaged-test-secret-0123456789abcdef";

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn ring_json(active: &str, keys: &[(&str, &PrivateKey)]) -> String {
    let keys: Vec<Value> = keys
        .iter()
        .map(|(id, key)| {
            let pem = String::from_utf8(key.to_pkcs8_pem().expect("pem")).expect("utf-8");
            json!({"key_pair_id": id, "private_key_pem": pem})
        })
        .collect();
    json!({"active": active, "keys": keys}).to_string()
}

/// A Secret volume as the kubelet writes it: the files live in a timestamped folder, `..data`
/// points at it, and each name is a symbolic link through `..data`; an update writes a new folder
/// and swaps `..data` in one rename. Files are 0440, group = the reader's group.
struct SecretVolume {
    dir: PathBuf,
    generation: u32,
    group: u32,
}

impl SecretVolume {
    fn new(dir: &Path, group: u32, files: &[(&str, &str)]) -> SecretVolume {
        std::fs::create_dir_all(dir).expect("volume dir");
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let mut volume = SecretVolume {
            dir: dir.to_owned(),
            generation: 0,
            group,
        };
        volume.update(files);
        for (name, _) in files {
            symlink(format!("..data/{name}"), dir.join(name)).expect("name link");
        }
        volume
    }

    fn update(&mut self, files: &[(&str, &str)]) {
        self.generation += 1;
        let folder = self.dir.join(format!("..gen{}", self.generation));
        std::fs::create_dir(&folder).expect("generation folder");
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        for (name, text) in files {
            let file = folder.join(name);
            std::fs::write(&file, text).expect("write secret");
            chown(&file, None, Some(self.group)).expect("chgrp");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o440))
                .expect("chmod 0440");
        }
        let link = self.dir.join("..data_tmp");
        symlink(format!("..gen{}", self.generation), &link).expect("..data_tmp");
        std::fs::rename(&link, self.dir.join("..data")).expect("swap ..data");
        if self.generation > 1 {
            let old = self.dir.join(format!("..gen{}", self.generation - 1));
            std::fs::remove_dir_all(old).expect("old generation");
        }
    }
}

/// `mediagate` with exactly `env` (nothing inherited), as `user` when the tests run as root.
fn as_image_runs_it(cwd: &Path, env: &[(String, String)], args: &[&str]) -> Command {
    let mut cmd = if is_root() {
        let mut c = Command::new("/usr/bin/setpriv");
        c.args([
            &format!("--reuid={NONROOT}"),
            &format!("--regid={NONROOT}"),
            "--clear-groups",
            "--",
            BIN,
        ]);
        c
    } else {
        Command::new(BIN)
    };
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)));
    cmd
}

/// Files and folders under `dir`, for "nothing was written here".
fn listing(dir: &Path) -> Vec<String> {
    let mut all: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    all.sort();
    all
}

fn uid_of(pid: u32) -> Vec<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .expect("Uid line")
        .split_whitespace()
        .map(|n| n.parse().expect("uid"))
        .collect()
}

async fn graphql(served: &Served, token: &str, query: &str, variables: Value) -> Value {
    served
        .client
        .post(format!("http://{}/graphql", served.addr))
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .expect("graphql")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn the_binary_runs_as_the_image_runs_it() {
    let s3 = S3Server::start();
    let root = tempfile::tempdir().expect("dir");
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let (user, group) = if is_root() {
        (NONROOT, NONROOT)
    } else {
        let me = rustix::process::getegid().as_raw();
        (rustix::process::geteuid().as_raw(), me)
    };
    // The working directory belongs to root and is read-only for the service; only data/ is its.
    let work = root.path().join("work");
    std::fs::create_dir_all(work.join("data")).expect("data dir");
    chown(work.join("data"), Some(user), Some(group)).expect("chown data");
    std::fs::set_permissions(work.join("data"), std::fs::Permissions::from_mode(0o700))
        .expect("chmod data");
    std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o555)).expect("chmod work");

    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("key");
    let secrets = root.path().join("secrets");
    SecretVolume::new(
        &secrets,
        group,
        &[
            ("key-ring.json", &ring_json(A, &[(A, &key)])),
            ("s3-secret", SECRET_KEY),
        ],
    );
    let path = |name: &str| secrets.join(name).display().to_string();
    let env: Vec<(String, String)> = [
        ("MEDIAGATE_SERVER__LISTEN", "127.0.0.1:0".to_owned()),
        ("MEDIAGATE_SIGNING__KEY_RING_FILE", path("key-ring.json")),
        ("MEDIAGATE_AUTH__HS256_SECRET", HS256.to_owned()),
        (
            "MEDIAGATE_CLOUDFRONT__DOMAIN",
            "media.example.com".to_owned(),
        ),
        ("MEDIAGATE_S3__BUCKET", BUCKET.to_owned()),
        ("MEDIAGATE_S3__ENDPOINT", s3.endpoint.clone()),
        ("MEDIAGATE_S3__FORCE_PATH_STYLE", "true".to_owned()),
        ("MEDIAGATE_S3__ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
        ("MEDIAGATE_S3__SECRET_ACCESS_KEY_FILE", path("s3-secret")),
        ("MEDIAGATE_LOG__LEVEL", "info".to_owned()),
    ]
    .map(|(k, v)| (k.to_owned(), v))
    .into();
    let before = listing(&work);

    let served = Served::spawn(as_image_runs_it(&work, &env, &["serve"]));
    let uids = uid_of(served.pid());
    assert!(
        uids.iter().all(|&u| u == user),
        "uids {uids:?}, wanted {user}"
    );
    assert_ne!(user, 0, "the test must not run the service as root");
    assert_eq!(served.active_key().await, A);

    let readyz = format!("http://{}/readyz", served.addr);
    let probe = as_image_runs_it(&work, &env, &["healthcheck", "--url", &readyz])
        .output()
        .expect("healthcheck");
    assert!(
        probe.status.success(),
        "{}",
        String::from_utf8_lossy(&probe.stderr)
    );

    // A whole upload: the token from the same environment, the presigned PUT to the real S3
    // server with the key from the mounted secret, and a CloudFront link signed by the ring's key.
    let token = as_image_runs_it(&work, &env, &["dev-token", "--sub", "alice"])
        .output()
        .expect("dev-token");
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    let bytes = png(300);
    let ticket = graphql(
        &served,
        &token,
        "mutation($i: CreateUploadInput!) { createUpload(input: $i) { image { id } upload { url headers { name value } } } }",
        json!({"i": {"filename": "a.png", "contentType": "image/png", "size": bytes.len(), "sha256": sha256_hex(&bytes)}}),
    )
    .await;
    let ticket = &ticket["data"]["createUpload"];
    let mut put = served.client.put(
        ticket["upload"]["url"]
            .as_str()
            .unwrap_or_else(|| panic!("{ticket}")),
    );
    for h in ticket["upload"]["headers"].as_array().expect("headers") {
        put = put.header(
            h["name"].as_str().expect("name"),
            h["value"].as_str().expect("value"),
        );
    }
    assert_eq!(put.body(bytes).send().await.expect("PUT").status(), 200);
    let done = graphql(
        &served,
        &token,
        "mutation($i: ID!) { completeUpload(imageId: $i) { status url } }",
        json!({"i": ticket["image"]["id"]}),
    )
    .await;
    assert_eq!(done["data"]["completeUpload"]["status"], "READY", "{done}");
    let url = done["data"]["completeUpload"]["url"].as_str().expect("url");
    assert!(url.starts_with("https://media.example.com/alice/"), "{url}");
    assert_eq!(crate::support::query_param(url, "Key-Pair-Id"), Some(A));

    let logs = served.stop();
    assert!(
        logs.contains("production mode") && !logs.contains("DEV"),
        "{logs}"
    );
    assert_eq!(
        listing(&work),
        before,
        "the service wrote into its working directory"
    );
    assert!(
        listing(&work.join("data"))
            .iter()
            .any(|f| f == "mediagate.db")
    );
    let probe = as_image_runs_it(&work, &env, &["healthcheck", "--url", &readyz])
        .output()
        .expect("healthcheck");
    assert_eq!(
        probe.status.code(),
        Some(1),
        "a stopped service is unhealthy"
    );
    assert!(String::from_utf8_lossy(&probe.stderr).starts_with("unhealthy: "));
    // The directory must be writable again for the temporary folder to be removed.
    std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// The signed cookies `replica` hands `token`'s holder, as a Cookie header, and the key id.
async fn cookies(replica: &Served, token: &str) -> (String, String) {
    let body = graphql(
        replica,
        token,
        "{ signedCookies { name value } }",
        json!({}),
    )
    .await;
    let list = body["data"]["signedCookies"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let pair = |c: &Value| {
        format!(
            "{}={}",
            c["name"].as_str().expect("n"),
            c["value"].as_str().expect("v")
        )
    };
    let header = list.iter().map(pair).collect::<Vec<_>>().join("; ");
    let key = list
        .iter()
        .find(|c| c["name"] == "CloudFront-Key-Pair-Id")
        .and_then(|c| c["value"].as_str())
        .expect("key id cookie")
        .to_owned();
    (header, key)
}

/// What `replica`'s local edge decides for `cookie` on an object that does not exist: 404 when
/// the cookie is accepted (the object is looked up), 403 and the reason when it is refused.
async fn edge(replica: &Served, cookie: &str) -> (u16, String) {
    let res = replica
        .client
        .get(format!("http://{}/edge/alice/none/0000.png", replica.addr))
        .header("cookie", cookie)
        .send()
        .await
        .expect("edge");
    let reason = res
        .headers()
        .get("x-mediagate-edge-reason")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (res.status().as_u16(), reason)
}

/// Waits (bounded) until `check(i, replica)` holds for every replica.
async fn until_all(replicas: &[Served], what: &str, check: impl AsyncFn(usize, &Served) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut all = true;
        for (i, r) in replicas.iter().enumerate() {
            all &= check(i, r).await;
        }
        if all {
            return;
        }
        assert!(Instant::now() < deadline, "not every replica: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// infra's rotation procedure on three replicas sharing one mounted key ring: add the new key,
/// make it active, then drop the old one; each replica follows within the reload interval with no
/// restart and no signal, old links keep working until their key leaves the ring, and a broken
/// update changes nothing.
#[tokio::test]
async fn three_replicas_follow_one_key_ring_through_a_rotation() {
    let root = tempfile::tempdir().expect("dir");
    let group = rustix::process::getegid().as_raw();
    let (a, b) = (
        PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("key"),
        PrivateKey::generate(KeyAlgorithm::Rsa2048).expect("key"),
    );
    let file = "key-ring.json";
    let mut volume = SecretVolume::new(
        &root.path().join("keys"),
        group,
        &[(file, &ring_json(A, &[(A, &a)]))],
    );
    let ring_path = volume.dir.join(file).display().to_string();
    let replicas: Vec<Served> = (0..3)
        .map(|i| {
            let dir = root.path().join(format!("replica{i}"));
            std::fs::create_dir(&dir).expect("dir");
            let mut cmd = Command::new(BIN);
            cmd.args(["serve", "--listen", "127.0.0.1:0"])
                .current_dir(&dir)
                .env_remove("DATABASE_URL")
                .env("MEDIAGATE_SIGNING__KEY_RING_FILE", &ring_path)
                .env("MEDIAGATE_SIGNING__RELOAD_INTERVAL_SECS", "1")
                .env("MEDIAGATE_AUTH__HS256_SECRET", HS256);
            Served::spawn(cmd)
        })
        .collect();
    let pids: Vec<u32> = replicas.iter().map(Served::pid).collect();
    let token = String::from_utf8(
        super::served::mediagate_env(
            root.path(),
            &[("MEDIAGATE_AUTH__HS256_SECRET", HS256)],
            &["dev-token", "--sub", "alice"],
        )
        .stdout,
    )
    .expect("utf-8")
    .trim()
    .to_owned();
    let mut old = Vec::new();
    for r in &replicas {
        assert_eq!(r.active_key().await, A);
        let (cookie, key) = cookies(r, &token).await;
        assert_eq!(key, A);
        assert_eq!(edge(r, &cookie).await.0, 404, "a fresh cookie is accepted");
        old.push(cookie);
    }

    // 1. The new key joins the ring (and the CloudFront key group) before anything signs with it.
    volume.update(&[(file, &ring_json(A, &[(A, &a), (B, &b)]))]);
    for r in &replicas {
        r.wait_for_log("signing keys reloaded").await;
        assert_eq!(r.active_key().await, A);
    }
    // 2. It becomes the active key.
    volume.update(&[(file, &ring_json(B, &[(A, &a), (B, &b)]))]);
    until_all(&replicas, "sign with the new key", async |_, r| {
        r.active_key().await == B
    })
    .await;
    for (r, cookie) in replicas.iter().zip(&old) {
        assert_eq!(cookies(r, &token).await.1, B);
        assert_eq!(
            edge(r, cookie).await.0,
            404,
            "links signed before the rotation still work"
        );
    }
    // A broken update (half a file) is refused by every replica, which keep signing with B.
    volume.update(&[(file, "{\"active\": \"KBBBB")]);
    for r in &replicas {
        r.wait_for_log("signing keys NOT reloaded").await;
        assert_eq!(r.active_key().await, B);
    }
    // 3. Once the old links have expired, the old key leaves the ring: its cookies are refused.
    volume.update(&[(file, &ring_json(B, &[(B, &b)]))]);
    until_all(&replicas, "refuse the old key", async |i, r| {
        edge(r, &old[i]).await.0 == 403
    })
    .await;
    for (r, cookie) in replicas.iter().zip(&old) {
        let (status, reason) = edge(r, cookie).await;
        assert_eq!(status, 403);
        assert!(
            reason.contains("unknown key-pair id \"KAAAAAAAAAAAAA\""),
            "{reason}"
        );
        let (fresh, key) = cookies(r, &token).await;
        assert_eq!((key.as_str(), edge(r, &fresh).await.0), (B, 404));
    }
    assert_eq!(
        replicas.iter().map(Served::pid).collect::<Vec<_>>(),
        pids,
        "no restarts"
    );
    let material: Vec<String> = [&a, &b]
        .iter()
        .map(|k| {
            let pem = String::from_utf8(k.to_pkcs8_pem().expect("pem")).expect("utf-8");
            pem.lines().nth(1).expect("a base64 line").to_owned()
        })
        .collect();
    for r in replicas {
        let logs = r.stop();
        assert!(
            material.iter().all(|m| !logs.contains(m.as_str())),
            "key material logged: {logs}"
        );
    }
}
