-- Outages of a service (for one organisation, or for everyone), and the commitments they are
-- measured against: at most so many minutes a month.
CREATE TABLE downtimes (
    id              INTEGER PRIMARY KEY,
    service         TEXT    NOT NULL,
    organisation_id INTEGER REFERENCES organisations(id),
    started_at      INTEGER NOT NULL,
    ended_at        INTEGER,
    note            TEXT    NOT NULL DEFAULT '',
    created_by      INTEGER REFERENCES people(id),
    created_at      INTEGER NOT NULL
);
CREATE INDEX downtimes_service ON downtimes (service, started_at);

CREATE TABLE downtime_commitments (
    id                    INTEGER PRIMARY KEY,
    service               TEXT    NOT NULL,
    organisation_id       INTEGER REFERENCES organisations(id),
    max_minutes_per_month INTEGER NOT NULL,
    time_zone             TEXT    NOT NULL DEFAULT 'UTC',
    UNIQUE (service, organisation_id)
);
