use std::os::unix::fs::PermissionsExt as _;

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn documented_file_matches_the_defaults() {
    let documented = Path::new(env!("CARGO_MANIFEST_DIR")).join("mediagate.toml");
    let loaded = Config::load(Some(&documented), env(&[])).unwrap();
    assert_eq!(
        loaded,
        Config::default(),
        "mediagate.toml drifted from Config::default()"
    );
}

#[test]
fn environment_overrides_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.toml");
    std::fs::write(&file, "[signing]\nttl_secs = 10\nwindow_secs = 5\n").unwrap();
    let c = Config::load(
        Some(&file),
        env(&[
            ("MEDIAGATE_SIGNING__TTL_SECS", "20"),
            ("DATABASE_URL", "postgres://x@h/db"),
        ]),
    )
    .unwrap();
    assert_eq!((c.signing.ttl_secs, c.signing.window_secs), (20, 5));
    assert_eq!(c.database.url.expose(), "postgres://x@h/db");
    let c = Config::load(
        Some(&file),
        env(&[
            ("MEDIAGATE_COOKIES__DOMAIN", "example.com"),
            ("MEDIAGATE_GRAPHQL__INTROSPECTION", "false"),
        ]),
    )
    .unwrap();
    assert_eq!(c.cookies.domain.as_deref(), Some("example.com"));
    assert_eq!(c.graphql.introspection, Some(false));
}

#[test]
fn bad_settings_say_which() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.toml");
    let cases = [
        ("[signing]\nhash = \"md5\"\n", "signing.hash"),
        ("[signing]\nttl = 5\n", "ttl"),
        ("[auth]\nmode = \"oidc\"\n", "auth.issuer"),
        ("[server]\nlisten = 5\n", "listen"),
        (
            "[cloudfront]\ndomain = \"https://x/\"\n",
            "cloudfront.domain",
        ),
        ("[uploads]\nurl_ttl_secs = 604801\n", "7 days"),
        (
            "[uploads]\nallowed_content_types = []\n",
            "nothing could be uploaded",
        ),
        ("[uploads]\nmax_bytes = 0\n", "uploads.max_bytes"),
        ("[s3]\nendpoint = \"localhost:9000\"\n", "s3.endpoint"),
        ("[s3]\naccess_key_id = \"AK\"\n", "go together"),
        ("[invalidation]\nenabled = true\n", "distribution_id"),
        (
            "[invalidation]\nmax_paths_per_batch = 5000\n",
            "max_paths_per_batch",
        ),
    ];
    for (text, needle) in cases {
        std::fs::write(&file, text).unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
        assert!(err.contains(needle), "{text:?}: {err}");
        assert!(!err.contains('\n'));
    }
    let err = Config::load(Some(&file.with_extension("nope")), env(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not exist"), "{err}");
    std::fs::write(&file, "").unwrap();
    let err = Config::load(Some(&file), env(&[("MEDIAGATE_SIGNING_TTL_SECS", "1")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("MEDIAGATE_SIGNING__TTL_SECS"), "{err}");
    // Other MEDIAGATE_* variables (test tooling) are not settings.
    assert!(Config::load(Some(&file), env(&[("MEDIAGATE_ORACLE_PYTHON", "/x")])).is_ok());
    let err = Config::load(Some(&file), env(&[("MEDIAGATE_SIGNING__TTL", "1")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("ttl"), "{err}");
}

#[test]
fn secret_files_must_be_private() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s");
    std::fs::write(&file, "hunter2\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(
        read_secret_file(&file)
            .unwrap_err()
            .to_string()
            .contains("chmod 600")
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(read_secret_file(&file).unwrap(), "hunter2");
}

#[test]
fn a_word_setting_outside_its_choices_names_every_allowed_value() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.toml");
    let cases: [(&str, &str, &[&str]); 5] = [
        ("[auth]\nmode = \"jwt\"\n", "auth.mode", &["hs256", "oidc"]),
        (
            "[signing]\nhash = \"md5\"\n",
            "signing.hash",
            &["sha1", "sha256"],
        ),
        (
            "[cloudfront]\nscheme = \"ftp\"\n",
            "cloudfront.scheme",
            &["https", "http"],
        ),
        (
            "[cookies]\nsame_site = \"Lax \"\n",
            "cookies.same_site",
            &["strict", "lax", "none"],
        ),
        (
            "[log]\nformat = \"xml\"\n",
            "log.format",
            &["json", "pretty"],
        ),
    ];
    for (text, key, allowed) in cases {
        std::fs::write(&file, text).unwrap();
        let err = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
        assert!(err.contains(key), "{text:?}: {err}");
        for value in allowed {
            assert!(err.contains(&format!("`{value}`")), "{text:?}: {err}");
        }
    }
    // The same words from the environment.
    std::fs::write(&file, "").unwrap();
    let err = Config::load(Some(&file), env(&[("MEDIAGATE_LOG__FORMAT", "yaml")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("`json`") && err.contains("`pretty`"), "{err}");
}

/// A refused value is named as the user wrote it: the setting, then the file or the environment
/// variable it came from; never figment's layer names or the Rust line that merged it.
#[test]
fn a_refused_value_names_the_setting_and_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.toml");
    std::fs::write(&file, "[signing]\nhash = \"md5\"\n").unwrap();
    let no_internals = |err: &str| {
        for layer_or_code in ["default.", "global.", ".rs:"] {
            assert!(!err.contains(layer_or_code), "{err}");
        }
    };
    let err = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
    assert!(
        err.contains("signing.hash: `md5` is not one of `sha1`, `sha256`"),
        "{err}"
    );
    assert!(err.ends_with(&format!("(in {})", file.display())), "{err}");
    no_internals(&err);

    std::fs::write(&file, "").unwrap();
    for (var, setting) in [
        ("MEDIAGATE_SIGNING__TTL_SECS", "signing.ttl_secs"),
        ("MEDIAGATE_DEV", "dev"),
    ] {
        let err = Config::load(Some(&file), env(&[(var, "soon")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("{setting}: invalid type")), "{err}");
        assert!(
            err.ends_with(&format!("(from the environment variable {var})")),
            "{err}"
        );
        no_internals(&err);
    }
}

#[test]
fn secrets_in_the_settings_never_reach_debug_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.toml");
    std::fs::write(
        &file,
        "[auth]\nhs256_secret = \"0123456789abcdef0123456789abcdef-top\"\n\
         [database]\nurl = \"postgres://app:pa55word@db/media\"\n",
    )
    .unwrap();
    let c = Config::load(Some(&file), env(&[])).unwrap();
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("-top") && !shown.contains("pa55word"),
        "{shown}"
    );
    assert_eq!(c.database.url.expose(), "postgres://app:pa55word@db/media");
}
