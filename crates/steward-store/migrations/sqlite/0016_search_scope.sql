-- Scope words in the ticket and message indexes (see docs/search.md, "Speed"). Each indexed row
-- also carries, in a column of its own, words for its ticket's status (`xsopen`), organisation
-- (`xo12`) and requester (`xr345`), so that a search limited to open tickets, to one organisation
-- or to a requester's tickets intersects the word's matches with those rows inside the index
-- instead of checking hundreds of thousands of matches against their tickets. The same limits are
-- still applied as SQL conditions on the ticket row: the scope words only make the search faster,
-- never decide what someone may see. User words are matched in the text columns only.
--
-- The indexes are rebuilt with the new column: on a large database this migration takes a while
-- (about a minute per million messages).

DROP TRIGGER message_search_insert;
DROP TRIGGER message_search_update;
DROP TRIGGER message_search_delete;
DROP TRIGGER ticket_search_insert;
DROP TRIGGER ticket_search_update;
DROP TRIGGER ticket_search_delete;
DROP TABLE message_search;
DROP TABLE ticket_search;

CREATE VIRTUAL TABLE message_search USING fts5(
    subject, body, scope,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE ticket_search USING fts5(
    subject, scope,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- A ticket's scope words. Kept in one view so that the triggers and a rebuild agree.
CREATE VIEW ticket_search_scope (id, scope) AS
    SELECT id, 'xs' || replace(status, '_', '') || ' xr' || requester_id
        || coalesce(' xo' || organisation_id, '')
    FROM tickets;

CREATE TRIGGER message_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search (rowid, subject, body, scope)
        SELECT new.id, t.subject, substr(new.body, 1, 100000), s.scope
        FROM tickets t JOIN ticket_search_scope s ON s.id = t.id WHERE t.id = new.ticket_id;
END;
CREATE TRIGGER message_search_update AFTER UPDATE OF body ON messages BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
    INSERT INTO message_search (rowid, subject, body, scope)
        SELECT new.id, t.subject, substr(new.body, 1, 100000), s.scope
        FROM tickets t JOIN ticket_search_scope s ON s.id = t.id WHERE t.id = new.ticket_id;
END;
CREATE TRIGGER message_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
END;

CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search (rowid, subject, scope)
        SELECT new.id, new.subject, scope FROM ticket_search_scope WHERE id = new.id;
END;
-- A new subject, status, organisation or requester: the ticket's row and its messages' rows again.
CREATE TRIGGER ticket_search_update AFTER UPDATE OF subject, status, organisation_id, requester_id
ON tickets
WHEN new.subject IS NOT old.subject OR new.status IS NOT old.status
    OR new.organisation_id IS NOT old.organisation_id OR new.requester_id IS NOT old.requester_id
BEGIN
    DELETE FROM ticket_search WHERE rowid = old.id;
    INSERT INTO ticket_search (rowid, subject, scope)
        SELECT new.id, new.subject, scope FROM ticket_search_scope WHERE id = new.id;
    DELETE FROM message_search WHERE rowid IN (SELECT id FROM messages WHERE ticket_id = new.id);
    INSERT INTO message_search (rowid, subject, body, scope)
        SELECT m.id, new.subject, substr(m.body, 1, 100000), s.scope
        FROM messages m JOIN ticket_search_scope s ON s.id = new.id WHERE m.ticket_id = new.id;
END;
CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets BEGIN
    DELETE FROM ticket_search WHERE rowid = old.id;
END;

-- What is already stored.
INSERT INTO message_search (rowid, subject, body, scope)
    SELECT m.id, t.subject, substr(m.body, 1, 100000), s.scope
    FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN ticket_search_scope s ON s.id = t.id;
INSERT INTO ticket_search (rowid, subject, scope)
    SELECT t.id, t.subject, s.scope FROM tickets t JOIN ticket_search_scope s ON s.id = t.id;
