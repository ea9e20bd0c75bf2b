//! What must hold once the faults have stopped and one lease period plus
//! the recovery interval has passed: read over the services' own APIs
//! (orders, payments, stock) and, for the stock ledger and reservations,
//! their databases.

use std::collections::{BTreeMap, HashMap, HashSet};

use diesel::{
    QueryableByName,
    sql_types::{Integer, Text},
};
use diesel_async::RunQueryDsl;
use shop_proto::{
    orders::v1::{self as orders_pb, OrderStatus, order_service_client::OrderServiceClient},
    payments::v1::{self as payments_pb, PaymentStatus, payment_service_client::PaymentServiceClient},
    products::v1::{self as products_pb, product_service_client::ProductServiceClient},
};
use shop_runtime::{config::DatabaseConfig, db::Db};
use tonic::transport::Channel;

use crate::{
    mesh::Mesh,
    workload::{Catalog, Record},
};

/// What the check found.
#[derive(Debug, Default)]
pub struct Report {
    /// Orders by final status.
    pub orders_by_status: BTreeMap<String, usize>,
    /// Everything that does not hold, one line each.
    pub violations: Vec<String>,
}

fn bearer<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

async fn channel(mesh: &Mesh, component: &str) -> Channel {
    Channel::from_shared(mesh.grpc_url(component)).unwrap().connect().await.unwrap()
}

#[derive(QueryableByName)]
struct LedgerRow {
    #[diesel(sql_type = Text)]
    product_id: String,
    #[diesel(sql_type = Integer)]
    delta: i32,
    #[diesel(sql_type = Text)]
    reason: String,
}

#[derive(QueryableByName)]
struct HoldRow {
    #[diesel(sql_type = Text)]
    order_id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    product_id: String,
    #[diesel(sql_type = Integer)]
    quantity: i32,
}

/// Every order the mesh knows, over orders' ListOrders as the admin.
async fn all_orders(mesh: &Mesh, admin: &str) -> Vec<orders_pb::Order> {
    let mut client = OrderServiceClient::new(channel(mesh, "orders").await);
    let (mut orders, mut page_token) = (Vec::new(), String::new());
    loop {
        let request = orders_pb::ListOrdersRequest { page_size: 100, page_token, ..Default::default() };
        let page = client.list_orders(bearer(request, admin)).await.unwrap().into_inner();
        orders.extend(page.orders);
        if page.next_page_token.is_empty() {
            return orders;
        }
        page_token = page.next_page_token;
    }
}

