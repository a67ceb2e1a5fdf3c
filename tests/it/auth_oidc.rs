//! OIDC verification against a local OIDC issuer stand-in: an actix-web server on 127.0.0.1,
//! port 0, started inside each test, serving discovery and a JWKS built from RSA-2048 and EC P-256
//! keys generated with openssl at test time. The server counts its JWKS fetches, so refreshes and
//! rate limits are asserted by counts, never by the clock.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mediagate::auth::{AuthConfig, AuthError, AuthMode, Authenticator, Identity};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use serde_json::{Value, json};

const NOW: u64 = 1_800_000_000;
const AUDIENCE: &str = "mediagate";
/// Long enough that it never elapses during a test.
const HOUR: Duration = Duration::from_secs(3600);

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A signing key of the stand-in issuer, and its public JWK.
struct TestKey {
    kid: &'static str,
    alg: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
    /// SPKI and PKCS#1 PEMs of an RSA key's public half (what a key-confusion attacker uses).
    public_pems: Vec<Vec<u8>>,
}

impl TestKey {
    fn rsa(kid: &'static str) -> TestKey {
        let rsa = Rsa::generate(2048).expect("RSA key");
        let jwk = json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": b64(&rsa.n().to_vec()), "e": b64(&rsa.e().to_vec()),
        });
        TestKey {
            kid,
            alg: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_pem(&rsa.private_key_to_pem().expect("pem"))
                .expect("RSA encoding key"),
            jwk,
            public_pems: vec![
                rsa.public_key_to_pem().expect("spki"),
                rsa.public_key_to_pem_pkcs1().expect("pkcs1"),
            ],
        }
    }

    fn ec(kid: &'static str, curve: Nid, crv: &str) -> TestKey {
        let group = EcGroup::from_curve_name(curve).expect("group");
        let ec = EcKey::generate(&group).expect("EC key");
        let (mut x, mut y) = (BigNum::new().expect("bn"), BigNum::new().expect("bn"));
        let mut ctx = BigNumContext::new().expect("ctx");
        ec.public_key()
            .affine_coordinates(&group, &mut x, &mut y, &mut ctx)
            .expect("coordinates");
        let size = i32::try_from(group.degree().div_ceil(8)).expect("size");
        let jwk = json!({
            "kty": "EC", "use": "sig", "crv": crv, "kid": kid,
            "x": b64(&x.to_vec_padded(size).expect("x")),
            "y": b64(&y.to_vec_padded(size).expect("y")),
        });
        let pkcs8 = PKey::from_ec_key(ec)
            .expect("pkey")
            .private_key_to_pem_pkcs8()
            .expect("pkcs8");
        TestKey {
            kid,
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_pem(&pkcs8).expect("EC encoding key"),
            jwk,
            public_pems: Vec::new(),
        }
    }

    fn sign(&self, claims: &Value) -> String {
        self.sign_as(self.alg, Some(self.kid), claims)
    }

    fn sign_as(&self, alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign")
    }
}

struct Keys {
    rsa: TestKey,
    ec: TestKey,
    /// Served only after a rotation.
    rsa_next: TestKey,
    /// Never served: an attacker's key.
    rsa_attacker: TestKey,
    /// A P-384 key: not usable for ES256, so skipped.
    ec_p384: TestKey,
}

/// Generated once per test binary (RSA generation is slow).
fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        rsa: TestKey::rsa("rsa-1"),
        ec: TestKey::ec("ec-1", Nid::X9_62_PRIME256V1, "P-256"),
        rsa_next: TestKey::rsa("rsa-2"),
        rsa_attacker: TestKey::rsa("rsa-1"),
        ec_p384: TestKey::ec("ec-384", Nid::SECP384R1, "P-384"),
    })
}

/// What the stand-in serves, and what it has been asked.
struct IssuerState {
    /// The `issuer` discovery announces.
    announced_issuer: Mutex<String>,
    jwks_uri: String,
    jwks: Mutex<Vec<Value>>,
    /// 200 normally; anything else makes the JWKS endpoint fail.
    jwks_status: AtomicU16,
    /// A pause before answering the JWKS, so concurrent requests surely overlap a fetch.
    jwks_delay_ms: AtomicU64,
    jwks_fetches: AtomicUsize,
    discovery_fetches: AtomicUsize,
}

