//! A Python client generated from proto/ by grpcio-tools, used as it comes:
//! register, fill a cart and place an order over gRPC.

use std::process::Command;

use crate::{
    mesh::Launched,
    tools::{repo, run, tool},
};

#[tokio::test(flavor = "multi_thread")]
async fn a_generated_python_client_checks_out() {
    let generated = tempfile::tempdir().unwrap();
    let protos: Vec<String> = ["common/v1/money", "users/v1/users", "products/v1/products", "cart/v1/cart"]
        .iter()
        .chain(&["orders/v1/orders", "payments/v1/payments"])
        .map(|p| format!("shop/{p}.proto"))
        .collect();
    let out = generated.path().to_str().unwrap();
    run(Command::new(tool("python3"))
        .current_dir(repo().join("proto"))
        .args(["-m", "grpc_tools.protoc", "-I", ".", "--python_out", out, "--grpc_python_out", out])
        .args(&protos));

    let mesh = Launched::start().await;
    let script = repo().join("services/shop/tests/deploy/python/checkout.py");
    let addrs = [mesh.ports.users, mesh.ports.products, mesh.ports.cart, mesh.ports.orders].map(Launched::addr);
    let output = run(Command::new(tool("python3")).arg(script).arg(out).args(addrs));
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    println!("python client: {result}");
    assert_eq!(result["status"], "ORDER_STATUS_PAID", "{result}");
    assert_eq!(result["listed"], 5, "{result}");
    let unit = result["unit_price_minor"].as_i64().unwrap();
    assert_eq!(result["total_minor"].as_i64(), Some(2 * unit), "two of the cheapest: {result}");
}
