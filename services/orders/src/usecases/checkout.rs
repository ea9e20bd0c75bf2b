//! Placing an order: the same (user, key) always means the same order. A new
//! key prices the cart from the catalog, writes the order PENDING and drives
//! the saga; a known key joins the order it names: returning it when done,
//! resuming it with this call's card when its checkout stopped, waiting for
//! it when another call is driving it.

use std::time::{Duration, Instant};

use shop_proto::{cart::v1::GetCartRequest, products::v1::BatchGetProductsRequest};
use shop_runtime::{db::DbError, failure::Failure, grpc::deadline, outbox, time};

use crate::{
    AppState, changes,
    convert::{self, Details},
    domain::{
        checkout::Checkout,
        status::{OrderStatus, Step},
    },
    error::Error,
    store::{self, AddressRow, LineRow, OrderRow},
    usecases::saga::{Driven, Saga, new_event},
};

/// How long a repeat waits for the checkout another call is driving, at most.
const WAIT_FOR_CHECKOUT: Duration = Duration::from_secs(10);
/// Between looks at an order someone else is driving, when nothing wakes us sooner.
const LOOK_AGAIN: Duration = Duration::from_millis(500);

/// What a checkout call answers with.
#[derive(Debug)]
pub struct Placement {
    /// The order.
    pub order: OrderRow,
    /// Its address, lines and events, when this call wrote all of them and
    /// so need not read them back.
    pub details: Option<Details>,
    /// Whether the key had been used before.
    pub replayed: bool,
}

impl Placement {
    fn joined(order: OrderRow, replayed: bool) -> Self {
        Self { order, details: None, replayed }
    }
}

/// The order for `checkout`.
pub async fn place(state: &AppState, user_id: &str, checkout: Checkout) -> Result<Placement, Error> {
    let known = store::find_by_key(&mut state.db.conn().await?, user_id, &checkout.idempotency_key).await?;
    if let Some(order) = known {
        return Ok(Placement::joined(join(state, order, &checkout).await?, true));
    }
    let (lines, currency) = price_cart(state, user_id).await?;
    let saga = Saga::new(state);
    let order = new_order(user_id, &checkout, &lines, currency, &saga)?;
    let lines: Vec<LineRow> = lines.into_iter().map(|line| LineRow { order_id: order.id.clone(), ..line }).collect();
    let address = address_row(&order.id, &checkout.address);
    let placed = new_event(&order.id, None, OrderStatus::Pending, "order placed");
    let inserted = state
        .db
        .transaction(async |tx| {
            store::insert_order(tx, &order, &address, &lines).await?;
            store::insert_event(tx, &placed).await?;
            outbox::append(tx, &convert::placed(&order, &lines)).await?;
            Ok::<_, DbError>(())
        })
        .await;
    match inserted {
        Ok(()) => state.status_changes.inc(OrderStatus::Pending.as_str()),
        // A concurrent call with the same key won: join its order.
        Err(e) if e.is_unique_violation() => {
            let mut conn = state.db.conn().await?;
            let order =
                store::find_by_key(&mut conn, user_id, &checkout.idempotency_key).await?.ok_or(Error::NotFound)?;
            // Never wait while holding a pooled connection.
            drop(conn);
            return Ok(Placement::joined(join(state, order, &checkout).await?, true));
        }
        Err(e) => return Err(e.into()),
    }
    state.events.notify(&order.id);
    tracing::info!(order_id = %order.id, total_minor = order.total_minor, "order placed");
    let id = order.id.clone();
    match saga.with_lines(lines.clone()).drive_detached(order, Some(checkout.card.clone())).await {
        // Another driver took over (this one stalled past its lease): wait for it.
        Err(Error::LeaseLost) => {
            let order = store::find(&mut state.db.conn().await?, &id).await?.ok_or(Error::NotFound)?;
            Ok(Placement::joined(join(state, order, &checkout).await?, false))
        }
        Err(error) => Err(error),
        Ok(Driven { order, written: None }) => Ok(Placement::joined(order, false)),
        Ok(Driven { order, written: Some(written) }) => {
            let details = Details::of_one(address, lines, std::iter::once(placed).chain(written).collect());
            Ok(Placement { order, details: Some(details), replayed: false })
        }
    }
}

