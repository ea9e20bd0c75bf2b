//! gRPC plumbing: the server bootstrap every service uses, the client channel
//! every caller uses, deadlines across hops, and error details on statuses.

mod accept;
mod background;
mod client;
pub mod client_address;
pub mod deadline;
mod discovery;
mod health;
mod observe;
mod run;
mod server;
mod service_tokens;
pub mod status;
mod trace;
mod upstream;

pub use client::MeshChannel;
pub use health::{Dependency, Unhealthy};
pub use observe::code_name;
pub use run::{RunError, bind_and_serve};
pub use server::{GrpcServer, Listeners, ServeError};
pub use service_tokens::ServiceTokens;
pub use upstream::{Upstream, UpstreamError};
