-- Each status a report enters (draft, in_review, published), who moved it
-- there and when, written in the same transaction as the change.
CREATE TABLE workflow_steps (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    actor TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX workflow_steps_by_incident ON workflow_steps (incident_id, id);
