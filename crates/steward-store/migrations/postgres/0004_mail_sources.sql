-- The e-mail channel, continued: IMAP cursors, watchers, copies, and quarantine kept once.

-- Where each polled IMAP folder stopped: the folder's UIDVALIDITY and the last UID taken in.
CREATE TABLE mail_cursors (
    source       TEXT    PRIMARY KEY,
    uid_validity BIGINT  NOT NULL,
    last_uid     BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);

-- People who receive a copy of a ticket's public replies (from the Cc of a mail, or added by staff).
CREATE TABLE ticket_watchers (
    ticket_id  BIGINT NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    person_id  BIGINT NOT NULL REFERENCES people(id),
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (ticket_id, person_id)
);
CREATE INDEX ticket_watchers_person ON ticket_watchers (person_id);

-- Copies of an outbound message (comma-separated addresses).
ALTER TABLE outbox ADD COLUMN cc TEXT NOT NULL DEFAULT '';

-- A message quarantined twice (delivered again before its source learnt it was taken) is kept once.
ALTER TABLE quarantine ADD COLUMN raw_sha256 TEXT;
CREATE INDEX quarantine_sha256 ON quarantine (raw_sha256);
