DROP TABLE order_events;
DROP TABLE order_lines;
DROP TABLE order_addresses;
DROP TABLE orders;
