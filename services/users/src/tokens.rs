//! Signing access tokens, and minting and hashing refresh tokens.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sha2::{Digest, Sha256};
use shop_runtime::{
    Secret,
    auth::{AUDIENCE, Claims, ISSUER, KeyError, Role, TokenVerifier},
    failure::Failure,
};

use crate::{error::Error, keys};

/// A signed access token and its lifetime.
#[derive(Debug, Clone)]
pub struct SignedToken {
    /// The compact JWT.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: i32,
}

/// Signs access tokens with the private key (only the users service has it).
pub struct TokenSigner {
    key: EncodingKey,
    header: Header,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner").field("algorithm", &"EdDSA").finish_non_exhaustive()
    }
}

impl TokenSigner {
    /// A signer for a PKCS#8 Ed25519 private key, and the verifier for its public half.
    pub fn from_private_pem(private_pem: &Secret) -> Result<(Self, TokenVerifier), KeyError> {
        let key =
            EncodingKey::from_ed_pem(private_pem.expose().as_bytes()).map_err(|e| KeyError::Invalid(e.to_string()))?;
        let public = keys::public_pem_from_private(private_pem.expose())?;
        let verifier = TokenVerifier::from_public_pem(public.as_bytes())?;
        Ok((Self { key, header: Header::new(Algorithm::EdDSA) }, verifier))
    }

    /// A token for `subject` with `role`, valid for `ttl`.
    pub fn sign(&self, subject: &str, role: Role, ttl: Duration) -> Result<SignedToken, Error> {
        let now = chrono::Utc::now().timestamp();
        let lifetime = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            sub: subject.to_owned(),
            role,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            exp: now.saturating_add(lifetime),
            jti: uuid::Uuid::now_v7().to_string(),
        };
        let token = jsonwebtoken::encode(&self.header, &claims, &self.key)
            .map_err(|e| Failure::internal(format!("signing failed: {e}")))?;
        Ok(SignedToken { token, expires_in: i32::try_from(lifetime).unwrap_or(i32::MAX) })
    }
}

/// A new refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What the database stores instead of a refresh token. Tokens are random
/// and long, so a fast hash is enough (no dictionary to attack).
pub fn hash_refresh_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> (TokenSigner, TokenVerifier) {
        let pair = keys::generate().unwrap();
        TokenSigner::from_private_pem(&pair.private_pem).unwrap()
    }

    #[test]
    fn signed_tokens_verify_with_the_public_half() {
        let (signer, verifier) = signer();
        let signed = signer.sign("user-1", Role::Admin, Duration::from_secs(900)).unwrap();
        let claims = verifier.verify(&signed.token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.role, signed.expires_in), ("user-1", Role::Admin, 900));
        assert_eq!((claims.iss.as_str(), claims.aud.as_str()), (ISSUER, AUDIENCE));
    }

    #[test]
    fn another_keys_tokens_are_refused() {
        let (signer, _) = signer();
        let (_, other_verifier) = self::signer();
        let signed = signer.sign("user-1", Role::Customer, Duration::from_secs(900)).unwrap();
        assert!(other_verifier.verify(&signed.token).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed_stably() {
        let (a, b) = (new_refresh_token(), new_refresh_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_refresh_token(&a), hash_refresh_token(&a));
        assert_ne!(hash_refresh_token(&a), hash_refresh_token(&b));
        assert_eq!(hash_refresh_token(&a).len(), 64);
    }
}
