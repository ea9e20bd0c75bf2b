//! The recovery loop: orders whose checkout stopped (the process died, a
//! service was down) and whose lease ran out are driven to the end by asking
//! products and payments what they recorded. Each recovery is a trace of its own.

use shop_runtime::time;
use tracing::Instrument;

use crate::{AppState, error::Error, store, usecases::saga::Saga};

/// One pass: every stuck order gets one attempt. Returns how many were taken up.
pub async fn recover_once(state: &AppState) -> Result<usize, Error> {
    let stuck = store::stuck(&mut state.db.conn().await?, time::now(), 20).await?;
    let mut taken = 0;
    for order_id in stuck {
        let span = tracing::info_span!(parent: None, "saga.recover", order_id = %order_id);
        let recovered = async {
            let saga = Saga::new(state);
            let (now, until) = (time::now(), saga.lease_until());
            if !state.db.write(async |w| store::claim(w, &order_id, &saga.owner, false, now, until).await).await? {
                return Ok::<_, Error>(false);
            }
            let order = store::find(&mut state.db.conn().await?, &order_id).await?.ok_or(Error::NotFound)?;
            tracing::info!(step = %order.step, status = %order.status, "recovering order");
            let order = saga.drive(order, None).await?.order;
            tracing::info!(step = %order.step, status = %order.status, "order recovered");
            Ok(true)
        }
        .instrument(span)
        .await;
        match recovered {
            Ok(true) => taken += 1,
            Ok(false) => {}
            Err(error) => tracing::warn!(%order_id, %error, "recovery attempt failed; will retry"),
        }
    }
    Ok(taken)
}
