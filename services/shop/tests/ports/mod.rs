//! Ports for a launcher under test.

use std::net::TcpListener;

/// A free port whose metrics neighbour (port + 10) is free too, chosen below
/// Linux's ephemeral range (32768 and up): the mesh's own outgoing
/// connections take source ports from that range and could grab a port
/// reserved here before the component that should listen on it starts.
pub fn free_port() -> u16 {
    loop {
        let port = rand::random_range(20_000..32_000);
        let free = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
        if free(port) && free(port + 10) {
            return port;
        }
    }
}

/// Six distinct ports (edge, users, products, cart, orders, payments) whose
/// metrics neighbours do not collide with any of them.
pub fn mesh_ports() -> [String; 6] {
    let mut ports: Vec<u16> = Vec::new();
    while ports.len() < 6 {
        let port = free_port();
        if ports.iter().all(|p| p.abs_diff(port) != 10 && *p != port) {
            ports.push(port);
        }
    }
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    [0, 1, 2, 3, 4, 5].map(|i| ports[i].clone())
}
