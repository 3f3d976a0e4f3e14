-- Service levels: business calendars, SLA policies, and each ticket's clocks.

-- A business calendar as written: an IANA time zone, working hours per weekday and holidays
-- (JSON, see steward_domain::calendar::CalendarDef).
CREATE TABLE calendars (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    definition TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- A policy: which tickets (applies, JSON), in whose business time (calendar; none = 24x7), the
-- targets per priority (JSON: critical, high, medium, low), the statuses that pause the clocks
-- (comma-separated), and when to warn. The lowest position that matches wins; else the default.
CREATE TABLE sla_policies (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    position     INTEGER NOT NULL DEFAULT 0,
    calendar_id  INTEGER REFERENCES calendars(id),
    applies      TEXT    NOT NULL DEFAULT '{}',
    targets      TEXT    NOT NULL,
    pause_in     TEXT    NOT NULL DEFAULT 'pending_requester',
    escalation   TEXT    NOT NULL DEFAULT '{}',
    warn_percent INTEGER NOT NULL DEFAULT 75,
    is_default   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- Each ticket's clocks as last computed (on every change that affects them).
CREATE TABLE ticket_clocks (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    target     TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    due_at     INTEGER,
    warn_at    INTEGER,
    stopped_at INTEGER,
    -- Business milliseconds left when computed (negative: overdue); exact while paused or stopped.
    remaining_ms INTEGER NOT NULL,
    allowed_ms INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, target)
);

ALTER TABLE tickets ADD COLUMN sla_policy_id INTEGER REFERENCES sla_policies(id);
-- The soonest due instant among the ticket's running clocks: the queue's "due soonest".
ALTER TABLE tickets ADD COLUMN sla_due_at INTEGER;
CREATE INDEX tickets_sla_due ON tickets (sla_due_at, id);
