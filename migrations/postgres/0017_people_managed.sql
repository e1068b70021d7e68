-- People an admin manages. A disabled person cannot sign in, and disabling
-- ends their sessions and revokes their tokens in the same write. Admins see
-- when each person last signed in and when each token was last used.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN last_sign_in_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;

-- The audit log's filters: by who, what, and which report, newest first.
CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_by_subject ON audit_log (subject, id);
