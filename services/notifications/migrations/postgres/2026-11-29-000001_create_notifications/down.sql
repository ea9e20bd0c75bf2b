DROP TABLE preferences;
DROP TABLE dead_letters;
DROP TABLE notifications;
DROP TABLE consumed_events;
DROP TABLE consumer_positions;
