//! One suite, run against every compiled backend, with OpenSSL itself (the `openssl` crate, a
//! dev-dependency in every build) as the reference: the same RSA signatures byte for byte, ECDSA
//! signatures each side verifies, the same public key DER, the same refusals in the same words.

use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};

use super::backend::Backend;
use super::private::parse;
use super::{HashAlgorithm, KeyAlgorithm, KeyError, PrivateKey, PublicKey, pem};

const HASHES: [HashAlgorithm; 2] = [HashAlgorithm::Sha1, HashAlgorithm::Sha256];

fn md(hash: HashAlgorithm) -> MessageDigest {
    match hash {
        HashAlgorithm::Sha1 => MessageDigest::sha1(),
        HashAlgorithm::Sha256 => MessageDigest::sha256(),
    }
}

fn other(hash: HashAlgorithm) -> HashAlgorithm {
    match hash {
        HashAlgorithm::Sha1 => HashAlgorithm::Sha256,
        HashAlgorithm::Sha256 => HashAlgorithm::Sha1,
    }
}

fn ec(nid: Nid) -> EcKey<Private> {
    EcKey::generate(&EcGroup::from_curve_name(nid).unwrap()).unwrap()
}

/// Keys made by OpenSSL in every PEM form we accept.
fn foreign_keys() -> Vec<(&'static str, Vec<u8>, PKey<Private>)> {
    let rsa = Rsa::generate(2048).unwrap();
    let p256 = ec(Nid::X9_62_PRIME256V1);
    let rsa_pkey = PKey::from_rsa(rsa.clone()).unwrap();
    let ec_pkey = PKey::from_ec_key(p256.clone()).unwrap();
    // What `openssl ecparam -genkey -name prime256v1` writes: a parameters block, then the key.
    let mut with_params =
        b"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n".to_vec();
    with_params.extend(p256.private_key_to_pem().unwrap());
    vec![
        (
            "rsa pkcs1",
            rsa.private_key_to_pem().unwrap(),
            rsa_pkey.clone(),
        ),
        (
            "rsa pkcs8",
            rsa_pkey.private_key_to_pem_pkcs8().unwrap(),
            rsa_pkey,
        ),
        (
            "ec sec1",
            p256.private_key_to_pem().unwrap(),
            ec_pkey.clone(),
        ),
        ("ec sec1 + params", with_params, ec_pkey.clone()),
        (
            "ec pkcs8",
            ec_pkey.private_key_to_pem_pkcs8().unwrap(),
            ec_pkey,
        ),
    ]
}

fn suite<B: Backend>() {
    for (name, pem_text, reference) in foreign_keys() {
        let key = parse::<B>(&pem_text).unwrap_or_else(|e| panic!("{}: {name}: {e}", B::NAME));
        let public = B::public_of(&key).unwrap();
        // The same SubjectPublicKeyInfo DER as OpenSSL's: the dev key-pair id is its hash.
        assert_eq!(
            B::public_to_der(&public).unwrap(),
            reference.public_key_to_der().unwrap(),
            "{}: {name}",
            B::NAME
        );
        let (_, from_pem) = B::public_from_pem(&reference.public_key_to_pem().unwrap()).unwrap();
        for hash in HASHES {
            let ours = B::sign(&key, hash, b"policy").unwrap();
            let mut verifier = Verifier::new(md(hash), &reference).unwrap();
            assert!(
                verifier.verify_oneshot(&ours, b"policy").unwrap(),
                "{}: {name} {hash:?}: OpenSSL refuses our signature",
                B::NAME
            );
            let theirs = Signer::new(md(hash), &reference)
                .unwrap()
                .sign_oneshot_to_vec(b"policy")
                .unwrap();
            if B::algorithm(&key) == KeyAlgorithm::Rsa2048 {
                assert_eq!(ours, theirs, "{}: {name} {hash:?}: RSA differs", B::NAME);
            }
            for public in [&public, &from_pem] {
                assert!(
                    B::verify(public, hash, b"policy", &theirs),
                    "{name} {hash:?}"
                );
                assert!(B::verify(public, hash, b"policy", &ours));
                assert!(!B::verify(public, hash, b"Policy", &ours));
                assert!(!B::verify(public, other(hash), b"policy", &ours));
                assert!(!B::verify(public, hash, b"policy", &ours[1..]));
            }
        }
        // Our PKCS#8 reads back in OpenSSL.
        let der = B::private_to_pkcs8_der(&key).unwrap();
        let again = PKey::private_key_from_pem(&pem("PRIVATE KEY", &der)).unwrap();
        assert!(again.public_eq(&reference), "{}: {name}", B::NAME);
    }
    for algorithm in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256] {
        let key = B::generate(algorithm).unwrap();
        assert_eq!(B::algorithm(&key), algorithm);
        let der = B::private_to_pkcs8_der(&key).unwrap();
        let again = parse::<B>(&pem("PRIVATE KEY", &der)).unwrap();
        let public_der = B::public_to_der(&B::public_of(&key).unwrap()).unwrap();
        let (alg, public) = B::public_from_pem(&pem("PUBLIC KEY", &public_der)).unwrap();
        assert_eq!(alg, algorithm);
        let sig = B::sign(&again, HashAlgorithm::Sha1, b"m").unwrap();
        assert!(B::verify(&public, HashAlgorithm::Sha1, b"m", &sig));
    }
}

