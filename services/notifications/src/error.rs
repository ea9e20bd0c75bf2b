//! The notifications service's one error type, and its one conversion to the wire.

use shop_runtime::failure::Failure;
use tonic::Status;

use crate::templates::RenderError;

/// Everything the notifications service can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// What every service can fail with: bad input, auth, the database, a
    /// service it calls, a bug.
    #[error(transparent)]
    Common(#[from] Failure),
    /// A mail's template did not render.
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::Common(failure) => failure.into(),
            Error::Render(error) => Failure::internal(error.to_string()).into(),
        }
    }
}

// `?` turns a database, auth or validation failure into `Error::Common`.
shop_runtime::common_failures!(Error);
