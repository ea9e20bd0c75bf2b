//! The payments service on its own: sandbox cards, card checks, one charge
//! per idempotency key under concurrent retries, refunds, who may call, and
//! what is stored.

use std::time::Duration;

use futures::future::join_all;
use integration_tests::{
    DECLINED_CARD, FLAKY_CARD, GOOD_CARD, NO_FUNDS_CARD, TestMesh, bearer, card, eventually, mesh_tests,
};
use shop_proto::{
    common::v1::Money,
    payments::v1::{self as pb, FailureReason, PaymentStatus},
};
use tonic::Code;

fn charge(key: &str, number: &str, amount: i64) -> pb::ChargeRequest {
    pb::ChargeRequest {
        order_id: format!("order-of-{key}"),
        user_id: "user-1".into(),
        amount: Some(Money { amount_minor: amount, currency: "USD".into() }),
        card: Some(card(number)),
        idempotency_key: key.into(),
    }
}

async fn payments(
    mesh: &TestMesh,
) -> shop_proto::payments::v1::payment_service_client::PaymentServiceClient<tonic::transport::Channel> {
    mesh.payments().await
}

fn void(key: &str, amount: i64) -> pb::VoidChargeRequest {
    pb::VoidChargeRequest {
        order_id: format!("order-of-{key}"),
        user_id: "user-1".into(),
        amount: Some(Money { amount_minor: amount, currency: "USD".into() }),
        idempotency_key: key.into(),
    }
}

