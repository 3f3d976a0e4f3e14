-- Two-factor sign-in (TOTP) with recovery codes, sign-ins waiting for their second factor, and
-- sign-in links mailed to requesters.

-- A person's authenticator secret (base32), unconfirmed while they enrol. The last 30-second step
-- a code was accepted for, so that a code cannot be used twice.
CREATE TABLE totp_secrets (
    person_id    INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    secret       TEXT    NOT NULL,
    confirmed_at INTEGER,
    last_step    INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);

-- One-time recovery codes, stored as SHA-256.
CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    code_hash TEXT    NOT NULL,
    used_at   INTEGER
);
CREATE INDEX recovery_codes_person ON recovery_codes (person_id);

-- A password that was right, waiting for the second factor (a few minutes, a few tries).
CREATE TABLE sign_in_challenges (
    token_hash TEXT    PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0
);

-- "E-mail me a sign-in link" (requesters): one use, a short life.
CREATE TABLE sign_in_links (
    token_hash TEXT    PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
