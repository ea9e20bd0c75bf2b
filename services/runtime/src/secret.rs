//! A wrapper that keeps secrets out of `Debug` output and logs, and the
//! `*_FILE` convention: a secret setting may name a file that holds it (a
//! mounted Kubernetes Secret, a compose secret) instead of carrying it.

use std::{
    fmt,
    path::{Path, PathBuf},
    str::FromStr,
};

/// A secret value (password, client secret, key material).
///
/// `Debug` and `Display` print `[redacted]`; the value is reached only through
/// [`Secret::expose`], which makes every use easy to find.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

/// A secret file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the secret file {path}: {source}")]
pub struct SecretFileError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

/// Reads a secret from `path`, without the line end a file usually ends with.
pub fn read_secret_file(path: &Path) -> Result<Secret, SecretFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| SecretFileError { path: path.to_owned(), source })?;
    Ok(Secret::new(text.trim_end_matches(['\n', '\r'])))
}

/// The value given directly, else the contents of `file`, else `None`.
pub fn value_or_file(value: Option<&Secret>, file: Option<&Path>) -> Result<Option<Secret>, SecretFileError> {
    match (value, file) {
        (Some(value), _) => Ok(Some(value.clone())),
        (None, Some(file)) => read_secret_file(file).map(Some),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_file_loses_its_final_newline_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, " two words \n").unwrap();
        assert_eq!(value_or_file(None, Some(&file)).unwrap().unwrap().expose(), " two words ");
        let given = Secret::new("given");
        assert_eq!(value_or_file(Some(&given), Some(&file)).unwrap(), Some(given));
        assert!(value_or_file(None, None).unwrap().is_none());
        let missing = value_or_file(None, Some(&dir.path().join("missing"))).unwrap_err();
        assert!(missing.to_string().contains("missing"), "{missing}");
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = Secret::new("hunter2hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{secret}"), "[redacted]");
        assert_eq!(secret.expose(), "hunter2hunter2");
    }
}
