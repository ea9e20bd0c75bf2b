//! The services this one calls, with its own `service` token: users, for
//! the addresses mails go to; and the producers' event feeds.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use lru::LruCache;

use shop_proto::users::v1::{GetUserRequest, ListUsersRequest, Role, User, user_service_client::UserServiceClient};
use shop_runtime::{
    config::{ClientConfig, ServiceCredentialsConfig},
    failure::Failure,
    grpc::{Dependency, MeshChannel, ServiceTokens, Upstream},
};
use tonic::Code;

use crate::{config::Producers, error::Error};

/// Someone a mail goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// The account.
    pub user_id: String,
    /// Its address.
    pub email: String,
    /// How to greet them.
    pub name: String,
}

impl From<User> for Recipient {
    fn from(user: User) -> Self {
        Self { user_id: user.id, email: user.email, name: user.name }
    }
}

/// How long an account's address is reused before users is asked again:
/// an order's confirmation and receipt come within milliseconds of each other.
const RECIPIENT_TTL: Duration = Duration::from_secs(30);
/// Addresses kept at most; past it the least recently used goes.
const RECIPIENTS_KEPT: NonZeroUsize = NonZeroUsize::new(10_000).expect("not zero");

type RecipientCache = LruCache<String, (Instant, Option<Recipient>)>;

/// Clients of users and of each producer's feed (connected lazily).
#[derive(Clone, Debug)]
pub struct Clients {
    users: UserServiceClient<MeshChannel>,
    recipients: Arc<Mutex<RecipientCache>>,
    /// Each producer's name and a channel to its feed (no call timeout: a
    /// subscription lasts).
    pub feeds: Vec<(&'static str, MeshChannel)>,
    /// For health: the users service (addresses and tokens).
    pub dependencies: Vec<Dependency>,
}

impl Clients {
    /// Clients that authenticate as this service.
    pub fn new(
        producers: &Producers,
        credentials: &ServiceCredentialsConfig,
        client: &ClientConfig,
    ) -> anyhow::Result<Self> {
        let users = Upstream::connect(&producers.users_url, client)?;
        let tokens = ServiceTokens::new(users.clone(), credentials.client_id.clone(), credentials.secret()?);
        let mut feeds = Vec::new();
        for (producer, url) in [
            ("users", &producers.users_url),
            ("products", &producers.products_url),
            ("orders", &producers.orders_url),
            ("payments", &producers.payments_url),
        ] {
            let channel = Upstream::connect(url, client)?.without_call_timeout();
            feeds.push((producer, MeshChannel::with_service_tokens(channel, tokens.clone())));
        }
        Ok(Self {
            users: UserServiceClient::new(MeshChannel::with_service_tokens(users.clone(), tokens)),
            recipients: Arc::new(Mutex::new(LruCache::new(RECIPIENTS_KEPT))),
            feeds,
            dependencies: vec![Dependency::service("users", users)],
        })
    }

    /// The account `user_id`, or `None` if there is none (any more); asked
    /// of users at most every [`RECIPIENT_TTL`].
    pub async fn recipient(&self, user_id: &str) -> Result<Option<Recipient>, Error> {
        if let Some((at, known)) = self.cached().get(user_id).cloned()
            && at.elapsed() < RECIPIENT_TTL
        {
            return Ok(known);
        }
        let request = GetUserRequest { user_id: user_id.to_owned() };
        let found = match self.users.clone().get_user(request).await {
            Ok(response) => response.into_inner().user.map(Recipient::from),
            Err(status) if status.code() == Code::NotFound => None,
            Err(status) => return Err(Failure::downstream("users")(status).into()),
        };
        self.cached().put(user_id.to_owned(), (Instant::now(), found.clone()));
        Ok(found)
    }

    fn cached(&self) -> MutexGuard<'_, RecipientCache> {
        // A poisoned cache is still a cache: its entries are whole.
        self.recipients.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every admin account.
    pub async fn admins(&self) -> Result<Vec<Recipient>, Error> {
        let mut admins = Vec::new();
        let mut page_token = String::new();
        loop {
            let request = ListUsersRequest { page_size: 100, page_token, role: Role::Admin as i32 };
            let page = self.users.clone().list_users(request).await.map_err(Failure::downstream("users"))?;
            let page = page.into_inner();
            admins.extend(page.users.into_iter().map(Recipient::from));
            if page.next_page_token.is_empty() {
                return Ok(admins);
            }
            page_token = page.next_page_token;
        }
    }
}