mesh_tests! {
    async fn a_voided_key_never_charges_and_a_settled_key_stays_settled(mesh) {
        let service = mesh.service_token().await;
        // Closed before any charge: a Charge with the key arriving later takes nothing.
        let voided = payments(&mesh).await.void_charge(bearer(void("k-void", 1999), &service)).await.unwrap().into_inner().payment.unwrap();
        assert_eq!(voided.status(), PaymentStatus::Voided);
        let late = payments(&mesh).await.charge(bearer(charge("k-void", GOOD_CARD, 1999), &service)).await.unwrap().into_inner().payment.unwrap();
        assert_eq!((late.id.as_str(), late.status()), (voided.id.as_str(), PaymentStatus::Voided), "the late charge took nothing");

        // A pending charge (the processor failed its attempt) is voided; its retry takes nothing.
        payments(&mesh).await.charge(bearer(charge("k-void-flaky", FLAKY_CARD, 1999), &service)).await.unwrap_err();
        let voided = payments(&mesh).await.void_charge(bearer(void("k-void-flaky", 1999), &service)).await.unwrap().into_inner().payment.unwrap();
        assert_eq!(voided.status(), PaymentStatus::Voided);
        let retry = payments(&mesh).await.charge(bearer(charge("k-void-flaky", FLAKY_CARD, 1999), &service)).await.unwrap().into_inner().payment.unwrap();
        assert_eq!(retry.status(), PaymentStatus::Voided);

        // A settled charge keeps its outcome.
        let paid = payments(&mesh).await.charge(bearer(charge("k-paid", GOOD_CARD, 1999), &service)).await.unwrap().into_inner().payment.unwrap();
        let again = payments(&mesh).await.void_charge(bearer(void("k-paid", 1999), &service)).await.unwrap().into_inner().payment.unwrap();
        assert_eq!((again.status(), again.id), (PaymentStatus::Succeeded, paid.id));

        // The terms are checked like a charge's, and must match the key's.
        let other = payments(&mesh).await.void_charge(bearer(void("k-paid", 2500), &service)).await.unwrap_err();
        assert_eq!(shop_runtime::grpc::status::field_violations(&other)[0].field, "idempotency_key");
        let bad = payments(&mesh).await.void_charge(bearer(void("", 0), &service)).await.unwrap_err();
        let fields: Vec<_> = shop_runtime::grpc::status::field_violations(&bad).into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["idempotency_key", "amount.amount_minor"]);
        let customer = mesh.customer("void@example.com").await;
        let refused = payments(&mesh).await.void_charge(bearer(void("k-x", 1999), &customer.token)).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
    }

    async fn the_sandbox_cards_answer_as_documented(mesh) {
        let service = mesh.service_token().await;
        let ok = payments(&mesh).await.charge(bearer(charge("k-good", GOOD_CARD, 1999), &service)).await.unwrap().into_inner().payment.unwrap();
        assert_eq!((ok.status(), ok.card_brand.as_str(), ok.card_last4.as_str()), (PaymentStatus::Succeeded, "visa", "4242"));
        let declined = payments(&mesh).await.charge(bearer(charge("k-declined", DECLINED_CARD, 1999), &service)).await.unwrap().into_inner().payment.unwrap();
        assert_eq!((declined.status(), declined.failure_reason()), (PaymentStatus::Declined, FailureReason::CardDeclined));
        let broke = payments(&mesh).await.charge(bearer(charge("k-broke", NO_FUNDS_CARD, 1999), &service)).await.unwrap().into_inner().payment.unwrap();
        assert_eq!((broke.status(), broke.failure_reason()), (PaymentStatus::Declined, FailureReason::InsufficientFunds));
        assert_eq!(broke.failure_message, "the card has insufficient funds");

        let first = payments(&mesh).await.charge(bearer(charge("k-flaky", FLAKY_CARD, 1999), &service)).await.unwrap_err();
        assert_eq!(first.code(), Code::Unavailable, "the first attempt for a key is a processor error");
        let second = payments(&mesh).await.charge(bearer(charge("k-flaky", FLAKY_CARD, 1999), &service)).await.unwrap().into_inner().payment.unwrap();
        assert_eq!(second.status(), PaymentStatus::Succeeded, "the retry with the same key succeeds");
        let other_key = payments(&mesh).await.charge(bearer(charge("k-flaky-2", FLAKY_CARD, 1999), &service)).await.unwrap_err();
        assert_eq!(other_key.code(), Code::Unavailable, "a new key starts over");
    }

    async fn cards_are_checked_and_fields_named(mesh) {
        let service = mesh.service_token().await;
        let mut bad = charge("k-bad", "4242424242424241", 1999);
        bad.card.as_mut().unwrap().exp_year = 2020;
        bad.card.as_mut().unwrap().cvc = "12".into();
        let status = payments(&mesh).await.charge(bearer(bad, &service)).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        let fields: Vec<_> = shop_runtime::grpc::status::field_violations(&status).into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["card.number", "card.exp_year", "card.cvc"]);
        let zero = payments(&mesh).await.charge(bearer(charge("k-zero", GOOD_CARD, 0), &service)).await.unwrap_err();
        assert_eq!(shop_runtime::grpc::status::field_violations(&zero)[0].field, "amount.amount_minor");
    }

    async fn one_key_charges_once_under_concurrent_retries(mesh) {
        let service = mesh.service_token().await;
        let attempts = (0..20).map(|_| {
            let request = bearer(charge("k-busy", GOOD_CARD, 4_500), &service);
            let mesh = &mesh;
            async move { mesh.payments().await.charge(request).await }
        });
        let ids: Vec<String> = join_all(attempts).await.into_iter().map(|r| r.unwrap().into_inner().payment.unwrap().id).collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "every retry got the one payment");
        let listed = payments(&mesh).await.list_payments(bearer(pb::ListPaymentsRequest { order_id: "order-of-k-busy".into() }, &service)).await.unwrap().into_inner().payments;
        assert_eq!(listed.len(), 1);

        let reused = payments(&mesh).await.charge(bearer(charge("k-busy", GOOD_CARD, 9_999), &service)).await.unwrap_err();
        assert_eq!(reused.code(), Code::InvalidArgument);
        assert_eq!(shop_runtime::grpc::status::field_violations(&reused)[0].field, "idempotency_key");
    }

    async fn a_charge_runs_to_its_end_when_its_caller_gives_up(mesh) {
        let service = mesh.service_token().await;
        // The charge waits on the database past its caller's deadline, and
        // the server drops the request. Half done, it would leave the charge
        // claimed with nobody to finish it.
        let lock = mesh.lock_payments_for_writes().await;
        let mut request = bearer(charge("k-gave-up", GOOD_CARD, 1999), &service);
        request.set_timeout(Duration::from_millis(300));
        let gave_up = payments(&mesh).await.charge(request).await.unwrap_err();
        // (tonic's own client reports its timeout as CANCELLED.)
        assert!(matches!(gave_up.code(), Code::DeadlineExceeded | Code::Cancelled), "{gave_up:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        lock.release().await;

        let list = || async {
            let request = bearer(pb::ListPaymentsRequest { order_id: "order-of-k-gave-up".into() }, &service);
            payments(&mesh).await.list_payments(request).await.unwrap().into_inner().payments
        };
        let recorded = eventually(Duration::from_secs(5), || async {
            list().await.iter().any(|p| p.status() == PaymentStatus::Succeeded)
        }).await;
        assert!(recorded, "the charge went on to the end: {:?}", list().await);
        let retry = payments(&mesh).await.charge(bearer(charge("k-gave-up", GOOD_CARD, 1999), &service)).await.unwrap().into_inner().payment.unwrap();
        let listed = list().await;
        assert_eq!((listed.len(), retry.id.as_str(), retry.status()), (1, listed[0].id.as_str(), PaymentStatus::Succeeded), "the retry finds it");
    }

    async fn refunds_are_full_idempotent_and_only_for_succeeded_charges(mesh) {
        let service = mesh.service_token().await;
        let paid = payments(&mesh).await.charge(bearer(charge("k-refund", GOOD_CARD, 2_000), &service)).await.unwrap().into_inner().payment.unwrap();
        for _ in 0..2 {
            let refunded = payments(&mesh).await.refund(bearer(pb::RefundRequest { payment_id: paid.id.clone(), reason: "changed mind".into() }, &service)).await.unwrap().into_inner().payment.unwrap();
            assert_eq!(refunded.status(), PaymentStatus::Refunded);
        }
        let declined = payments(&mesh).await.charge(bearer(charge("k-no-refund", DECLINED_CARD, 2_000), &service)).await.unwrap().into_inner().payment.unwrap();
        let refused = payments(&mesh).await.refund(bearer(pb::RefundRequest { payment_id: declined.id, reason: String::new() }, &service)).await.unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition);
        let missing = payments(&mesh).await.refund(bearer(pb::RefundRequest { payment_id: "nope".into(), reason: String::new() }, &service)).await.unwrap_err();
        assert_eq!(missing.code(), Code::NotFound);
    }

    async fn only_services_and_admins_charge_and_customers_see_only_their_own(mesh) {
        let customer = mesh.customer("ada@example.com").await;
        let admin = mesh.admin().await;
        let service = mesh.service_token().await;
        let status = payments(&mesh).await.charge(bearer(charge("k-self", GOOD_CARD, 100), &customer.token)).await.unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(payments(&mesh).await.charge(charge("k-anon", GOOD_CARD, 100)).await.unwrap_err().code(), Code::Unauthenticated);
        let by_admin = payments(&mesh).await.charge(bearer(charge("k-admin", GOOD_CARD, 100), &admin.token)).await.unwrap().into_inner().payment.unwrap();
        let refund = payments(&mesh).await.refund(bearer(pb::RefundRequest { payment_id: by_admin.id.clone(), reason: String::new() }, &customer.token)).await.unwrap_err();
        assert_eq!(refund.code(), Code::PermissionDenied);

        let mut own = charge("k-own", GOOD_CARD, 100);
        own.user_id = customer.id.clone();
        let own = payments(&mesh).await.charge(bearer(own, &service)).await.unwrap().into_inner().payment.unwrap();
        assert!(payments(&mesh).await.get_payment(bearer(pb::GetPaymentRequest { payment_id: own.id }, &customer.token)).await.is_ok());
        let others = payments(&mesh).await.get_payment(bearer(pb::GetPaymentRequest { payment_id: by_admin.id }, &customer.token)).await.unwrap_err();
        assert_eq!(others.code(), Code::NotFound, "someone else's payment does not exist for this caller");
    }

    async fn only_brand_and_last_four_digits_are_stored(mesh) {
        let service = mesh.service_token().await;
        let paid = payments(&mesh).await.charge(bearer(charge("k-stored", GOOD_CARD, 100), &service)).await.unwrap().into_inner().payment.unwrap();
        let db = shop_runtime::db::Db::connect(&shop_runtime::config::DatabaseConfig::new(mesh.payments_database_url())).await.unwrap();
        let row = shop_payments::testing::stored_payment(&db, &paid.id).await.unwrap().unwrap();
        let stored = format!("{row:?}");
        assert!(!stored.contains(GOOD_CARD) && !stored.contains("123\""), "{stored}");
        assert_eq!((row.card_brand.as_str(), row.card_last4.as_str()), ("visa", "4242"));
    }
}
