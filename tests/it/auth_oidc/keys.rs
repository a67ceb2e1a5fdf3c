//! Algorithms and keys: RS256 and ES256 accepted, HS256 and the key-confusion attack refused, keys
//! the issuer publishes that cannot be used skipped.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mediagate::auth::{AuthError, Identity};
use serde_json::json;

use crate::oidc_standin::{HOUR, LocalIssuer, NOW, b64, keys};

use super::{authenticator, verify};

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
                own_issuer: false,
            }
        );
    }
    assert_eq!(issuer.discovery_fetches(), 1);
    assert_eq!(issuer.jwks_fetches(), 1, "both keys from one fetch");
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
