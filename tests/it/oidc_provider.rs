//! Against a real OpenID provider nobody here wrote: panva's `oidc-provider` (pinned in
//! tests/oidc-provider/package-lock.json, installed by scripts/test, found through
//! `MEDIAGATE_OIDC_PROVIDER_NODE_MODULES`; a missing install fails these tests). The script
//! tests/oidc-provider/server.mjs runs it on 127.0.0.1, port 0, with JWT access tokens for the
//! resource "mediagate" (RFC 9068, through resource indicators) and ID tokens for the client
//! "mediagate": both tokens name the same audience, so only their type tells them apart.

use std::io::{BufRead, BufReader, Read as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mediagate::cloudfront::Epoch;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::api::helpers::{TestApp, code};
use crate::auth_oidc_api::{KillOnDrop, derived_id};

/// What server.mjs configures.
const CLIENT_ID: &str = "mediagate";
const CLIENT_SECRET: &str = "a client secret for the local test provider only";
const REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// A running provider.
struct Provider {
    issuer: String,
    /// Redirects are followed by hand: the code flow's last one goes to the (absent) client.
    http: reqwest::Client,
    stderr: Arc<Mutex<String>>,
    _process: KillOnDrop,
}

impl Provider {
    fn start() -> Provider {
        let modules = std::env::var("MEDIAGATE_OIDC_PROVIDER_NODE_MODULES").expect(
            "MEDIAGATE_OIDC_PROVIDER_NODE_MODULES is not set: run the suite with ./scripts/test, \
             which installs oidc-provider from tests/oidc-provider/package-lock.json",
        );
        assert!(
            Path::new(&modules)
                .join("oidc-provider/package.json")
                .is_file(),
            "{modules} has no oidc-provider: rerun ./scripts/test"
        );
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider/server.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .env("MEDIAGATE_OIDC_PROVIDER_NODE_MODULES", &modules)
            // The script exits when its stdin closes, so it never outlives the tests.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node (Node.js >= 20) must be on PATH");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr = child.stderr.take().expect("stderr");
        let process = KillOnDrop(child);
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read");
        let Ok(started) = serde_json::from_str::<Value>(&line) else {
            let mut why = String::new();
            let _ = stderr.read_to_string(&mut why);
            panic!("oidc-provider did not start: {line:?}\n{why}");
        };
        let issuer = started["issuer"].as_str().expect("issuer").to_owned();
        // Both streams are drained for as long as the provider runs: it logs on stdout too, and
        // a closed pipe would kill it.
        let log = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(stdout) as Box<dyn BufRead + Send>,
            Box::new(BufReader::new(stderr)),
        ] {
            let sink = log.clone();
            std::thread::spawn(move || {
                for line in stream.lines().map_while(Result::ok) {
                    sink.lock().expect("log").push_str(&format!("{line}\n"));
                }
            });
        }
        Provider {
            issuer,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            stderr: log,
            _process: process,
        }
    }

    fn client_auth(&self) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
        )
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Value {
        let body: Vec<String> = form
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
            .collect();
        let res = self
            .http
            .post(format!("{}/token", self.issuer))
            .header(AUTHORIZATION, self.client_auth())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.join("&"))
            .send()
            .await
            .expect("token request");
        let status = res.status();
        let answer: Value = res.json().await.expect("token response");
        assert!(status.is_success(), "{status}: {answer}\n{}", self.log());
        answer
    }

    /// An access token for the client itself (client_credentials, resource "mediagate").
    async fn client_credentials(&self) -> String {
        let answer = self
            .token_request(&[("grant_type", "client_credentials"), ("scope", "api")])
            .await;
        answer["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// The authorization code flow for the account `login`, as a browser and a client would
    /// walk it (login and consent complete without a form): its ID token and access token.
    async fn code_flow(&self, login: &str) -> (String, String) {
        let mut cookies: Vec<(String, String)> = Vec::new();
        let mut url = format!(
            "{}/auth?client_id={CLIENT_ID}&response_type=code&scope=openid%20profile%20api\
             &redirect_uri={}&login_hint={login}&state=s1",
            self.issuer,
            utf8_percent_encode(REDIRECT_URI, NON_ALPHANUMERIC)
        );
        let mut code = None;
        for _ in 0..10 {
            let cookie_header: Vec<String> =
                cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
            let res = self
                .http
                .get(&url)
                .header(COOKIE, cookie_header.join("; "))
                .send()
                .await
                .unwrap_or_else(|e| panic!("GET {url}: {e}\n{}", self.log()));
            for set in res.headers().get_all(SET_COOKIE) {
                let set = set.to_str().expect("ascii cookie");
                let pair = set.split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    cookies.retain(|(n, _)| n != name);
                    if !value.is_empty() {
                        cookies.push((name.to_owned(), value.to_owned()));
                    }
                }
            }
            let location = res
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .unwrap_or_else(|| panic!("no redirect from {url}: {}", res.status()))
                .to_owned();
            if location.starts_with(REDIRECT_URI) {
                let callback = reqwest::Url::parse(&location).expect("callback URL");
                code = callback
                    .query_pairs()
                    .find(|(k, _)| k == "code")
                    .map(|(_, v)| v.into_owned());
                break;
            }
            url = if location.starts_with("http") {
                location
            } else {
                format!("{}{location}", self.issuer)
            };
        }
        let code = code.unwrap_or_else(|| panic!("no code in the flow\n{}", self.log()));
        let answer = self
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ])
            .await;
        (
            answer["id_token"].as_str().expect("id_token").to_owned(),
            answer["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned(),
        )
    }

    /// The provider signs with a new key from now on; the old one leaves its JWKS.
    async fn rotate_keys(&self) {
        let res = self
            .http
            .post(format!("{}/test/rotate-keys", self.issuer))
            .send()
            .await
            .expect("rotate");
        assert_eq!(res.status(), 204, "{}", self.log());
    }

    fn log(&self) -> String {
        self.stderr.lock().expect("log").clone()
    }
}

