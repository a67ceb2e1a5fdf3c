//! Files and folders only this service's user may read: the SQLite database (it holds every
//! user's metadata), the dev secret, the embedded S3's objects. Modes are set when they are
//! created, so there is never a moment when they are readable by others. Secrets handed to the
//! service (keys, the HS256 secret, the database URL) are read through [`read_private`], which
//! refuses a file anyone else may read.

use std::fs::{DirBuilder, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::Path;

/// Why a secret file was not read.
#[derive(Debug, thiserror::Error)]
pub enum PrivateFileError {
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Someone besides this service's user (and its own group) may read it.
    #[error("is readable by {who} (mode {mode:04o}); run: chmod 600 {path}")]
    Loose {
        /// Who else may read it: "others", or "group N" for a group that is not this process's.
        who: String,
        /// Its permission bits.
        mode: u32,
        /// The file, as given.
        path: String,
    },
}

/// Reads a secret file (following symbolic links, as Kubernetes mounts them). Refused when others
/// may read it, or a group that is not this process's own: mode 0600 or 0400 always passes, and
/// 0440/0640 only when the file's group is the process's effective group, which is what a
/// Kubernetes Secret volume with `defaultMode: 0440` and the pod's `fsGroup` gives (no one but the
/// pod's own user is in that group).
pub fn read_private(path: &Path) -> Result<Vec<u8>, PrivateFileError> {
    let meta = std::fs::metadata(path)?;
    let mode = meta.mode() & 0o777;
    if let Some(who) = other_readers(mode, meta.gid(), rustix::process::getegid().as_raw()) {
        return Err(PrivateFileError::Loose {
            who,
            mode,
            path: path.display().to_string(),
        });
    }
    Ok(std::fs::read(path)?)
}

/// Who besides the owner may read a file of `mode` and group `file_gid`, for a process whose
/// effective group is `own_gid`; `None` when no one.
fn other_readers(mode: u32, file_gid: u32, own_gid: u32) -> Option<String> {
    if mode & 0o007 != 0 {
        Some("others".into())
    } else if mode & 0o070 != 0 && file_gid != own_gid {
        Some(format!("group {file_gid}"))
    } else {
        None
    }
}

/// Creates `dir` and its missing parents with mode 0700; folders that exist keep their mode.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// Creates an empty `file` with mode 0600 unless it exists.
pub fn create_file(file: &Path) -> io::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn created_private_and_existing_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        create_dir_all(&nested).unwrap();
        assert_eq!((mode(&dir.path().join("a")), mode(&nested)), (0o700, 0o700));
        let file = nested.join("db");
        create_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::write(&file, b"kept").unwrap();
        create_file(&file).unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"kept");
    }

    fn with_mode(dir: &Path, mode: u32) -> std::path::PathBuf {
        let file = dir.join(format!("secret-{mode:o}"));
        std::fs::write(&file, b"s3cret").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        file
    }

    #[test]
    fn secrets_others_may_read_are_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        for mode in [0o604, 0o644, 0o606] {
            let err = read_private(&with_mode(dir.path(), mode))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("readable by others") && err.contains("chmod 600"),
                "{err}"
            );
        }
        for mode in [0o600, 0o400] {
            assert_eq!(
                read_private(&with_mode(dir.path(), mode)).unwrap(),
                b"s3cret"
            );
        }
    }

    #[test]
    fn group_readable_passes_only_for_the_process_own_group() {
        let dir = tempfile::tempdir().unwrap();
        // Created by this process, so its group is this process's: the Secret-volume shape.
        assert_eq!(
            read_private(&with_mode(dir.path(), 0o440)).unwrap(),
            b"s3cret"
        );
        assert_eq!(other_readers(0o440, 65532, 65532), None);
        assert_eq!(other_readers(0o640, 65532, 65532), None);
        assert_eq!(other_readers(0o440, 0, 65532).as_deref(), Some("group 0"));
        assert_eq!(other_readers(0o460, 7, 65532).as_deref(), Some("group 7"));
        assert_eq!(
            other_readers(0o444, 65532, 65532).as_deref(),
            Some("others")
        );
        assert_eq!(other_readers(0o600, 0, 65532), None);
    }
}
