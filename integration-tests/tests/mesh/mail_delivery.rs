//! Mail over SMTP (a test SMTP server): a refused mail is retried with
//! backoff until it goes through; one refused every time goes to the dead
//! letters after its last attempt; the metrics count all of it.

use std::time::Duration;

use integration_tests::{Backend, FakeSmtp, MeshOptions, TestMesh, bearer};
use shop_notifications::config::MailConfig;
use shop_proto::notifications::v1::{DeliveryStatus, ListNotificationsRequest, Notification};
use shop_runtime::{Secret, metrics::sample};

const ATTEMPTS: u32 = 3;

async fn welcome_of(mesh: &TestMesh, token: &str, status: DeliveryStatus) -> Notification {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let request = bearer(ListNotificationsRequest::default(), token);
        let listed = mesh.notifications().await.list_notifications(request).await.unwrap().into_inner();
        if let Some(found) = listed.notifications.into_iter().find(|n| n.status() == status) {
            return found;
        }
        assert!(std::time::Instant::now() < deadline, "a welcome {status:?} in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn smtp_failures_are_retried_and_the_hopeless_dead_lettered(backend: Backend) {
    let smtp = FakeSmtp::start().await;
    let mail = MailConfig {
        smtp_url: Some(Secret::new(smtp.url())),
        max_attempts: ATTEMPTS,
        retry_ms: 50,
        ..MailConfig::to_directory(std::env::temp_dir())
    };
    let mesh = TestMesh::start_with(backend, MeshOptions { mail: Some(mail), ..MeshOptions::default() }).await;

    // Refused twice, then taken: sent on the third attempt.
    smtp.refuse(2);
    let ada = mesh.customer("ada@example.com").await;
    let sent = welcome_of(&mesh, &ada.token, DeliveryStatus::Sent).await;
    assert_eq!(sent.attempts, 3, "{sent:?}");
    let received = smtp.received();
    assert_eq!(received.len(), 1, "sent once");
    assert!(received[0].contains(&format!("Message-ID: <{}>", sent.message_id)), "{}", received[0]);
    assert!(received[0].contains("To: ada@example.com"), "{}", received[0]);

    // Refused every time: given up after the last attempt, kept as a dead letter.
    smtp.refuse(usize::MAX);
    let bob = mesh.customer("bob@example.com").await;
    let dead = welcome_of(&mesh, &bob.token, DeliveryStatus::DeadLettered).await;
    assert_eq!(dead.attempts, ATTEMPTS as i32, "{dead:?}");
    assert_eq!(smtp.received().len(), 1, "nothing more was taken");
    assert_eq!(smtp.attempts(), 3 + ATTEMPTS as usize, "every attempt reached the server");

    let metrics = mesh.notifications_metrics().await;
    let welcome = [("kind", "welcome")];
    assert_eq!(sample(&metrics, "notifications_mails_sent_total", &welcome), 1.0, "{metrics}");
    assert_eq!(sample(&metrics, "notifications_mail_failures_total", &welcome), 2.0 + f64::from(ATTEMPTS));
    assert_eq!(sample(&metrics, "notifications_dead_letters_total", &welcome), 1.0);
    let users = [("producer", "users")];
    assert_eq!(sample(&metrics, "notifications_events_consumed_total", &users), 2.0);
    assert!(metrics.contains("notifications_consumer_lag_seconds{producer=\"users\"}"), "{metrics}");
    let lag = sample(&metrics, "notifications_consumer_lag_seconds", &users);
    assert!((0.0..10.0).contains(&lag), "lag behind users: {lag} s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_failures_are_retried_and_the_hopeless_dead_lettered_sqlite() {
    smtp_failures_are_retried_and_the_hopeless_dead_lettered(Backend::Sqlite).await;
}

#[cfg(postgres_tests)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_failures_are_retried_and_the_hopeless_dead_lettered_postgres() {
    smtp_failures_are_retried_and_the_hopeless_dead_lettered(Backend::Postgres).await;
}
