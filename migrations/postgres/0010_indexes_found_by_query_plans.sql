-- Indexes for the scans that EXPLAIN QUERY PLAN found on the reading path
-- (src/store/query_plans.rs checks them on SQLite).

-- A report's backlinks: the links that name it, rather than every
-- published report's links.
CREATE INDEX related_incidents_by_slug ON related_incidents (related_slug, incident_id);

-- The list filtered by severity or organization, in list order, without
-- walking past the reports of other severities or organizations.
CREATE INDEX incidents_published_by_severity ON incidents (severity, occurred_at DESC, id DESC)
    WHERE deleted_at IS NULL AND status = 'published';
CREATE INDEX incidents_published_by_organization ON incidents (organization, occurred_at DESC, id DESC)
    WHERE deleted_at IS NULL AND status = 'published';

-- Recently completed actions in the order they are shown, without a sort.
DROP INDEX action_items_by_completion;
CREATE INDEX action_items_by_completion ON action_items (completed_at DESC, incident_id DESC, position)
    WHERE completed_at IS NOT NULL;
