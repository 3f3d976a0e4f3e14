-- The audit log: security-relevant events (sign-ins and their failures, passwords, roles, tokens,
-- sessions, exports, settings), with who, from where and when. Rows are never changed; only the
-- retention sweep deletes the oldest.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    -- Who acted: a person (kept as the address at the time, since people are renamed), or nobody
    -- (Steward itself, an unknown address trying to sign in, the command line).
    actor_id    INTEGER,
    actor_email TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL,
    -- What it was done to, as `kind:id` (`person:12`, `token:3`, `policy:2`), or ''.
    subject     TEXT    NOT NULL DEFAULT '',
    -- A JSON object with what else matters (the fields changed, the address tried).
    detail      TEXT    NOT NULL DEFAULT '{}',
    ip          TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
