//! The Ed25519 key pair that signs access tokens: generating it, deriving the
//! public half, and the embedded default's load-or-generate in the data dir.

use std::{
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
};

use ed25519_dalek::{
    SigningKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding},
};
use shop_runtime::{Secret, auth::KeyError};

/// File name of the private key in the data dir.
pub const PRIVATE_KEY_FILE: &str = "jwt-ed25519.pem";
/// File name of the public key in the data dir.
pub const PUBLIC_KEY_FILE: &str = "jwt-ed25519.pub.pem";

/// A key pair as PEM text.
#[derive(Debug, Clone)]
pub struct KeyPair {
    /// PKCS#8 private key.
    pub private_pem: Secret,
    /// SubjectPublicKeyInfo public key.
    pub public_pem: String,
}

/// A fresh key pair from the operating system's randomness.
pub fn generate() -> Result<KeyPair, KeyError> {
    let signing = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let private_pem = signing.to_pkcs8_pem(LineEnding::LF).map_err(|e| KeyError::Invalid(e.to_string()))?;
    Ok(KeyPair { private_pem: Secret::new(private_pem.as_str()), public_pem: public_pem_of(&signing)? })
}

/// The public key matching a PKCS#8 private key.
pub fn public_pem_from_private(private_pem: &str) -> Result<String, KeyError> {
    let signing = SigningKey::from_pkcs8_pem(private_pem).map_err(|e| KeyError::Invalid(e.to_string()))?;
    public_pem_of(&signing)
}

fn public_pem_of(signing: &SigningKey) -> Result<String, KeyError> {
    signing.verifying_key().to_public_key_pem(LineEnding::LF).map_err(|e| KeyError::Invalid(e.to_string()))
}

/// Where the key pair of a data dir lives.
#[derive(Debug, Clone)]
pub struct KeyFiles {
    /// The private key (mode 0600).
    pub private: PathBuf,
    /// The public key.
    pub public: PathBuf,
}

/// Reuses the key pair in `data_dir`, or generates one there on first run.
pub fn load_or_generate(data_dir: &Path) -> io::Result<KeyFiles> {
    let files = KeyFiles { private: data_dir.join(PRIVATE_KEY_FILE), public: data_dir.join(PUBLIC_KEY_FILE) };
    if files.private.exists() {
        let private = fs::read_to_string(&files.private)?;
        let public = public_pem_from_private(&private).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        fs::write(&files.public, public)?;
        return Ok(files);
    }
    fs::create_dir_all(data_dir)?;
    let pair = generate().map_err(io::Error::other)?;
    write_private(&files.private, pair.private_pem.expose())?;
    fs::write(&files.public, pair.public_pem)?;
    Ok(files)
}

/// Writes a secret file readable by its owner only.
pub fn write_private(path: &Path, contents: &str) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_pair_is_generated_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_generate(dir.path()).unwrap();
        let private = fs::read_to_string(&first.private).unwrap();
        let public = fs::read_to_string(&first.public).unwrap();
        assert!(private.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));

        let second = load_or_generate(dir.path()).unwrap();
        assert_eq!(fs::read_to_string(&second.private).unwrap(), private);
        assert_eq!(fs::read_to_string(&second.public).unwrap(), public);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&first.private).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn the_public_half_is_derived_from_the_private_key() {
        let pair = generate().unwrap();
        assert_eq!(public_pem_from_private(pair.private_pem.expose()).unwrap(), pair.public_pem);
    }
}
