//! A package as uploaded: a tar archive (optionally the same files as a directory) holding
//! `xrm-package.json`, the components it names, and optional entity schemas.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use crate::error::FieldError;

/// The manifest's file name at the root of a package.
pub const MANIFEST_FILE: &str = "xrm-package.json";
/// Largest package accepted.
pub const MAX_PACKAGE_BYTES: usize = 64 * 1024 * 1024;
/// Most files in a package.
const MAX_FILES: usize = 1000;

/// The regular files of a package by relative path (`a/b.wasm`, never `..` or absolute).
#[derive(Debug, Default, Clone)]
pub struct PackageFiles(pub BTreeMap<String, Vec<u8>>);

impl PackageFiles {
    /// Reads a tar archive. Links, devices and paths that leave the package are refused.
    pub fn from_tar(bytes: &[u8]) -> Result<PackageFiles, FieldError> {
        let bad = |message: String| FieldError::new("", "package", message);
        let mut archive = tar::Archive::new(bytes);
        let mut files = BTreeMap::new();
        let entries = archive
            .entries()
            .map_err(|e| bad(format!("not a tar archive: {e}")))?;
        let mut total = 0usize;
        for entry in entries {
            let mut entry = entry.map_err(|e| bad(format!("not a tar archive: {e}")))?;
            let kind = entry.header().entry_type();
            let path = entry
                .path()
                .map_err(|e| bad(format!("bad file name: {e}")))?;
            let name = normalise(&path).ok_or_else(|| {
                bad(format!(
                    "{} is not a relative path inside the package",
                    path.display()
                ))
            })?;
            if kind.is_dir() || name.is_empty() {
                continue;
            }
            if !kind.is_file() {
                return Err(bad(format!(
                    "{name}: only regular files may be in a package"
                )));
            }
            let mut content = Vec::new();
            entry
                .by_ref()
                .take((MAX_PACKAGE_BYTES - total) as u64 + 1)
                .read_to_end(&mut content)
                .map_err(|e| bad(format!("{name}: {e}")))?;
            total += content.len();
            if total > MAX_PACKAGE_BYTES {
                return Err(bad(format!(
                    "the package is larger than {MAX_PACKAGE_BYTES} bytes"
                )));
            }
            files.insert(name, content);
            if files.len() > MAX_FILES {
                return Err(bad(format!("the package has more than {MAX_FILES} files")));
            }
        }
        if files.is_empty() {
            return Err(bad("not a tar archive, or an empty one".into()));
        }
        Ok(PackageFiles(strip_common_root(files)))
    }

    /// Reads a package directory (the CLI and the demo install from one).
    pub fn from_dir(dir: &Path) -> std::io::Result<PackageFiles> {
        let mut files = BTreeMap::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(current) = pending.pop() {
            for entry in std::fs::read_dir(&current)? {
                let entry = entry?;
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    pending.push(entry.path());
                } else if kind.is_file() {
                    let relative = entry
                        .path()
                        .strip_prefix(dir)
                        .map(Path::to_path_buf)
                        .unwrap_or_default();
                    if let Some(name) = normalise(&relative) {
                        files.insert(name, std::fs::read(entry.path())?);
                    }
                }
            }
        }
        Ok(PackageFiles(files))
    }

    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.0.get(name).map(Vec::as_slice)
    }
}

/// `a/./b` → `a/b`; `None` for absolute paths and `..`.
fn normalise(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::Normal(part) => parts.push(part.to_str()?.to_owned()),
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// An archive made with `tar -cf pkg.tar contract-rules/` has every file under one folder:
/// the package is that folder.
fn strip_common_root(files: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    if files.contains_key(MANIFEST_FILE) {
        return files;
    }
    let Some(root) = files
        .keys()
        .find_map(|name| name.strip_suffix(&format!("/{MANIFEST_FILE}")))
        .filter(|root| !root.contains('/'))
        .map(|root| format!("{root}/"))
    else {
        return files;
    };
    if !files.keys().all(|name| name.starts_with(&root)) {
        return files;
    }
    files
        .into_iter()
        .map(|(name, bytes)| (name[root.len()..].to_owned(), bytes))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, bytes) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *bytes).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn a_folder_archive_is_read_from_its_root() {
        let files = PackageFiles::from_tar(&tar_of(&[
            ("pkg/xrm-package.json", b"{}"),
            ("pkg/plugin.wasm", b"\0asm"),
        ]))
        .unwrap();
        assert_eq!(files.get(MANIFEST_FILE), Some(&b"{}"[..]));
        assert_eq!(files.get("plugin.wasm"), Some(&b"\0asm"[..]));
    }

    #[test]
    fn garbage_and_empty_archives_are_refused() {
        assert!(PackageFiles::from_tar(b"definitely not a tar archive").is_err());
        assert!(PackageFiles::from_tar(&[0u8; 1024]).is_err());
    }
}
