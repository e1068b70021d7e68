-- Indexes for the reading path, so that a page's cost does not grow with
-- the base (issue 11).

-- "Does this report carry this tag?" answered from the index alone.
DROP INDEX incident_tags_by_name;
CREATE INDEX incident_tags_by_name ON incident_tags (name, incident_id);
DROP INDEX incident_services_by_name;
CREATE INDEX incident_services_by_name ON incident_services (name, incident_id);
DROP INDEX contributing_factors_by_category;
CREATE INDEX contributing_factors_by_category ON contributing_factors (category, incident_id);

-- The published reports in list order and in publication order (the feed),
-- without reading a draft or a deleted report.
CREATE INDEX incidents_published_by_occurrence ON incidents (occurred_at DESC, id DESC)
    WHERE deleted_at IS NULL AND status = 'published';
CREATE INDEX incidents_published_by_publication ON incidents (published_at DESC, id DESC)
    WHERE deleted_at IS NULL AND status = 'published';

-- An action item's place in the list of open actions of published reports:
-- its due date, or '9999-12-31' when it has none, so undated ones come last;
-- NULL when it is done, dropped, or its report is not published.
ALTER TABLE action_items ADD COLUMN open_due TEXT;
UPDATE action_items SET open_due = COALESCE(due_on, '9999-12-31')
WHERE status IN ('open', 'in_progress')
  AND incident_id IN (SELECT id FROM incidents WHERE deleted_at IS NULL AND status = 'published');
CREATE INDEX action_items_open ON action_items (open_due, incident_id DESC, position) WHERE open_due IS NOT NULL;
