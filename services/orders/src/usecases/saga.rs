//! The checkout saga. An order's `step` is the next thing to do; each step's
//! outcome is written (fenced by the lease) before the next call is made,
//! but for the cart: it is cleared before the sale is written, so that the
//! sale ends the saga in one write. Every call is idempotent (the
//! reservation is keyed by the order id, the charge by `order-<id>`), so a
//! checkout can be resumed from any step by a client retry (which has the
//! card) or finished or compensated by recovery (which does not, and so asks
//! products and payments what they recorded).

use chrono::TimeDelta;
use shop_card::CheckedCard;
use shop_proto::{
    cart::v1::ClearCartRequest,
    common::v1::Money,
    payments::v1::{Card, ChargeRequest, Payment, PaymentStatus, RefundRequest, VoidChargeRequest},
    products::v1::{
        CommitReservationRequest, ReleaseReservationRequest, Reservation, ReservationItem, ReservationStatus,
        ReserveStockRequest,
    },
};
use shop_runtime::{failure::Failure, grpc::status::precondition_violations, outbox, time};
use tokio_util::task::AbortOnDropHandle;
use tonic::Code;
use tracing::Instrument;

use crate::{
    AppState, convert,
    domain::status::{OrderStatus, Step},
    error::Error,
    store::{self, EventRow, LineRow, OrderChanges, OrderRow},
};

/// One driver of one order's saga, identified by its lease token.
#[derive(Debug)]
pub struct Saga {
    state: AppState,
    /// The lease token this driver writes under.
    pub owner: String,
    /// The order's lines, when the caller has them: a placement just wrote them.
    lines: Option<Vec<LineRow>>,
    /// The status changes this driver wrote, oldest first.
    written: Vec<EventRow>,
}

/// How a driver left an order.
#[derive(Debug)]
pub struct Driven {
    /// The order now.
    pub order: OrderRow,
    /// Every status change this driver wrote, oldest first, when its own
    /// write ended the saga. The order is then exactly as this driver wrote
    /// it: nobody else writes to an order while its lease is held, and
    /// nobody could take the lease from under a write that succeeded.
    /// `None` when the saga paused and the order was read back.
    pub written: Option<Vec<EventRow>>,
}

impl Saga {
    /// A driver with a fresh lease token.
    pub fn new(state: &AppState) -> Self {
        Self { state: state.clone(), owner: uuid::Uuid::now_v7().to_string(), lines: None, written: Vec::new() }
    }

    /// This driver, told the order's lines so that it need not read them.
    pub fn with_lines(self, lines: Vec<LineRow>) -> Self {
        Self { lines: Some(lines), ..self }
    }

    /// Drives the order in a task of its own and waits for the outcome. The
    /// saga does not belong to the request that started it: when the caller
    /// goes away (disconnects, or its deadline passes) the request is
    /// dropped, but the saga goes on to the end of its step sequence, with
    /// each call bounded by this service's own call timeout, not the
    /// caller's deadline. Shutdown waits for it within the drain limit.
    pub async fn drive_detached(self, order: OrderRow, card: Option<CheckedCard>) -> Result<Driven, Error> {
        let tracker = self.state.sagas.clone();
        let task = tracker.spawn(async move { self.drive(order, card.as_ref()).await }.in_current_span());
        task.await.map_err(|failed| Failure::internal(format!("the checkout task failed: {failed}")))?
    }

    /// When a lease taken now runs out.
    pub fn lease_until(&self) -> chrono::NaiveDateTime {
        time::now() + TimeDelta::from_std(self.state.saga.lease()).unwrap_or(TimeDelta::seconds(60))
    }

