-- Domain events, written in the same transaction as the change each
-- describes. `seq` is the order they were written in; `position` is their
-- place in the producer's feed, given by the relay once they are committed.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    aggregate_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    position BIGINT UNIQUE,
    published_at TIMESTAMP
);

CREATE INDEX outbox_unpublished ON outbox (seq) WHERE position IS NULL;
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
