//! The floor below the edge: products' ListProducts over gRPC, one HTTP/2
//! connection per virtual user.

use std::time::Instant;

use goose::prelude::*;
use shop_proto::products::v1::{ListProductsRequest, product_service_client::ProductServiceClient};
use tonic::transport::Channel;

use crate::setup::target;

/// Pages from products, each user on its own connection.
pub fn page() -> Scenario {
    scenario!("GrpcPage")
        .register_transaction(transaction!(connect).set_on_start())
        .register_transaction(transaction!(list_products).set_name("grpc page"))
}

/// A virtual user's own connection.
#[derive(Clone)]
struct Connection(ProductServiceClient<Channel>);

/// Opens the user's connection (lazily: the first call dials).
async fn connect(user: &mut GooseUser) -> TransactionResult {
    let channel = target()?.products_endpoint.connect_lazy();
    user.set_session_data(Connection(ProductServiceClient::new(channel)));
    Ok(())
}

/// A page of 20, as the edge asks for it.
async fn list_products(user: &mut GooseUser) -> TransactionResult {
    let Some(Connection(client)) = user.get_session_data::<Connection>() else {
        return Err(Box::new(TransactionError::Custom("no gRPC connection".into())));
    };
    let mut client = client.clone();
    let started = Instant::now();
    let answer = client.list_products(ListProductsRequest { page_size: 20, ..Default::default() }).await;
    let took = started.elapsed();
    match answer {
        Ok(_) => user.record_custom_request_duration("GRPC", "ListProducts (page of 20)", took, true, None, None).await,
        Err(status) => {
            let error = format!("{:?}: {}", status.code(), status.message());
            user.record_custom_request_duration("GRPC", "ListProducts (page of 20)", took, false, None, Some(&error))
                .await
        }
    }
}