/// A token's header and claims, read without verifying (to state what the provider issued).
fn parts(token: &str) -> (Value, Value) {
    let mut it = token.split('.');
    let mut part = || {
        let bytes = URL_SAFE_NO_PAD
            .decode(it.next().expect("part"))
            .expect("base64url");
        serde_json::from_slice::<Value>(&bytes).expect("json")
    };
    (part(), part())
}

async fn app_for(provider: &Provider) -> TestApp {
    let issuer = provider.issuer.clone();
    let app = TestApp::spawn_with(|c| {
        c.auth.mode = mediagate::config::AuthKind::Oidc;
        c.auth.issuer = Some(issuer);
        c.auth.audience = Some(CLIENT_ID.into());
    })
    .await;
    // The provider stamps tokens with the real time.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("time")
        .as_secs();
    app.clock.set(Epoch(now));
    app
}

async fn viewer(app: &TestApp, token: &str) -> (u16, Value) {
    app.gql(Some(token), "{ viewer { id username } }", json!({}))
        .await
}

#[tokio::test]
async fn oidc_provider_access_token_is_accepted_and_its_id_token_refused() {
    let provider = Provider::start();
    let app = app_for(&provider).await;
    let (id_token, access_token) = provider.code_flow("alice").await;

    // What the provider issued: one subject and one audience; only the type differs.
    let (at_header, at_claims) = parts(&access_token);
    let (id_header, id_claims) = parts(&id_token);
    assert_eq!(at_header["typ"], json!("at+jwt"));
    assert_ne!(id_header["typ"], json!("at+jwt"));
    assert_eq!(at_claims["aud"], id_claims["aud"]);
    assert_eq!(
        (&at_claims["sub"], &id_claims["sub"]),
        (&json!("alice"), &json!("alice"))
    );

    let (status, body) = viewer(&app, &id_token).await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"), "{body}");
    let reason = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(reason.contains("at+jwt"), "{reason}");
    assert!(reason.contains("not an ID token"), "{reason}");
    assert!(
        reason.contains("auth.require_access_token_type"),
        "{reason}"
    );

    let (status, body) = viewer(&app, &access_token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["viewer"],
        // The access token carries no name claim: the username falls back to the sub.
        json!({"id": derived_id(&provider.issuer, "alice"), "username": "alice"})
    );

    // The client's own token (client_credentials) is an access token too.
    let (status, body) = viewer(&app, &provider.client_credentials().await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["viewer"]["id"],
        json!(derived_id(&provider.issuer, CLIENT_ID))
    );
}

#[tokio::test]
async fn oidc_provider_key_removed_from_its_jwks_stops_working_after_the_max_age() {
    let provider = Provider::start();
    let app = app_for(&provider).await;
    let old = provider.client_credentials().await;
    assert_eq!(viewer(&app, &old).await.0, 200);

    provider.rotate_keys().await;
    app.clock.advance(60);
    assert_eq!(viewer(&app, &old).await.0, 200, "within the max age");

    app.clock.advance(541);
    let (status, body) = viewer(&app, &old).await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("is not in the issuer's JWKS"),
        "{body}"
    );
    let new = provider.client_credentials().await;
    assert_ne!(parts(&new).0["kid"], parts(&old).0["kid"]);
    assert_eq!(viewer(&app, &new).await.0, 200, "the new key works");
}
