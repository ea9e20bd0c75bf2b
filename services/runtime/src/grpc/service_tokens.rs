//! This service's own access token (role `service`), obtained from the users
//! service with the client-credentials grant, cached, and renewed before it
//! expires.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use http::HeaderValue;
use shop_proto::users::v1::{IssueServiceTokenRequest, user_service_client::UserServiceClient};
use tokio::sync::Mutex;
use tonic::Status;

use super::Upstream;
use crate::secret::Secret;

/// Renew this long before the token expires, so that a token sent is never
/// about to expire in flight.
const RENEW_MARGIN: Duration = Duration::from_secs(30);

/// A cheap-to-clone source of this service's `authorization` header value.
///
/// Concurrent callers share one in-flight request to the users service.
#[derive(Clone)]
pub struct ServiceTokens {
    inner: Arc<Inner>,
}

struct Inner {
    users: UserServiceClient<Upstream>,
    client_id: String,
    client_secret: Secret,
    cached: Mutex<Option<CachedToken>>,
}

struct CachedToken {
    header: HeaderValue,
    renew_at: Instant,
}

impl std::fmt::Debug for ServiceTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceTokens").field("client_id", &self.inner.client_id).finish_non_exhaustive()
    }
}

impl ServiceTokens {
    /// A source that asks the users service behind `users` for tokens.
    pub fn new(users: impl Into<Upstream>, client_id: impl Into<String>, client_secret: Secret) -> Self {
        Self {
            inner: Arc::new(Inner {
                users: UserServiceClient::new(users.into()),
                client_id: client_id.into(),
                client_secret,
                cached: Mutex::new(None),
            }),
        }
    }

    /// `Bearer <token>`, from the cache while it is fresh, otherwise newly issued.
    pub async fn authorization(&self) -> Result<HeaderValue, Status> {
        let mut cached = self.inner.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.header.clone());
        }
        let token = self.issue().await?;
        let header = token.header.clone();
        *cached = Some(token);
        Ok(header)
    }

    /// Drops the cached token, e.g. after a call was refused with UNAUTHENTICATED.
    pub async fn invalidate(&self) {
        *self.inner.cached.lock().await = None;
    }

    /// Drops the cached token if it is still `refused`: of many calls refused
    /// at once, the first drops it and the others use the one issued since.
    pub async fn invalidate_if(&self, refused: &HeaderValue) {
        let mut cached = self.inner.cached.lock().await;
        if cached.as_ref().is_some_and(|token| token.header == *refused) {
            *cached = None;
        }
    }

    async fn issue(&self) -> Result<CachedToken, Status> {
        let request = IssueServiceTokenRequest {
            client_id: self.inner.client_id.clone(),
            client_secret: self.inner.client_secret.expose().to_owned(),
        };
        let response = self.inner.users.clone().issue_service_token(request).await.map_err(|status| {
            tracing::warn!(code = ?status.code(), client_id = %self.inner.client_id, "service token request failed");
            Status::unavailable(format!("cannot obtain a service token: {}", status.message()))
        })?;
        let response = response.into_inner();
        let mut header = HeaderValue::try_from(format!("Bearer {}", response.access_token))
            .map_err(|_| Status::internal("users issued a token that is not a valid header value"))?;
        header.set_sensitive(true);
        let lifetime = Duration::from_secs(u64::try_from(response.expires_in).unwrap_or(0));
        let renew_at = Instant::now() + lifetime.saturating_sub(RENEW_MARGIN).max(lifetime / 2);
        tracing::debug!(client_id = %self.inner.client_id, expires_in = response.expires_in, "service token issued");
        Ok(CachedToken { header, renew_at })
    }
}
