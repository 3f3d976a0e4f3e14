-- In-app notifications: what staff are told (also by mail when mail is set up), unread until read.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    ticket_id  INTEGER REFERENCES tickets(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    read_at    INTEGER
);
CREATE INDEX notifications_person ON notifications (person_id, id);
CREATE INDEX notifications_unread ON notifications (person_id) WHERE read_at IS NULL;

-- A time rule fires once per ticket and state: the ticket's updated_at when it last fired.
CREATE TABLE rule_time_runs (
    rule_id    INTEGER NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    state_at   INTEGER NOT NULL,
    fired_at   INTEGER NOT NULL,
    PRIMARY KEY (rule_id, ticket_id)
);

-- Tickets opened on a schedule (an iCalendar RRULE from a local start in a time zone).
CREATE TABLE recurring_tickets (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    rrule        TEXT    NOT NULL,
    starts_local TEXT    NOT NULL,
    time_zone    TEXT    NOT NULL,
    template     TEXT    NOT NULL,
    enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    next_run_at  INTEGER,
    last_run_at  INTEGER,
    last_ticket  INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
