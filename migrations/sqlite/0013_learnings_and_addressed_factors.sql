-- The lessons learned of the Google SRE template as fields of their own
-- (what went well, what went wrong, where we got lucky: Markdown), and the
-- contributing factors each action item addresses, as the factors' positions
-- in their report separated by spaces ("0 2"); NULL when it names none.
ALTER TABLE incidents ADD COLUMN went_well TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN went_wrong TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN got_lucky TEXT NOT NULL DEFAULT '';
ALTER TABLE action_items ADD COLUMN addresses TEXT;

-- One owner's open action items in due order, and their completed ones
-- newest first: the owner's feed and calendar (/actions?owner=…).
CREATE INDEX action_items_open_by_owner ON action_items (owner, open_due, incident_id DESC, position)
    WHERE open_due IS NOT NULL;
CREATE INDEX action_items_completed_by_owner ON action_items (owner, completed_at DESC, incident_id DESC, position)
    WHERE completed_at IS NOT NULL;
