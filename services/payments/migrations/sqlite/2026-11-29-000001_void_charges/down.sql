CREATE TABLE payments_new (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    amount_minor    BIGINT NOT NULL CHECK (amount_minor > 0),
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'declined', 'refunded')),
    failure_reason  TEXT,
    failure_message TEXT NOT NULL,
    card_brand      TEXT NOT NULL,
    card_last4      TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    claimed_until   TIMESTAMP,
    refund_reason   TEXT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
INSERT INTO payments_new SELECT * FROM payments WHERE status <> 'voided';
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX payments_order_idx ON payments (order_id, created_at);
