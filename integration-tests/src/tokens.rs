//! Forged and doctored tokens, for proving they are refused.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use shop_runtime::auth::{AUDIENCE, ISSUER};

/// Claims for `subject` with `role`, expiring `expires_in` seconds from now (negative: expired).
pub fn claims(subject: &str, role: &str, expires_in: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "sub": subject, "role": role, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + expires_in, "jti": "test" })
}

/// A token signed with the mesh's real private key.
pub fn signed(private_pem: &str, claims: &Value) -> String {
    let key = EncodingKey::from_ed_pem(private_pem.as_bytes()).expect("private key");
    jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &key).expect("sign")
}

/// A token with `alg: none` and no signature.
pub fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// A token HMAC-signed with the public key as the secret (algorithm confusion).
pub fn hs256_with_public_key(public_pem: &str, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(public_pem.as_bytes()))
        .expect("sign")
}

/// `token` with its payload replaced (the signature no longer matches).
pub fn tampered(token: &str, claims: &Value) -> String {
    let mut parts = token.split('.');
    let (header, _, signature) = (parts.next().unwrap_or_default(), parts.next(), parts.next().unwrap_or_default());
    format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(claims.to_string()))
}
