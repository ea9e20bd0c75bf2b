DROP TABLE reservation_items;
DROP TABLE reservations;
DROP TABLE stock_ledger;
DROP TABLE products;
