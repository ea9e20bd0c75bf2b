//! The notifications service on the real mesh: each domain event becomes
//! its mails, once, in the mail directory, and each customer sees their own
//! through ListNotifications.

use std::time::Duration;

use integration_tests::{ADMIN_EMAIL, GOOD_CARD, Mail, TestMesh, bearer, mesh_tests, wait_for_mails};
use serde_json::json;
use shop_proto::{
    notifications::v1::{
        DeliveryStatus, ListNotificationsRequest, NotificationKind, Preferences, UpdatePreferencesRequest,
    },
    orders::v1::{CancelOrderRequest, OrderStatus, UpdateOrderStatusRequest},
    users::v1::RegisterRequest,
};
use tonic::Code;

/// How long a change may take to become a mail in the directory.
const MAIL: Duration = Duration::from_secs(10);

/// Waits for the mails to `user_id` to number at least `count`; returns them.
async fn mails_to(mesh: &TestMesh, user_id: &str, count: usize) -> Vec<Mail> {
    mesh.mails_to(user_id, count, MAIL).await
}

fn subjects(mails: &[Mail]) -> Vec<&str> {
    let mut subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    subjects.sort();
    subjects
}

async fn ship(mesh: &TestMesh, order_id: &str, status: OrderStatus) {
    let admin = mesh.admin().await;
    let request = UpdateOrderStatusRequest { order_id: order_id.into(), status: status as i32, reason: String::new() };
    mesh.orders().await.update_order_status(bearer(request, &admin.token)).await.unwrap();
}

