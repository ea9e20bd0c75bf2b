//! Which traffic a run sends: named on the command line, and read both by
//! the set-up (what to create first) and by the scenarios.

/// What the virtual users do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScenarioKind {
    /// GET /healthz: the edge alone, the floor every other figure is held against.
    Healthz,
    /// A catalog page over REST: GET /api/v1/products?page_size=20.
    RestPage,
    /// The same page over GraphQL: products(first: 20).
    GraphqlPage,
    /// One product over REST.
    Product,
    /// The same page straight from products over gRPC (ListProducts), no edge.
    GrpcPage,
    /// Catalog pages over REST and GraphQL, and product details.
    Browse,
    /// A customer adds a product, changes its quantity and removes it.
    Cart,
    /// A customer adds a product and checks out (the whole saga); each user its own customer.
    Checkout,
    /// The storefront mix: browse 6, cart 3, checkout 1.
    Storefront,
}

impl ScenarioKind {
    /// Whether it reads catalog products it found beforehand.
    pub fn browses(self) -> bool {
        matches!(self, Self::Product | Self::Browse | Self::Storefront)
    }

    /// Whether it puts products in carts.
    pub fn buys(self) -> bool {
        matches!(self, Self::Cart | Self::Checkout | Self::Storefront)
    }
}

impl std::fmt::Display for ScenarioKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = clap::ValueEnum::to_possible_value(self).map(|v| v.get_name().to_owned()).unwrap_or_default();
        f.write_str(&name)
    }
}
