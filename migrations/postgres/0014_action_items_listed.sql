-- The API's list of action items across reports (GET /api/v1/actions) in
-- its order, the newest report's first, for one owner or one status: read
-- from these in order rather than by walking every item. The status one
-- replaces the index on status alone, which it starts with.
CREATE INDEX action_items_by_owner ON action_items (owner, incident_id, position);
DROP INDEX action_items_by_status;
CREATE INDEX action_items_by_status ON action_items (status, incident_id, position);
