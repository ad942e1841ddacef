//! The data folder holds every conversation, every command's output and
//! the token. On a shared machine only its owner may read any of it:
//! folders are made 0700 and files 0600 whatever the umask, and looser
//! modes found at start are tightened (and said so).

use std::io;
use std::path::{Path, PathBuf};

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

pub const FOLDER_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Makes `dir` (and missing parents) readable by its owner only; returns
/// the old mode when an existing folder had to be tightened.
pub fn folder(dir: &Path) -> io::Result<Option<u32>> {
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        builder.mode(FOLDER_MODE);
        builder.create(dir)?;
    }
    tighten(dir, FOLDER_MODE)
}

/// Makes an existing file readable by its owner only; returns the old mode
/// when it had to be tightened. A missing file is fine.
pub fn file(path: &Path) -> io::Result<Option<u32>> {
    match std::fs::metadata(path) {
        Ok(_) => tighten(path, FILE_MODE),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates `path` empty and readable by its owner only if it does not exist
/// (what is there is left as it is).
pub fn touch(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(FILE_MODE);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Options that create a file readable by its owner only.
pub fn create_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(FILE_MODE);
    options
}

/// Writes `bytes` to a file readable by its owner only.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut file = create_options().open(path)?;
    file.write_all(bytes)?;
    // An existing file keeps its mode when opened: tighten it too.
    tighten(path, FILE_MODE).map(|_| ())
}

#[cfg(unix)]
fn tighten(path: &Path, mode: u32) -> io::Result<Option<u32>> {
    let now = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if now & !mode == 0 {
        return Ok(None);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(Some(now))
}

#[cfg(not(unix))]
fn tighten(_: &Path, _: u32) -> io::Result<Option<u32>> {
    Ok(None)
}

/// At start: the data folder, the database with its WAL and shared-memory
/// files, the token file and the terminals' saved output, each tightened
/// where needed. Returns what was tightened, with its old mode.
pub fn secure_data_dir(
    data_dir: &Path,
    database: &Path,
    files: &[&Path],
    folders: &[&Path],
) -> io::Result<Vec<(PathBuf, u32)>> {
    let mut tightened = Vec::new();
    let mut note = |path: &Path, old: Option<u32>| {
        if let Some(old) = old {
            tightened.push((path.to_path_buf(), old));
        }
    };
    note(data_dir, folder(data_dir)?);
    let mut all_files: Vec<PathBuf> = files.iter().map(|f| f.to_path_buf()).collect();
    for suffix in ["", "-wal", "-shm"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        all_files.push(PathBuf::from(name));
    }
    for dir in folders {
        if dir.exists() {
            note(dir, folder(dir)?);
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_file() {
                    all_files.push(path);
                }
            }
        }
    }
    for path in all_files {
        let old = file(&path)?;
        note(&path, old);
    }
    Ok(tightened)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
    }

    #[test]
    fn loose_folders_and_files_are_tightened_and_reported() {
        let dir = tempfile::tempdir().expect("temp");
        let data = dir.path().join("data");
        let terminals = data.join("terminals");
        std::fs::create_dir_all(&terminals).expect("mkdir");
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let db = data.join("peon.sqlite3");
        let wal = data.join("peon.sqlite3-wal");
        let saved = terminals.join("t.scrollback");
        for f in [&db, &wal, &saved] {
            std::fs::write(f, b"x").expect("write");
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        let tightened = secure_data_dir(&data, &db, &[], &[&terminals]).expect("secure");
        assert_eq!(mode(&data), 0o700);
        for f in [&db, &wal, &saved] {
            assert_eq!(mode(f), 0o600, "{f:?}");
        }
        assert!(tightened.contains(&(data.clone(), 0o755)), "{tightened:?}");
        assert!(tightened.contains(&(db.clone(), 0o644)), "{tightened:?}");
        // Already private: nothing to say the second time.
        assert!(
            secure_data_dir(&data, &db, &[], &[&terminals])
                .expect("again")
                .is_empty()
        );
    }

    #[test]
    fn new_folders_and_files_are_private_whatever_the_umask() {
        let dir = tempfile::tempdir().expect("temp");
        let nested = dir.path().join("a/b");
        folder(&nested).expect("folder");
        assert_eq!(mode(&nested), 0o700);
        let path = nested.join("f");
        write(&path, b"secret").expect("write");
        assert_eq!(mode(&path), 0o600);
    }
}
