//! The gRPC face of the payments service: check the caller, validate, run
//! the flow, convert.

use shop_card::CardInput;
use shop_proto::payments::v1::{self as pb, payment_service_server::PaymentService};
use shop_runtime::{auth::Principal, time, validation::required};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::{
    AppState, convert,
    domain::{ChargeInput, ChargeTerms, NewCharge, TermsInput},
    error::Error,
    store::{self},
    usecases::charges,
};

/// The `shop.payments.v1.PaymentService` implementation.
#[derive(Clone, Debug)]
pub struct PaymentsApi {
    state: AppState,
}

impl PaymentsApi {
    /// The service over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl PaymentService for PaymentsApi {
    #[instrument(skip_all, fields(rpc = "Charge", order_id, payment_id))]
    async fn charge(&self, request: Request<pb::ChargeRequest>) -> Result<Response<pb::ChargeResponse>, Status> {
        Principal::require(&request).and_then(Principal::require_internal).map_err(Error::from)?;
        let input = request.into_inner();
        tracing::Span::current().record("order_id", input.order_id.as_str());
        let card = input.card.as_ref().map(|c| CardInput {
            number: &c.number,
            exp_month: c.exp_month,
            exp_year: c.exp_year,
            cvc: &c.cvc,
        });
        let terms = TermsInput {
            order_id: &input.order_id,
            user_id: &input.user_id,
            amount: input.amount.as_ref().map(|m| (m.amount_minor, m.currency.as_str())),
            idempotency_key: &input.idempotency_key,
        };
        let charge = NewCharge::parse(ChargeInput { terms, card }, time::now().date()).map_err(Error::from)?;
        let payment = charges::charge(&self.state, charge).await?;
        tracing::Span::current().record("payment_id", payment.id.as_str());
        Ok(Response::new(pb::ChargeResponse { payment: Some(convert::payment(&payment)) }))
    }

    #[instrument(skip_all, fields(rpc = "VoidCharge", order_id, payment_id))]
    async fn void_charge(
        &self,
        request: Request<pb::VoidChargeRequest>,
    ) -> Result<Response<pb::VoidChargeResponse>, Status> {
        Principal::require(&request).and_then(Principal::require_internal).map_err(Error::from)?;
        let input = request.into_inner();
        tracing::Span::current().record("order_id", input.order_id.as_str());
        let terms = ChargeTerms::parse(TermsInput {
            order_id: &input.order_id,
            user_id: &input.user_id,
            amount: input.amount.as_ref().map(|m| (m.amount_minor, m.currency.as_str())),
            idempotency_key: &input.idempotency_key,
        })
        .map_err(Error::from)?;
        let payment = charges::void(&self.state, terms).await?;
        tracing::Span::current().record("payment_id", payment.id.as_str());
        Ok(Response::new(pb::VoidChargeResponse { payment: Some(convert::payment(&payment)) }))
    }

    #[instrument(skip_all, fields(rpc = "Refund", payment_id))]
    async fn refund(&self, request: Request<pb::RefundRequest>) -> Result<Response<pb::RefundResponse>, Status> {
        Principal::require(&request).and_then(Principal::require_internal).map_err(Error::from)?;
        let input = request.into_inner();
        tracing::Span::current().record("payment_id", input.payment_id.as_str());
        required("payment_id", &input.payment_id)?;
        let payment = charges::refund(&self.state, &input.payment_id, &input.reason).await?;
        Ok(Response::new(pb::RefundResponse { payment: Some(convert::payment(&payment)) }))
    }

    #[instrument(skip_all, fields(rpc = "GetPayment", payment_id))]
    async fn get_payment(
        &self,
        request: Request<pb::GetPaymentRequest>,
    ) -> Result<Response<pb::GetPaymentResponse>, Status> {
        let caller = Principal::require(&request).map_err(Error::from)?.clone();
        let id = request.into_inner().payment_id;
        tracing::Span::current().record("payment_id", id.as_str());
        required("payment_id", &id)?;
        let mut conn = self.state.db.conn().await.map_err(Error::from)?;
        let payment = store::find(&mut conn, &id)
            .await
            .map_err(Error::from)?
            .filter(|p| caller.may_access(&p.user_id))
            .ok_or(Error::NotFound)?;
        Ok(Response::new(pb::GetPaymentResponse { payment: Some(convert::payment(&payment)) }))
    }

    #[instrument(skip_all, fields(rpc = "ListPayments", order_id))]
    async fn list_payments(
        &self,
        request: Request<pb::ListPaymentsRequest>,
    ) -> Result<Response<pb::ListPaymentsResponse>, Status> {
        let caller = Principal::require(&request).map_err(Error::from)?.clone();
        let order_id = request.into_inner().order_id;
        tracing::Span::current().record("order_id", order_id.as_str());
        required("order_id", &order_id)?;
        let mut conn = self.state.db.conn().await.map_err(Error::from)?;
        let payments = store::for_order(&mut conn, &order_id).await.map_err(Error::from)?;
        let payments = payments.iter().filter(|p| caller.may_access(&p.user_id)).map(convert::payment).collect();
        Ok(Response::new(pb::ListPaymentsResponse { payments }))
    }
}
