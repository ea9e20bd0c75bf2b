//! Stored rows as the wire shows them.

use shop_proto::{
    common::v1::Money,
    events::v1::{self as events, event::Payload},
    products::v1 as pb,
};
use shop_runtime::{outbox, service::Service as _, time};

use crate::{
    AppState,
    domain::{listing::Sort, reservation::Status},
    store::ProductRow,
    usecases::stock::Reservation,
};

/// A product on the wire; `stock` is what can still be reserved.
pub fn product(row: &ProductRow) -> pb::Product {
    pb::Product {
        id: row.id.clone(),
        sku: row.sku.clone(),
        name: row.name.clone(),
        description: row.description.clone(),
        price: Some(Money { amount_minor: row.price_minor, currency: row.currency.clone() }),
        category: row.category.clone(),
        image_url: row.image_url.clone(),
        stock: row.available().max(0),
        stock_on_hand: row.stock_on_hand,
        stock_reserved: row.stock_reserved,
        archived: row.archived,
        created_at: Some(time::to_proto(row.created_at)),
        updated_at: Some(time::to_proto(row.updated_at)),
    }
}

/// A reservation on the wire.
pub fn reservation((row, items): &Reservation) -> pb::Reservation {
    let status = match Status::parse(&row.status) {
        Some(Status::Active) => pb::ReservationStatus::Active,
        Some(Status::Committed) => pb::ReservationStatus::Committed,
        Some(Status::Released) => pb::ReservationStatus::Released,
        Some(Status::Expired) => pb::ReservationStatus::Expired,
        None => pb::ReservationStatus::Unspecified,
    };
    pb::Reservation {
        order_id: row.order_id.clone(),
        status: status.into(),
        items: items
            .iter()
            .map(|item| pb::ReservationItem { product_id: item.product_id.clone(), quantity: item.quantity })
            .collect(),
        expires_at: Some(time::to_proto(row.expires_at)),
        created_at: Some(time::to_proto(row.created_at)),
    }
}

/// The listing order a request asks for.
pub fn sort(value: i32) -> Sort {
    match pb::ProductSort::try_from(value) {
        Ok(pb::ProductSort::PriceAsc) => Sort::PriceAsc,
        Ok(pb::ProductSort::PriceDesc) => Sort::PriceDesc,
        Ok(pb::ProductSort::NameAsc) => Sort::NameAsc,
        Ok(pb::ProductSort::NameDesc) => Sort::NameDesc,
        _ => Sort::Newest,
    }
}

/// A money field as (amount, currency).
pub fn price(money: Option<&Money>) -> Option<(i64, &str)> {
    money.map(|m| (m.amount_minor, m.currency.as_str()))
}

/// The domain event `product` falling below `threshold` available units is.
pub fn stock_low(product: &ProductRow, threshold: i32) -> events::Event {
    let low = events::StockLow {
        product_id: product.id.clone(),
        sku: product.sku.clone(),
        name: product.name.clone(),
        available: product.available(),
        threshold,
    };
    outbox::event(AppState::NAME, &product.id, Payload::StockLow(low))
}
