//! `shop-cart`: the cart service on its own, configured by flags and env.

fn main() -> std::process::ExitCode {
    shop_runtime::component::main::<shop_cart::AppState>()
}
