-- Counts over the published, live reports, kept up to date in every write's
-- transaction so that pages never count across the base: how many reports
-- are published ('all'), carry each tag, service, organization and factor
-- category, and how many of their actions are open ('open_actions') and due
-- on each date ('open_due').
CREATE TABLE published_counts (
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (kind, name)
);

INSERT INTO published_counts (kind, name, n)
SELECT 'all', '', COUNT(*) FROM incidents WHERE deleted_at IS NULL AND status = 'published'
HAVING COUNT(*) > 0;

INSERT INTO published_counts (kind, name, n)
SELECT 'tag', t.name, COUNT(*) FROM incident_tags t JOIN incidents i ON i.id = t.incident_id
WHERE i.deleted_at IS NULL AND i.status = 'published' GROUP BY t.name;

INSERT INTO published_counts (kind, name, n)
SELECT 'service', s.name, COUNT(*) FROM incident_services s JOIN incidents i ON i.id = s.incident_id
WHERE i.deleted_at IS NULL AND i.status = 'published' GROUP BY s.name;

INSERT INTO published_counts (kind, name, n)
SELECT 'organization', organization, COUNT(*) FROM incidents
WHERE deleted_at IS NULL AND status = 'published' AND organization IS NOT NULL GROUP BY organization;

INSERT INTO published_counts (kind, name, n)
SELECT 'category', f.category, COUNT(DISTINCT f.incident_id) FROM contributing_factors f JOIN incidents i ON i.id = f.incident_id
WHERE i.deleted_at IS NULL AND i.status = 'published' GROUP BY f.category;

INSERT INTO published_counts (kind, name, n)
SELECT 'open_actions', '', COUNT(*) FROM action_items a JOIN incidents i ON i.id = a.incident_id
WHERE i.deleted_at IS NULL AND i.status = 'published' AND a.status IN ('open', 'in_progress')
HAVING COUNT(*) > 0;

INSERT INTO published_counts (kind, name, n)
SELECT 'open_due', a.due_on, COUNT(*) FROM action_items a JOIN incidents i ON i.id = a.incident_id
WHERE i.deleted_at IS NULL AND i.status = 'published' AND a.status IN ('open', 'in_progress') AND a.due_on IS NOT NULL
GROUP BY a.due_on;
