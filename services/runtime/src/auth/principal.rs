//! Who is calling, and what they may do.

use serde::{Deserialize, Serialize};

/// What a caller may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A shopper.
    Customer,
    /// An operator.
    Admin,
    /// Another service of the mesh.
    Service,
}

impl Role {
    /// The lower-case name used in tokens and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
            Role::Service => "service",
        }
    }

    /// Parses the lower-case name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "customer" => Some(Role::Customer),
            "admin" => Some(Role::Admin),
            "service" => Some(Role::Service),
            _ => None,
        }
    }
}

/// Why a caller is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token where one is needed.
    #[error("authentication required")]
    Missing,
    /// A token that is malformed, expired, badly signed or for someone else.
    #[error("invalid or expired access token")]
    InvalidToken,
    /// Authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(&'static str),
    /// A service caller that did not say which user it acts for.
    #[error("user_id: required when a service calls on behalf of a user")]
    SubjectRequired,
}

/// The verified caller of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user id, or the client id of a service.
    pub subject: String,
    /// The caller's role.
    pub role: Role,
}

impl Principal {
    /// The caller attached to a request by [`super::AuthLayer`], if any.
    pub fn of<T>(request: &tonic::Request<T>) -> Option<&Principal> {
        request.extensions().get::<Principal>()
    }

    /// The caller, or `Missing` for an anonymous request.
    pub fn require<T>(request: &tonic::Request<T>) -> Result<&Principal, AuthError> {
        Self::of(request).ok_or(AuthError::Missing)
    }

    /// Whether the caller is an admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Admins only.
    pub fn require_admin(&self) -> Result<&Self, AuthError> {
        if self.is_admin() { Ok(self) } else { Err(AuthError::Forbidden("admin role required")) }
    }

    /// Internal RPCs: a service, or an admin debugging with grpcurl.
    pub fn require_internal(&self) -> Result<&Self, AuthError> {
        match self.role {
            Role::Service | Role::Admin => Ok(self),
            Role::Customer => Err(AuthError::Forbidden("internal call: service token required")),
        }
    }

    /// Whether the caller may read or act on `user_id`'s data: the user
    /// themself, an admin, or a service.
    pub fn may_access(&self, user_id: &str) -> bool {
        match self.role {
            Role::Admin | Role::Service => true,
            Role::Customer => self.subject == user_id,
        }
    }

    /// The user a request acts for. A service must name one in `requested`;
    /// anyone else acts for themself and may only leave `requested` empty or
    /// repeat their own id.
    pub fn acting_for(&self, requested: &str) -> Result<String, AuthError> {
        match (self.role, requested.is_empty()) {
            (Role::Service, true) => Err(AuthError::SubjectRequired),
            (Role::Service, false) => Ok(requested.to_owned()),
            (_, true) => Ok(self.subject.clone()),
            (_, false) if requested == self.subject => Ok(self.subject.clone()),
            (_, false) => Err(AuthError::Forbidden("only a service may act for another user")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Principal {
        Principal { subject: "u1".into(), role }
    }

    #[test]
    fn only_services_name_another_user() {
        assert_eq!(caller(Role::Customer).acting_for(""), Ok("u1".into()));
        assert_eq!(caller(Role::Customer).acting_for("u1"), Ok("u1".into()));
        assert!(matches!(caller(Role::Customer).acting_for("u2"), Err(AuthError::Forbidden(_))));
        assert!(matches!(caller(Role::Admin).acting_for("u2"), Err(AuthError::Forbidden(_))));
        assert_eq!(caller(Role::Service).acting_for("u2"), Ok("u2".into()));
        assert_eq!(caller(Role::Service).acting_for(""), Err(AuthError::SubjectRequired));
    }

    #[test]
    fn internal_calls_refuse_customers() {
        assert!(caller(Role::Customer).require_internal().is_err());
        assert!(caller(Role::Service).require_internal().is_ok());
        assert!(caller(Role::Admin).require_internal().is_ok());
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::Customer, Role::Admin, Role::Service] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