    /// Drives an order whose lease this driver holds as far as it goes.
    /// With the card, a charge is made (or its first answer returned);
    /// without, what payments recorded decides. On a failed call the lease is
    /// handed back and recovery waits one lease period, so the client can
    /// retry with the same key first.
    pub async fn drive(mut self, mut order: OrderRow, card: Option<&CheckedCard>) -> Result<Driven, Error> {
        // Stops with this driver, however it stops: a lease renewed by a
        // driver that is gone would keep recovery away from the order forever.
        let heartbeat = AbortOnDropHandle::new(tokio::spawn(self.heartbeat(order.id.clone(), order.lease_until)));
        let run = self.run(&mut order, card).await;
        drop(heartbeat);
        if let Err(error) = &run
            && !matches!(error, Error::LeaseLost)
        {
            tracing::warn!(order_id = %order.id, step = %order.step, %error, "checkout paused");
            self.hand_back(&order).await;
        }
        run?;
        if order.step == Step::Done.as_str() {
            return Ok(Driven { order, written: Some(self.written) });
        }
        // Paused with the lease handed back: someone may have taken it since.
        let order = store::find(&mut self.state.db.conn().await?, &order.id).await?.ok_or(Error::NotFound)?;
        Ok(Driven { order, written: None })
    }

    async fn run(&mut self, order: &mut OrderRow, card: Option<&CheckedCard>) -> Result<(), Error> {
        loop {
            let step =
                Step::parse(&order.step).ok_or_else(|| Failure::internal(format!("unknown step {:?}", order.step)))?;
            match step {
                Step::Reserving if card.is_some() => self.reserve(order).await?,
                Step::Reserving => {
                    let reason = "checkout was interrupted before payment; nothing was charged";
                    self.release_stock(order, reason).await?;
                    self.finish(order, OrderStatus::Cancelled, reason).await?;
                }
                Step::Charging => self.charge(order, card).await?,
                Step::Committing => {
                    if let Flow::Paused = self.commit(order).await? {
                        return Ok(());
                    }
                }
                Step::ClearingCart => {
                    if !self.clear_cart(order).await {
                        self.hand_back(order).await;
                        return Ok(());
                    }
                    self.change(order, None, OrderChanges { step: Some(Step::Done.as_str().into()), ..release() })
                        .await?;
                }
                Step::Cancelling => self.cancel(order).await?,
                Step::Done => return Ok(()),
            }
        }
    }

    async fn reserve(&mut self, order: &mut OrderRow) -> Result<(), Error> {
        let read;
        let lines = match &self.lines {
            Some(lines) => lines.as_slice(),
            None => {
                read = store::lines_of(&mut self.state.db.conn().await?, std::slice::from_ref(&order.id)).await?;
                read.as_slice()
            }
        };
        let request = ReserveStockRequest {
            order_id: order.id.clone(),
            items: lines
                .iter()
                .map(|l| ReservationItem { product_id: l.product_id.clone(), quantity: l.quantity })
                .collect(),
            ttl_seconds: self.state.saga.reservation_ttl_secs,
        };
        match self.state.downstreams.products.clone().reserve_stock(request).await {
            Ok(reserved) if holds(reserved.get_ref().reservation.as_ref()) => {
                self.set_step(order, Step::Charging, None).await
            }
            // Released (by recovery, while this driver's call was delayed).
            Ok(_) => {
                let reason = "checkout was interrupted before payment; nothing was charged";
                self.finish(order, OrderStatus::Cancelled, reason).await
            }
            Err(status) if status.code() == Code::FailedPrecondition => {
                let reason = shortage_reason(&status, lines);
                self.finish(order, OrderStatus::Rejected, &reason).await
            }
            Err(status) => Err(Failure::downstream("products")(status).into()),
        }
    }

