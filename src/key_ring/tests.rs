use std::os::unix::fs::PermissionsExt as _;

use super::*;
use crate::cloudfront::KeyAlgorithm;

const A: &str = "KAAAAAAAAAAAAA";
const B: &str = "KBBBBBBBBBBBBB";

fn pem(key: &PrivateKey) -> String {
    String::from_utf8(key.to_pkcs8_pem().unwrap()).unwrap()
}

fn ring_json(active: &str, keys: &[(&str, &PrivateKey)]) -> String {
    let keys: Vec<_> = keys
        .iter()
        .map(|(id, k)| serde_json::json!({"key_pair_id": id, "private_key_pem": pem(k)}))
        .collect();
    serde_json::json!({"active": active, "keys": keys}).to_string()
}

fn keys() -> (PrivateKey, PrivateKey) {
    (
        PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
        PrivateKey::generate(KeyAlgorithm::Rsa2048).unwrap(),
    )
}

#[test]
fn a_ring_signs_with_its_active_key_and_trusts_them_all() {
    let (a, b) = keys();
    let ring = parse_key_ring(ring_json(B, &[(A, &a), (B, &b)]).as_bytes(), "t").unwrap();
    assert_eq!(ring.active().id.as_str(), B);
    assert_eq!(ring.active().key.algorithm(), KeyAlgorithm::Rsa2048);
    let trusted: Vec<_> = ring
        .trusted()
        .ids()
        .map(|i| i.as_str().to_owned())
        .collect();
    assert_eq!(trusted, [A, B]);
}

#[test]
fn refusals_name_the_problem_and_never_the_key_material() {
    let (a, b) = keys();
    let secret_line = pem(&a).lines().nth(1).unwrap().to_owned();
    let cases = [
        // Not JSON, with key material inside.
        (
            format!(
                "{{\"active\": \"{A}\", \"keys\": [{{\"key_pair_id\": \"{A}\", \"private_key_pem\": \"{secret_line}"
            ),
            "the text ends early",
        ),
        (
            format!("{{\"active\": \"{A}\" \"keys\": \"{secret_line}\"}}"),
            "not JSON",
        ),
        // The right shape with a mistyped field holding key material.
        (
            format!(
                "{{\"active\": \"{A}\", \"keys\": [{{\"key_pair_id\": \"{A}\", \"private_key_pem\": [\"{secret_line}\"]}}]}}"
            ),
            "mistyped field",
        ),
        (
            format!("{{\"active\": \"{A}\", \"keys\": [], \"{secret_line}\": 1}}"),
            "unknown",
        ),
        (
            ring_json(B, &[(A, &a)]),
            "the active key \"KBBBBBBBBBBBBB\" is not among the keys (KAAAAAAAAAAAAA)",
        ),
        (
            ring_json(A, &[(A, &a), (A, &b)]),
            "key KAAAAAAAAAAAAA is listed twice",
        ),
        (ring_json(A, &[("not-an-id", &a)]), "not-an-id"),
        (
            ring_json(A, &[(A, &a)]).replace("BEGIN PRIVATE KEY", "BEGIN CERTIFICATE"),
            "key KAAAAAAAAAAAAA:",
        ),
    ];
    for (json, expected) in cases {
        let err = parse_key_ring(json.as_bytes(), "signing.key_ring")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("signing.key_ring"), "{err}");
        assert!(err.contains(expected), "{expected:?} not in {err}");
        assert!(!err.contains(&secret_line), "key material in: {err}");
    }
}

#[test]
fn the_ring_comes_from_the_environment_verbatim() {
    let (a, b) = keys();
    let json = ring_json(A, &[(A, &a), (B, &b)]);
    let env = [
        ("MEDIAGATE_SIGNING__KEY_RING".to_owned(), json),
        // A secret that reads as a number stays text.
        ("MEDIAGATE_AUTH__HS256_SECRET".to_owned(), "1".repeat(40)),
        (
            "MEDIAGATE_CLOUDFRONT__DOMAIN".to_owned(),
            "d111111abcdef8.cloudfront.net".to_owned(),
        ),
        ("MEDIAGATE_S3__BUCKET".to_owned(), "media".to_owned()),
    ];
    let config = Config::load(None, env).unwrap();
    assert_eq!(
        config.auth.hs256_secret.as_ref().unwrap().expose(),
        "1".repeat(40)
    );
    assert!(!config.dev_mode());
    let ring = load_key_ring(&config).unwrap();
    assert_eq!(ring.active().id.as_str(), A);
    assert!(
        key_files(&config).is_empty(),
        "the environment is not watched"
    );
    let missing = config
        .check_production()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        !missing.contains("signing"),
        "a key ring satisfies production: {missing}"
    );
}

#[test]
fn a_ring_file_must_be_private_and_excludes_the_per_key_settings() {
    let (a, _) = keys();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ring.json");
    std::fs::write(&file, ring_json(A, &[(A, &a)])).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut config = Config::default();
    config.signing.key_ring_file = Some(file.clone());
    let err = load_key_ring(&config).unwrap_err().to_string();
    assert!(
        err.contains("readable by others") && err.contains("chmod 600"),
        "{err}"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(load_key_ring(&config).unwrap().active().id.as_str(), A);
    assert_eq!(key_files(&config), [file.as_path()]);

    let env = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let path = file.display().to_string();
    let both = Config::load(
        None,
        env(&[
            ("MEDIAGATE_SIGNING__KEY_RING_FILE", &path),
            ("MEDIAGATE_SIGNING__KEY_RING", "{}"),
        ]),
    )
    .unwrap_err()
    .to_string();
    assert!(both.contains("set one"), "{both}");
    let mixed = Config::load(
        None,
        env(&[
            ("MEDIAGATE_SIGNING__KEY_RING_FILE", &path),
            ("MEDIAGATE_SIGNING__KEY_PAIR_ID", A),
        ]),
    )
    .unwrap_err()
    .to_string();
    assert!(mixed.contains("leave signing.key_pair_id"), "{mixed}");
}
