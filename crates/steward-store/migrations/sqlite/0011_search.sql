-- Full-text search (SQLite FTS5). The indexes are contentless (the text stays in its own tables,
-- once) and kept in step with the data by triggers, in the same transaction as every change.
-- Words are letters and digits (unicode61, accents folded) reduced to their English stem (porter).
-- A message is indexed by its first 100,000 characters (as on PostgreSQL, whose limit it is).
-- `steward search reindex` rebuilds them.

-- One row per message (rowid = message id), with its ticket's subject, so that words of the
-- subject and of a message find the ticket together.
CREATE VIRTUAL TABLE message_search USING fts5(
    subject, body,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
-- One row per ticket (rowid = ticket id): the subject alone, for tickets without messages.
CREATE VIRTUAL TABLE ticket_search USING fts5(
    subject,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
-- People by name and address, organisations by name (rowid = their id). No stemming: names.
CREATE VIRTUAL TABLE person_search USING fts5(
    name, email,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE organisation_search USING fts5(
    name,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search (rowid, subject, body)
        SELECT new.id, t.subject, substr(new.body, 1, 100000) FROM tickets t WHERE t.id = new.ticket_id;
END;
CREATE TRIGGER message_search_update AFTER UPDATE OF body ON messages BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
    INSERT INTO message_search (rowid, subject, body)
        SELECT new.id, t.subject, substr(new.body, 1, 100000) FROM tickets t WHERE t.id = new.ticket_id;
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
END;

CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search (rowid, subject) VALUES (new.id, new.subject);
END;
CREATE TRIGGER ticket_search_update AFTER UPDATE OF subject ON tickets
WHEN new.subject IS NOT old.subject BEGIN
    DELETE FROM ticket_search WHERE rowid = old.id;
    INSERT INTO ticket_search (rowid, subject) VALUES (new.id, new.subject);
    DELETE FROM message_search WHERE rowid IN (SELECT id FROM messages WHERE ticket_id = new.id);
    INSERT INTO message_search (rowid, subject, body)
        SELECT id, new.subject, substr(body, 1, 100000) FROM messages WHERE ticket_id = new.id;
END;
CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets BEGIN
    DELETE FROM ticket_search WHERE rowid = old.id;
END;

CREATE TRIGGER person_search_insert AFTER INSERT ON people BEGIN
    INSERT INTO person_search (rowid, name, email) VALUES (new.id, new.name, new.email);
END;
CREATE TRIGGER person_search_update AFTER UPDATE OF name, email ON people BEGIN
    DELETE FROM person_search WHERE rowid = old.id;
    INSERT INTO person_search (rowid, name, email) VALUES (new.id, new.name, new.email);
END;
CREATE TRIGGER person_search_delete AFTER DELETE ON people BEGIN
    DELETE FROM person_search WHERE rowid = old.id;
END;

CREATE TRIGGER organisation_search_insert AFTER INSERT ON organisations BEGIN
    INSERT INTO organisation_search (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER organisation_search_update AFTER UPDATE OF name ON organisations BEGIN
    DELETE FROM organisation_search WHERE rowid = old.id;
    INSERT INTO organisation_search (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER organisation_search_delete AFTER DELETE ON organisations BEGIN
    DELETE FROM organisation_search WHERE rowid = old.id;
END;

-- What is already stored.
INSERT INTO message_search (rowid, subject, body)
    SELECT m.id, t.subject, substr(m.body, 1, 100000) FROM messages m JOIN tickets t ON t.id = m.ticket_id;
INSERT INTO ticket_search (rowid, subject) SELECT id, subject FROM tickets;
INSERT INTO person_search (rowid, name, email) SELECT id, name, email FROM people;
INSERT INTO organisation_search (rowid, name) SELECT id, name FROM organisations;