mesh_tests! {
    async fn a_new_account_gets_a_welcome_mail_within_two_seconds(mesh) {
        let request = RegisterRequest { email: "ada@example.com".into(), password: "correct horse".into(), name: "Ada".into() };
        let registered = mesh.users().register(request).await.unwrap().into_inner();
        let user = registered.user.unwrap();
        let started = std::time::Instant::now();
        let welcome = wait_for_mails(mesh.mail_dir.path(), Duration::from_secs(2), |mails| {
            mails.iter().any(|m| m.is_to("ada@example.com"))
        })
        .await;
        let welcome: Vec<_> = welcome.into_iter().filter(|m| m.is_to("ada@example.com")).collect();
        assert_eq!(welcome.len(), 1, "one welcome within 2 s (waited {:?}): {welcome:?}", started.elapsed());
        assert_eq!(welcome[0].subject, "Welcome to Shop Mesh, Ada");
        assert!(welcome[0].raw.contains("Hello Ada,"), "{}", welcome[0].raw);
        assert!(welcome[0].raw.contains("multipart/alternative") && welcome[0].raw.contains("text/html"));

        // The customer sees it, sent, with the Message-ID naming its event.
        let listed = mesh.notifications().await
            .list_notifications(bearer(ListNotificationsRequest::default(), &registered.access_token))
            .await.unwrap().into_inner();
        let [notification] = listed.notifications.as_slice() else { panic!("{listed:?}") };
        assert_eq!(notification.kind(), NotificationKind::Welcome);
        assert_eq!(notification.user_id, user.id);
        assert!(matches!(notification.status(), DeliveryStatus::Sent | DeliveryStatus::Pending));
        assert_eq!(welcome[0].message_id, notification.message_id);
        assert!(notification.message_id.starts_with(&notification.event_id), "{}", notification.message_id);
    }

    async fn a_paid_checkout_sends_a_confirmation_and_a_receipt_and_a_cancel_a_notice_and_a_refund(mesh) {
        let (ada, _gpu) = mesh.shopper_with_cart("GPU-N", 35_000, 3, 2).await;
        let order = mesh.place_order(&ada, "mailed", GOOD_CARD).await.unwrap();
        let mails = mails_to(&mesh, &ada.id, 3).await;
        assert_eq!(subjects(&mails), [
            format!("Receipt for order {}", order.id).as_str(),
            format!("We have your order {}", order.id).as_str(),
            "Welcome to Shop Mesh, Customer",
        ]);
        let receipt = mails.iter().find(|m| m.subject.starts_with("Receipt")).unwrap();
        assert!(receipt.raw.contains("700.00 USD") && receipt.raw.contains("4242"), "{}", receipt.raw);

        let cancel = CancelOrderRequest { order_id: order.id.clone(), reason: "changed my mind".into() };
        mesh.orders().await.cancel_order(bearer(cancel, &ada.token)).await.unwrap();
        let mails = mails_to(&mesh, &ada.id, 5).await;
        let later: Vec<&str> = subjects(&mails).into_iter().filter(|s| s.starts_with("Order") || s.starts_with("Refund")).collect();
        assert_eq!(later, [
            format!("Order {} is cancelled", order.id).as_str(),
            format!("Refund of 700.00 USD for order {}", order.id).as_str(),
        ]);
    }

    async fn shipping_updates_go_to_customers_who_did_not_turn_them_off(mesh) {
        let (ada, gpu) = mesh.shopper_with_cart("GPU-S", 1_000, 20, 1).await;
        let ada_order = mesh.place_order(&ada, "ship-ada", GOOD_CARD).await.unwrap();
        let bob = mesh.customer("bob@example.com").await;
        let off = UpdatePreferencesRequest { preferences: Some(Preferences { shipping_updates: false }) };
        let chosen = mesh.notifications().await.update_preferences(bearer(off, &bob.token)).await.unwrap();
        assert!(!chosen.into_inner().preferences.unwrap().shipping_updates);
        mesh.fill_cart(&bob, &[(&gpu, 1)]).await;
        let bob_order = mesh.place_order(&bob, "ship-bob", GOOD_CARD).await.unwrap();

        // Bob's first: orders' events are handled in order, so once Ada's
        // update is in, Bob's has been decided.
        ship(&mesh, &bob_order.id, OrderStatus::Shipped).await;
        ship(&mesh, &ada_order.id, OrderStatus::Shipped).await;
        let ada_mails = mails_to(&mesh, &ada.id, 4).await;
        assert!(subjects(&ada_mails).contains(&format!("Order {} has shipped", ada_order.id).as_str()), "{ada_mails:?}");
        let bob_mails = mails_to(&mesh, &bob.id, 3).await;
        assert!(bob_mails.iter().all(|m| !m.subject.contains("shipped")), "Bob turned them off: {bob_mails:?}");
        assert_eq!(bob_mails.len(), 3, "welcome, confirmation, receipt: {:?}", subjects(&bob_mails));

        // Receipts cannot be turned off: money is not optional news.
        ship(&mesh, &ada_order.id, OrderStatus::Delivered).await;
        let ada_mails = mails_to(&mesh, &ada.id, 5).await;
        assert!(subjects(&ada_mails).contains(&format!("Order {} has been delivered", ada_order.id).as_str()));
    }

    async fn low_stock_is_mailed_to_the_admins_only(mesh) {
        let (ada, gpu) = mesh.shopper_with_cart("GPU-LOW", 1_000, 6, 2).await;
        mesh.place_order(&ada, "low", GOOD_CARD).await.unwrap();
        let admin = mesh.admin().await;
        let admin_mails = mails_to(&mesh, &admin.id, 1).await;
        assert_eq!(admin_mails.len(), 1, "{admin_mails:?}");
        assert!(admin_mails[0].is_to(ADMIN_EMAIL));
        assert_eq!(admin_mails[0].subject, format!("Low stock: {} (4 left)", gpu.name));
        let ada_mails = mails_to(&mesh, &ada.id, 3).await;
        assert!(ada_mails.iter().all(|m| !m.subject.starts_with("Low stock")), "{ada_mails:?}");
    }

    async fn a_redelivered_event_sends_nothing_more(mesh) {
        let (ada, _gpu) = mesh.shopper_with_cart("GPU-R", 1_000, 10, 1).await;
        mesh.place_order(&ada, "once", GOOD_CARD).await.unwrap();
        let before = mails_to(&mesh, &ada.id, 3).await;
        // Every feed from the start again: each event arrives a second time.
        mesh.stop_notifications().await;
        mesh.rewind_notifications().await;
        mesh.restart_notifications().await;
        let customer = mesh.customer("carol@example.com").await;
        mails_to(&mesh, &customer.id, 1).await;
        let after = mails_to(&mesh, &ada.id, 3).await;
        assert_eq!(after, before, "the same mails, each once");
        let listed = mesh.notifications().await
            .list_notifications(bearer(ListNotificationsRequest::default(), &ada.token)).await.unwrap().into_inner();
        assert_eq!(listed.notifications.len(), 3, "{listed:?}");
    }

    async fn customers_read_only_their_own_notifications(mesh) {
        let ada = mesh.customer("ada@example.com").await;
        let bob = mesh.customer("bob@example.com").await;
        mails_to(&mesh, &bob.id, 1).await;
        let theirs = ListNotificationsRequest { user_id: bob.id.clone(), ..Default::default() };
        let denied = mesh.notifications().await.list_notifications(bearer(theirs.clone(), &ada.token)).await.unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
        let admin = mesh.admin().await;
        let listed = mesh.notifications().await.list_notifications(bearer(theirs, &admin.token)).await.unwrap();
        assert_eq!(listed.into_inner().notifications.len(), 1);
        let anonymous = mesh.notifications().await.list_notifications(ListNotificationsRequest::default()).await.unwrap_err();
        assert_eq!(anonymous.code(), Code::Unauthenticated);
        let no_choice = mesh.notifications().await.update_preferences(bearer(UpdatePreferencesRequest::default(), &ada.token)).await.unwrap_err();
        assert_eq!(no_choice.code(), Code::InvalidArgument);
        assert!(no_choice.message().contains("preferences"), "{}", no_choice.message());
    }

    async fn the_edge_shows_a_customers_mails_in_graphql_and_rest_and_takes_their_choices(mesh) {
        let (ada, _gpu) = mesh.shopper_with_cart("GPU-E2", 1_000, 10, 1).await;
        mails_to(&mesh, &ada.id, 1).await;
        let order = mesh.place_order(&ada, "edge", GOOD_CARD).await.unwrap();
        mails_to(&mesh, &ada.id, 3).await;
        // Every mail is recorded before it is sent, so three listed are three mailed.
        let query = "query($after: String) { me { notifications(first: 2, after: $after) { \
            edges { cursor node { kind subject status } } pageInfo { hasNextPage endCursor } } } }";
        let first = mesh.http.graphql(query, json!({}), Some(&ada.token)).await;
        first.expect_status(200);
        let page = &first.body["data"]["me"]["notifications"];
        assert_eq!(page["edges"].as_array().map(Vec::len), Some(2), "{}", first.body);
        // Newest first; the order's two mails come from two producers, in either order.
        let mut newest: Vec<_> = (0..2).map(|i| page["edges"][i]["node"]["subject"].as_str().unwrap().to_owned()).collect();
        newest.sort();
        assert_eq!(newest, [format!("Receipt for order {}", order.id), format!("We have your order {}", order.id)]);
        assert_eq!(page["pageInfo"]["hasNextPage"], true);
        let after = page["pageInfo"]["endCursor"].clone();
        let rest = mesh.http.graphql(query, json!({ "after": after }), Some(&ada.token)).await;
        let page = &rest.body["data"]["me"]["notifications"];
        assert_eq!(page["edges"][0]["node"]["kind"], "WELCOME", "{}", rest.body);
        assert_eq!(page["pageInfo"]["hasNextPage"], false);

        let listed = mesh.http.get("/api/v1/notifications?page_size=10", Some(&ada.token)).await;
        listed.expect_status(200);
        let kinds: Vec<_> = listed.body["items"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.len(), 3, "{}", listed.body);
        assert_eq!(kinds[2], "WELCOME", "oldest last");
        assert_eq!(listed.body["items"][0]["recipient"], "ada@example.com");
        mesh.http.get("/api/v1/notifications", None).await.expect_status(401);
        let bad = mesh.http.get("/api/v1/notifications?page_size=1000", Some(&ada.token)).await;
        bad.expect_status(400);
        assert!(bad.body.to_string().contains("page_size"), "{}", bad.body);

        let chosen = mesh.http.get("/api/v1/notifications/preferences", Some(&ada.token)).await;
        assert_eq!(chosen.body, json!({ "shipping_updates": true }), "everything until she chooses");
        let off = mesh.http.put("/api/v1/notifications/preferences", json!({ "shipping_updates": false }), Some(&ada.token)).await;
        assert_eq!(off.body, json!({ "shipping_updates": false }));
        let unknown = mesh.http.put("/api/v1/notifications/preferences", json!({ "shipping": false }), Some(&ada.token)).await;
        unknown.expect_status(400);
        let mutation = "mutation { updateNotificationPreferences(input: { shippingUpdates: true }) { shippingUpdates } }";
        let on = mesh.http.graphql(mutation, json!({}), Some(&ada.token)).await;
        assert_eq!(on.body["data"]["updateNotificationPreferences"]["shippingUpdates"], true, "{}", on.body);
        let read = mesh.http.graphql("{ notificationPreferences { shippingUpdates } }", json!({}), Some(&ada.token)).await;
        assert_eq!(read.body["data"]["notificationPreferences"]["shippingUpdates"], true);
    }
}
