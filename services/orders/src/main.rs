//! `shop-orders`: the orders service on its own, configured by flags and env.

fn main() -> std::process::ExitCode {
    shop_runtime::component::main::<shop_orders::AppState>()
}
