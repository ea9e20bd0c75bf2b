-- An order and where its checkout saga stands. `step` is the next thing to
-- do; it is written before each call to another service, so a crashed
-- checkout can be resumed or compensated. The lease says who drives the saga
-- (lease_owner fences writes) and until when nobody else may.
CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'rejected', 'payment_failed')),
    status_reason    TEXT NOT NULL,
    step             TEXT NOT NULL CHECK (step IN ('reserving', 'charging', 'committing', 'clearing_cart', 'cancelling', 'done')),
    total_minor      BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    payment_id       TEXT,
    lease_owner      TEXT,
    lease_until      TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (user_id, idempotency_key)
);

CREATE INDEX orders_user_idx ON orders (user_id, id);
CREATE INDEX orders_status_idx ON orders (status, id);
CREATE INDEX orders_saga_idx ON orders (step, lease_until);

-- Where an order goes (one row per order).
CREATE TABLE order_addresses (
    order_id    TEXT PRIMARY KEY REFERENCES orders (id),
    name        TEXT NOT NULL,
    line1       TEXT NOT NULL,
    line2       TEXT NOT NULL,
    city        TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    country     TEXT NOT NULL
);

CREATE TABLE order_lines (
    order_id         TEXT NOT NULL REFERENCES orders (id),
    product_id       TEXT NOT NULL,
    sku              TEXT NOT NULL,
    name             TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    subtotal_minor   BIGINT NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

-- Every status change: the history WatchOrder streams.
CREATE TABLE order_events (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders (id),
    from_status TEXT,
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);

CREATE INDEX order_events_order_idx ON order_events (order_id, id);
