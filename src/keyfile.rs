//! Key files on disk: reading them (refusing private keys others can read) and writing new ones
//! with safe modes. The only I/O around the signing core's keys.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use crate::cloudfront::{KeyError, PrivateKey, PublicKey};
use crate::private_files::{PrivateFileError, read_private};

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A private key someone else may read (see `private_files::read_private`).
    #[error("private key {path} {source}")]
    Private {
        /// The file.
        path: PathBuf,
        /// Who else may read it, or why it could not be read.
        source: PrivateFileError,
    },
    /// The file is not a usable key.
    #[error("key file {path} {source}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong with its contents.
        source: KeyError,
    },
    /// `keygen` never overwrites a key.
    #[error(
        "{path} already exists; refusing to overwrite a key (move it away or pick another --out)"
    )]
    Exists {
        /// The file.
        path: PathBuf,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Reads a private key, refusing a file anyone but its owner (and the process's own group) may
/// read.
pub fn load_private_key(path: &Path) -> Result<PrivateKey, KeyFileError> {
    let pem = read_private(path).map_err(|source| KeyFileError::Private {
        path: path.to_owned(),
        source,
    })?;
    PrivateKey::from_pem(&pem).map_err(|source| KeyFileError::Key {
        path: path.to_owned(),
        source,
    })
}

/// Reads a public key.
pub fn load_public_key(path: &Path) -> Result<PublicKey, KeyFileError> {
    let pem = fs::read(path).map_err(io(path))?;
    PublicKey::from_pem(&pem).map_err(|source| KeyFileError::Key {
        path: path.to_owned(),
        source,
    })
}

/// The two files `keygen --out PREFIX` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairFiles {
    /// `PREFIX.pem`, mode 0600.
    pub private: PathBuf,
    /// `PREFIX.pub.pem`, mode 0644: the PEM to upload to CloudFront.
    pub public: PathBuf,
}

impl KeyPairFiles {
    /// The file names for `prefix` (`keys/dev` → `keys/dev.pem`, `keys/dev.pub.pem`).
    pub fn for_prefix(prefix: &Path) -> KeyPairFiles {
        let with = |suffix: &str| {
            let mut s = prefix.as_os_str().to_owned();
            s.push(suffix);
            PathBuf::from(s)
        };
        KeyPairFiles {
            private: with(".pem"),
            public: with(".pub.pem"),
        }
    }
}

fn create_new(path: &Path, mode: u32, contents: &[u8]) -> Result<(), KeyFileError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => KeyFileError::Exists {
                path: path.to_owned(),
            },
            _ => io(path)(e),
        })?;
    // `mode` at creation is filtered by the umask; set it outright so 0600 means 0600.
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(io(path))?;
    file.write_all(contents).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

/// Writes `key` as `PREFIX.pem` (0600) and its public half as `PREFIX.pub.pem` (0644). Neither file
/// may exist already; the parent directory is created when missing.
pub fn write_key_pair(prefix: &Path, key: &PrivateKey) -> Result<KeyPairFiles, KeyFileError> {
    let files = KeyPairFiles::for_prefix(prefix);
    for path in [&files.private, &files.public] {
        if path.exists() {
            return Err(KeyFileError::Exists { path: path.clone() });
        }
    }
    if let Some(dir) = files.private.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let key_err = |source| KeyFileError::Key {
        path: files.private.clone(),
        source,
    };
    let public_pem = key.public_key().and_then(|p| p.to_pem()).map_err(key_err)?;
    let private_pem = key.to_pkcs8_pem().map_err(key_err)?;
    create_new(&files.private, 0o600, &private_pem)?;
    create_new(&files.public, 0o644, &public_pem)?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudfront::KeyAlgorithm;

    #[test]
    fn writes_safe_modes_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let files = write_key_pair(&dir.path().join("sub/dev"), &key).unwrap();
        assert_eq!(
            fs::metadata(&files.private).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(&files.public).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert_eq!(
            load_private_key(&files.private).unwrap().algorithm(),
            KeyAlgorithm::EcdsaP256
        );
        assert_eq!(
            load_public_key(&files.public).unwrap().algorithm(),
            KeyAlgorithm::EcdsaP256
        );
        let before = fs::read(&files.private).unwrap();
        assert!(matches!(
            write_key_pair(&dir.path().join("sub/dev"), &key),
            Err(KeyFileError::Exists { .. })
        ));
        assert_eq!(
            fs::read(&files.private).unwrap(),
            before,
            "a refused keygen must not touch the old key"
        );
    }

    #[test]
    fn refuses_readable_private_key_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let files = write_key_pair(&dir.path().join("k"), &key).unwrap();
        fs::set_permissions(&files.private, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_private_key(&files.private).unwrap_err().to_string();
        assert!(
            err.contains("mode 0644") && err.contains("chmod 600"),
            "{err}"
        );
    }
}
