//! `shop-products`: the products service on its own, configured by flags and env.

fn main() -> std::process::ExitCode {
    shop_runtime::component::main::<shop_products::AppState>()
}
