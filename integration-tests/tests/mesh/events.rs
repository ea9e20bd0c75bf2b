//! Domain events through a producer's outbox and its broker-free feed: an
//! event exists exactly when its change does, and the feed serves it from a
//! position, then live. (That an event carries its change's trace needs the
//! process's telemetry: see the runtime's outbox tests.)

use std::time::Duration;

use integration_tests::{GOOD_CARD, TestMesh, bearer, mesh_tests};
use shop_proto::{
    events::v1::{
        Event, SubscribeRequest, SubscribeResponse, event::Payload, event_feed_service_client::EventFeedServiceClient,
    },
    orders::v1::{CancelOrderRequest, OrderStatus},
    products::v1::AdjustStockRequest,
    users::v1::RegisterRequest,
};
use tonic::{Code, Streaming, transport::Channel};

/// How long a published event may take to reach a subscriber.
const DELIVERY: Duration = Duration::from_secs(5);

async fn subscribe(mesh: &TestMesh, after: u64) -> Streaming<SubscribeResponse> {
    subscribe_to(mesh, mesh.users_channel(), after).await
}

async fn subscribe_to(mesh: &TestMesh, producer: Channel, after: u64) -> Streaming<SubscribeResponse> {
    let service = mesh.service_token().await;
    let mut feed = EventFeedServiceClient::new(producer);
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

    async fn a_paid_checkout_is_an_order_placed_then_its_payment(mesh) {
        let (ada, gpu) = mesh.shopper_with_cart("GPU-E", 50_000, 3, 2).await;
        let order = mesh.place_order(&ada, "evented", GOOD_CARD).await.unwrap();
        let channel = mesh.orders_service.lock().await.channel();
        let mut feed = subscribe_to(&mesh, channel, 0).await;
        let (_, event) = next(&mut feed).await;
        let Some(Payload::OrderPlaced(placed)) = event.payload else { panic!("not an OrderPlaced: {event:?}") };
        assert_eq!((placed.order_id.as_str(), placed.user_id.as_str()), (order.id.as_str(), ada.id.as_str()));
        assert_eq!(placed.total.unwrap().amount_minor, 100_000);
        assert_eq!((placed.lines[0].product_id.as_str(), placed.lines[0].quantity), (gpu.id.as_str(), 2));
        let (_, event) = next(&mut feed).await;
        let Some(Payload::OrderStatusChanged(paid)) = event.payload else { panic!("not a status change: {event:?}") };
        assert_eq!((paid.from(), paid.to()), (OrderStatus::Pending, OrderStatus::Paid));
        assert_eq!((paid.order_id, event.aggregate_id, event.producer.as_str()), (order.id.clone(), order.id.clone(), "orders"));

        let channel = mesh.payments_service.lock().await.channel();
        let mut payments = subscribe_to(&mesh, channel, 0).await;
        let (_, event) = next(&mut payments).await;
        let Some(Payload::PaymentSucceeded(charged)) = event.payload else { panic!("not a payment: {event:?}") };
        assert_eq!((charged.order_id.as_str(), charged.user_id.as_str()), (order.id.as_str(), ada.id.as_str()));
        assert_eq!((charged.amount.unwrap().amount_minor, charged.card_last4.as_str()), (100_000, "4242"));
    }

    async fn cancelling_a_paid_order_is_its_cancellation_and_its_refund(mesh) {
        let (ada, _) = mesh.shopper_with_cart("GPU-C", 7_000, 9, 1).await;
        let order = mesh.place_order(&ada, "to-cancel", GOOD_CARD).await.unwrap();
        let cancel = CancelOrderRequest { order_id: order.id.clone(), reason: "changed my mind".into() };
        mesh.orders().await.cancel_order(bearer(cancel, &ada.token)).await.unwrap();

        let channel = mesh.orders_service.lock().await.channel();
        let mut orders = subscribe_to(&mesh, channel, 2).await;
        let (_, event) = next(&mut orders).await;
        let Some(Payload::OrderStatusChanged(cancelled)) = event.payload else { panic!("not a status change: {event:?}") };
        assert_eq!((cancelled.from(), cancelled.to()), (OrderStatus::Paid, OrderStatus::Cancelled));
        assert!(cancelled.reason.contains("changed my mind"), "{}", cancelled.reason);

        let channel = mesh.payments_service.lock().await.channel();
        let mut payments = subscribe_to(&mesh, channel, 1).await;
        let (_, event) = next(&mut payments).await;
        let Some(Payload::PaymentRefunded(refunded)) = event.payload else { panic!("not a refund: {event:?}") };
        assert_eq!((refunded.order_id.as_str(), refunded.amount.unwrap().amount_minor), (order.id.as_str(), 7_000));
    }

    async fn stock_falling_below_the_threshold_is_announced_once_per_fall(mesh) {
        // Six on hand; the threshold is five.
        let (ada, gpu) = mesh.shopper_with_cart("GPU-L", 1_000, 6, 2).await;
        mesh.place_order(&ada, "first", GOOD_CARD).await.unwrap();
        mesh.fill_cart(&ada, &[(&gpu, 1)]).await;
        mesh.place_order(&ada, "still-low", GOOD_CARD).await.unwrap();
        let admin = mesh.admin().await;
        let restock = AdjustStockRequest { product_id: gpu.id.clone(), delta: 10, reason: "restock".into() };
        mesh.products().adjust_stock(bearer(restock, &admin.token)).await.unwrap();
        let shrink = AdjustStockRequest { product_id: gpu.id.clone(), delta: -9, reason: "breakage".into() };
        mesh.products().adjust_stock(bearer(shrink, &admin.token)).await.unwrap();

        let mut feed = subscribe_to(&mesh, mesh.products_channel(), 0).await;
        let mut falls = Vec::new();
        for _ in 0..2 {
            let (_, event) = next(&mut feed).await;
            let Some(Payload::StockLow(low)) = event.payload else { panic!("not a StockLow: {event:?}") };
            assert_eq!((low.product_id.as_str(), low.threshold), (gpu.id.as_str(), 5));
            falls.push(low.available);
        }
        assert_eq!(falls, [4, 4], "6 -> 4 said, 4 -> 3 not, 13 -> 4 said again");
        let quiet = tokio::time::timeout(Duration::from_millis(300), feed.message()).await;
        assert!(quiet.is_err(), "nothing more: {quiet:?}");
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