async fn serve_discovery(state: web::Data<IssuerState>) -> HttpResponse {
    state.discovery_fetches.fetch_add(1, Ordering::SeqCst);
    let issuer = state.announced_issuer.lock().expect("lock").clone();
    HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "jwks_uri": state.jwks_uri,
        "authorization_endpoint": format!("{issuer}/auth"),
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }))
}

async fn serve_jwks(state: web::Data<IssuerState>) -> HttpResponse {
    state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let delay = state.jwks_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = state.jwks_status.load(Ordering::SeqCst);
    if status != 200 {
        let status = actix_web::http::StatusCode::from_u16(status).expect("status");
        return HttpResponse::build(status).body("issuer trouble");
    }
    let keys = state.jwks.lock().expect("lock").clone();
    HttpResponse::Ok().json(json!({ "keys": keys }))
}

/// A local OIDC issuer stand-in.
struct LocalIssuer {
    /// The issuer URL (`http://127.0.0.1:{port}{path}`).
    url: String,
    state: Arc<IssuerState>,
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl LocalIssuer {
    /// Keycloak-style issuer path, serving the RSA and EC keys.
    fn start() -> LocalIssuer {
        LocalIssuer::start_at(
            "/realms/mediagate",
            vec![keys().rsa.jwk.clone(), keys().ec.jwk.clone()],
        )
    }

    fn start_at(path: &str, jwks: Vec<Value>) -> LocalIssuer {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        LocalIssuer::serve(listener, path, jwks)
    }

    /// Serves on `listener` (bound earlier, so the URL is known before the server runs).
    fn serve(listener: TcpListener, path: &str, jwks: Vec<Value>) -> LocalIssuer {
        let port = listener.local_addr().expect("addr").port();
        let url = format!("http://127.0.0.1:{port}{path}");
        let state = Arc::new(IssuerState {
            announced_issuer: Mutex::new(url.clone()),
            jwks_uri: format!("{url}/protocol/openid-connect/certs"),
            jwks: Mutex::new(jwks),
            jwks_status: AtomicU16::new(200),
            jwks_delay_ms: AtomicU64::new(0),
            jwks_fetches: AtomicUsize::new(0),
            discovery_fetches: AtomicUsize::new(0),
        });
        let data = web::Data::from(Arc::clone(&state));
        let discovery_path = format!("{path}/.well-known/openid-configuration");
        let jwks_path = format!("{path}/protocol/openid-connect/certs");
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(&discovery_path, web::get().to(serve_discovery))
                .route(&jwks_path, web::get().to(serve_jwks))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        LocalIssuer {
            url,
            state,
            handle,
            task: tokio::spawn(server),
        }
    }

    fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    fn discovery_fetches(&self) -> usize {
        self.state.discovery_fetches.load(Ordering::SeqCst)
    }

    fn serve_keys(&self, jwks: Vec<Value>) {
        *self.state.jwks.lock().expect("lock") = jwks;
    }

    fn announce_issuer(&self, issuer: &str) {
        *self.state.announced_issuer.lock().expect("lock") = issuer.to_owned();
    }

    fn slow_down_jwks(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).expect("ms");
        self.state.jwks_delay_ms.store(ms, Ordering::SeqCst);
    }

    fn fail_jwks_with(&self, status: u16) {
        self.state.jwks_status.store(status, Ordering::SeqCst);
    }

    fn claims(&self) -> Value {
        json!({
            "iss": self.url, "sub": "user-1", "aud": AUDIENCE,
            "iat": NOW, "exp": NOW + 600, "preferred_username": "alice",
        })
    }

    fn claims_with(&self, changes: Value) -> Value {
        let mut claims = self.claims();
        for (name, value) in changes.as_object().expect("object") {
            if value.is_null() {
                claims.as_object_mut().expect("object").remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        claims
    }

    async fn stop(self) {
        self.handle.stop(false).await;
        self.task.await.expect("join").expect("server");
    }
}

fn config(issuer: &str, interval: Duration) -> AuthConfig {
    AuthConfig {
        mode: AuthMode::Oidc {
            issuer: issuer.to_owned(),
            jwks_min_refresh_interval: interval,
            http_timeout: Duration::from_secs(5),
        },
        issuer: None,
        audience: Some(AUDIENCE.to_owned()),
        leeway_secs: 60,
        accept_client_id_as_audience: false,
    }
}

fn authenticator(issuer: &str, interval: Duration) -> Authenticator {
    Authenticator::new(config(issuer, interval)).expect("config")
}

async fn verify(auth: &Authenticator, token: &str) -> Result<Identity, AuthError> {
    auth.verify(token, NOW).await
}

#[tokio::test]
async fn oidc_local_issuer_accepts_rs256_and_es256() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, HOUR);
    assert_eq!(issuer.jwks_fetches(), 0, "no fetch before first use");