/// Checks every invariant.
pub async fn check(mesh: &Mesh, catalog: &Catalog, record: &Record, admin: &str) -> Report {
    let mut report = Report::default();
    let orders = all_orders(mesh, admin).await;
    let mut violation = |line: String| report.violations.push(line);

    // Every order final; no key made two orders; none from a key never sent.
    let sent: HashSet<(&str, &str)> = record.checkouts.iter().map(|(u, k)| (u.as_str(), k.as_str())).collect();
    let mut by_key = HashMap::new();
    for order in &orders {
        if order.status() == OrderStatus::Pending {
            violation(format!("order {} is still PENDING", order.id));
        }
        if let Some(other) = by_key.insert((order.user_id.as_str(), order.idempotency_key.as_str()), &order.id) {
            violation(format!("key {} made two orders: {other} and {}", order.idempotency_key, order.id));
        }
        if !sent.contains(&(order.user_id.as_str(), order.idempotency_key.as_str())) {
            violation(format!("order {} has a key no client sent", order.id));
        }
    }
    let paid = |order: &orders_pb::Order| {
        matches!(order.status(), OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered)
    };

    // Payments: a paid order has one succeeded, unrefunded charge of its
    // total; no other order has a net charge; no order has two charges.
    let mut payments = PaymentServiceClient::new(channel(mesh, "payments").await);
    for order in &orders {
        let request = payments_pb::ListPaymentsRequest { order_id: order.id.clone() };
        let listed = payments.list_payments(bearer(request, admin)).await.unwrap().into_inner().payments;
        let succeeded: Vec<_> = listed.iter().filter(|p| p.status() == PaymentStatus::Succeeded).collect();
        let charged =
            listed.iter().filter(|p| matches!(p.status(), PaymentStatus::Succeeded | PaymentStatus::Refunded));
        if charged.count() > 1 {
            violation(format!("order {} was charged more than once", order.id));
        }
        let total = order.total.as_ref().map_or(0, |m| m.amount_minor);
        match (paid(order), succeeded.as_slice()) {
            (true, [one]) if one.amount.as_ref().map(|m| m.amount_minor) == Some(total) => {}
            (true, found) => {
                violation(format!("paid order {} has {} succeeded charges, not one of {total}", order.id, found.len()))
            }
            (false, []) => {}
            (false, _) => violation(format!("{:?} order {} has a net charge", order.status(), order.id)),
        }
    }

    // Reservations: a paid order's committed, every other order's released,
    // expired or never made.
    let products_db = Db::connect(&DatabaseConfig::new(mesh.database_urls["products"].clone())).await.unwrap();
    let mut conn = products_db.conn().await.unwrap();
    let holds_query = "SELECT r.order_id, r.status, i.product_id, i.quantity FROM reservations r \
                       JOIN reservation_items i ON i.order_id = r.order_id";
    let holds: Vec<HoldRow> =
        shop_runtime::db_run!(&mut conn, |c| diesel::sql_query(holds_query).load(c).await).unwrap();
    let hold_status: HashMap<&str, &str> = holds.iter().map(|h| (h.order_id.as_str(), h.status.as_str())).collect();
    for order in &orders {
        let status = hold_status.get(order.id.as_str()).copied();
        let fine = if paid(order) {
            status == Some("committed")
        } else {
            matches!(status, None | Some("released" | "expired"))
        };
        if !fine {
            violation(format!("{:?} order {} has its reservation {status:?}", order.status(), order.id));
        }
    }

    // Stock, per product: the ledger adds up to what is on hand, which is
    // the start plus the adjustments minus what paid orders took; reserved
    // is what active holds hold, within what is on hand.
    let ledger_query = "SELECT product_id, delta, reason FROM stock_ledger";
    let ledger: Vec<LedgerRow> =
        shop_runtime::db_run!(&mut conn, |c| diesel::sql_query(ledger_query).load(c).await).unwrap();
    let sent_adjustments: HashMap<&str, _> = record.adjustments.iter().map(|a| (a.reason.as_str(), a)).collect();
    let mut landed: HashMap<&str, usize> = HashMap::new();
    for row in &ledger {
        if let Some(adjustment) = sent_adjustments.get(row.reason.as_str()) {
            *landed.entry(adjustment.reason.as_str()).or_default() += 1;
            if adjustment.product_id != row.product_id || adjustment.delta != i64::from(row.delta) {
                violation(format!("adjustment `{}` landed as {} on {}", row.reason, row.delta, row.product_id));
            }
        }
    }
    for adjustment in &record.adjustments {
        let times = landed.get(adjustment.reason.as_str()).copied().unwrap_or(0);
        let fine = match adjustment.answer {
            Some(200) => times == 1,
            Some(status) if status < 500 => times == 0,
            _ => times <= 1,
        };
        if !fine {
            violation(format!(
                "adjustment `{}` (answered {:?}) is in the ledger {times} times",
                adjustment.reason, adjustment.answer
            ));
        }
    }
    let mut products = ProductServiceClient::new(channel(mesh, "products").await);
    for (id, initial) in &catalog.products {
        let product = products.get_product(products_pb::GetProductRequest { product_id: id.clone() }).await.unwrap();
        let product = product.into_inner().product.unwrap();
        let (on_hand, reserved) = (i64::from(product.stock_on_hand), i64::from(product.stock_reserved));
        let ledger_sum: i64 = ledger.iter().filter(|r| &r.product_id == id).map(|r| i64::from(r.delta)).sum();
        let adjusted: i64 = ledger
            .iter()
            .filter(|r| &r.product_id == id && sent_adjustments.contains_key(r.reason.as_str()))
            .map(|r| i64::from(r.delta))
            .sum();
        let sold: i64 = orders
            .iter()
            .filter(|o| paid(o))
            .flat_map(|o| &o.lines)
            .filter(|l| &l.product_id == id)
            .map(|l| i64::from(l.quantity))
            .sum();
        let held: i64 =
            holds.iter().filter(|h| &h.product_id == id && h.status == "active").map(|h| i64::from(h.quantity)).sum();
        if on_hand != initial + adjusted - sold {
            violation(format!("{id}: on hand {on_hand} != {initial} + {adjusted} adjusted - {sold} sold"));
        }
        if on_hand != ledger_sum {
            violation(format!("{id}: on hand {on_hand} != ledger sum {ledger_sum}"));
        }
        if reserved != held || reserved < 0 || reserved > on_hand {
            violation(format!("{id}: reserved {reserved}, active holds {held}, on hand {on_hand}"));
        }
    }

    // Mails: each order's confirmation, exactly once, faults or not (the
    // notifications service catches up once the faults are over).
    let confirmation = |order: &orders_pb::Order| format!("We have your order {}", order.id);
    let count = |mails: &[integration_tests::Mail], order: &orders_pb::Order| {
        mails.iter().filter(|m| m.subject == confirmation(order)).count()
    };
    let mails = integration_tests::wait_for_mails(&mesh.mail_dir(), std::time::Duration::from_secs(60), |mails| {
        orders.iter().all(|order| count(mails, order) >= 1)
    })
    .await;
    for order in &orders {
        let sent = count(&mails, order);
        if sent != 1 {
            violation(format!("order {}: its confirmation was mailed {sent} times", order.id));
        }
    }

    for order in &orders {
        *report.orders_by_status.entry(format!("{:?}", order.status())).or_default() += 1;
    }
    report
}
