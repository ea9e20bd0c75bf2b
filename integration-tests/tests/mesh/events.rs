//! Domain events through a producer's outbox and its broker-free feed: an
//! event exists exactly when its change does, and the feed serves it from a
//! position, then live. (That an event carries its change's trace needs the
//! process's telemetry: see the runtime's outbox tests.)

use std::time::Duration;

use integration_tests::{TestMesh, bearer, mesh_tests};
use shop_proto::{
    events::v1::{
        Event, SubscribeRequest, SubscribeResponse, event::Payload, event_feed_service_client::EventFeedServiceClient,
    },
    users::v1::RegisterRequest,
};
use tonic::{Code, Streaming};

/// How long a published event may take to reach a subscriber.
const DELIVERY: Duration = Duration::from_secs(5);

async fn subscribe(mesh: &TestMesh, after: u64) -> Streaming<SubscribeResponse> {
    let service = mesh.service_token().await;
    let mut feed = EventFeedServiceClient::new(mesh.users_channel());
    feed.subscribe(bearer(SubscribeRequest { after }, &service)).await.unwrap().into_inner()
}

async fn next(stream: &mut Streaming<SubscribeResponse>) -> (u64, Event) {
    let item = tokio::time::timeout(DELIVERY, stream.message()).await.expect("an event in time").unwrap().unwrap();
    (item.position, item.event.unwrap())
}

async fn register(mesh: &TestMesh, email: &str) -> Result<String, tonic::Status> {
    let request = RegisterRequest { email: email.into(), password: "correct horse".into(), name: "Ada".into() };
    Ok(mesh.users().register(request).await?.into_inner().user.unwrap().id)
}

fn registered(event: &Event) -> (&str, &str) {
    match &event.payload {
        Some(Payload::UserRegistered(user)) => (user.user_id.as_str(), user.email.as_str()),
        other => panic!("not a UserRegistered: {other:?}"),
    }
}

mesh_tests! {
    async fn a_registration_is_one_user_registered_event(mesh) {
        let mut feed = subscribe(&mesh, 0).await;
        let id = register(&mesh, "ada@example.com").await.unwrap();
        let (position, event) = next(&mut feed).await;
        assert_eq!(registered(&event), (id.as_str(), "ada@example.com"));
        assert_eq!((event.producer.as_str(), event.aggregate_id.as_str()), ("users", id.as_str()));
        assert!(uuid::Uuid::parse_str(&event.id).is_ok(), "{}", event.id);
        assert_eq!(position, 1);

        // A refused registration changes nothing, and says nothing.
        let taken = register(&mesh, "ada@example.com").await.unwrap_err();
        assert_eq!(taken.code(), Code::AlreadyExists);
        let later = register(&mesh, "grace@example.com").await.unwrap();
        let (position, event) = next(&mut feed).await;
        assert_eq!((position, registered(&event).0), (2, later.as_str()), "the next event is the next account");
    }

    async fn a_subscriber_resumes_after_its_position(mesh) {
        let first = register(&mesh, "one@example.com").await.unwrap();
        let second = register(&mesh, "two@example.com").await.unwrap();
        let mut from_start = subscribe(&mesh, 0).await;
        let (one, event) = next(&mut from_start).await;
        assert_eq!(registered(&event).0, first);
        let mut resumed = subscribe(&mesh, one).await;
        let (two, event) = next(&mut resumed).await;
        assert_eq!((two, registered(&event).0), (one + 1, second.as_str()));
        let third = register(&mesh, "three@example.com").await.unwrap();
        let (three, event) = next(&mut resumed).await;
        assert_eq!((three, registered(&event).0), (two + 1, third.as_str()), "then live");
    }

    async fn concurrent_changes_each_get_one_place_in_the_feed(mesh) {
        let registrations = (0..20).map(|n| {
            let mesh = &mesh;
            async move { register(mesh, &format!("user{n}@example.com")).await.unwrap() }
        });
        let mut ids: Vec<String> = futures::future::join_all(registrations).await;
        let mut feed = subscribe(&mesh, 0).await;
        let mut seen = Vec::new();
        for expected in 1..=20 {
            let (position, event) = next(&mut feed).await;
            assert_eq!(position, expected, "positions follow each other, without gaps");
            seen.push(registered(&event).0.to_owned());
        }
        ids.sort();
        seen.sort();
        assert_eq!(seen, ids, "every account once");
    }

    async fn only_services_may_read_a_feed(mesh) {
        let customer = mesh.customer("eve@example.com").await;
        let mut feed = EventFeedServiceClient::new(mesh.users_channel());
        let refused = feed.subscribe(bearer(SubscribeRequest { after: 0 }, &customer.token)).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
        let anonymous = feed.subscribe(SubscribeRequest { after: 0 }).await.unwrap_err();
        assert_eq!(anonymous.code(), Code::Unauthenticated);
    }
}