    for key in [&keys().rsa, &keys().ec] {
        let identity = verify(&auth, &key.sign(&issuer.claims()))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", key.kid));
        assert_eq!(
            identity,
            Identity {
                issuer: issuer.url.clone(),
                subject: "user-1".to_owned(),
                username: "alice".to_owned(),
                expires_at: NOW + 600,
            }
        );
    }
    assert_eq!(issuer.discovery_fetches(), 1);
    assert_eq!(issuer.jwks_fetches(), 1, "both keys from one fetch");
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_unknown_kid_refreshes_once_then_rejects() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, Duration::ZERO);
    verify(&auth, &keys().rsa.sign(&issuer.claims()))
        .await
        .expect("known kid");
    assert_eq!(issuer.jwks_fetches(), 1);

    let token = keys()
        .rsa
        .sign_as(Algorithm::RS256, Some("k9"), &issuer.claims());
    let err = verify(&auth, &token).await.expect_err("unknown kid");
    assert_eq!(
        err.to_string(),
        r#"token key id "k9" is not in the issuer's JWKS (refreshed 0 s ago)"#
    );
    assert!(!err.is_upstream());
    assert_eq!(issuer.jwks_fetches(), 2, "exactly one refresh");
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_key_rotation_is_accepted_after_one_refresh() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, Duration::ZERO);
    let old_token = keys().rsa.sign(&issuer.claims());
    verify(&auth, &old_token).await.expect("old key");
    assert_eq!(issuer.jwks_fetches(), 1);

    // The issuer rotates: it now serves only the new key.
    issuer.serve_keys(vec![keys().rsa_next.jwk.clone()]);
    verify(&auth, &keys().rsa_next.sign(&issuer.claims()))
        .await
        .expect("new key after one refresh");
    assert_eq!(issuer.jwks_fetches(), 2);
    verify(&auth, &keys().rsa_next.sign(&issuer.claims()))
        .await
        .expect("new key, cached");
    assert_eq!(issuer.jwks_fetches(), 2);

    // The retired key went with the old key set.
    assert!(matches!(
        verify(&auth, &old_token).await,
        Err(AuthError::UnknownKeyId { .. })
    ));
    issuer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_local_issuer_rate_limits_refreshes() {
    let issuer = LocalIssuer::start();
    let auth = Arc::new(authenticator(&issuer.url, HOUR));
    verify(&auth, &keys().ec.sign(&issuer.claims()))
        .await
        .expect("first load");
    assert_eq!(issuer.jwks_fetches(), 1);

    // 20 tokens naming unknown kids, concurrently, within one interval: exactly one refetch.
    issuer.slow_down_jwks(Duration::from_millis(200));
    let tokens: Vec<String> = (0..20)
        .map(|i| {
            let kid = format!("unknown-{i}");
            keys()
                .rsa
                .sign_as(Algorithm::RS256, Some(&kid), &issuer.claims())
        })
        .collect();
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let auth = Arc::clone(&auth);
            tokio::spawn(async move { auth.verify(&token, NOW).await })
        })
        .collect();
    for task in tasks {
        let result = task.await.expect("join");
        assert!(
            matches!(result, Err(AuthError::UnknownKeyId { .. })),
            "{result:?}"
        );
    }
    assert_eq!(issuer.jwks_fetches(), 2);

    // Later ones in the same interval are refused from the cache, even a rotated-in key.
    issuer.serve_keys(vec![keys().rsa_next.jwk.clone()]);
    assert!(matches!(
        verify(&auth, &keys().rsa_next.sign(&issuer.claims())).await,
        Err(AuthError::UnknownKeyId { .. })
    ));
    assert_eq!(issuer.jwks_fetches(), 2);
    // Known keys keep working without a fetch.
    verify(&auth, &keys().rsa.sign(&issuer.claims()))
        .await
        .expect("cached key");
    assert_eq!(issuer.jwks_fetches(), 2);
    issuer.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_local_issuer_first_use_by_many_requests_fetches_once() {
    let issuer = LocalIssuer::start();
    let auth = Arc::new(authenticator(&issuer.url, HOUR));
    issuer.slow_down_jwks(Duration::from_millis(200));
    // Signed first (RSA signing is slow in debug builds), so the requests really overlap.
    let tokens: Vec<String> = (0..20)
        .map(|i| {
            let key = if i % 2 == 0 { &keys().rsa } else { &keys().ec };
            key.sign(&issuer.claims())
        })
        .collect();
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let auth = Arc::clone(&auth);
            tokio::spawn(async move { auth.verify(&token, NOW).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("join").expect("valid");
    }
    assert_eq!(issuer.discovery_fetches(), 1);
    assert_eq!(issuer.jwks_fetches(), 1);
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_wrong_issuer_in_discovery_is_rejected() {
    let issuer = LocalIssuer::start();
    issuer.announce_issuer("https://evil.example/realms/mediagate");
    let auth = authenticator(&issuer.url, HOUR);
    let err = verify(&auth, &keys().rsa.sign(&issuer.claims()))
        .await
        .expect_err("discovery names another issuer");
    assert!(matches!(err, AuthError::IssuerMismatch { .. }), "{err:?}");
    assert!(
        err.is_upstream(),
        "a misconfigured issuer is not the token's fault"
    );
    assert!(err.to_string().contains("evil.example"), "{err}");
    assert_eq!(
        issuer.jwks_fetches(),
        0,
        "keys of the wrong issuer are never fetched"
    );
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_trailing_slash_is_the_same_issuer() {
    let issuer = LocalIssuer::start();
    // Configured with a slash, announced and used in tokens without one (and vice versa below).
    let auth = authenticator(&format!("{}/", issuer.url), HOUR);
    verify(&auth, &keys().rsa.sign(&issuer.claims()))
        .await
        .expect("trailing slash in config");
    issuer.announce_issuer(&format!("{}/", issuer.url));
    let auth = authenticator(&issuer.url, HOUR);
    let slashed = issuer.claims_with(json!({"iss": format!("{}/", issuer.url)}));
    verify(&auth, &keys().rsa.sign(&slashed))
        .await
        .expect("trailing slash in discovery and token");
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_rejects_hs256_and_the_key_confusion_attack() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, HOUR);
    let rsa = &keys().rsa;
    let claims = issuer.claims();
    verify(&auth, &rsa.sign(&claims))
        .await
        .expect("keys loaded");

    // HMAC-signed with the RSA public key (as PEM, in both encodings, and the raw modulus) as the
    // secret, header alg HS256, kid of the RSA key: the classic confusion attack.
    let n = URL_SAFE_NO_PAD
        .decode(rsa.jwk["n"].as_str().expect("n"))
        .expect("n");
    let mut secrets = rsa.public_pems.clone();
    secrets.push(n);
    for secret in secrets {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(rsa.kid.to_owned());
        let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&secret))
            .expect("sign");
        let err = verify(&auth, &token).await.expect_err("HS/RS confusion");
        assert_eq!(
            err.to_string(),
            "token signed with alg HS256; only RS256 and ES256 are accepted"
        );
    }

    // alg none, with and without the RSA key's kid.
    let payload = b64(claims.to_string().as_bytes());
    for header in [
        json!({"alg": "none", "typ": "JWT"}),
        json!({"alg": "none", "typ": "JWT", "kid": rsa.kid}),
    ] {
        let token = format!("{}.{payload}.", b64(header.to_string().as_bytes()));
        let err = verify(&auth, &token).await.expect_err("alg none");
        assert_eq!(
            err.to_string(),
            "token signed with alg none; only RS256 and ES256 are accepted"
        );
    }

    // Other RSA algorithms with the right key are not accepted either.
    for alg in [Algorithm::RS384, Algorithm::PS256] {
        assert!(matches!(
            verify(&auth, &rsa.sign_as(alg, Some(rsa.kid), &claims)).await,
            Err(AuthError::AlgorithmNotAccepted { .. })
        ));
    }

    // The alg must match the type of the key the kid names.
    let err = verify(
        &auth,
        &rsa.sign_as(Algorithm::RS256, Some(keys().ec.kid), &claims),
    )
    .await
    .expect_err("RS256 naming the EC key");
    assert_eq!(
        err.to_string(),
        r#"token signed with alg RS256, but key id "ec-1" is an ES256 key"#
    );
    let err = verify(
        &auth,
        &keys().ec.sign_as(Algorithm::ES256, Some(rsa.kid), &claims),
    )
    .await
    .expect_err("ES256 naming the RSA key");
    assert!(
        matches!(err, AuthError::AlgorithmKeyMismatch { .. }),
        "{err:?}"
    );

    // Another RSA key claiming the served kid: the signature does not verify.
    let err = verify(&auth, &keys().rsa_attacker.sign(&claims))
        .await
        .expect_err("attacker's key");
    assert_eq!(
        err.to_string(),
        r#"token signature does not verify with key id "rsa-1""#
    );

    // No kid at all.
    assert_eq!(
        verify(&auth, &rsa.sign_as(Algorithm::RS256, None, &claims)).await,
        Err(AuthError::MissingKeyId)
    );
    assert_eq!(issuer.jwks_fetches(), 1);
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_checks_time_issuer_and_audience() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, HOUR);
    let ec = &keys().ec;
    let check = |changes: Value| {
        let token = ec.sign(&issuer.claims_with(changes));
        let auth = &auth;
        async move { verify(auth, &token).await }
    };

    assert_eq!(
        check(json!({"exp": NOW - 100})).await,
        Err(AuthError::Expired { secs_ago: 100 })
    );
    assert!(
        check(json!({"exp": NOW - 59})).await.is_ok(),
        "within leeway"
    );
    assert_eq!(
        check(json!({"exp": null})).await,
        Err(AuthError::MissingClaim("exp"))
    );
    assert_eq!(
        check(json!({"nbf": NOW + 3600})).await,
        Err(AuthError::NotYetValid { secs: 3600 })
    );
    assert!(
        check(json!({"nbf": NOW + 30})).await.is_ok(),
        "within leeway"
    );

    let err = check(json!({"aud": ["someone-else"]}))
        .await
        .expect_err("aud");
    assert_eq!(
        err.to_string(),
        r#"token audience ["someone-else"] does not include "mediagate""#
    );
    assert!(matches!(
        check(json!({"aud": null})).await,
        Err(AuthError::MissingAudience { .. })
    ));

    let err = check(json!({"iss": "https://evil.example"}))
        .await
        .expect_err("iss");
    assert_eq!(
        err.to_string(),
        format!(
            r#"token issuer "https://evil.example" is not the configured issuer "{}""#,
            issuer.url
        )
    );
    assert_eq!(
        check(json!({"iss": null})).await,
        Err(AuthError::MissingClaim("iss"))
    );
    assert_eq!(
        check(json!({"sub": null})).await,
        Err(AuthError::MissingClaim("sub"))
    );
    assert_eq!(issuer.jwks_fetches(), 1);
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_unreachable_is_upstream() {
    let port = {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}/realms/gone");
    let auth = authenticator(&url, HOUR);
    let token = keys()
        .rsa
        .sign(&json!({"iss": url, "sub": "u", "aud": AUDIENCE, "exp": NOW + 60}));
    let err = verify(&auth, &token).await.expect_err("nothing listens");
    assert!(err.is_upstream(), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("OIDC issuer unavailable: GET "),
        "{message}"
    );
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(!message.contains(&token), "{message}");
}