/// Every refusal, in the words an operator sees: the same for both backends.
fn refusals<B: Backend>() {
    let rsa1024 = Rsa::generate(1024).unwrap();
    let rsa3072 = Rsa::generate(3072).unwrap();
    let p384 = ec(Nid::SECP384R1);
    let k256 = ec(Nid::SECP256K1);
    let ed25519 = PKey::generate_ed25519().unwrap();
    let pkcs8 = |k: &EcKey<Private>| {
        PKey::from_ec_key(k.clone())
            .unwrap()
            .private_key_to_pem_pkcs8()
            .unwrap()
    };
    let rsa2048 = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let encrypted = rsa2048
        .private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_128_cbc(), b"pw")
        .unwrap();
    let legacy_encrypted = rsa2048
        .rsa()
        .unwrap()
        .private_key_to_pem_passphrase(openssl::symm::Cipher::aes_128_cbc(), b"pw")
        .unwrap();
    let unsupported = "; CloudFront key groups accept RSA-2048 and ECDSA P-256 keys only";
    let private_cases: Vec<(&str, Vec<u8>, String)> = vec![
        (
            "rsa1024",
            rsa1024.private_key_to_pem().unwrap(),
            format!("is an RSA-1024 key{unsupported}"),
        ),
        (
            "rsa3072",
            rsa3072.private_key_to_pem().unwrap(),
            format!("is an RSA-3072 key{unsupported}"),
        ),
        (
            "p384 sec1",
            p384.private_key_to_pem().unwrap(),
            format!("is an EC key on curve secp384r1{unsupported}"),
        ),
        (
            "p384 pkcs8",
            pkcs8(&p384),
            format!("is an EC key on curve secp384r1{unsupported}"),
        ),
        (
            "secp256k1",
            pkcs8(&k256),
            format!("is an EC key on curve secp256k1{unsupported}"),
        ),
        (
            "ed25519",
            ed25519.private_key_to_pem_pkcs8().unwrap(),
            format!("is a key of type Ed25519{unsupported}"),
        ),
        ("encrypted", encrypted, KeyError::Encrypted.to_string()),
        (
            "legacy encrypted",
            legacy_encrypted,
            KeyError::Encrypted.to_string(),
        ),
        (
            "not pem",
            b"hello".to_vec(),
            super::not_pem_private().to_string(),
        ),
        (
            "bad base64",
            b"-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n".to_vec(),
            super::not_pem_private().to_string(),
        ),
        (
            "public as private",
            rsa2048.public_key_to_pem().unwrap(),
            super::not_pem_private().to_string(),
        ),
    ];
    for (name, pem_text, want) in private_cases {
        let got = parse::<B>(&pem_text).err().map(|e| e.to_string());
        assert_eq!(got.as_deref(), Some(want.as_str()), "{}: {name}", B::NAME);
    }
    let public_cases: Vec<(&str, Vec<u8>, String)> = vec![
        (
            "rsa1024",
            rsa1024.public_key_to_pem().unwrap(),
            format!("is an RSA-1024 key{unsupported}"),
        ),
        (
            "rsa1024 pkcs1",
            rsa1024.public_key_to_pem_pkcs1().unwrap(),
            format!("is an RSA-1024 key{unsupported}"),
        ),
        (
            "p384",
            PKey::from_ec_key(p384.clone())
                .unwrap()
                .public_key_to_pem()
                .unwrap(),
            format!("is an EC key on curve secp384r1{unsupported}"),
        ),
        (
            "ed25519",
            ed25519.public_key_to_pem().unwrap(),
            format!("is a key of type Ed25519{unsupported}"),
        ),
        (
            "bad base64",
            b"-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n".to_vec(),
            super::not_pem_public().to_string(),
        ),
        (
            "private as public",
            rsa2048.private_key_to_pem_pkcs8().unwrap(),
            super::not_pem_public().to_string(),
        ),
    ];
    for (name, pem_text, want) in public_cases {
        let got = B::public_from_pem(&pem_text).err().map(|e| e.to_string());
        assert_eq!(got.as_deref(), Some(want.as_str()), "{}: {name}", B::NAME);
    }
}

