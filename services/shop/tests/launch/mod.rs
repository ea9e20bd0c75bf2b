//! The `shop` launcher under test, on ports of its own.

use std::{net::TcpListener, path::Path, process::Command};

/// Where the launched components listen (on 127.0.0.1).
#[derive(Clone, Debug)]
#[allow(dead_code, reason = "each test binary uses the ports it needs")]
pub struct Ports {
    /// The edge's base URL.
    pub edge: String,
    /// The users service's gRPC port.
    pub users: u16,
    /// The products service's gRPC port.
    pub products: u16,
    /// The cart service's gRPC port.
    pub cart: u16,
    /// The orders service's gRPC port.
    pub orders: u16,
    /// The payments service's gRPC port.
    pub payments: u16,
    /// The notifications service's gRPC port.
    pub notifications: u16,
    /// Where the notifications service writes its mails.
    pub mail_dir: std::path::PathBuf,
}

/// `shop` with `data_dir` and free ports for every component, without an
/// admin password from the environment; and where they listen.
pub fn shop(data_dir: &Path) -> (Command, Ports) {
    let ports = mesh_ports();
    let mut command = Command::new(env!("CARGO_BIN_EXE_shop"));
    command
        .args(["--data-dir", data_dir.to_str().expect("a UTF-8 path")])
        .args(["--edge-port", &ports[0], "--users-port", &ports[1], "--products-port", &ports[2]])
        .args(["--cart-port", &ports[3], "--orders-port", &ports[4], "--payments-port", &ports[5]])
        .args(["--notifications-port", &ports[6]])
        .env_remove("SHOP_ADMIN_PASSWORD")
        .env_remove("NATS_URL");
    let port = |i: usize| ports[i].parse().expect("a port");
    let edge = format!("http://127.0.0.1:{}", ports[0]);
    let ports = Ports {
        edge,
        users: port(1),
        products: port(2),
        cart: port(3),
        orders: port(4),
        payments: port(5),
        notifications: port(6),
        mail_dir: data_dir.join("mail"),
    };
    (command, ports)
}

/// A free port whose metrics neighbour (port + 10) is free too, chosen below
/// Linux's ephemeral range (32768 and up): the mesh's own outgoing
/// connections take source ports from that range and could grab a port
/// reserved here before the component that should listen on it starts.
///
/// Tests in one binary run side by side and each picks its ports before its
/// mesh binds them, so a port handed out once (or its neighbour) is never
/// handed out again by this process.
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        let port = rand::random_range(20_000..32_000);
        let clashes = |p: u16| handed_out.iter().any(|taken| [*taken, taken + 10].contains(&p));
        let free = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
        if !clashes(port) && !clashes(port + 10) && free(port) && free(port + 10) {
            handed_out.push(port);
            return port;
        }
    }
}

/// Seven distinct ports (edge, users, products, cart, orders, payments,
/// notifications) whose metrics neighbours do not collide with any of them.
fn mesh_ports() -> [String; 7] {
    let mut ports: Vec<u16> = Vec::new();
    while ports.len() < 7 {
        let port = free_port();
        if ports.iter().all(|p| p.abs_diff(port) != 10 && *p != port) {
            ports.push(port);
        }
    }
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    [0, 1, 2, 3, 4, 5, 6].map(|i| ports[i].clone())
}
