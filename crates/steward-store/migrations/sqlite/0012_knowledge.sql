-- The knowledge base: articles in Markdown, in a tree of categories, with every version kept.

CREATE TABLE kb_categories (
    id         INTEGER PRIMARY KEY,
    parent_id  INTEGER REFERENCES kb_categories(id),
    name       TEXT    NOT NULL,
    position   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX kb_categories_parent ON kb_categories (parent_id);

CREATE TABLE articles (
    id           INTEGER PRIMARY KEY,
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    category_id  INTEGER REFERENCES kb_categories(id),
    visibility   TEXT    NOT NULL CHECK (visibility IN ('public', 'internal', 'organisations')),
    status       TEXT    NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    author_id    INTEGER REFERENCES people(id),
    version      INTEGER NOT NULL,
    views        INTEGER NOT NULL DEFAULT 0,
    helpful_yes  INTEGER NOT NULL DEFAULT 0,
    helpful_no   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX articles_category ON articles (category_id, status);
CREATE INDEX articles_updated ON articles (updated_at, id);

-- For visibility 'organisations': which ones.
CREATE TABLE article_organisations (
    article_id      INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, organisation_id)
);
CREATE INDEX article_organisations_org ON article_organisations (organisation_id);

CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tag        TEXT    NOT NULL,
    PRIMARY KEY (article_id, tag)
);

-- Every saved version, the current one included.
CREATE TABLE article_versions (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    author_id  INTEGER REFERENCES people(id),
    note       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (article_id, version)
);

-- "Was this helpful?", one answer per person and article (the latest counts).
CREATE TABLE article_feedback (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    helpful    BOOLEAN NOT NULL,
    comment    TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (article_id, person_id)
);

-- Articles linked to tickets (the answer given, or the article written from the ticket).
CREATE TABLE ticket_articles (
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    linked_by  INTEGER REFERENCES people(id),
    linked_at  INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, article_id)
);
CREATE INDEX ticket_articles_article ON ticket_articles (article_id);

-- Deflection: a requester opened an article the new-request form suggested. If they open no
-- request within the hour after (ticket_id stays NULL), the article answered them.
CREATE TABLE kb_deflections (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER  NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    article_id INTEGER  NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    opened_at  INTEGER  NOT NULL,
    ticket_id  INTEGER  REFERENCES tickets(id) ON DELETE SET NULL
);
CREATE INDEX kb_deflections_person ON kb_deflections (person_id, opened_at);
CREATE INDEX kb_deflections_time ON kb_deflections (opened_at);

-- Full-text index of articles (see 0011_search).
CREATE VIRTUAL TABLE article_search USING fts5(
    title, body,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_search (rowid, title, body) VALUES (new.id, new.title, substr(new.body, 1, 100000));
END;
CREATE TRIGGER article_search_update AFTER UPDATE OF title, body ON articles BEGIN
    DELETE FROM article_search WHERE rowid = old.id;
    INSERT INTO article_search (rowid, title, body) VALUES (new.id, new.title, substr(new.body, 1, 100000));
END;
CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN
    DELETE FROM article_search WHERE rowid = old.id;
END;

-- Files and images of an article (the bytes in blobs, once per content).
CREATE TABLE article_files (
    id           INTEGER PRIMARY KEY,
    article_id   INTEGER  NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    sha256       TEXT    NOT NULL REFERENCES blobs(sha256),
    filename     TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    created_at   INTEGER  NOT NULL
);
CREATE INDEX article_files_article ON article_files (article_id);