    async fn charge(&mut self, order: &mut OrderRow, card: Option<&CheckedCard>) -> Result<(), Error> {
        let payments = self.state.downstreams.payments.clone();
        let payment = match card {
            Some(card) => {
                let request = ChargeRequest {
                    order_id: order.id.clone(),
                    user_id: order.user_id.clone(),
                    amount: Some(Money { amount_minor: order.total_minor, currency: order.currency.clone() }),
                    card: Some(Card {
                        number: card.number.clone(),
                        exp_month: i32::try_from(card.exp_month).unwrap_or(0),
                        exp_year: card.exp_year,
                        cvc: card.cvc.clone(),
                    }),
                    idempotency_key: payment_key(order),
                };
                payments.clone().charge(request).await.map_err(Failure::downstream("payments"))?.into_inner().payment
            }
            None => self.void_charge(order).await?,
        };
        match payment.as_ref().map(Payment::status) {
            Some(PaymentStatus::Succeeded) => {
                let payment_id = payment.map(|p| p.id);
                self.set_step(order, Step::Committing, payment_id).await
            }
            Some(PaymentStatus::Declined) => {
                let message = payment.map(|p| p.failure_message).unwrap_or_default();
                let reason = format!("payment declined: {message}");
                self.release_stock(order, &reason).await?;
                self.finish(order, OrderStatus::PaymentFailed, &reason).await
            }
            // Voided: only recovery gets here (or a driver whose charge was
            // delayed past recovery): nothing was, or ever will be, charged.
            _ => {
                let reason = "payment did not complete; nothing was charged";
                self.release_stock(order, reason).await?;
                self.finish(order, OrderStatus::Cancelled, reason).await
            }
        }
    }

    /// Sells the held stock, clears the cart and records the sale. The cart
    /// is cleared before the sale is recorded, so that the sale, its event
    /// and the end of the saga are one write. Both calls are idempotent, so
    /// a crash between them only means recovery makes them again. When the
    /// cart cannot be cleared, the sale is recorded with the lease handed
    /// back, and recovery clears the cart.
    async fn commit(&mut self, order: &mut OrderRow) -> Result<Flow, Error> {
        let request = CommitReservationRequest { order_id: order.id.clone() };
        match self.state.downstreams.products.clone().commit_reservation(request).await {
            Ok(_) => {
                let (step, lease, flow) = if self.clear_cart(order).await {
                    (Step::Done, release(), Flow::Continue)
                } else {
                    (Step::ClearingCart, self.handed_back(), Flow::Paused)
                };
                let changes = OrderChanges {
                    status: Some(OrderStatus::Paid.as_str().into()),
                    status_reason: Some(String::new()),
                    step: Some(step.as_str().into()),
                    ..lease
                };
                self.change(order, Some((OrderStatus::Paid, "payment succeeded; stock committed")), changes).await?;
                Ok(flow)
            }
            // The hold ran out (or was released) before the sale: undo the payment.
            Err(status) if matches!(status.code(), Code::FailedPrecondition | Code::NotFound) => {
                self.refund(order, "stock hold expired before the order completed").await?;
                self.finish(
                    order,
                    OrderStatus::Cancelled,
                    "the stock hold expired before the order completed; the payment was refunded",
                )
                .await?;
                Ok(Flow::Continue)
            }
            Err(status) => Err(Failure::downstream("products")(status).into()),
        }
    }

    /// Empties the customer's cart. `false`: not now; the order is paid, and
    /// an uncleared cart is no reason to fail it, so recovery retries.
    async fn clear_cart(&self, order: &OrderRow) -> bool {
        let request = ClearCartRequest { user_id: order.user_id.clone() };
        match self.state.downstreams.cart.clone().clear_cart(request).await {
            Ok(_) => true,
            Err(status) => {
                tracing::warn!(order_id = %order.id, code = ?status.code(), "cart not cleared yet");
                false
            }
        }
    }

    async fn cancel(&mut self, order: &mut OrderRow) -> Result<(), Error> {
        let reason = if order.status_reason.is_empty() { "cancelled".to_owned() } else { order.status_reason.clone() };
        self.refund(order, &reason).await?;
        self.release_stock(order, &reason).await?;
        self.finish(order, OrderStatus::Cancelled, &reason).await
    }

