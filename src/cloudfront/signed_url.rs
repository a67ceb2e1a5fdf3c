//! Signed URLs: a canned policy per URL, or a custom policy signed once and applied to every URL
//! its resource pattern matches.

use super::SignError;
use super::base64;
use super::keys::{HashAlgorithm, KeyError, KeyPairId, SigningKey};
use super::policy::{BaseUrl, CannedPolicy, CustomPolicy, Epoch, write_canned};

/// A URL with CloudFront's signing parameters appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedUrl {
    /// The URL to hand to a client.
    pub url: String,
    /// The policy JSON that was signed (for a canned policy CloudFront rebuilds it from the URL).
    pub policy: String,
    /// The signature in CloudFront base64.
    pub signature: String,
    /// When the URL stops working.
    pub expires: Epoch,
}

/// Signs `policy` with `key`: the one place a canned URL is made.
pub fn sign_canned(
    policy: &CannedPolicy,
    key: &SigningKey,
    hash: HashAlgorithm,
) -> Result<SignedUrl, KeyError> {
    let json = policy.to_json();
    let signature = key.key.sign(hash, json.as_bytes())?;
    Ok(assemble_canned(
        policy.url(),
        policy.expires(),
        json,
        &signature,
        &key.id,
        hash,
    ))
}

/// Everything of a canned URL but the private-key operation: policy bytes already built,
/// raw signature in hand. Public so the benchmark can time the non-crypto part alone.
pub fn assemble_canned(
    url: &BaseUrl,
    expires: Epoch,
    policy: String,
    raw_signature: &[u8],
    key_pair_id: &KeyPairId,
    hash: HashAlgorithm,
) -> SignedUrl {
    let signature = base64::encode(raw_signature);
    let mut out = String::with_capacity(url.as_str().len() + signature.len() + 80);
    out.push_str(url.as_str());
    // botocore's rule: '&' whenever the URL has a '?', even a trailing one.
    out.push(if url.as_str().contains('?') { '&' } else { '?' });
    out.push_str("Expires=");
    out.push_str(&expires.to_string());
    push_tail(&mut out, &signature, key_pair_id, hash);
    SignedUrl {
        url: out,
        policy,
        signature,
        expires,
    }
}

fn push_tail(out: &mut String, signature: &str, key_pair_id: &KeyPairId, hash: HashAlgorithm) {
    out.push_str("&Signature=");
    out.push_str(signature);
    out.push_str("&Key-Pair-Id=");
    out.push_str(key_pair_id.as_str());
    if hash != HashAlgorithm::Sha1 {
        out.push_str("&Hash-Algorithm=");
        out.push_str(hash.parameter());
    }
}

/// A custom policy signed once. Its signature is valid for every URL the resource pattern
/// matches, so a wildcard policy can be applied to a whole gallery with no further signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPolicy {
    policy: CustomPolicy,
    json: String,
    policy_b64: String,
    signature: String,
    key_pair_id: KeyPairId,
    hash: HashAlgorithm,
}

impl SignedPolicy {
    /// Signs `policy` with `key`.
    pub fn sign(
        policy: CustomPolicy,
        key: &SigningKey,
        hash: HashAlgorithm,
    ) -> Result<SignedPolicy, KeyError> {
        let json = policy.to_json();
        let raw = key.key.sign(hash, json.as_bytes())?;
        Ok(SignedPolicy {
            policy_b64: base64::encode(json.as_bytes()),
            signature: base64::encode(&raw),
            json,
            policy,
            key_pair_id: key.id.clone(),
            hash,
        })
    }

    /// The policy.
    pub fn policy(&self) -> &CustomPolicy {
        &self.policy
    }

    /// The exact JSON that was signed.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The policy in CloudFront base64, as it travels in `Policy` / `CloudFront-Policy`.
    pub fn encoded_policy(&self) -> &str {
        &self.policy_b64
    }

    /// The signature in CloudFront base64.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The key that signed it.
    pub fn key_pair_id(&self) -> &KeyPairId {
        &self.key_pair_id
    }

    /// The hash it was signed with.
    pub fn hash(&self) -> HashAlgorithm {
        self.hash
    }

