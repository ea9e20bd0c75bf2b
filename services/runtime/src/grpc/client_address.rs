//! The address of the end client a call is made for, carried across hops
//! as `x-forwarded-for`, so that a service behind the edge can limit abuse
//! per client address (sign-in attempts, say) rather than per edge.
//!
//! The edge opens a scope with the address it serves; [`super::MeshChannel`]
//! sends it on every call made inside the scope; a service reads it with
//! [`of`]. The header is believed from any caller, which is why the gRPC
//! ports are reachable only from inside the mesh (see the NetworkPolicies).

use std::{future::Future, net::IpAddr};

use http::HeaderValue;

/// The metadata key the address travels in.
pub const HEADER: &str = "x-forwarded-for";

tokio::task_local! {
    static CLIENT: IpAddr;
}

/// Runs `work` on behalf of the client at `address`.
pub async fn scope<F: Future>(address: IpAddr, work: F) -> F::Output {
    CLIENT.scope(address, work).await
}

/// The client the current work is for, if a scope says so.
pub fn current() -> Option<IpAddr> {
    CLIENT.try_with(|address| *address).ok()
}

/// The current client's address as a header value, if there is one.
pub(crate) fn header_value() -> Option<HeaderValue> {
    current().and_then(|address| HeaderValue::try_from(address.to_string()).ok())
}

/// The end client of `request`: the address a caller forwarded, or else the
/// peer that made the call.
pub fn of<T>(request: &tonic::Request<T>) -> Option<IpAddr> {
    let forwarded = request.metadata().get(HEADER).and_then(|value| value.to_str().ok());
    // One hop of ours sets one address; a list came from elsewhere, and its
    // last entry is the one the sender itself saw.
    let forwarded = forwarded.and_then(|list| list.rsplit(',').next()).and_then(|last| last.trim().parse().ok());
    forwarded.or_else(|| request.remote_addr().map(|peer| peer.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forwarded_address_wins_over_the_peer() {
        let mut request = tonic::Request::new(());
        assert_eq!(of(&request), None);
        request.metadata_mut().insert(HEADER, "203.0.113.7".parse().unwrap());
        assert_eq!(of(&request), Some("203.0.113.7".parse().unwrap()));
        request.metadata_mut().insert(HEADER, "10.0.0.1, 2001:db8::1".parse().unwrap());
        assert_eq!(of(&request), Some("2001:db8::1".parse().unwrap()));
    }

    #[tokio::test]
    async fn a_scope_names_the_client_for_the_work_inside_it() {
        assert_eq!(current(), None);
        let address: IpAddr = "198.51.100.4".parse().unwrap();
        scope(address, async { assert_eq!(current(), Some(address)) }).await;
    }
}
