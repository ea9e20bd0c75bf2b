//! `shop-edge`: the GraphQL and REST edge on its own, configured by flags and env.

fn main() -> std::process::ExitCode {
    shop_runtime::component::main::<shop_edge::Edge>()
}