/// Joins an order placed earlier with the same key.
async fn join(state: &AppState, mut order: OrderRow, checkout: &Checkout) -> Result<OrderRow, Error> {
    let budget = deadline::remaining().unwrap_or(WAIT_FOR_CHECKOUT).min(WAIT_FOR_CHECKOUT);
    let give_up = Instant::now() + budget.saturating_sub(Duration::from_millis(200));
    // Woken by the driver's every step, so waiting costs the database nothing.
    let mut changes = state.events.subscribe();
    loop {
        if order.step == Step::Done.as_str() {
            return Ok(order);
        }
        // Only try to take the lease when it looks free: waiting is reads only,
        // so many waiters never crowd out the call doing the work.
        let now = time::now();
        if order.lease_owner.is_none() || order.lease_until.is_none_or(|until| until < now) {
            let saga = Saga::new(state);
            let until = saga.lease_until();
            // Through the pool, not a connection taken from it: nothing held while waiting for the writer.
            if state.db.write(async |w| store::claim(w, &order.id, &saga.owner, true, now, until).await).await? {
                let claimed = store::find(&mut state.db.conn().await?, &order.id).await?.ok_or(Error::NotFound)?;
                tracing::info!(order_id = %claimed.id, step = %claimed.step, "resuming checkout with the client's retry");
                match saga.drive_detached(claimed, Some(checkout.card.clone())).await {
                    // Another driver took over (this one stalled past its lease): keep waiting.
                    Err(Error::LeaseLost) => {}
                    driven => return driven.map(|driven| driven.order),
                }
                order = store::find(&mut state.db.conn().await?, &order.id).await?.ok_or(Error::NotFound)?;
                continue;
            }
        }
        // Another call is driving it: wait for it to settle, within our deadline.
        if Instant::now() >= give_up || order.status != OrderStatus::Pending.as_str() {
            return Ok(order);
        }
        let wait = LOOK_AGAIN.min(give_up.saturating_duration_since(Instant::now()));
        let _ = tokio::time::timeout(wait, changes::changed(&mut changes, &order.id)).await;
        order = store::find(&mut state.db.conn().await?, &order.id).await?.ok_or(Error::NotFound)?;
    }
}

/// The cart's lines at the catalog's prices now (never the client's), and
/// their currency.
async fn price_cart(state: &AppState, user_id: &str) -> Result<(Vec<LineRow>, String), Error> {
    let downstreams = &state.downstreams;
    let cart = downstreams
        .cart
        .clone()
        .get_cart(GetCartRequest { user_id: user_id.to_owned() })
        .await
        .map_err(Failure::downstream("cart"))?
        .into_inner()
        .cart
        .unwrap_or_default();
    if cart.lines.is_empty() {
        return Err(Error::EmptyCart);
    }
    let ids = cart.lines.iter().map(|l| l.product_id.clone()).collect();
    let products = downstreams
        .products
        .clone()
        .batch_get_products(BatchGetProductsRequest { product_ids: ids })
        .await
        .map_err(Failure::downstream("products"))?
        .into_inner()
        .products;
    cart.lines
        .iter()
        .map(|line| {
            let product = products
                .iter()
                .find(|p| p.id == line.product_id)
                .ok_or_else(|| Error::Unpriceable(line.product_id.clone()))?;
            let unit_price = product.price.as_ref().map_or(0, |p| p.amount_minor);
            let subtotal = unit_price
                .checked_mul(i64::from(line.quantity))
                .ok_or_else(|| Failure::internal("order total overflows"))?;
            Ok(LineRow {
                order_id: String::new(),
                product_id: product.id.clone(),
                sku: product.sku.clone(),
                name: product.name.clone(),
                unit_price_minor: unit_price,
                quantity: line.quantity,
                subtotal_minor: subtotal,
            })
        })
        .collect::<Result<Vec<_>, Error>>()
        .and_then(|lines| {
            let currency =
                products.first().and_then(|p| p.price.as_ref()).map(|p| p.currency.clone()).unwrap_or_default();
            if products.iter().any(|p| p.price.as_ref().is_some_and(|m| m.currency != currency)) {
                return Err(Failure::internal("the cart mixes currencies").into());
            }
            Ok((lines, currency))
        })
}

fn address_row(order_id: &str, address: &crate::domain::checkout::Address) -> AddressRow {
    AddressRow {
        order_id: order_id.to_owned(),
        name: address.name.clone(),
        line1: address.line1.clone(),
        line2: address.line2.clone(),
        city: address.city.clone(),
        postal_code: address.postal_code.clone(),
        country: address.country.clone(),
    }
}

fn new_order(
    user_id: &str,
    checkout: &Checkout,
    lines: &[LineRow],
    currency: String,
    saga: &Saga,
) -> Result<OrderRow, Error> {
    let total = lines.iter().try_fold(0_i64, |sum, line| sum.checked_add(line.subtotal_minor));
    let now = time::now();
    Ok(OrderRow {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: user_id.to_owned(),
        idempotency_key: checkout.idempotency_key.clone(),
        status: OrderStatus::Pending.as_str().to_owned(),
        status_reason: String::new(),
        step: Step::Reserving.as_str().to_owned(),
        total_minor: total.ok_or_else(|| Failure::internal("order total overflows"))?,
        currency,
        payment_id: None,
        lease_owner: Some(saga.owner.clone()),
        lease_until: Some(saga.lease_until()),
        created_at: now,
        updated_at: now,
    })
}
