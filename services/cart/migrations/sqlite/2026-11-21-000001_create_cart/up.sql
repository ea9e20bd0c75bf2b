-- One row per product in a user's cart. Prices are never stored here: a
-- cart is priced from the catalog each time it is read.
CREATE TABLE cart_lines (
    user_id    TEXT NOT NULL,
    product_id TEXT NOT NULL,
    quantity   INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at   TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, product_id)
);
