//! A real grpcurl against the running mesh, through reflection only: no
//! .proto file is given to it.

use std::process::Command;

use serde_json::Value;

use crate::{
    mesh::Launched,
    tools::{repo, run, tool},
};

fn grpcurl(args: &[&str]) -> String {
    let output = run(Command::new(tool("grpcurl")).arg("-plaintext").args(args));
    String::from_utf8(output.stdout).unwrap()
}

fn call(addr: &str, method: &str, body: &Value) -> Value {
    serde_json::from_str(&grpcurl(&["-d", &body.to_string(), addr, method])).unwrap()
}

/// The RPC names a .proto file declares for its service.
fn rpcs_in(proto: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("proto").join(proto)).unwrap();
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("rpc "))
        .map(|rest| rest.split('(').next().unwrap().trim().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn grpcurl_lists_describes_checks_and_calls_every_service() {
    let mesh = Launched::start().await;
    let services = [
        ("shop.users.v1.UserService", mesh.ports.users, "shop/users/v1/users.proto"),
        ("shop.products.v1.ProductService", mesh.ports.products, "shop/products/v1/products.proto"),
        ("shop.cart.v1.CartService", mesh.ports.cart, "shop/cart/v1/cart.proto"),
        ("shop.orders.v1.OrderService", mesh.ports.orders, "shop/orders/v1/orders.proto"),
        ("shop.payments.v1.PaymentService", mesh.ports.payments, "shop/payments/v1/payments.proto"),
        ("shop.events.v1.EventFeedService", mesh.ports.users, "shop/events/v1/events.proto"),
        (
            "shop.notifications.v1.NotificationService",
            mesh.ports.notifications,
            "shop/notifications/v1/notifications.proto",
        ),
    ];
    for (service, port, proto) in services {
        let addr = Launched::addr(port);
        let listed = grpcurl(&[&addr, "list"]);
        let listed: Vec<&str> = listed.lines().collect();
        for expected in [service, "grpc.health.v1.Health"] {
            assert!(listed.contains(&expected), "{addr} lists {expected}: {listed:?}");
        }
        assert!(listed.iter().any(|s| s.starts_with("grpc.reflection.")), "{addr} lists reflection: {listed:?}");
        let described = grpcurl(&[&addr, "describe", service]);
        let rpcs = rpcs_in(proto);
        assert!(!rpcs.is_empty());
        for rpc in &rpcs {
            assert!(described.contains(&format!("rpc {rpc} (")), "{service} describes {rpc}:\n{described}");
        }
        let health = call(&addr, "grpc.health.v1.Health/Check", &serde_json::json!({}));
        assert_eq!(health["status"], "SERVING", "{addr}");
        let named = call(&addr, "grpc.health.v1.Health/Check", &serde_json::json!({"service": service}));
        assert_eq!(named["status"], "SERVING", "{service}");
        println!("grpcurl: {service} at {addr}: listed, {} RPCs described, SERVING", rpcs.len());
    }

    let users = Launched::addr(mesh.ports.users);
    let account = serde_json::json!({"email": "grace@example.com", "password": "hopper1906", "name": "Grace"});
    let registered = call(&users, "shop.users.v1.UserService/Register", &account);
    assert_eq!(registered["user"]["email"], "grace@example.com", "{registered}");
    let login = serde_json::json!({"email": "grace@example.com", "password": "hopper1906"});
    let session = call(&users, "shop.users.v1.UserService/Login", &login);
    let token = session["accessToken"].as_str().expect("an access token");
    let me = grpcurl(&["-H", &format!("authorization: Bearer {token}"), &users, "shop.users.v1.UserService/GetMe"]);
    assert!(me.contains("grace@example.com"), "{me}");

    // Grace's welcome, as she sees it through grpcurl once it is recorded.
    let notifications = Launched::addr(mesh.ports.notifications);
    let auth = format!("authorization: Bearer {token}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let listed = loop {
        let listed =
            grpcurl(&["-H", &auth, &notifications, "shop.notifications.v1.NotificationService/ListNotifications"]);
        if listed.contains("NOTIFICATION_KIND_WELCOME") || std::time::Instant::now() > deadline {
            break listed;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(listed.contains("NOTIFICATION_KIND_WELCOME") && listed.contains("grace@example.com"), "{listed}");

    let products = Launched::addr(mesh.ports.products);
    let query = serde_json::json!({"category": "GPUs", "sort": "PRODUCT_SORT_PRICE_ASC", "page_size": 2});
    let listed = call(&products, "shop.products.v1.ProductService/ListProducts", &query);
    let page = listed["products"].as_array().expect("products");
    assert_eq!(page.len(), 2, "{listed}");
    let price = |p: &Value| p["price"]["amountMinor"].as_str().and_then(|s| s.parse::<i64>().ok()).unwrap();
    assert!(page.iter().all(|p| p["category"] == "GPUs"), "{listed}");
    assert!(price(&page[0]) <= price(&page[1]), "cheapest first: {listed}");
}
