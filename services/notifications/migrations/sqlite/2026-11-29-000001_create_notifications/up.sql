-- Where this consumer is in each producer's feed (the broker-free transport).
CREATE TABLE consumer_positions (
    producer   TEXT PRIMARY KEY,
    position   BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Every event handled, by id: a redelivered event is recognised here, in
-- the same transaction that would record its mails.
CREATE TABLE consumed_events (
    event_id    TEXT PRIMARY KEY,
    producer    TEXT NOT NULL,
    consumed_at TIMESTAMP NOT NULL
);

-- One mail to one recipient, rendered when its event was handled; sent,
-- retried or dead-lettered by the delivery rounds.
CREATE TABLE notifications (
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead_lettered')),
    attempts        INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT,
    traceparent     TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP,
    UNIQUE (event_id, user_id)
);

CREATE INDEX notifications_due_idx ON notifications (status, next_attempt_at);
CREATE INDEX notifications_user_idx ON notifications (user_id, id);

-- Mails that failed every attempt, for someone to look at.
CREATE TABLE dead_letters (
    notification_id TEXT PRIMARY KEY REFERENCES notifications (id),
    attempts        INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    dead_at         TIMESTAMP NOT NULL
);

-- What a customer chose to receive; no row means everything.
CREATE TABLE preferences (
    user_id          TEXT PRIMARY KEY,
    shipping_updates BOOLEAN NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
