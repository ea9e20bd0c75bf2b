//! Compiles the contracts with protox (pure Rust: no system `protoc`) and
//! keeps the encoded descriptor set for server reflection.

use std::{env, fs, path::PathBuf};

use prost::Message;

const PROTOS: &[&str] = &[
    "shop/common/v1/money.proto",
    "shop/users/v1/users.proto",
    "shop/products/v1/products.proto",
    "shop/cart/v1/cart.proto",
    "shop/orders/v1/orders.proto",
    "shop/payments/v1/payments.proto",
    "shop/events/v1/events.proto",
    "shop/notifications/v1/notifications.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }

    let fds = protox::compile(PROTOS, ["."])?;
    fs::write(out_dir.join("shop_descriptor.bin"), fds.encode_to_vec())?;

    tonic_prost_build::configure().include_file("shop.rs").emit_rerun_if_changed(false).compile_fds(fds)?;
    Ok(())
}
