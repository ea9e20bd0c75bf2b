//! Domain events over NATS JetStream (the machine's nats-server, at
//! `SHOP_TEST_NATS_URL`): the same mails as over the feeds, and none lost
//! while NATS is unreachable.

#![cfg(nats_tests)]

use std::{net::SocketAddr, time::Duration};

use integration_tests::{Backend, GOOD_CARD, MeshOptions, TcpCut, TestMesh, bearer, nats_mesh_tests, nats_url};
use shop_proto::notifications::v1::ListNotificationsRequest;

nats_mesh_tests! {
    async fn a_checkout_over_jetstream_mails_its_confirmation_and_receipt_once(mesh) {
        let (ada, _gpu) = mesh.shopper_with_cart("GPU-J", 2_000, 5, 1).await;
        let order = mesh.place_order(&ada, "over-nats", GOOD_CARD).await.unwrap();
        let mails = mesh.mails_to(&ada.id, 3, Duration::from_secs(10)).await;
        let mut subjects: Vec<_> = mails.iter().map(|m| m.subject.clone()).collect();
        subjects.sort();
        assert_eq!(subjects, [
            format!("Receipt for order {}", order.id),
            format!("We have your order {}", order.id),
            "Welcome to Shop Mesh, Customer".to_owned(),
        ]);
        // A consumer that starts over is given everything again; nothing new is sent.
        mesh.restart_notifications().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let listed = mesh.notifications().await
            .list_notifications(bearer(ListNotificationsRequest::default(), &ada.token)).await.unwrap().into_inner();
        assert_eq!(listed.notifications.len(), 3);
    }
}

async fn nats_unreachable_for_ten_seconds_loses_nothing(backend: Backend) {
    let nats: SocketAddr =
        nats_url().trim_start_matches("nats://").parse().expect("SHOP_TEST_NATS_URL is nats://ip:port");
    let proxy = TcpCut::start(nats).await;
    let mesh = TestMesh::start_with(backend, MeshOptions::over_nats(format!("nats://{}", proxy.addr()))).await;
    let (ada, gpu) = mesh.shopper_with_cart("GPU-OUT", 1_000, 50, 1).await;
    mesh.mails_to(&ada.id, 1, Duration::from_secs(10)).await;

    proxy.cut();
    let mut orders = Vec::new();
    for n in 0..5 {
        if n > 0 {
            mesh.fill_cart(&ada, &[(&gpu, 1)]).await;
        }
        orders.push(
            mesh.place_order(&ada, &format!("outage-{n}"), GOOD_CARD).await.expect("checkouts go on without NATS"),
        );
    }
    let backlog = mesh.orders_state().await.outbox.backlog().await.unwrap();
    assert!(backlog >= 10, "each order's events wait in its outbox: {backlog}");
    tokio::time::sleep(Duration::from_secs(10)).await;
    let during = mesh.mails_to(&ada.id, 1, Duration::ZERO).await;
    assert_eq!(during.len(), 1, "nothing but the welcome got through: {during:?}");

    proxy.restore();
    let mails = mesh.mails_to(&ada.id, 11, Duration::from_secs(60)).await;
    assert_eq!(mails.len(), 11, "a welcome, then a confirmation and a receipt per order, each once");
    for order in &orders {
        assert_eq!(mails.iter().filter(|m| m.subject.ends_with(&order.id)).count(), 2, "{}", order.id);
    }
    assert_eq!(mesh.orders_state().await.outbox.backlog().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_unreachable_for_ten_seconds_loses_nothing_sqlite() {
    nats_unreachable_for_ten_seconds_loses_nothing(Backend::Sqlite).await;
}

#[cfg(postgres_tests)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_unreachable_for_ten_seconds_loses_nothing_postgres() {
    nats_unreachable_for_ten_seconds_loses_nothing(Backend::Postgres).await;
}
