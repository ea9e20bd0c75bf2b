//! Live order status: WatchOrder over gRPC, and the GraphQL subscription over
//! a real websocket (graphql-transport-ws), from PENDING to PAID to SHIPPED.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use integration_tests::{Account, FLAKY_CARD, GOOD_CARD, TestMesh, bearer, mesh_tests};
use serde_json::{Value, json};
use shop_proto::orders::v1::{ListOrdersRequest, OrderStatus, UpdateOrderStatusRequest, WatchOrderRequest};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

async fn shopper(mesh: &TestMesh) -> Account {
    let admin = mesh.admin().await;
    let product = mesh.product(&admin, "LIVE", 10_000, 5).await;
    let ada = mesh.customer("ada@example.com").await;
    mesh.fill_cart(&ada, &[(&product, 1)]).await;
    ada
}

async fn ship(mesh: &TestMesh, order_id: &str, status: OrderStatus) {
    let admin = mesh.admin().await;
    let request = UpdateOrderStatusRequest { order_id: order_id.into(), status: status.into(), reason: String::new() };
    mesh.orders().await.update_order_status(bearer(request, &admin.token)).await.unwrap();
}

async fn connect(mesh: &TestMesh, token: &str) -> Socket {
    let mut request = format!("ws://{}/graphql/ws", mesh.edge_addr).into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, response) = connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "graphql-transport-ws");
    send(&mut socket, json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}}))
        .await;
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
}

/// The next JSON message, skipping pings.
async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), socket.next()).await.expect("a message in time");
        match message.expect("the socket is open").unwrap() {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).unwrap();
                if value["type"] != "ping" {
                    return value;
                }
            }
            Message::Close(frame) => return json!({"type": "closed", "frame": format!("{frame:?}")}),
            _ => {}
        }
    }
}

mesh_tests! {
    async fn watch_order_streams_the_current_state_then_each_change_then_ends(mesh) {
        let ada = shopper(&mesh).await;
        let order = mesh.place_order(&ada, "watched", GOOD_CARD).await.unwrap();
        let mut stream = mesh.orders().await.watch_order(bearer(WatchOrderRequest { order_id: order.id.clone() }, &ada.token)).await.unwrap().into_inner();
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.status(), OrderStatus::Paid, "the current state first");
        assert_eq!(first.event.unwrap().to_status(), OrderStatus::Paid);

        ship(&mesh, &order.id, OrderStatus::Shipped).await;
        let shipped = stream.next().await.unwrap().unwrap();
        assert_eq!((shipped.status(), shipped.event.unwrap().from_status()), (OrderStatus::Shipped, OrderStatus::Paid));
        ship(&mesh, &order.id, OrderStatus::Delivered).await;
        assert_eq!(stream.next().await.unwrap().unwrap().status(), OrderStatus::Delivered);
        let end = tokio::time::timeout(Duration::from_secs(10), stream.next()).await.expect("the stream ends by itself");
        assert!(end.is_none(), "DELIVERED is terminal: {end:?}");

        let bob = mesh.customer("bob@example.com").await;
        let other = mesh.orders().await.watch_order(bearer(WatchOrderRequest { order_id: order.id.clone() }, &bob.token)).await.unwrap_err();
        assert_eq!(other.code(), tonic::Code::NotFound);
    }

    async fn the_subscription_sees_pending_then_paid_then_shipped_over_a_websocket(mesh) {
        let ada = shopper(&mesh).await;
        // The flaky card's first attempt fails: the order stays PENDING until the retry.
        mesh.place_order(&ada, "live", FLAKY_CARD).await.unwrap_err();
        let pending = mesh.orders().await.list_orders(bearer(ListOrdersRequest::default(), &ada.token)).await.unwrap().into_inner().orders.remove(0);
        assert_eq!(pending.status(), OrderStatus::Pending);

        let mut socket = connect(&mesh, &ada.token).await;
        assert_eq!(next(&mut socket).await["type"], "connection_ack");
        let query = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { orderId status event { fromStatus toStatus reason } } }";
        send(&mut socket, json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"id": pending.id}}})).await;
        let first = next(&mut socket).await;
        assert_eq!(first["type"], "next", "{first}");
        assert_eq!(first["payload"]["data"]["orderStatusChanged"]["status"], "PENDING");

        let paid = mesh.place_order(&ada, "live", FLAKY_CARD).await.unwrap();
        assert_eq!(paid.status(), OrderStatus::Paid);
        let change = next(&mut socket).await;
        assert_eq!(change["payload"]["data"]["orderStatusChanged"]["event"], json!({"fromStatus": "PENDING", "toStatus": "PAID", "reason": "payment succeeded; stock committed"}));

        ship(&mesh, &pending.id, OrderStatus::Shipped).await;
        let shipped = next(&mut socket).await;
        assert_eq!(shipped["payload"]["data"]["orderStatusChanged"]["status"], "SHIPPED");
        ship(&mesh, &pending.id, OrderStatus::Delivered).await;
        assert_eq!(next(&mut socket).await["payload"]["data"]["orderStatusChanged"]["status"], "DELIVERED");
        assert_eq!(next(&mut socket).await, json!({"id": "1", "type": "complete"}), "a terminal status completes the subscription");
    }

    async fn a_websocket_with_a_bad_token_is_refused(mesh) {
        let mut socket = connect(&mesh, "not-a-token").await;
        let answer = next(&mut socket).await;
        assert_ne!(answer["type"], "connection_ack", "{answer}");
    }
}
