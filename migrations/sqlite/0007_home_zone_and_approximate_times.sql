-- A report's home zone (an IANA name; NULL for reports stored before it
-- existed, which take the zone of their first time), and whether each
-- reported time was approximate ("about 09:30").
ALTER TABLE incidents ADD COLUMN zone TEXT;
ALTER TABLE incidents ADD COLUMN started_approximate INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN detected_approximate INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN mitigated_approximate INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN resolved_approximate INTEGER NOT NULL DEFAULT 0;
ALTER TABLE timeline_events ADD COLUMN occurred_approximate INTEGER NOT NULL DEFAULT 0;
-- When an action item was done is a reported time like the others: its
-- offset, zone, precision and whether it was approximate. NULL zone: stored
-- before, as a UTC instant.
ALTER TABLE action_items ADD COLUMN completed_offset INTEGER;
ALTER TABLE action_items ADD COLUMN completed_zone TEXT;
ALTER TABLE action_items ADD COLUMN completed_precision TEXT;
ALTER TABLE action_items ADD COLUMN completed_approximate INTEGER NOT NULL DEFAULT 0;
-- The recently completed action items, newest first, for /actions.
CREATE INDEX action_items_by_completion ON action_items (completed_at) WHERE completed_at IS NOT NULL;
