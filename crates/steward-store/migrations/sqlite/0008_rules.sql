-- Automation rules: when (triggers), if (conditions), then (actions), as JSON
-- (steward_domain::rules::RuleDef), run in order of position.
CREATE TABLE rules (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    position   INTEGER NOT NULL DEFAULT 0,
    enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    definition TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
