//! Page sizes and opaque page tokens.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Serialize, de::DeserializeOwned};

use crate::validation::FieldViolation;

/// Page size when the client asks for 0.
pub const DEFAULT_PAGE_SIZE: i64 = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: i64 = 100;

/// The page size to use for a requested one (0 means the default).
pub fn page_size(requested: i32) -> Result<i64, FieldViolation> {
    match i64::from(requested) {
        0 => Ok(DEFAULT_PAGE_SIZE),
        n if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
        _ => Err(FieldViolation::new("page_size", format!("must be between 0 and {MAX_PAGE_SIZE}"))),
    }
}

/// Encodes a cursor (where the next page starts) as an opaque token.
pub fn encode_token<C: Serialize>(cursor: &C) -> String {
    // Serialising plain cursor structs cannot fail; an empty token would only restart the listing.
    serde_json::to_vec(cursor).map(|json| URL_SAFE_NO_PAD.encode(json)).unwrap_or_default()
}

/// Decodes a token from [`encode_token`]; `None` for an empty token (first page).
pub fn decode_token<C: DeserializeOwned>(token: &str) -> Result<Option<C>, FieldViolation> {
    if token.is_empty() {
        return Ok(None);
    }
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .map(Some)
        .ok_or_else(|| FieldViolation::new("page_token", "is not a token this listing issued"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Cursor {
        id: String,
    }

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let cursor = Cursor { id: "0190abc".into() };
        let token = encode_token(&cursor);
        assert_eq!(decode_token::<Cursor>(&token), Ok(Some(cursor)));
        assert_eq!(decode_token::<Cursor>(""), Ok(None));
        assert_eq!(decode_token::<Cursor>("%%%").unwrap_err().field, "page_token");
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(page_size(0), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(7), Ok(7));
        assert!(page_size(101).is_err());
        assert!(page_size(-1).is_err());
    }
}
