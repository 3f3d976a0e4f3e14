-- The e-mail channel: threading keys, attachments, quarantine, and the outbox.

-- The Message-ID of every stored inbound and outbound mail (without angle brackets), for
-- threading replies and for storing each delivery once.
CREATE TABLE mail_ids (
    id         INTEGER PRIMARY KEY,
    message_id TEXT    NOT NULL UNIQUE,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    direction  TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    created_at INTEGER NOT NULL
);
CREATE INDEX mail_ids_ticket ON mail_ids (ticket_id);

-- How a message arrived, for those that came by mail.
ALTER TABLE messages ADD COLUMN channel TEXT;
-- A recognised automatic mail (auto-reply, bounce…): stored, never answered.
ALTER TABLE messages ADD COLUMN automatic TEXT;
-- The message's HTML, sanitised when it was stored (the text body is always there too).
ALTER TABLE messages ADD COLUMN body_html TEXT;

-- A ticket opened by mail to a closed ticket points at it.
ALTER TABLE tickets ADD COLUMN follow_up_of INTEGER REFERENCES tickets(id);
-- The mailbox (address) a ticket came in on; replies are sent from it.
ALTER TABLE tickets ADD COLUMN mailbox TEXT;

-- File contents, stored once however often they are sent (named by SHA-256).
CREATE TABLE blobs (
    sha256     TEXT    PRIMARY KEY,
    size       INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE message_attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    sha256       TEXT    NOT NULL REFERENCES blobs(sha256),
    filename     TEXT,
    content_type TEXT    NOT NULL,
    content_id   TEXT,
    inline       BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX message_attachments_message ON message_attachments (message_id);

-- Mail that could not be read or routed, kept whole with the reason until retried or discarded.
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    mailbox     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    raw         BLOB    NOT NULL,
    received_at INTEGER NOT NULL,
    resolved_at INTEGER
);

-- Mail to send, written in the same transaction as the change that causes it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    ticket_id       INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    kind            TEXT    NOT NULL,
    to_addr         TEXT    NOT NULL,
    from_addr       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    message_id      TEXT    NOT NULL UNIQUE,
    in_reply_to     TEXT,
    refs            TEXT    NOT NULL DEFAULT '',
    automatic       BOOLEAN NOT NULL DEFAULT FALSE,
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    -- A sender that took the message to send it holds it until then.
    lease_until     INTEGER,
    -- Which sender holds it: only that sender's result is recorded.
    lease_token     TEXT,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- Mail per sender over time (the loop guard counts a sender's recent messages).
CREATE INDEX messages_author_time ON messages (author_id, created_at);