#[tokio::test]
async fn oidc_local_issuer_down_then_back_recovers() {
    // The port is bound from the start but nobody answers: connections hang until the timeout.
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let url = format!("http://127.0.0.1:{port}/realms/mediagate");
    let mut config = config(&url, Duration::ZERO);
    if let AuthMode::Oidc { http_timeout, .. } = &mut config.mode {
        *http_timeout = Duration::from_millis(300);
    }
    let auth = Authenticator::new(config).expect("starts while the issuer is down");
    let claims = json!({"iss": url, "sub": "user-1", "aud": AUDIENCE, "exp": NOW + 600});
    let token = keys().rsa.sign(&claims);
    let err = verify(&auth, &token).await.expect_err("issuer down");
    assert!(err.is_upstream(), "{err:?}");

    // The issuer comes up on the same port.
    let issuer = LocalIssuer::serve(listener, "/realms/mediagate", vec![keys().rsa.jwk.clone()]);
    assert_eq!(issuer.url, url);
    verify(&auth, &token).await.expect("recovered");
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_jwks_failures_are_upstream_and_cached_keys_keep_working() {
    let issuer = LocalIssuer::start();
    let auth = authenticator(&issuer.url, Duration::ZERO);
    issuer.fail_jwks_with(500);
    let err = verify(&auth, &keys().rsa.sign(&issuer.claims()))
        .await
        .expect_err("JWKS answers 500");
    assert!(err.is_upstream(), "{err:?}");
    assert!(err.to_string().contains("HTTP 500"), "{err}");

    issuer.fail_jwks_with(200);
    verify(&auth, &keys().rsa.sign(&issuer.claims()))
        .await
        .expect("recovered");
    let fetches = issuer.jwks_fetches();

    // With keys loaded, a failing JWKS affects only tokens that need a refresh.
    issuer.fail_jwks_with(503);
    verify(&auth, &keys().ec.sign(&issuer.claims()))
        .await
        .expect("cached key, no fetch");
    assert_eq!(issuer.jwks_fetches(), fetches);
    let err = verify(&auth, &keys().rsa_next.sign(&issuer.claims()))
        .await
        .expect_err("unknown kid while the JWKS fails");
    assert!(err.is_upstream(), "{err:?}");
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_skips_keys_it_cannot_use() {
    let issuer = LocalIssuer::start_at(
        "/realms/mixed",
        vec![
            keys().rsa.jwk.clone(),
            // An encryption key, a P-384 key, an RS512 key, an HMAC key, a key without kid.
            {
                let mut jwk = keys().rsa_next.jwk.clone();
                jwk["use"] = json!("enc");
                jwk["kid"] = json!("enc-key");
                jwk
            },
            keys().ec_p384.jwk.clone(),
            {
                let mut jwk = keys().rsa_next.jwk.clone();
                jwk["alg"] = json!("RS512");
                jwk["kid"] = json!("rs512");
                jwk
            },
            json!({"kty": "oct", "kid": "hmac", "k": b64(b"a shared secret of 32 bytes.....")}),
            json!({"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64(&[7; 32])}),
            {
                let mut jwk = keys().ec.jwk.clone();
                jwk.as_object_mut().expect("object").remove("kid");
                jwk
            },
        ],
    );
    let auth = authenticator(&issuer.url, HOUR);
    let claims = issuer.claims();
    verify(&auth, &keys().rsa.sign(&claims))
        .await
        .expect("the usable key");
    let next = &keys().rsa_next;
    for (kid, token) in [
        (
            "enc-key",
            next.sign_as(Algorithm::RS256, Some("enc-key"), &claims),
        ),
        (
            "rs512",
            next.sign_as(Algorithm::RS256, Some("rs512"), &claims),
        ),
        (
            "ec-384",
            keys().ec.sign_as(Algorithm::ES256, Some("ec-384"), &claims),
        ),
        (
            "hmac",
            next.sign_as(Algorithm::RS256, Some("hmac"), &claims),
        ),
        ("ed", next.sign_as(Algorithm::RS256, Some("ed"), &claims)),
    ] {
        let err = verify(&auth, &token).await.expect_err(kid);
        assert!(
            matches!(&err, AuthError::UnknownKeyId { kid: k, .. } if k == kid),
            "{kid}: {err:?}"
        );
    }
    issuer.stop().await;
}

#[tokio::test]
async fn oidc_local_issuer_cognito_access_tokens_need_the_client_id_option() {
    let issuer = LocalIssuer::start_at("/eu-west-1_AbCdEf123", vec![keys().rsa.jwk.clone()]);
    let client_id = "4e8i0c3b2n1m0v9x8z7a6s5d4f";
    let access_token = keys().rsa.sign(&json!({
        "iss": issuer.url, "sub": "5f6e7d8c-0000-4000-8000-000000000001",
        "client_id": client_id, "token_use": "access", "scope": "openid",
        "username": "alice", "exp": NOW + 3600, "iat": NOW,
    }));
    let id_token = keys().rsa.sign(&json!({
        "iss": issuer.url, "sub": "5f6e7d8c-0000-4000-8000-000000000001",
        "aud": client_id, "token_use": "id", "cognito:username": "alice",
        "email": "alice@example.com", "exp": NOW + 3600, "iat": NOW,
    }));
    let mut config = config(&issuer.url, HOUR);
    config.audience = Some(client_id.to_owned());

    let strict = Authenticator::new(config.clone()).expect("config");
    let err = verify(&strict, &access_token)
        .await
        .expect_err("client_id not accepted");
    assert!(matches!(err, AuthError::MissingAudience { .. }), "{err:?}");
    assert!(
        err.to_string().contains("accept_client_id_as_audience"),
        "{err}"
    );
    assert_eq!(
        verify(&strict, &id_token).await.expect("ID token").username,
        "alice"
    );

    config.accept_client_id_as_audience = true;
    let cognito = Authenticator::new(config).expect("config");
    let identity = verify(&cognito, &access_token)
        .await
        .expect("access token with the option on");
    assert_eq!(identity.username, "alice");
    assert_eq!(identity.user_id(), "5f6e7d8c-0000-4000-8000-000000000001");
    verify(&cognito, &id_token).await.expect("ID token");

    let other_client = keys().rsa.sign(&json!({
        "iss": issuer.url, "sub": "u", "client_id": "another-app", "exp": NOW + 60,
    }));
    assert!(matches!(
        verify(&cognito, &other_client).await,
        Err(AuthError::MissingAudience { .. })
    ));
    issuer.stop().await;
}

/// The same attack set through the API in OIDC mode: 200 for the issuer's tokens, 401 for the
/// rest, 503 when the issuer cannot be reached.
#[tokio::test]
async fn oidc_local_issuer_through_the_api() {
    use crate::api::helpers::TestApp;
    let issuer = LocalIssuer::start();
    let url = issuer.url.clone();
    let app = TestApp::spawn_with(|c| {
        c.auth.mode = "oidc".into();
        c.auth.issuer = Some(url);
        c.auth.audience = Some(AUDIENCE.into());
        c.auth.jwks_min_refresh_interval_secs = 3600;
    })
    .await;
    app.clock.set(mediagate::cloudfront::Epoch(NOW));
    let ask = |token: String| {
        let app = &app;
        async move {
            let res = app
                .client
                .post(format!("{}/graphql", app.base))
                .bearer_auth(token)
                .json(&json!({"query": "{ viewer { id username } }"}))
                .send()
                .await
                .expect("request");
            (
                res.status().as_u16(),
                res.json::<Value>().await.expect("json"),
            )
        }
    };
    let claims = issuer.claims();
    for key in [&keys().rsa, &keys().ec] {
        let (status, body) = ask(key.sign(&claims)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["data"]["viewer"],
            json!({"id": "user-1", "username": "alice"})
        );
    }
    let mut confusion = Header::new(Algorithm::HS256);
    confusion.kid = Some(keys().rsa.kid.to_owned());
    let confused = jsonwebtoken::encode(
        &confusion,
        &claims,
        &EncodingKey::from_secret(&keys().rsa.public_pems[0]),
    )
    .expect("sign");
    let attacks = [
        (
            "unknown kid",
            keys()
                .rsa
                .sign_as(Algorithm::RS256, Some("kid-nobody-has"), &claims),
        ),
        (
            "attacker's key under a known kid",
            keys().rsa_attacker.sign(&claims),
        ),
        ("HS/RS confusion", confused),
        (
            "expired",
            keys()
                .rsa
                .sign(&issuer.claims_with(json!({"exp": NOW - 3600}))),
        ),
        (
            "wrong audience",
            keys()
                .rsa
                .sign(&issuer.claims_with(json!({"aud": "other-app"}))),
        ),
        (
            "wrong issuer",
            keys()
                .rsa
                .sign(&issuer.claims_with(json!({"iss": "https://evil.example"}))),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(br#"{"alg":"none"}"#),
                b64(claims.to_string().as_bytes())
            ),
        ),
    ];
    for (name, token) in attacks {
        let (status, body) = ask(token).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"],
            json!("UNAUTHENTICATED"),
            "{name}"
        );
    }
    assert!(issuer.jwks_fetches() >= 1);
    let dead = issuer.url.clone();
    issuer.stop().await;
    // An app whose issuer cannot be reached answers 503 UPSTREAM, never 401 or anonymous.
    let app = TestApp::spawn_with(|c| {
        c.auth.mode = "oidc".into();
        c.auth.issuer = Some(dead);
        c.auth.audience = Some(AUDIENCE.into());
        c.auth.http_timeout_secs = 2;
    })
    .await;
    app.clock.set(mediagate::cloudfront::Epoch(NOW));
    let res = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(keys().rsa.sign(&claims))
        .json(&json!({"query": "{ viewer { id } }"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        json!("UPSTREAM"),
        "{body}"
    );
}
