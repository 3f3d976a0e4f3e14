-- Satisfaction surveys, the suggestion box, and what the KPI reports read.

-- A survey asks a ticket's requester to rate one resolution (a reopened and re-resolved ticket is
-- asked again). The link's secret is stored hashed; rating and comment are given once.
CREATE TABLE surveys (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    resolved_at INTEGER NOT NULL,
    token_hash  TEXT    NOT NULL UNIQUE,
    sent_at     INTEGER NOT NULL,
    rating      INTEGER CHECK (rating BETWEEN 1 AND 5),
    comment     TEXT    NOT NULL DEFAULT '',
    rated_at    INTEGER,
    UNIQUE (ticket_id, resolved_at)
);
CREATE INDEX surveys_rated ON surveys (rated_at) WHERE rated_at IS NOT NULL;

-- The ticket's latest rating, for rules and lists.
ALTER TABLE tickets ADD COLUMN rating INTEGER;

-- Feedback not tied to a ticket, triaged by managers.
CREATE TABLE suggestions (
    id              INTEGER PRIMARY KEY,
    author_id       INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    organisation_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'new'
                    CHECK (status IN ('new', 'planned', 'done', 'declined')),
    response        TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX suggestions_status ON suggestions (status, id);
CREATE INDEX suggestions_author ON suggestions (author_id, id);

-- Each ticket's measured times (milliseconds; business time in its policy's calendar without the
-- time spent waiting on the requester), its staff's public replies, and how its service-level
-- targets ended: kept with its clocks on every change.
CREATE TABLE ticket_metrics (
    ticket_id            INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    first_response_ms    INTEGER,
    first_response_bms   INTEGER,
    resolution_ms        INTEGER,
    resolution_bms       INTEGER,
    staff_replies        INTEGER NOT NULL DEFAULT 0,
    first_response_met   BOOLEAN,
    next_response_met    BOOLEAN,
    resolution_met       BOOLEAN
);

CREATE INDEX tickets_resolved ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX tickets_first_response ON tickets (first_responded_at) WHERE first_responded_at IS NOT NULL;
-- Open tickets (a few percent of all): the backlog of a report. Without it the planner, which
-- thinks each status holds a sixth of the tickets, reads the whole table for a month's report.
CREATE INDEX tickets_open ON tickets (status) WHERE status IN ('new', 'open', 'pending_requester', 'pending_vendor');

-- Reports mailed on a schedule.
CREATE TABLE report_schedules (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    frequency    TEXT    NOT NULL CHECK (frequency IN ('weekly', 'monthly')),
    filters      TEXT    NOT NULL DEFAULT '{}',
    next_run_at  INTEGER NOT NULL,
    last_sent_at INTEGER,
    created_at   INTEGER NOT NULL
);
CREATE INDEX report_schedules_person ON report_schedules (person_id);