#[cfg(feature = "openssl")]
#[test]
fn openssl_backend_matches_openssl() {
    suite::<super::backend::openssl::OpenSsl>();
}

#[cfg(feature = "openssl")]
#[test]
fn openssl_backend_refusals() {
    refusals::<super::backend::openssl::OpenSsl>();
}

#[cfg(feature = "rust-crypto")]
#[test]
fn rust_crypto_backend_matches_openssl() {
    suite::<super::backend::rust_crypto::RustCrypto>();
}

#[cfg(feature = "rust-crypto")]
#[test]
fn rust_crypto_backend_refusals() {
    refusals::<super::backend::rust_crypto::RustCrypto>();
}

/// With both compiled: each backend reads the other's keys and verifies the other's signatures.
#[cfg(all(feature = "openssl", feature = "rust-crypto"))]
#[test]
fn backends_agree_with_each_other() {
    use super::backend::openssl::OpenSsl;
    use super::backend::rust_crypto::RustCrypto;
    for algorithm in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256] {
        let a = OpenSsl::generate(algorithm).unwrap();
        let pem_a = pem("PRIVATE KEY", &OpenSsl::private_to_pkcs8_der(&a).unwrap());
        let b = parse::<RustCrypto>(&pem_a).unwrap();
        let (pa, pb) = (
            OpenSsl::public_of(&a).unwrap(),
            RustCrypto::public_of(&b).unwrap(),
        );
        assert_eq!(
            OpenSsl::public_to_der(&pa).unwrap(),
            RustCrypto::public_to_der(&pb).unwrap()
        );
        for hash in HASHES {
            let (sa, sb) = (
                OpenSsl::sign(&a, hash, b"p").unwrap(),
                RustCrypto::sign(&b, hash, b"p").unwrap(),
            );
            if algorithm == KeyAlgorithm::Rsa2048 {
                assert_eq!(sa, sb);
            }
            assert!(
                OpenSsl::verify(&pa, hash, b"p", &sb) && RustCrypto::verify(&pb, hash, b"p", &sa)
            );
        }
    }
}

#[test]
fn the_active_backend_behind_the_public_types() {
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    assert_eq!(
        format!("{key:?}"),
        "PrivateKey(ECDSA P-256, material not shown)"
    );
    let again = PrivateKey::from_pem(&key.to_pkcs8_pem().unwrap()).unwrap();
    let public = PublicKey::from_pem(&key.public_key().unwrap().to_pem().unwrap()).unwrap();
    assert_eq!(
        public.fingerprint(),
        key.public_key().unwrap().fingerprint()
    );
    let sig = again.sign(HashAlgorithm::Sha256, b"policy").unwrap();
    assert!(public.verify(HashAlgorithm::Sha256, b"policy", &sig));
    let reference = PKey::public_key_from_pem(&public.to_pem().unwrap()).unwrap();
    assert_eq!(
        public.to_pem().unwrap(),
        reference.public_key_to_pem().unwrap()
    );
    let expected = if cfg!(feature = "rust-crypto") {
        "RustCrypto"
    } else {
        "OpenSSL"
    };
    assert_eq!(super::backend_name(), expected);
}
