-- Webhooks. The change log says what each write was to the world outside:
-- a report published, changed while published, unpublished or deleted while
-- published (`event`, NULL for any other write), at which version.
ALTER TABLE change_log ADD COLUMN event TEXT;
ALTER TABLE change_log ADD COLUMN version INTEGER;

-- The addresses an admin registered, with the secret their deliveries are
-- signed with. A hook hears of the writes after `start_after`, the change
-- log's end when it was registered.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    start_after INTEGER NOT NULL,
    removed_at INTEGER
);

-- One announcement to one hook, and how its delivery went: the log an admin
-- reads. Unique by hook and change, so whichever server turns the change
-- log into deliveries, and however often, each is made once.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id INTEGER NOT NULL REFERENCES webhooks (id),
    change_id INTEGER NOT NULL,
    event TEXT NOT NULL,
    incident_slug TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_status INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER,
    UNIQUE (webhook_id, change_id)
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (webhook_id, id DESC);

-- How far the change log has been turned into deliveries.
CREATE TABLE webhook_progress (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_change_id INTEGER NOT NULL
);
INSERT INTO webhook_progress (id, last_change_id) SELECT 1, COALESCE(MAX(id), 0) FROM change_log;
