-- Incidents and their parts. Instants are unix seconds (INTEGER); a reported
-- time is four columns: instant, offset in seconds, zone label, precision.

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    impact TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    severity TEXT,
    organization TEXT,
    detection TEXT NOT NULL,
    source_url TEXT,
    started_at INTEGER, started_offset INTEGER, started_zone TEXT, started_precision TEXT,
    detected_at INTEGER, detected_offset INTEGER, detected_zone TEXT, detected_precision TEXT,
    mitigated_at INTEGER, mitigated_offset INTEGER, mitigated_zone TEXT, mitigated_precision TEXT,
    resolved_at INTEGER, resolved_offset INTEGER, resolved_zone TEXT, resolved_precision TEXT,
    occurred_at INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    published_at INTEGER,
    deleted_at INTEGER
);
-- A deleted incident keeps its rows and revisions; its slug may be reused.
CREATE UNIQUE INDEX incidents_live_slug ON incidents (slug) WHERE deleted_at IS NULL;
CREATE INDEX incidents_by_occurrence ON incidents (occurred_at DESC, id DESC);

CREATE TABLE incident_authors (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (incident_id, position)
);

CREATE TABLE incident_services (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (incident_id, position)
);
CREATE INDEX incident_services_by_name ON incident_services (name);

CREATE TABLE incident_tags (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (incident_id, position)
);
CREATE INDEX incident_tags_by_name ON incident_tags (name);

CREATE TABLE timeline_events (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    occurred_at INTEGER, occurred_offset INTEGER, occurred_zone TEXT, occurred_precision TEXT,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (incident_id, position)
);

CREATE TABLE contributing_factors (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    category TEXT NOT NULL,
    text TEXT NOT NULL,
    is_primary INTEGER NOT NULL,
    PRIMARY KEY (incident_id, position)
);
CREATE INDEX contributing_factors_by_category ON contributing_factors (category);

CREATE TABLE action_items (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    owner TEXT,
    status TEXT NOT NULL,
    priority TEXT,
    due_on TEXT,
    tracker_url TEXT,
    completed_at INTEGER,
    PRIMARY KEY (incident_id, position)
);
CREATE INDEX action_items_by_status ON action_items (status);

-- Links point at a slug, so an import may name an incident that comes later.
CREATE TABLE related_incidents (
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    related_slug TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (incident_id, position)
);

-- A full snapshot (the incident's JSON) after every change.
CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    note TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (incident_id, version)
);

-- Every committed write, in commit order: the search indexer follows it.
CREATE TABLE change_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL,
    operation TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
