//! Shared fixtures: keys on disk, a seeded generator, and the AWS oracles.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use mediagate::cloudfront::{KeyAlgorithm, KeyPairId, PrivateKey, SigningKey, TrustedKeys};
use mediagate::keyfile;
use mediagate::store::{Actor, Change};
use serde_json::{Value, json};

/// A key pair written to disk (for the oracles and the CLI) and loaded (for the library).
pub struct KeyFixture {
    pub signing: SigningKey,
    pub private_pem: PathBuf,
    pub public_pem: PathBuf,
}

pub struct Fixtures {
    _dir: tempfile::TempDir,
    pub rsa: KeyFixture,
    pub ec: KeyFixture,
    pub trusted: TrustedKeys,
}

impl Fixtures {
    pub fn keys(&self) -> [&KeyFixture; 2] {
        [&self.rsa, &self.ec]
    }
}

fn make(dir: &Path, id: &str, algorithm: KeyAlgorithm) -> KeyFixture {
    let key = PrivateKey::generate(algorithm).expect("generate key");
    let files = keyfile::write_key_pair(&dir.join(id), &key).expect("write key");
    KeyFixture {
        signing: SigningKey {
            id: KeyPairId::parse(id).expect("id"),
            key: keyfile::load_private_key(&files.private).expect("load key"),
        },
        private_pem: files.private,
        public_pem: files.public,
    }
}

/// One RSA and one ECDSA key for the whole test binary (RSA generation is slow).
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let rsa = make(dir.path(), "KRSATEST2048", KeyAlgorithm::Rsa2048);
        let ec = make(dir.path(), "KECDSATESTP256", KeyAlgorithm::EcdsaP256);
        let mut trusted = TrustedKeys::new();
        for k in [&rsa, &ec] {
            trusted.insert(
                k.signing.id.clone(),
                k.signing.key.public_key().expect("public"),
            );
        }
        Fixtures {
            _dir: dir,
            rsa,
            ec,
            trusted,
        }
    })
}

/// splitmix64: small, seedable, and the seed is printed so a failure can be replayed with
/// `MEDIAGATE_TEST_SEED=<seed>`.
pub struct Rng(u64);

impl Rng {
    pub fn from_env(test: &str) -> Rng {
        let seed = std::env::var("MEDIAGATE_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        eprintln!("{test}: MEDIAGATE_TEST_SEED={seed}");
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn percent_encode_char(c: char, upper: bool, out: &mut String) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        if upper {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
}

const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
const UNICODE: &[char] = &['é', 'ß', 'ж', '中', '文', '😀', 'ñ', '\u{301}', '€', ' '];

/// One path segment or query token. `normalised` keeps to what every SDK leaves untouched
/// (unreserved characters and upper-case %XX); otherwise anything a real URL may carry.
fn token(rng: &mut Rng, max: u64, normalised: bool, query: bool) -> String {
    let mut s = String::new();
    for _ in 0..=rng.below(max) {
        match rng.below(10) {
            0 | 1 => percent_encode_char(*rng.pick(UNICODE), normalised || rng.chance(2), &mut s),
            2 if !normalised => s.push(*rng.pick(if query {
                &['+', '!', '*', '(', ')', ',', ';', ':', '@', '$', '\''][..]
            } else {
                &[
                    '+', '!', '*', '(', ')', ',', ';', ':', '@', '$', '=', '&', '\'',
                ][..]
            })),
            3 if !normalised && rng.chance(8) => {
                s.push(*rng.pick(&['"', '\\', '|', '^', '`', '{', '}']))
            }
            _ => s.push(*rng.pick(UNRESERVED) as char),
        }
    }
    s
}

/// A random absolute URL. Long paths, percent-encoded UTF-8 and spaces, own query strings.
pub fn random_url(rng: &mut Rng, normalised: bool) -> String {
    let host = *rng.pick(&[
        "d111111abcdef8.cloudfront.net",
        "media.example.com",
        "cdn.example.org:8443",
        "127.0.0.1:9000",
    ]);
    let scheme = if rng.chance(5) { "http" } else { "https" };
    let mut url = format!("{scheme}://{host}");
    let segments = if rng.chance(10) {
        40 + rng.below(60)
    } else {
        1 + rng.below(6)
    };
    for _ in 0..segments {
        url.push('/');
        url.push_str(&token(rng, 24, normalised, false));
    }
    if rng.chance(2) {
        url.push('?');
        let params = 1 + rng.below(4);
        for i in 0..params {
            if i > 0 {
                url.push('&');
            }
            url.push_str(&token(rng, 8, normalised, true));
            url.push('=');
            url.push_str(&token(rng, 12, normalised, true));
        }
    } else if !normalised && rng.chance(10) {
        url.push('?');
    }
    url
}

fn oracle_command(program: &str, script: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.arg(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/oracle")
            .join(script),
    );
    cmd
}

fn run(mut cmd: Command, request: &Value) -> Vec<Value> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start oracle {cmd:?}: {e}; run the suite with ./scripts/test")
        });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .expect("write oracle request");
    let out = child.wait_with_output().expect("oracle output");
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: Value = serde_json::from_slice(&out.stdout).expect("oracle JSON");
    body["results"].as_array().expect("results").clone()
}

/// botocore + cryptography (tests/oracle/oracle.py), from the venv scripts/test installs.
pub fn python_oracle(op: &str, cases: Vec<Value>) -> Vec<Value> {
    let python = std::env::var("MEDIAGATE_ORACLE_PYTHON").unwrap_or_else(|_| {
        panic!("MEDIAGATE_ORACLE_PYTHON is not set: run the suite with ./scripts/test, which installs botocore")
    });
    let n = cases.len();
    let results = run(
        oracle_command(&python, "oracle.py"),
        &json!({"op": op, "cases": cases}),
    );
    assert_eq!(results.len(), n);
    results
}

/// @aws-sdk/cloudfront-signer (tests/oracle/cloudfront_signer.cjs).
pub fn node_oracle(op: &str, cases: Vec<Value>) -> Vec<Value> {
    if std::env::var_os("MEDIAGATE_ORACLE_NODE_MODULES").is_none() {
        panic!(
            "MEDIAGATE_ORACLE_NODE_MODULES is not set: run the suite with ./scripts/test, which installs @aws-sdk/cloudfront-signer"
        );
    }
    let n = cases.len();
    let results = run(
        oracle_command("node", "cloudfront_signer.cjs"),
        &json!({"op": op, "cases": cases}),
    );
    assert_eq!(results.len(), n);
    results
}

/// A URL's query parameters by name (the last one wins), and the URL before them.
pub fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .next_back()
}

/// The actor of changes the store tests make: the service itself, outside any request.
pub static TEST_ACTOR: Actor = Actor {
    user: None,
    request_id: None,
    client: None,
};

/// A change at `now_ms` by [`TEST_ACTOR`], with nothing attached.
pub fn change(now_ms: i64) -> Change<'static> {
    Change::by(&TEST_ACTOR, now_ms)
}
