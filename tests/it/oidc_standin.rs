//! A local OIDC issuer stand-in: an actix-web server on 127.0.0.1, port 0, started inside each
//! test, serving discovery and a JWKS built from RSA-2048 and EC P-256 keys generated with openssl
//! at test time. The server counts its JWKS fetches, so refreshes and rate limits are asserted by
//! counts, never by the clock. Used by `auth_oidc` (the verifier) and `auth_oidc_api` (over HTTP).

use std::net::TcpListener;
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use serde_json::{Value, json};

pub(crate) const NOW: u64 = 1_800_000_000;
pub(crate) const AUDIENCE: &str = "mediagate";
/// Long enough that it never elapses during a test.
pub(crate) const HOUR: Duration = Duration::from_secs(3600);

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A signing key of the stand-in issuer, and its public JWK.
pub(crate) struct TestKey {
    pub(crate) kid: &'static str,
    pub(crate) alg: Algorithm,
    pub(crate) encoding: EncodingKey,
    pub(crate) jwk: Value,
    /// SPKI and PKCS#1 PEMs of an RSA key's public half (what a key-confusion attacker uses).
    pub(crate) public_pems: Vec<Vec<u8>>,
}

impl TestKey {
    pub(crate) fn rsa(kid: &'static str) -> TestKey {
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

    pub(crate) fn ec(kid: &'static str, curve: Nid, crv: &str) -> TestKey {
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

    pub(crate) fn sign(&self, claims: &Value) -> String {
        self.sign_as(self.alg, Some(self.kid), claims)
    }

    /// An access token: header `typ` "at+jwt" (RFC 9068), as an OIDC issuer marks them.
    pub(crate) fn sign_as(&self, alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
        self.sign_typed(alg, kid, Some("at+jwt"), claims)
    }

    /// A token with the header `typ` given (`None`: no `typ`, as ID tokens often have).
    pub(crate) fn sign_typed(
        &self,
        alg: Algorithm,
        kid: Option<&str>,
        typ: Option<&str>,
        claims: &Value,
    ) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        header.typ = typ.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign")
    }
}

pub(crate) struct Keys {
    pub(crate) rsa: TestKey,
    pub(crate) ec: TestKey,
    /// Served only after a rotation.
    pub(crate) rsa_next: TestKey,
    /// Never served: an attacker's key.
    pub(crate) rsa_attacker: TestKey,
    /// A P-384 key: not usable for ES256, so skipped.
    pub(crate) ec_p384: TestKey,
}

/// Generated once per test binary (RSA generation is slow).
pub(crate) fn keys() -> &'static Keys {
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
pub(crate) struct LocalIssuer {
    /// The issuer URL (`http://127.0.0.1:{port}{path}`).
    pub(crate) url: String,
    state: Arc<IssuerState>,
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl LocalIssuer {
    /// Keycloak-style issuer path, serving the RSA and EC keys.
    pub(crate) fn start() -> LocalIssuer {
        LocalIssuer::start_at(
            "/realms/mediagate",
            vec![keys().rsa.jwk.clone(), keys().ec.jwk.clone()],
        )
    }

    pub(crate) fn start_at(path: &str, jwks: Vec<Value>) -> LocalIssuer {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        LocalIssuer::serve(listener, path, jwks)
    }

    /// Serves on `listener` (bound earlier, so the URL is known before the server runs).
    pub(crate) fn serve(listener: TcpListener, path: &str, jwks: Vec<Value>) -> LocalIssuer {
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

    pub(crate) fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    pub(crate) fn discovery_fetches(&self) -> usize {
        self.state.discovery_fetches.load(Ordering::SeqCst)
    }

    pub(crate) fn serve_keys(&self, jwks: Vec<Value>) {
        *self.state.jwks.lock().expect("lock") = jwks;
    }

    pub(crate) fn announce_issuer(&self, issuer: &str) {
        *self.state.announced_issuer.lock().expect("lock") = issuer.to_owned();
    }

    pub(crate) fn slow_down_jwks(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).expect("ms");
        self.state.jwks_delay_ms.store(ms, Ordering::SeqCst);
    }

    pub(crate) fn fail_jwks_with(&self, status: u16) {
        self.state.jwks_status.store(status, Ordering::SeqCst);
    }

    pub(crate) fn claims(&self) -> Value {
        json!({
            "iss": self.url, "sub": "user-1", "aud": AUDIENCE,
            "iat": NOW, "exp": NOW + 600, "preferred_username": "alice",
        })
    }

    pub(crate) fn claims_with(&self, changes: Value) -> Value {
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

    pub(crate) async fn stop(self) {
        self.handle.stop(false).await;
        self.task.await.expect("join").expect("server");
    }
}
