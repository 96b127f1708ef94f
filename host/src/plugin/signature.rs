//! Package signatures: a publisher signs, with ed25519, a digest of every file in the package;
//! the signature travels in the package as `xrm-package.sig`. The host verifies it against the
//! publisher keys an admin trusts; a package that is not signed installs only where the admin
//! allows unsigned packages.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::PackageFiles;

/// The signature's file name at the root of a package.
pub const SIGNATURE_FILE: &str = "xrm-package.sig";
/// Separates what is signed here from anything else the same key might sign.
const DOMAIN: &str = "xrm-package-signature-v1";

/// `xrm-package.sig`: the publisher's public key and the signature, both base64.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureFile {
    public_key: String,
    signature: String,
}

/// What the signature of a package says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed {
    Unsigned,
    /// A valid signature by this key (base64); whether the key is trusted is the caller's
    /// question.
    By(String),
}

/// The signed message: every file but the signature, by path, with its sha256.
fn message(files: &PackageFiles) -> Vec<u8> {
    let mut text = format!("{DOMAIN}\n");
    for (path, bytes) in &files.0 {
        if path == SIGNATURE_FILE {
            continue;
        }
        let digest: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        text.push_str(&format!("{digest} {path}\n"));
    }
    text.into_bytes()
}

/// Checks a package's signature, if it has one. An error means a malformed or wrong signature:
/// the package was changed after signing, or the signature is not what it claims.
pub fn verify(files: &PackageFiles) -> Result<Signed, String> {
    let Some(text) = files.get(SIGNATURE_FILE) else {
        return Ok(Signed::Unsigned);
    };
    let file: SignatureFile = serde_json::from_slice(text)
        .map_err(|e| format!("{SIGNATURE_FILE} is not a signature file: {e}"))?;
    let key = parse_public_key(&file.public_key)?;
    let bytes = STANDARD
        .decode(file.signature.trim())
        .map_err(|e| format!("the signature is not base64: {e}"))?;
    let signature = Signature::from_slice(&bytes)
        .map_err(|_| "the signature is not an ed25519 signature (64 bytes)".to_owned())?;
    key.verify(&message(files), &signature).map_err(|_| {
        "the signature does not match the package: a file was changed, added or removed after signing".to_owned()
    })?;
    Ok(Signed::By(STANDARD.encode(key.as_bytes())))
}

/// A public key from its base64 text.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|e| format!("the public key is not base64: {e}"))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "an ed25519 public key is 32 bytes".to_owned())?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "not a valid ed25519 public key".to_owned())
}

/// A new secret key, base64, and its public key, base64.
pub fn generate_key() -> Result<(String, String), String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness for a key: {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    Ok((
        STANDARD.encode(key.to_bytes()),
        STANDARD.encode(key.verifying_key().as_bytes()),
    ))
}

/// The text of `xrm-package.sig` signing `files` with a secret key (base64).
pub fn sign(files: &PackageFiles, secret: &str) -> Result<String, String> {
    let bytes = STANDARD
        .decode(secret.trim())
        .map_err(|e| format!("the secret key is not base64: {e}"))?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "an ed25519 secret key is 32 bytes".to_owned())?;
    let key = SigningKey::from_bytes(&seed);
    let signature = key.sign(&message(files));
    let file = SignatureFile {
        public_key: STANDARD.encode(key.verifying_key().as_bytes()),
        signature: STANDARD.encode(signature.to_bytes()),
    };
    Ok(serde_json::to_string_pretty(&file).expect("a signature serialises") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package() -> PackageFiles {
        let mut files = PackageFiles::default();
        files
            .0
            .insert("xrm-package.json".into(), br#"{"name": "p"}"#.to_vec());
        files.0.insert("p.wasm".into(), vec![0, 97, 115, 109]);
        files
    }

    #[test]
    fn a_signed_package_verifies_and_any_change_breaks_it() {
        let (secret, public) = generate_key().unwrap();
        let mut files = package();
        assert_eq!(verify(&files), Ok(Signed::Unsigned));
        let signature = sign(&files, &secret).unwrap();
        files
            .0
            .insert(SIGNATURE_FILE.into(), signature.into_bytes());
        assert_eq!(verify(&files), Ok(Signed::By(public.clone())));

        let mut changed = files.clone();
        changed.0.insert("p.wasm".into(), vec![0, 97, 115, 110]);
        assert!(verify(&changed).unwrap_err().contains("does not match"));
        let mut added = files.clone();
        added.0.insert("extra.json".into(), b"{}".to_vec());
        assert!(verify(&added).is_err());
        let mut removed = files.clone();
        removed.0.remove("p.wasm");
        assert!(verify(&removed).is_err());

        // Another key's signature over the same files is its own, not the first key's.
        let (other_secret, other_public) = generate_key().unwrap();
        let mut resigned = package();
        resigned.0.insert(
            SIGNATURE_FILE.into(),
            sign(&resigned, &other_secret).unwrap().into_bytes(),
        );
        assert_eq!(verify(&resigned), Ok(Signed::By(other_public)));
    }

    #[test]
    fn malformed_signature_files_are_named() {
        let mut files = package();
        files.0.insert(SIGNATURE_FILE.into(), b"not json".to_vec());
        assert!(verify(&files).unwrap_err().contains("not a signature file"));
        files.0.insert(
            SIGNATURE_FILE.into(),
            br#"{"public_key": "AAAA", "signature": "AAAA"}"#.to_vec(),
        );
        assert!(verify(&files).unwrap_err().contains("32 bytes"));
        assert!(parse_public_key("%%").unwrap_err().contains("base64"));
    }
}
