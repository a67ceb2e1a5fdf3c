//! A real S3-compatible server for the tests: s3s-fs 0.17 (it checks SigV4 signatures, presigned
//! expiry, signed headers and checksums, and stores nothing it refused), on a random port with a
//! fresh data directory, stopped when dropped. `scripts/test` installs it and sets
//! `MEDIAGATE_TEST_S3S_FS`.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use mediagate::config::Config;

pub const BUCKET: &str = "mediagate-test";
pub const ACCESS_KEY: &str = "MGTESTACCESSKEY";
pub const SECRET_KEY: &str = "mgtestsecretkey0123456789";

pub struct S3Server {
    pub endpoint: String,
    _root: tempfile::TempDir,
    child: Child,
}

impl S3Server {
    pub fn start() -> S3Server {
        let bin = std::env::var("MEDIAGATE_TEST_S3S_FS").unwrap_or_else(|_| {
            panic!(
                "MEDIAGATE_TEST_S3S_FS is not set: run ./scripts/test (it installs s3s-fs 0.17.0), \\
                 or point it at an s3s-fs binary"
            )
        });
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(root.path().join(BUCKET)).expect("bucket dir");
        let mut child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .env("RUST_LOG", "s3s_fs=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let endpoint = loop {
            let line = lines
                .next()
                .expect("s3s-fs exited before saying where it listens")
                .expect("read s3s-fs output");
            if let Some((_, at)) = line.split_once("server is running at ") {
                break at.trim().to_owned();
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        S3Server {
            endpoint,
            _root: root,
            child,
        }
    }

    /// Points `config` at this server, with the key pair in a 0600 file under `dir`.
    pub fn configure(&self, config: &mut Config, dir: &std::path::Path) {
        let secret = dir.join("s3-secret");
        std::fs::write(&secret, SECRET_KEY).expect("secret file");
        std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod 600");
        config.s3.bucket = Some(BUCKET.into());
        config.s3.endpoint = Some(self.endpoint.clone());
        config.s3.force_path_style = true;
        config.s3.access_key_id = Some(ACCESS_KEY.into());
        config.s3.secret_access_key_file = Some(secret);
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
