//! `shop-notifications`: the notifications service on its own, configured by flags and env.

fn main() -> std::process::ExitCode {
    shop_runtime::component::main::<shop_notifications::AppState>()
}
