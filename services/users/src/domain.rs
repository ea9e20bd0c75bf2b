//! Account rules: what a valid registration is, and what a presented refresh
//! token is worth. No I/O here.

use chrono::NaiveDateTime;
use shop_runtime::validation::FieldViolation;

/// Shortest accepted password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest accepted password (argon2 cost grows with input; bound it).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Longest display name.
pub const MAX_NAME_CHARS: usize = 100;

/// A registration that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// Normalised email.
    pub email: String,
    /// Trimmed display name.
    pub name: String,
    /// The password as given (checked, not trimmed: spaces are allowed).
    pub password: String,
}

impl NewAccount {
    /// Validates every field at once, so the client learns all mistakes.
    pub fn parse(email: &str, password: &str, name: &str) -> Result<Self, Vec<FieldViolation>> {
        match (normalize_email(email), check_password(password), normalize_name(name)) {
            (Ok(email), Ok(password), Ok(name)) => Ok(Self { email, name, password }),
            (email, password, name) => Err([email.err(), password.err(), name.err()].into_iter().flatten().collect()),
        }
    }
}

/// Trims and lower-cases an email address and checks its shape: one `@`, a
/// non-empty local part of at most 64 characters, a dotted domain of labels
/// made of letters, digits and hyphens, 254 characters in all at most.
pub fn normalize_email(raw: &str) -> Result<String, FieldViolation> {
    let email = raw.trim().to_lowercase();
    let invalid = || FieldViolation::new("email", "must be a valid email address");
    if email.is_empty() {
        return Err(FieldViolation::new("email", "is required"));
    }
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !local.contains(['@', '"', '(', ')', ',', ':', ';', '<', '>', '[', '\\', ']']);
    let domain_ok = domain.contains('.') && domain.split('.').all(label_ok);
    if local_ok && domain_ok { Ok(email) } else { Err(invalid()) }
}

/// Checks a new password's length, counted in characters.
pub fn check_password(raw: &str) -> Result<String, FieldViolation> {
    let chars = raw.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(FieldViolation::new("password", format!("must be at least {MIN_PASSWORD_CHARS} characters")));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(FieldViolation::new("password", format!("must be at most {MAX_PASSWORD_CHARS} characters")));
    }
    Ok(raw.to_owned())
}

/// Trims a display name and checks its length.
pub fn normalize_name(raw: &str) -> Result<String, FieldViolation> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldViolation::new("name", "is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(FieldViolation::new("name", format!("must be at most {MAX_NAME_CHARS} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldViolation::new("name", "must not contain control characters"));
    }
    Ok(name.to_owned())
}

/// What a presented refresh token is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshVerdict {
    /// Unspent, unrevoked, unexpired: rotate it.
    Valid,
    /// Already rotated: someone replayed it. Revoke the whole family.
    Reused,
    /// Its family was revoked (logout or an earlier reuse).
    Revoked,
    /// Past its expiry.
    Expired,
}

/// Judges a stored refresh token at `now`. Revocation wins over reuse (the
/// family is already dead), and reuse over expiry (a replay must still kill
/// the family even if this one token has expired).
pub fn judge_refresh(
    rotated_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> RefreshVerdict {
    match (revoked_at, rotated_at) {
        (Some(_), _) => RefreshVerdict::Revoked,
        (None, Some(_)) => RefreshVerdict::Reused,
        (None, None) if now >= expires_at => RefreshVerdict::Expired,
        (None, None) => RefreshVerdict::Valid,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(normalize_email("  Ada.Lovelace@Example.COM "), Ok("ada.lovelace@example.com".into()));
        assert_eq!(normalize_email("a+tag@sub.example.co.uk"), Ok("a+tag@sub.example.co.uk".into()));
    }

    #[test]
    fn malformed_emails_name_the_email_field() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a b@example.com",
            "a@@example.com",
            "a@-x.com",
            "a..b@example.com",
            ".a@example.com",
            "a@example..com",
        ] {
            let error = normalize_email(bad).expect_err(bad);
            assert_eq!(error.field, "email", "{bad}");
        }
        let too_long = format!("{}@example.com", "a".repeat(65));
        assert!(normalize_email(&too_long).is_err());
    }

    #[test]
    fn passwords_need_eight_characters_counted_as_characters() {
        assert!(check_password("1234567").is_err());
        assert!(check_password("12345678").is_ok());
        assert!(check_password("ñññññññ").is_err(), "7 characters, 14 bytes");
        assert!(check_password(&"x".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(normalize_name("  Ada  "), Ok("Ada".into()));
        assert_eq!(normalize_name("   ").map_err(|e| e.field), Err("name".into()));
        assert!(normalize_name(&"n".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(normalize_name("a\u{0}b").is_err());
    }

    #[test]
    fn a_registration_reports_every_bad_field_at_once() {
        let errors = NewAccount::parse("nope", "short", " ").expect_err("all three are bad");
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "password", "name"]);
    }

    #[test]
    fn refresh_verdicts() {
        let now = shop_runtime::time::now();
        let later = now + Duration::days(1);
        let earlier = now - Duration::seconds(1);
        assert_eq!(judge_refresh(None, None, later, now), RefreshVerdict::Valid);
        assert_eq!(judge_refresh(Some(earlier), None, later, now), RefreshVerdict::Reused);
        assert_eq!(judge_refresh(Some(earlier), None, earlier, now), RefreshVerdict::Reused);
        assert_eq!(judge_refresh(None, Some(earlier), later, now), RefreshVerdict::Revoked);
        assert_eq!(judge_refresh(Some(earlier), Some(earlier), later, now), RefreshVerdict::Revoked);
        assert_eq!(judge_refresh(None, None, earlier, now), RefreshVerdict::Expired);
    }
}
