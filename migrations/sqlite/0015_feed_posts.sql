-- The posts of status-blog feeds already imported, by the post's GUID (or
-- its link when it has none), so that importing the same feed again adds
-- nothing. The report it became is kept for the import page's links; it
-- may since have been renamed or deleted.
CREATE TABLE feed_posts (
    post_key TEXT PRIMARY KEY,
    incident_slug TEXT NOT NULL,
    imported_at INTEGER NOT NULL
);