    /// Closes the order's charge key, so that no charge can land from now on,
    /// and returns what it holds: VOIDED, or the charge that settled first.
    async fn void_charge(&self, order: &OrderRow) -> Result<Option<Payment>, Error> {
        let request = VoidChargeRequest {
            order_id: order.id.clone(),
            user_id: order.user_id.clone(),
            amount: Some(Money { amount_minor: order.total_minor, currency: order.currency.clone() }),
            idempotency_key: payment_key(order),
        };
        let voided = self.state.downstreams.payments.clone().void_charge(request).await;
        Ok(voided.map_err(Failure::downstream("payments"))?.into_inner().payment)
    }

    /// Closes the order's charge key (a charge still on its way must not
    /// land after the refund) and refunds the charge if it had succeeded.
    /// Idempotent.
    async fn refund(&self, order: &OrderRow, reason: &str) -> Result<(), Error> {
        let Some(payment) = self.void_charge(order).await?.filter(|p| p.status() == PaymentStatus::Succeeded) else {
            return Ok(());
        };
        let request = RefundRequest { payment_id: payment.id, reason: reason.to_owned() };
        self.state.downstreams.payments.clone().refund(request).await.map_err(Failure::downstream("payments"))?;
        Ok(())
    }

    /// Gives back whatever products holds or sold for the order (idempotent).
    async fn release_stock(&self, order: &OrderRow, reason: &str) -> Result<(), Error> {
        let request = ReleaseReservationRequest { order_id: order.id.clone(), reason: reason.to_owned() };
        match self.state.downstreams.products.clone().release_reservation(request).await {
            Ok(_) => Ok(()),
            Err(status) if status.code() == Code::NotFound => Ok(()),
            Err(status) => Err(Failure::downstream("products")(status).into()),
        }
    }

    async fn set_step(&mut self, order: &mut OrderRow, step: Step, payment_id: Option<String>) -> Result<(), Error> {
        let changes = OrderChanges {
            step: Some(step.as_str().into()),
            payment_id: payment_id.map(Some),
            ..renew(self.lease_until())
        };
        self.change(order, None, changes).await
    }

    /// Ends the saga in a terminal status and lets go of the lease.
    async fn finish(&mut self, order: &mut OrderRow, status: OrderStatus, reason: &str) -> Result<(), Error> {
        let changes = OrderChanges {
            status: Some(status.as_str().into()),
            status_reason: Some(reason.into()),
            step: Some(Step::Done.as_str().into()),
            ..release()
        };
        self.change(order, Some((status, reason)), changes).await?;
        tracing::info!(order_id = %order.id, status = %status.label(), reason, "checkout finished");
        Ok(())
    }

    /// Writes `changes` under the lease, with an event if the status changes.
    async fn change(
        &mut self,
        order: &mut OrderRow,
        event: Option<(OrderStatus, &str)>,
        changes: OrderChanges,
    ) -> Result<(), Error> {
        let now = time::now();
        let changes = OrderChanges { updated_at: Some(now), ..changes };
        let from = order.status.clone();
        let written = event.map(|(to, reason)| (to, new_event(&order.id, Some(&from), to, reason)));
        self.state
            .db
            .transaction(async |tx| {
                let guard = written.as_ref().map(|_| from.as_str());
                if !store::update_fenced(tx, &order.id, &self.owner, guard, &changes).await? {
                    return Err(Error::LeaseLost);
                }
                if let Some((to, event)) = &written {
                    store::insert_event(tx, event).await?;
                    outbox::append(tx, &convert::status_changed(order, &from, *to, &event.reason)).await?;
                }
                Ok(())
            })
            .await?;
        if let Some((to, event)) = written {
            self.state.status_changes.inc(to.as_str());
            self.written.push(event);
        }
        // The fenced write succeeded, so the row is this plus the changes:
        // no read back (the heartbeat's lease renewals do not matter here).
        changes.apply_to(order);
        // Watchers want status changes; callers waiting to join want every step.
        self.state.events.notify(&order.id);
        Ok(())
    }

