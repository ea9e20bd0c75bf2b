//! The service clients allowed to obtain `service` tokens, and their secrets.

use std::{collections::HashMap, str::FromStr, sync::Arc};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Client id -> SHA-256 of its secret, parsed from `id=secret,id=secret`.
#[derive(Clone, Default)]
pub struct ServiceClients(Arc<HashMap<String, [u8; 32]>>);

impl std::fmt::Debug for ServiceClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl ServiceClients {
    /// Whether `secret` is `client_id`'s secret. Constant-time in the secret,
    /// and an unknown id costs the same as a wrong secret.
    pub fn authenticate(&self, client_id: &str, secret: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        match self.0.get(client_id) {
            Some(expected) => bool::from(expected.ct_eq(&presented)),
            None => {
                let _ = [0u8; 32].ct_eq(&presented);
                false
            }
        }
    }

    /// These clients and `other`'s; `other` wins for an id in both.
    pub fn merged(&self, other: ServiceClients) -> Self {
        let mut clients = (*self.0).clone();
        clients.extend(Arc::unwrap_or_clone(other.0));
        Self(Arc::new(clients))
    }

    /// How many clients are configured.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none are configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for ServiceClients {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut clients = HashMap::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, secret) = entry.split_once('=').ok_or("each service client is `id=secret`")?;
            let (id, secret) = (id.trim(), secret.trim());
            if id.is_empty() || secret.len() < 16 {
                return Err(format!("service client `{id}`: needs an id and a secret of at least 16 characters"));
            }
            clients.insert(id.to_owned(), Sha256::digest(secret.as_bytes()).into());
        }
        Ok(Self(Arc::new(clients)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_secret_authenticates() {
        let clients: ServiceClients = "orders=0123456789abcdef0123, cart=fedcba9876543210fedc".parse().unwrap();
        assert_eq!(clients.len(), 2);
        assert!(clients.authenticate("orders", "0123456789abcdef0123"));
        assert!(!clients.authenticate("orders", "fedcba9876543210fedc"));
        assert!(!clients.authenticate("payments", "0123456789abcdef0123"));
        assert!(!format!("{clients:?}").contains("0123456789"));
    }

    #[test]
    fn malformed_specs_are_refused() {
        assert!("orders".parse::<ServiceClients>().is_err());
        assert!("orders=short".parse::<ServiceClients>().is_err());
        assert!("".parse::<ServiceClients>().unwrap().is_empty());
    }
}
