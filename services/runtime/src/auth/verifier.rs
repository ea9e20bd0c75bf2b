//! Verifying access tokens with the public key.

use std::{path::PathBuf, sync::Arc};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

use super::{AuthError, Principal, Role};

/// The `iss` of every access token.
pub const ISSUER: &str = "shop-users";
/// The `aud` of every access token.
pub const AUDIENCE: &str = "shop-mesh";

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// User id, or a service's client id.
    pub sub: String,
    /// The subject's role.
    pub role: Role,
    /// Always [`ISSUER`].
    pub iss: String,
    /// Always [`AUDIENCE`].
    pub aud: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
}

/// Why a key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Nothing configured.
    #[error("no key configured: set {0}")]
    Missing(&'static str),
    /// The file could not be read.
    #[error("cannot read key file {path}")]
    Read {
        /// The configured path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The PEM is not an Ed25519 key of the expected kind.
    #[error("not a valid Ed25519 PEM key: {0}")]
    Invalid(String),
}

/// Checks access tokens: EdDSA signature, issuer, audience and expiry.
/// Any other algorithm (`none`, HS256 with the public key as secret, ...) is refused.
#[derive(Clone)]
pub struct TokenVerifier {
    key: Arc<DecodingKey>,
    validation: Arc<Validation>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier").field("algorithm", &"EdDSA").finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// A verifier for the Ed25519 public key in `pem` (SubjectPublicKeyInfo).
    pub fn from_public_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let key = DecodingKey::from_ed_pem(pem).map_err(|e| KeyError::Invalid(e.to_string()))?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Ok(Self { key: Arc::new(key), validation: Arc::new(validation) })
    }

    /// The claims of a valid token.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map(|data| data.claims).map_err(|error| {
            tracing::debug!(%error, "access token refused");
            AuthError::InvalidToken
        })
    }

    /// The caller a valid token stands for.
    pub fn principal(&self, token: &str) -> Result<Principal, AuthError> {
        self.verify(token).map(|claims| Principal { subject: claims.sub, role: claims.role })
    }
}
