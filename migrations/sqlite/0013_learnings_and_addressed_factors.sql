-- The lessons learned of the Google SRE template as fields of their own
-- (what went well, what went wrong, where we got lucky: Markdown), and the
-- contributing factors each action item addresses, as the factors' positions
-- in their report separated by spaces ("0 2"); NULL when it names none.
ALTER TABLE incidents ADD COLUMN went_well TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN went_wrong TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN got_lucky TEXT NOT NULL DEFAULT '';
ALTER TABLE action_items ADD COLUMN addresses TEXT;
