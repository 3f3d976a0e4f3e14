-- Full-text search (PostgreSQL text search, GIN indexes). Each searchable row carries its own
-- tsvector, kept in step by generated columns and triggers in the same transaction as every change.
-- Punctuation is cut to spaces first, so that words are letters and digits as on SQLite
-- (`ann@acme.example` is the words ann, acme, example); tickets and messages are stemmed in
-- English, names are not. A message is indexed by its first 100,000 characters.
-- `steward search reindex` rebuilds them.

CREATE FUNCTION steward_search_words(t TEXT) RETURNS TEXT
    LANGUAGE SQL IMMUTABLE PARALLEL SAFE
    RETURN regexp_replace(left(t, 100000), '[[:punct:]]+', ' ', 'g');

CREATE FUNCTION steward_message_vector(subject TEXT, body TEXT) RETURNS tsvector
    LANGUAGE SQL IMMUTABLE PARALLEL SAFE
    RETURN setweight(to_tsvector('english', steward_search_words(subject)), 'A')
        || setweight(to_tsvector('english', steward_search_words(body)), 'B');

-- Each message with its ticket's subject, so that words of both find the ticket together.
ALTER TABLE messages ADD COLUMN search tsvector;

CREATE FUNCTION steward_message_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := steward_message_vector(
        (SELECT subject FROM tickets WHERE id = NEW.ticket_id), NEW.body);
    RETURN NEW;
END $$;
CREATE TRIGGER message_search BEFORE INSERT OR UPDATE OF body ON messages
    FOR EACH ROW EXECUTE FUNCTION steward_message_search();

CREATE FUNCTION steward_ticket_subject_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE messages SET search = steward_message_vector(NEW.subject, body)
        WHERE ticket_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER ticket_subject_search AFTER UPDATE OF subject ON tickets
    FOR EACH ROW WHEN (NEW.subject IS DISTINCT FROM OLD.subject)
    EXECUTE FUNCTION steward_ticket_subject_search();

UPDATE messages m SET search = steward_message_vector(t.subject, m.body)
    FROM tickets t WHERE t.id = m.ticket_id;
CREATE INDEX messages_search ON messages USING GIN (search);

ALTER TABLE tickets ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('english', steward_search_words(subject))) STORED;
CREATE INDEX tickets_search ON tickets USING GIN (search);

ALTER TABLE people ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', steward_search_words(name || ' ' || email))) STORED;
CREATE INDEX people_search ON people USING GIN (search);

ALTER TABLE organisations ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', steward_search_words(name))) STORED;
CREATE INDEX organisations_search ON organisations USING GIN (search);
