-- The durable scheduler: work due at an instant, taken by one worker at a time (a lease with a
-- token of its own), retried with back-off, and kept when it finally fails.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,
    ticket_id   INTEGER REFERENCES tickets(id) ON DELETE CASCADE,
    payload     TEXT    NOT NULL DEFAULT '',
    -- At most one pending job per key (a ticket's next SLA check, say): scheduling it again moves it.
    dedupe      TEXT    UNIQUE,
    run_at      INTEGER NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER,
    lease_token TEXT,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    done_at     INTEGER
);
CREATE INDEX jobs_due ON jobs (status, run_at);

-- Each escalation step fires once per ticket, target and run of the clock.
CREATE TABLE sla_escalations (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    target    TEXT    NOT NULL,
    step      TEXT    NOT NULL,
    since     INTEGER NOT NULL,
    fired_at  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, target, step, since)
);