    /// `url` with this policy applied; refused when the resource pattern does not match it, since
    /// CloudFront would answer such a URL with 403.
    pub fn url_for(&self, url: &BaseUrl) -> Result<SignedUrl, SignError> {
        if !self.policy.resource().matches(url.as_str()) {
            return Err(SignError::ResourceMismatch {
                url: url.to_string(),
                resource: self.policy.resource().to_string(),
            });
        }
        let mut out = String::with_capacity(
            url.as_str().len() + self.policy_b64.len() + self.signature.len() + 60,
        );
        out.push_str(url.as_str());
        out.push(if url.as_str().contains('?') { '&' } else { '?' });
        out.push_str("Policy=");
        out.push_str(&self.policy_b64);
        push_tail(&mut out, &self.signature, &self.key_pair_id, self.hash);
        Ok(SignedUrl {
            url: out,
            policy: self.json.clone(),
            signature: self.signature.clone(),
            expires: self.policy.expires(),
        })
    }
}

/// Rebuilds the canned policy for `url` without allocating a `CannedPolicy` (the verifier's path).
pub(crate) fn canned_json(url: &str, expires: Epoch) -> String {
    let mut out = String::with_capacity(96 + url.len());
    write_canned(&mut out, url, expires);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront::keys::{KeyAlgorithm, PrivateKey};
    use crate::cloudfront::policy::{Cidr, Resource};

    const NOW: Epoch = Epoch(1_700_000_000);

    fn key() -> SigningKey {
        SigningKey {
            id: KeyPairId::parse("K2JCJMDEHXQW5F").unwrap(),
            key: PrivateKey::generate(KeyAlgorithm::Rsa2048).unwrap(),
        }
    }

    #[test]
    fn canned_url_layout() {
        let key = key();
        let url = BaseUrl::parse("https://d.example/a.jpg?color=red").unwrap();
        let policy = CannedPolicy::new(url, Epoch(1_767_290_400), NOW).unwrap();
        let signed = sign_canned(&policy, &key, HashAlgorithm::Sha1).unwrap();
        let prefix = "https://d.example/a.jpg?color=red&Expires=1767290400&Signature=";
        assert!(signed.url.starts_with(prefix), "{}", signed.url);
        assert!(signed.url.ends_with("&Key-Pair-Id=K2JCJMDEHXQW5F"));
        assert_eq!(
            signed.url[prefix.len()..].split('&').next(),
            Some(signed.signature.as_str())
        );
        assert_eq!(signed.policy, policy.to_json());
        // RSA PKCS#1 v1.5 is deterministic: every replica produces the same link.
        assert_eq!(
            sign_canned(&policy, &key, HashAlgorithm::Sha1).unwrap(),
            signed
        );

        let sha256 = sign_canned(&policy, &key, HashAlgorithm::Sha256).unwrap();
        assert!(
            sha256
                .url
                .ends_with("&Key-Pair-Id=K2JCJMDEHXQW5F&Hash-Algorithm=SHA256")
        );
        assert_ne!(sha256.signature, signed.signature);
    }

    #[test]
    fn query_separator() {
        let key = key();
        for (url, sep) in [
            ("https://d.example/a", "?"),
            ("https://d.example/a?", "&"),
            ("https://d.example/a?x", "&"),
        ] {
            let policy =
                CannedPolicy::new(BaseUrl::parse(url).unwrap(), Epoch(1_767_290_400), NOW).unwrap();
            let signed = sign_canned(&policy, &key, HashAlgorithm::Sha1).unwrap();
            assert!(
                signed.url.starts_with(&format!("{url}{sep}Expires=")),
                "{}",
                signed.url
            );
        }
    }

    #[test]
    fn wildcard_policy_applies_to_matching_urls_only() {
        let key = key();
        let policy = CustomPolicy::new(
            Resource::parse("https://d.example/u1/*").unwrap(),
            Epoch(1_767_290_400),
            None,
            Some(Cidr::parse("192.0.2.0/24").unwrap()),
            NOW,
        )
        .unwrap();
        let signed = SignedPolicy::sign(policy, &key, HashAlgorithm::Sha1).unwrap();
        let a = signed
            .url_for(&BaseUrl::parse("https://d.example/u1/a.jpg").unwrap())
            .unwrap();
        let b = signed
            .url_for(&BaseUrl::parse("https://d.example/u1/b.jpg?w=2").unwrap())
            .unwrap();
        assert_eq!(a.signature, b.signature);
        assert!(a.url.starts_with("https://d.example/u1/a.jpg?Policy="));
        assert!(b.url.starts_with("https://d.example/u1/b.jpg?w=2&Policy="));
        let err = signed
            .url_for(&BaseUrl::parse("https://d.example/u2/a.jpg").unwrap())
            .unwrap_err();
        assert!(matches!(err, SignError::ResourceMismatch { .. }));
        assert_eq!(
            base64::decode(signed.encoded_policy()).unwrap(),
            signed.json().as_bytes()
        );
    }
}
