-- A report's card (what a list shows of it, with its summary rendered),
-- derived when a version is written: see src/domain/card.rs. Reports written
-- before this get theirs from `Store::fill_missing_cards` at the next start,
-- and are derived on read until then.
ALTER TABLE incidents ADD COLUMN card TEXT;

-- Derived data known to be complete, and in which format: the fill above
-- records ('cards', its format) once every report has a card of it, so
-- later starts need not look.
CREATE TABLE derived_complete (
    name TEXT PRIMARY KEY,
    format BIGINT NOT NULL
);
