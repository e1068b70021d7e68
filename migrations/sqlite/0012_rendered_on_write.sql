-- Each report as its page shows it (its Markdown rendered and sanitised, its
-- timeline laid out), derived when a version is written and kept compressed,
-- with the format it was rendered in: see src/read_model/report.rs. Each
-- factor's and action item's text rendered too, for the pages that list them
-- across reports. Reports written before this get theirs from
-- `Store::fill_missing_derived` at the next start, and are rendered on read
-- until then.
ALTER TABLE incidents ADD COLUMN rendered BLOB;
ALTER TABLE incidents ADD COLUMN rendered_format BIGINT;
ALTER TABLE contributing_factors ADD COLUMN text_html TEXT;
ALTER TABLE action_items ADD COLUMN text_html TEXT;
