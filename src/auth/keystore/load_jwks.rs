//! Fetching the issuer's key set: OIDC discovery (`{issuer}/.well-known/openid-configuration`,
//! which must name the configured issuer), then the JWKS it points to, each answer size-capped;
//! of the keys, only those this service can verify with are kept.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;

use super::IssuerKey;
use crate::auth::error::{AuthError, shown};
use crate::auth::header::algorithm_name;
use crate::auth::identity::normalise_issuer;

/// Discovery documents and key sets larger than this are refused.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// RSA keys in a JWKS must have a modulus of 2048 to 8192 bits.
const RSA_MODULUS_BYTES: std::ops::RangeInclusive<usize> = 256..=1024;

/// Checks what every request to the issuer depends on: its URL (https, or http on a loopback
/// host; no query or fragment) and the timeout.
pub(super) fn check_issuer(issuer: &str, http_timeout: Duration) -> Result<(), AuthError> {
    let config = |why: String| AuthError::Config(why);
    let url = reqwest::Url::parse(issuer)
        .map_err(|e| config(format!("the OIDC issuer {issuer:?} is not a URL: {e}")))?;
    if !(url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url))) {
        return Err(config(format!(
            "the OIDC issuer {issuer:?} must be an https URL (http only for localhost)"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(config(format!(
            "the OIDC issuer {issuer:?} must not have a query or fragment"
        )));
    }
    if http_timeout.is_zero() {
        return Err(config("the OIDC HTTP timeout is 0".to_owned()));
    }
    Ok(())
}

/// The issuer, its discovery URL, and the HTTP client that asks both it and its JWKS.
pub(super) struct JwksSource {
    issuer: String,
    discovery_url: String,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct JwksDocument {
    keys: Vec<Value>,
}

impl JwksSource {
    /// Builds the HTTP client; fetches nothing. `issuer` has passed [`check_issuer`].
    pub(super) fn new(issuer: String, http_timeout: Duration) -> Result<JwksSource, AuthError> {
        let config = |why: String| AuthError::Config(why);
        let http = with_tls(reqwest::Client::builder())
            .map_err(config)?
            .timeout(http_timeout)
            .connect_timeout(http_timeout)
            .user_agent(concat!("mediagate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config(format!("cannot build the HTTP client: {}", error_chain(&e))))?;
        Ok(JwksSource {
            discovery_url: format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            ),
            issuer,
            http,
        })
    }

    /// The issuer as configured.
    pub(super) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The issuer's usable keys, by `kid`. `jwks_uri` is the key set's URL from an earlier
    /// discovery; when it is `None`, discovery runs first and leaves its answer there.
    pub(super) async fn load_jwks(
        &self,
        jwks_uri: &mut Option<String>,
    ) -> Result<HashMap<String, Arc<IssuerKey>>, AuthError> {
        let jwks_uri = match jwks_uri {
            Some(uri) => uri.clone(),
            None => {
                let uri = self.discover().await?;
                *jwks_uri = Some(uri.clone());
                uri
            }
        };
        let document: JwksDocument = self.get_json(&jwks_uri).await?;
        let keys = usable_keys(document);
        if keys.is_empty() {
            return Err(AuthError::Upstream(format!(
                "the JWKS at {jwks_uri} has no usable signing key (RS256 RSA or ES256 P-256, \
                 use \"sig\", with a kid)"
            )));
        }
        Ok(keys)
    }

    async fn discover(&self) -> Result<String, AuthError> {
        let discovery: Discovery = self.get_json(&self.discovery_url).await?;
        if normalise_issuer(&discovery.issuer) != normalise_issuer(&self.issuer) {
            return Err(AuthError::IssuerMismatch {
                url: self.discovery_url.clone(),
                discovered: shown(&discovery.issuer),
                configured: self.issuer.clone(),
            });
        }
        let jwks = reqwest::Url::parse(&discovery.jwks_uri).map_err(|e| {
            AuthError::Upstream(format!(
                "discovery at {} gives jwks_uri {:?}, not a URL: {e}",
                self.discovery_url,
                shown(&discovery.jwks_uri)
            ))
        })?;
        let issuer_is_https = self.issuer.starts_with("https:");
        if !(jwks.scheme() == "https" || (!issuer_is_https && jwks.scheme() == "http")) {
            return Err(AuthError::Upstream(format!(
                "discovery at {} gives jwks_uri {:?}; it must be https",
                self.discovery_url,
                shown(&discovery.jwks_uri)
            )));
        }
        Ok(discovery.jwks_uri)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, AuthError> {
        let failed = |why: String| AuthError::Upstream(format!("GET {url}: {why}"));
        let mut response = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| failed(error_chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(failed(format!("answered HTTP {status}")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| failed(error_chain(&e)))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(failed(format!(
                    "the answer is larger than {MAX_DOCUMENT_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| failed(format!("unexpected JSON: {e}")))
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The keys this module can use, by `kid`: RSA (2048 to 8192 bits) for RS256 and EC P-256 for
/// ES256, meant for signatures. Every other key is skipped (and logged at debug level).
fn usable_keys(document: JwksDocument) -> HashMap<String, Arc<IssuerKey>> {
    let mut keys = HashMap::new();
    for value in document.keys {
        let kid = value.get("kid").and_then(Value::as_str).map(shown);
        match usable_key(value) {
            Ok((kid, key)) => match keys.entry(kid) {
                Entry::Vacant(slot) => {
                    slot.insert(Arc::new(key));
                }
                Entry::Occupied(slot) => {
                    tracing::warn!(
                        kid = slot.key(),
                        "JWKS lists this key id twice; using the first"
                    );
                }
            },
            Err(reason) => tracing::debug!(kid, reason, "skipping a JWKS key"),
        }
    }
    keys
}

fn usable_key(value: Value) -> Result<(String, IssuerKey), &'static str> {
    let jwk: Jwk = serde_json::from_value(value).map_err(|_| "not a JWK")?;
    let kid = jwk.common.key_id.clone().ok_or("no kid")?;
    match &jwk.common.public_key_use {
        None | Some(PublicKeyUse::Signature) => {}
        Some(_) => return Err("use is not \"sig\""),
    }
    if let Some(ops) = &jwk.common.key_operations
        && !ops.contains(&KeyOperations::Verify)
    {
        return Err("key_ops lacks \"verify\"");
    }
    let declared = jwk.common.key_algorithm.map(|alg| alg.to_string());
    let algorithm = match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) => {
            let n = URL_SAFE_NO_PAD
                .decode(&rsa.n)
                .map_err(|_| "n is not base64url")?;
            let e = URL_SAFE_NO_PAD
                .decode(&rsa.e)
                .map_err(|_| "e is not base64url")?;
            let n_len = n.iter().skip_while(|b| **b == 0).count();
            if !RSA_MODULUS_BYTES.contains(&n_len) {
                return Err("RSA modulus is not 2048 to 8192 bits");
            }
            if e.is_empty() || e.len() > 8 {
                return Err("RSA exponent is unusable");
            }
            Algorithm::RS256
        }
        AlgorithmParameters::EllipticCurve(ec) => {
            if ec.curve != EllipticCurve::P256 {
                return Err("EC curve is not P-256");
            }
            let x = URL_SAFE_NO_PAD
                .decode(&ec.x)
                .map_err(|_| "x is not base64url")?;
            let y = URL_SAFE_NO_PAD
                .decode(&ec.y)
                .map_err(|_| "y is not base64url")?;
            if !p256_point_is_valid(&x, &y) {
                return Err("EC point is not on P-256");
            }
            Algorithm::ES256
        }
        _ => return Err("key type is not RSA or EC"),
    };
    if let Some(declared) = declared
        && declared != algorithm_name(algorithm)
    {
        return Err("alg is not RS256 (RSA) or ES256 (EC)");
    }
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| "jsonwebtoken refused the key")?;
    Ok((kid, IssuerKey { algorithm, key }))
}

/// TLS to the issuer: native-tls (OpenSSL, reqwest's default) when the feature `openssl` is on,
/// as sqlx and the PostgreSQL reads use it then.
#[cfg(feature = "openssl")]
fn with_tls(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
    Ok(builder)
}

/// TLS to the issuer without OpenSSL: rustls on ring (never aws-lc, whose C build is slow),
/// checking certificates against the system's roots, as native-tls would.
#[cfg(not(feature = "openssl"))]
fn with_tls(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        // Not fatal: an http issuer on a loopback host needs none. An https one fails at its
        // first fetch, naming the certificate.
        tracing::warn!(errors = ?found.errors, "no trusted root certificates found for TLS to the issuer");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS for the issuer: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(builder.tls_backend_preconfigured(tls))
}

fn p256_point_is_valid(x: &[u8], y: &[u8]) -> bool {
    use p256::elliptic_curve::sec1::FromEncodedPoint as _;

    if x.len() != 32 || y.len() != 32 {
        return false;
    }
    let point = p256::EncodedPoint::from_affine_coordinates(x.into(), y.into(), false);
    p256::PublicKey::from_encoded_point(&point).is_some().into()
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}
