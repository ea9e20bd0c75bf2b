-- Stock on hand and stock held by active reservations are kept on the
-- product row, so that reserving is one conditional UPDATE per product.
CREATE TABLE products (
    id             TEXT PRIMARY KEY,
    sku            TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL,
    price_minor    BIGINT NOT NULL CHECK (price_minor >= 0),
    currency       TEXT NOT NULL,
    category       TEXT NOT NULL,
    image_url      TEXT NOT NULL,
    stock_on_hand  INTEGER NOT NULL CHECK (stock_on_hand >= 0),
    stock_reserved INTEGER NOT NULL CHECK (stock_reserved >= 0 AND stock_reserved <= stock_on_hand),
    archived       BOOLEAN NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

CREATE INDEX products_listing_idx ON products (archived, category);
CREATE INDEX products_price_idx ON products (price_minor, id);
CREATE INDEX products_name_idx ON products (name, id);

-- Every change to stock on hand, and why.
CREATE TABLE stock_ledger (
    id          TEXT PRIMARY KEY,
    product_id  TEXT NOT NULL REFERENCES products (id),
    delta       INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    order_id    TEXT,
    created_at  TIMESTAMP NOT NULL
);

CREATE INDEX stock_ledger_product_idx ON stock_ledger (product_id, created_at);

-- Stock held for an order; the order id is the idempotency key.
CREATE TABLE reservations (
    order_id   TEXT PRIMARY KEY,
    status     TEXT NOT NULL CHECK (status IN ('active', 'committed', 'released', 'expired')),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE INDEX reservations_expiry_idx ON reservations (status, expires_at);

CREATE TABLE reservation_items (
    order_id   TEXT NOT NULL REFERENCES reservations (order_id),
    product_id TEXT NOT NULL REFERENCES products (id),
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);
