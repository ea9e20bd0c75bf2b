//! Verifying access tokens with the public key.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

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

/// How many verified tokens are remembered; past it, the memory starts over.
const REMEMBERED: usize = 4096;
/// Seconds a token is still taken past its `exp` (clock skew between services).
const LEEWAY_SECS: u64 = 5;

/// Checks access tokens: EdDSA signature, issuer, audience and expiry.
/// Any other algorithm (`none`, HS256 with the public key as secret, ...) is refused.
///
/// A token that verified is remembered until it expires, so the same token
/// on the next call (every call of a session, every hop of one call) costs a
/// lookup instead of an Ed25519 verification: the signature, issuer and
/// audience cannot change, and the expiry is checked on every use.
#[derive(Clone)]
pub struct TokenVerifier {
    key: Arc<DecodingKey>,
    validation: Arc<Validation>,
    verified: Arc<Mutex<HashMap<Box<str>, Claims>>>,
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
        validation.leeway = LEEWAY_SECS;
        Ok(Self { key: Arc::new(key), validation: Arc::new(validation), verified: Arc::default() })
    }

    /// The claims of a valid token.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        self.checked(token, Claims::clone)
    }

    /// The caller a valid token stands for.
    pub fn principal(&self, token: &str) -> Result<Principal, AuthError> {
        self.checked(token, |claims| Principal { subject: claims.sub.clone(), role: claims.role })
    }

    /// `read` of a valid token's claims, from memory when it verified before.
    fn checked<T>(&self, token: &str, read: impl FnOnce(&Claims) -> T) -> Result<T, AuthError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.checked_at(token, now, read)
    }

    /// [`Self::checked`] with the clock at `now` (seconds since the epoch)
    /// for remembered tokens; a new one is checked against the real clock.
    fn checked_at<T>(&self, token: &str, now: u64, read: impl FnOnce(&Claims) -> T) -> Result<T, AuthError> {
        let live = |claims: &Claims| u64::try_from(claims.exp).is_ok_and(|exp| exp.saturating_add(LEEWAY_SECS) > now);
        {
            let mut verified = self.verified.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match verified.get(token) {
                Some(claims) if live(claims) => return Ok(read(claims)),
                Some(_) => {
                    verified.remove(token);
                    return Err(AuthError::InvalidToken);
                }
                None => {}
            }
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| {
                tracing::debug!(%error, "access token refused");
                AuthError::InvalidToken
            })?;
        let value = read(&claims);
        let mut verified = self.verified.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if verified.len() >= REMEMBERED {
            // Simpler than evicting one by one, and the cost of starting over
            // is one verification per token still in use.
            verified.clear();
        }
        verified.insert(token.into(), claims);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{
        SigningKey,
        pkcs8::{EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding},
    };
    use jsonwebtoken::{EncodingKey, Header};

    use super::*;

    fn keys() -> (EncodingKey, TokenVerifier) {
        let signing = SigningKey::from_bytes(&[7; 32]);
        let private = signing.to_pkcs8_pem(LineEnding::LF).unwrap();
        let public = signing.verifying_key().to_public_key_pem(LineEnding::LF).unwrap();
        (
            EncodingKey::from_ed_pem(private.as_bytes()).unwrap(),
            TokenVerifier::from_public_pem(public.as_bytes()).unwrap(),
        )
    }

    fn token(key: &EncodingKey, exp: i64) -> String {
        let claims = Claims {
            sub: "u1".into(),
            role: Role::Customer,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: exp - 60,
            exp,
            jti: "j1".into(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, key).unwrap()
    }

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    #[test]
    fn a_remembered_token_is_refused_once_it_expires() {
        let (key, verifier) = keys();
        let exp = now() + 60;
        let token = token(&key, exp as i64);
        assert_eq!(verifier.principal(&token).unwrap().subject, "u1");
        assert_eq!(verifier.checked_at(&token, exp + LEEWAY_SECS - 1, |c| c.sub.clone()).unwrap(), "u1");
        assert_eq!(verifier.checked_at(&token, exp + LEEWAY_SECS, |c| c.sub.clone()), Err(AuthError::InvalidToken));
        assert!(verifier.verified.lock().unwrap().is_empty(), "an expired token is forgotten");
    }

    #[test]
    fn only_tokens_that_verify_are_remembered() {
        let (key, verifier) = keys();
        let good = token(&key, now() as i64 + 60);
        let other_key = SigningKey::from_bytes(&[9; 32]).to_pkcs8_pem(LineEnding::LF).unwrap();
        let forged = token(&EncodingKey::from_ed_pem(other_key.as_bytes()).unwrap(), now() as i64 + 60);
        let expired = token(&key, now() as i64 - 60);
        for _ in 0..2 {
            assert_eq!(verifier.principal(&forged), Err(AuthError::InvalidToken));
            assert_eq!(verifier.principal(&expired), Err(AuthError::InvalidToken));
            assert!(verifier.principal(&good).is_ok());
        }
        let remembered: Vec<_> = verifier.verified.lock().unwrap().keys().map(|k| k.to_string()).collect();
        assert_eq!(remembered, [good]);
    }

    #[test]
    fn memory_is_bounded() {
        let (key, verifier) = keys();
        let exp = now() as i64 + 60;
        for n in 0..=REMEMBERED as i64 {
            verifier.verify(&token(&key, exp + n)).unwrap();
        }
        assert!(verifier.verified.lock().unwrap().len() <= REMEMBERED);
    }
}