    /// Renews the lease every third of its period while this driver runs, so
    /// that only a driver that is gone (its process died) loses it. Stops once
    /// the lease is no longer this driver's.
    fn heartbeat(
        &self,
        order_id: String,
        lease_until: Option<chrono::NaiveDateTime>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let (db, owner, lease) = (self.state.db.clone(), self.owner.clone(), self.state.saga.lease());
        let lease_delta = TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(60));
        // The first beat is a third of the way through the lease as written,
        // however long ago that was (the order's insert may have waited on
        // the database); each step's write renews it too, so a quick saga
        // never beats.
        let first_beat = lease_until
            .map(|until| until - lease_delta * 2 / 3 - time::now())
            .and_then(|wait| wait.to_std().ok())
            .unwrap_or_default();
        async move {
            let mut beats = tokio::time::interval_at(tokio::time::Instant::now() + first_beat, lease / 3);
            loop {
                beats.tick().await;
                let now = time::now();
                let renew = OrderChanges { lease_until: Some(Some(now + lease_delta)), ..Default::default() };
                let renewed = db.write(async |w| store::update_fenced(w, &order_id, &owner, None, &renew).await).await;
                if !renewed.unwrap_or(true) {
                    return;
                }
            }
        }
    }

    /// No lease holder, and recovery waits a lease period from now.
    fn handed_back(&self) -> OrderChanges {
        OrderChanges { lease_owner: Some(None), lease_until: Some(Some(self.lease_until())), ..Default::default() }
    }

    /// Lets go of the lease after a failed call; recovery waits a lease period.
    async fn hand_back(&self, order: &OrderRow) {
        let changes = OrderChanges { updated_at: Some(time::now()), ..self.handed_back() };
        let handed =
            self.state.db.write(async |w| store::update_fenced(w, &order.id, &self.owner, None, &changes).await);
        match handed.await {
            Ok(_) => self.state.events.notify(&order.id),
            Err(error) => {
                tracing::warn!(order_id = %order.id, %error, "could not hand the lease back; it will run out")
            }
        }
    }
}

/// Whether the saga goes on after a step.
enum Flow {
    Continue,
    /// The lease was handed back: recovery takes the order up later.
    Paused,
}

/// Whether a reservation holds (or sold) the order's stock.
fn holds(reservation: Option<&Reservation>) -> bool {
    reservation.is_some_and(|r| matches!(r.status(), ReservationStatus::Active | ReservationStatus::Committed))
}

/// The first event of an order, or any later status change.
pub fn new_event(order_id: &str, from: Option<&str>, to: OrderStatus, reason: &str) -> EventRow {
    EventRow {
        id: uuid::Uuid::now_v7().to_string(),
        order_id: order_id.to_owned(),
        from_status: from.map(str::to_owned),
        to_status: to.as_str().to_owned(),
        reason: reason.to_owned(),
        occurred_at: time::now(),
    }
}

/// The idempotency key of an order's charge: one charge per order.
pub fn payment_key(order: &OrderRow) -> String {
    format!("order-{}", order.id)
}

fn renew(until: chrono::NaiveDateTime) -> OrderChanges {
    OrderChanges { lease_until: Some(Some(until)), ..Default::default() }
}

fn release() -> OrderChanges {
    OrderChanges { lease_owner: Some(None), lease_until: Some(None), ..Default::default() }
}

/// "insufficient stock: GPU-4090 (GeForce RTX 4090): requested 3, available 1; ..."
fn shortage_reason(status: &tonic::Status, lines: &[LineRow]) -> String {
    let short: Vec<String> = precondition_violations(status)
        .into_iter()
        .map(|v| match lines.iter().find(|l| l.product_id == v.subject) {
            Some(line) => format!("{} ({}): {}", line.sku, line.name, v.description),
            None => format!("{}: {}", v.subject, v.description),
        })
        .collect();
    if short.is_empty() {
        format!("insufficient stock: {}", status.message())
    } else {
        format!("insufficient stock: {}", short.join("; "))
    }
}
