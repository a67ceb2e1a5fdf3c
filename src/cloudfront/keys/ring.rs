//! Keys by id: the set a verifier trusts, and the ring a signer rotates through.

use std::collections::BTreeMap;

use super::{KeyError, KeyPairId, PrivateKey, PublicKey};

/// A private key with the id CloudFront knows its public half by.
#[derive(Debug, Clone)]
pub struct SigningKey {
    /// The key-pair id that goes into `Key-Pair-Id`.
    pub id: KeyPairId,
    /// The private key.
    pub key: PrivateKey,
}

/// Public keys by key-pair id: what a verifier trusts (CloudFront's trusted key group).
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: BTreeMap<KeyPairId, PublicKey>,
}

impl TrustedKeys {
    /// An empty set.
    pub fn new() -> TrustedKeys {
        TrustedKeys::default()
    }

    /// Trusts `key` under `id`, replacing any key of that id.
    pub fn insert(&mut self, id: KeyPairId, key: PublicKey) {
        self.keys.insert(id, key);
    }

    /// The key for `id`, if trusted.
    pub fn get(&self, id: &str) -> Option<&PublicKey> {
        self.keys
            .iter()
            .find_map(|(k, v)| (k.as_str() == id).then_some(v))
    }

    /// The trusted ids.
    pub fn ids(&self) -> impl Iterator<Item = &KeyPairId> {
        self.keys.keys()
    }
}

/// Signing keys by id, one of them active. New links are signed with the active key; every key in
/// the ring stays trusted, so links signed before a rotation keep verifying until they expire.
#[derive(Debug, Clone)]
pub struct KeyRing {
    keys: BTreeMap<KeyPairId, SigningKey>,
    active: KeyPairId,
    trusted: TrustedKeys,
}

impl KeyRing {
    /// A ring holding `active` alone.
    pub fn new(active: SigningKey) -> Result<KeyRing, KeyError> {
        let mut trusted = TrustedKeys::new();
        trusted.insert(active.id.clone(), active.key.public_key()?);
        let id = active.id.clone();
        Ok(KeyRing {
            keys: BTreeMap::from([(id.clone(), active)]),
            active: id,
            trusted,
        })
    }

    /// Adds (or replaces) a key without activating it.
    pub fn insert(&mut self, key: SigningKey) -> Result<(), KeyError> {
        self.trusted.insert(key.id.clone(), key.key.public_key()?);
        self.keys.insert(key.id.clone(), key);
        Ok(())
    }

    /// Makes the key with `id` the one new links are signed with.
    pub fn activate(&mut self, id: &KeyPairId) -> Result<(), KeyError> {
        if !self.keys.contains_key(id) {
            return Err(KeyError::BadKeyPairId(format!(
                "{id} (not in the key ring)"
            )));
        }
        self.active = id.clone();
        Ok(())
    }

    /// Removes a retired key; the active key cannot be removed.
    pub fn remove(&mut self, id: &KeyPairId) -> bool {
        if *id == self.active {
            return false;
        }
        self.trusted.keys.remove(id);
        self.keys.remove(id).is_some()
    }

    /// The key new links are signed with.
    pub fn active(&self) -> &SigningKey {
        // The constructor and `activate` keep `active` a key of the map, and `remove` refuses it.
        self.keys
            .get(&self.active)
            .unwrap_or_else(|| unreachable!("active key is always in the ring"))
    }

    /// A key by id.
    pub fn get(&self, id: &KeyPairId) -> Option<&SigningKey> {
        self.keys.get(id)
    }

    /// The public halves of every key in the ring.
    pub fn trusted(&self) -> &TrustedKeys {
        &self.trusted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront::keys::KeyAlgorithm;

    #[test]
    fn key_ring_rotation() {
        let a = SigningKey {
            id: KeyPairId::parse("KA").unwrap(),
            key: PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
        };
        let b = SigningKey {
            id: KeyPairId::parse("KB").unwrap(),
            key: PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
        };
        let mut ring = KeyRing::new(a.clone()).unwrap();
        ring.insert(b.clone()).unwrap();
        assert_eq!(ring.active().id, a.id);
        ring.activate(&b.id).unwrap();
        assert_eq!(ring.active().id, b.id);
        assert!(ring.trusted().get("KA").is_some() && ring.trusted().get("KB").is_some());
        assert!(!ring.remove(&b.id));
        assert!(ring.remove(&a.id));
        assert!(ring.trusted().get("KA").is_none());
        assert!(ring.activate(&a.id).is_err());
    }
}
