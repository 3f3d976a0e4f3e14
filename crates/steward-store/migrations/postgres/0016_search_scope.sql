-- Scope words in the ticket and message vectors (see docs/search.md, "Speed"). Each vector also
-- carries lexemes for its ticket's status (`s-open`), organisation (`o-12`) and requester
-- (`r-345`), so that a search limited to open tickets, to one organisation or to a requester's
-- tickets intersects the word's matches with those rows inside the GIN index instead of checking
-- hundreds of thousands of matches against their tickets. The same limits are still applied as
-- SQL conditions on the ticket row: the scope words only make the search faster, never decide what
-- someone may see. Their hyphen keeps them apart from words (words are letters and digits only).
--
-- The message vectors are rewritten: on a large database this migration takes a while.

CREATE FUNCTION steward_search_scope(status TEXT, organisation_id BIGINT, requester_id BIGINT)
    RETURNS tsvector LANGUAGE SQL IMMUTABLE PARALLEL SAFE
    RETURN array_to_tsvector(array_remove(ARRAY[
        's-' || status, 'r-' || requester_id::text, 'o-' || organisation_id::text], NULL));

CREATE OR REPLACE FUNCTION steward_message_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := (SELECT steward_message_vector(t.subject, NEW.body)
            || steward_search_scope(t.status, t.organisation_id, t.requester_id)
        FROM tickets t WHERE t.id = NEW.ticket_id);
    RETURN NEW;
END $$;

-- A new subject: the messages' vectors again; a new status, organisation or requester: their
-- scope lexemes exchanged.
DROP TRIGGER ticket_subject_search ON tickets;
DROP FUNCTION steward_ticket_subject_search();
CREATE FUNCTION steward_ticket_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.subject IS DISTINCT FROM OLD.subject THEN
        UPDATE messages SET search = steward_message_vector(NEW.subject, body)
                || steward_search_scope(NEW.status, NEW.organisation_id, NEW.requester_id)
            WHERE ticket_id = NEW.id;
    ELSE
        UPDATE messages SET search = ts_delete(search, tsvector_to_array(
                    steward_search_scope(OLD.status, OLD.organisation_id, OLD.requester_id)))
                || steward_search_scope(NEW.status, NEW.organisation_id, NEW.requester_id)
            WHERE ticket_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_search AFTER UPDATE OF subject, status, organisation_id, requester_id
    ON tickets FOR EACH ROW
    WHEN (NEW.subject IS DISTINCT FROM OLD.subject OR NEW.status IS DISTINCT FROM OLD.status
        OR NEW.organisation_id IS DISTINCT FROM OLD.organisation_id
        OR NEW.requester_id IS DISTINCT FROM OLD.requester_id)
    EXECUTE FUNCTION steward_ticket_search();

DROP INDEX messages_search;
UPDATE messages m SET search = steward_message_vector(t.subject, m.body)
        || steward_search_scope(t.status, t.organisation_id, t.requester_id)
    FROM tickets t WHERE t.id = m.ticket_id;
CREATE INDEX messages_search ON messages USING GIN (search);

ALTER TABLE tickets DROP COLUMN search;
ALTER TABLE tickets ADD COLUMN search tsvector GENERATED ALWAYS AS (
    to_tsvector('english', steward_search_words(subject))
        || steward_search_scope(status, organisation_id, requester_id)) STORED;
CREATE INDEX tickets_search ON tickets USING GIN (search);
