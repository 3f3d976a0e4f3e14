//! Queries of the knowledge base: categories, articles (with their tags, organisations and every
//! version), "was this helpful?", view counts, links to tickets, and article search.

use steward_domain::knowledge::{
    Article, ArticleScope, ArticleStatus, ArticleVersion, KbCategory, Visibility,
};
use steward_domain::search::Term;
use steward_domain::{ArticleId, KbCategoryId, Named, OrgId, PersonId, TicketId, Timestamp};

use crate::query::{q, Query};
use crate::rows::{from_ts, ts};
use crate::{Backend, Conn, Result, StoreError};

/// An article's fields as written (a new article, or a new version of one).
#[derive(Debug, Clone)]
pub struct ArticleFields {
    pub title: String,
    pub body: String,
    pub category_id: Option<KbCategoryId>,
    pub visibility: Visibility,
    pub organisations: Vec<OrgId>,
    pub status: ArticleStatus,
    pub tags: Vec<String>,
}

/// A file of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleFile {
    pub id: i64,
    pub article_id: ArticleId,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

impl ArticleFile {
    fn from_row(
        (id, article, filename, content_type, size): (i64, i64, String, String, i64),
    ) -> Self {
        ArticleFile {
            id,
            article_id: ArticleId(article),
            filename,
            content_type,
            size,
        }
    }
}

/// Which articles to list.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub category: Option<KbCategoryId>,
    pub status: Option<ArticleStatus>,
}

const ARTICLE_COLS: &str = "id, title, body, category_id, visibility, status, author_id, version, views, helpful_yes, helpful_no, created_at, updated_at, published_at";

/// The article columns of `articles a`.
fn a_cols() -> String {
    ARTICLE_COLS
        .split(", ")
        .map(|c| format!("a.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An article file's columns, with its size.
const FILE_SELECT: &str = "SELECT f.id, f.article_id, f.filename, f.content_type, b.size
    FROM article_files f JOIN blobs b ON b.sha256 = f.sha256";

crate::record::record! {
    struct ArticleRow {
        id: i64,
        title: String,
        body: String,
        category_id: Option<i64>,
        visibility: String,
        status: String,
        author_id: Option<i64>,
        version: i64,
        views: i64,
        helpful_yes: i64,
        helpful_no: i64,
        created_at: i64,
        updated_at: i64,
        published_at: Option<i64>,
    }
}

impl ArticleRow {
    fn into_article(self) -> Result<Article> {
        let bad = |e: steward_domain::DomainError| StoreError::Corrupt(format!("article: {e}"));
        Ok(Article {
            id: ArticleId(self.id),
            title: self.title,
            body: self.body,
            category_id: self.category_id.map(KbCategoryId),
            visibility: Visibility::parse(&self.visibility).map_err(bad)?,
            organisations: Vec::new(),
            status: ArticleStatus::parse(&self.status).map_err(bad)?,
            tags: Vec::new(),
            author_id: self.author_id.map(PersonId),
            version: self.version,
            views: self.views,
            helpful_yes: self.helpful_yes,
            helpful_no: self.helpful_no,
            created_at: from_ts(self.created_at)?,
            updated_at: from_ts(self.updated_at)?,
            published_at: self.published_at.map(from_ts).transpose()?,
        })
    }
}

/// `AND …` limiting articles (`a`) to what a scope may read.
fn push_scope(query: &mut Query, scope: ArticleScope) {
    if let ArticleScope::Published { organisation } = scope {
        query.push(" AND a.status = 'published' AND (a.visibility = 'public'");
        if let Some(org) = organisation {
            query
                .push(" OR (a.visibility = 'organisations' AND EXISTS (SELECT 1 FROM article_organisations ao WHERE ao.article_id = a.id AND ao.organisation_id = ")
                .param(org.0)
                .push("))");
        }
        query.push(")");
    }
}

impl Conn {
    // ---- categories ----

    pub async fn insert_kb_category(
        &mut self,
        parent: Option<KbCategoryId>,
        name: &str,
        position: i64,
        now: Timestamp,
    ) -> Result<KbCategory> {
        let (id,): (i64,) = self
            .fetch_one(
                q("INSERT INTO kb_categories (parent_id, name, position, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(parent.map(|p| p.0))
                    .bind(name)
                    .bind(position)
                    .bind(ts(now)),
            )
            .await?;
        Ok(KbCategory {
            id: KbCategoryId(id),
            parent_id: parent,
            name: name.to_string(),
            position,
        })
    }

    /// Every category, by position then name.
    pub async fn list_kb_categories(&mut self) -> Result<Vec<KbCategory>> {
        let rows: Vec<(i64, Option<i64>, String, i64)> = self
            .fetch_all(q(
                "SELECT id, parent_id, name, position FROM kb_categories ORDER BY position, name, id",
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, parent, name, position)| KbCategory {
                id: KbCategoryId(id),
                parent_id: parent.map(KbCategoryId),
                name,
                position,
            })
            .collect())
    }

    pub async fn update_kb_category(&mut self, c: &KbCategory) -> Result<()> {
        let n = self
            .execute(
                q("UPDATE kb_categories SET parent_id = $1, name = $2, position = $3 WHERE id = $4")
                    .bind(c.parent_id.map(|p| p.0))
                    .bind(c.name.as_str())
                    .bind(c.position)
                    .bind(c.id.0),
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Removes a category; a category with articles or sub-categories is a `BrokenReference`.
    pub async fn delete_kb_category(&mut self, id: KbCategoryId) -> Result<()> {
        let n = self
            .execute(q("DELETE FROM kb_categories WHERE id = $1").bind(id.0))
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    // ---- articles ----

    /// Adds an article as version 1.
    pub async fn insert_article(
        &mut self,
        f: &ArticleFields,
        author: Option<PersonId>,
        now: Timestamp,
    ) -> Result<Article> {
        let published = (f.status == ArticleStatus::Published).then_some(ts(now));
        let (id,): (i64,) = self
            .fetch_one(
                q("INSERT INTO articles (title, body, category_id, visibility, status, author_id, version, created_at, updated_at, published_at)
                   VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8) RETURNING id")
                .bind(f.title.as_str())
                .bind(f.body.as_str())
                .bind(f.category_id.map(|c| c.0))
                .bind(f.visibility.as_str())
                .bind(f.status.as_str())
                .bind(author.map(|a| a.0))
                .bind(ts(now))
                .bind(published),
            )
            .await?;
        let id = ArticleId(id);
        self.write_article_sets(id, f).await?;
        self.insert_version(id, 1, f, author, "", now).await?;
        self.get_article(id).await
    }

    async fn write_article_sets(&mut self, id: ArticleId, f: &ArticleFields) -> Result<()> {
        self.execute(q("DELETE FROM article_tags WHERE article_id = $1").bind(id.0))
            .await?;
        for t in &f.tags {
            self.execute(
                q("INSERT INTO article_tags (article_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id.0)
                    .bind(t.as_str()),
            )
            .await?;
        }
        self.execute(q("DELETE FROM article_organisations WHERE article_id = $1").bind(id.0))
            .await?;
        if f.visibility == Visibility::Organisations {
            for o in &f.organisations {
                self.execute(
                    q("INSERT INTO article_organisations (article_id, organisation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id.0)
                        .bind(o.0),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn insert_version(
        &mut self,
        id: ArticleId,
        version: i64,
        f: &ArticleFields,
        author: Option<PersonId>,
        note: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.execute(
            q("INSERT INTO article_versions (article_id, version, title, body, author_id, note, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id.0)
            .bind(version)
            .bind(f.title.as_str())
            .bind(f.body.as_str())
            .bind(author.map(|a| a.0))
            .bind(note)
            .bind(ts(now)),
        )
        .await?;
        Ok(())
    }

    /// Saves new fields as the next version (`expected_version` guards against overwriting a
    /// colleague's edit: a `Conflict` if the article moved on).
    pub async fn update_article(
        &mut self,
        id: ArticleId,
        expected_version: i64,
        f: &ArticleFields,
        editor: Option<PersonId>,
        note: &str,
        now: Timestamp,
    ) -> Result<Article> {
        // A version no article can have moved on from (a client's nonsense) is a conflict, not
        // an overflow.
        let version = expected_version
            .checked_add(1)
            .ok_or_else(|| StoreError::Conflict("articles_version".into()))?;
        let n = self
            .execute(
                q("UPDATE articles SET title = $1, body = $2, category_id = $3, visibility = $4, status = $5,
                     version = $6, updated_at = $7,
                     published_at = CASE WHEN $5 = 'published' THEN COALESCE(published_at, $7) ELSE published_at END
                   WHERE id = $8 AND version = $9")
                .bind(f.title.as_str())
                .bind(f.body.as_str())
                .bind(f.category_id.map(|c| c.0))
                .bind(f.visibility.as_str())
                .bind(f.status.as_str())
                .bind(version)
                .bind(ts(now))
                .bind(id.0)
                .bind(expected_version),
            )
            .await?;
        if n == 0 {
            // Missing, or someone saved first.
            self.get_article(id).await?;
            return Err(StoreError::Conflict(
                "the article was changed by someone else meanwhile".into(),
            ));
        }
        self.write_article_sets(id, f).await?;
        self.insert_version(id, version, f, editor, note, now)
            .await?;
        self.get_article(id).await
    }

    pub async fn get_article(&mut self, id: ArticleId) -> Result<Article> {
        let row: ArticleRow = self
            .fetch_one(
                q(&format!(
                    "SELECT {ARTICLE_COLS} FROM articles WHERE id = $1"
                ))
                .bind(id.0),
            )
            .await?;
        let mut a = row.into_article()?;
        self.fill_sets(std::slice::from_mut(&mut a)).await?;
        Ok(a)
    }

    async fn fill_sets(&mut self, articles: &mut [Article]) -> Result<()> {
        if articles.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = articles.iter().map(|a| a.id.0).collect();
        let backend = self.backend();
        let mut query = q("SELECT article_id, tag FROM article_tags WHERE 1 = 1");
        crate::bulk::push_ids_in(&mut query, backend, "article_id", &ids);
        query.push(" ORDER BY article_id, tag");
        let tags: Vec<(i64, String)> = self.fetch_all(query).await?;
        let mut query =
            q("SELECT article_id, organisation_id FROM article_organisations WHERE 1 = 1");
        crate::bulk::push_ids_in(&mut query, backend, "article_id", &ids);
        query.push(" ORDER BY article_id, organisation_id");
        let orgs: Vec<(i64, i64)> = self.fetch_all(query).await?;
        for a in articles.iter_mut() {
            a.tags = tags
                .iter()
                .filter(|(id, _)| *id == a.id.0)
                .map(|(_, t)| t.clone())
                .collect();
            a.organisations = orgs
                .iter()
                .filter(|(id, _)| *id == a.id.0)
                .map(|(_, o)| OrgId(*o))
                .collect();
        }
        Ok(())
    }

    /// Articles a scope may read, most recently updated first.
    pub async fn list_articles(
        &mut self,
        scope: ArticleScope,
        filter: &ArticleFilter,
        limit: i64,
    ) -> Result<Vec<Article>> {
        let mut query = q(&format!("SELECT {} FROM articles a WHERE 1 = 1", a_cols()));
        push_scope(&mut query, scope);
        if let Some(c) = filter.category {
            query.push(" AND a.category_id = ").param(c.0);
        }
        if let Some(s) = filter.status {
            query.push(" AND a.status = ").param(s.as_str());
        }
        query
            .push(" ORDER BY a.updated_at DESC, a.id DESC LIMIT ")
            .param(limit);
        let rows: Vec<ArticleRow> = self.fetch_all(query).await?;
        let mut out = rows
            .into_iter()
            .map(ArticleRow::into_article)
            .collect::<Result<Vec<_>>>()?;
        self.fill_sets(&mut out).await?;
        Ok(out)
    }

    /// Every version of an article, newest first.
    pub async fn article_versions(&mut self, id: ArticleId) -> Result<Vec<ArticleVersion>> {
        let rows: Vec<(i64, String, String, Option<i64>, String, i64)> = self
            .fetch_all(
                q(
                    "SELECT version, title, body, author_id, note, created_at FROM article_versions
                   WHERE article_id = $1 ORDER BY version DESC",
                )
                .bind(id.0),
            )
            .await?;
        rows.into_iter()
            .map(|(version, title, body, author, note, at)| {
                Ok(ArticleVersion {
                    article_id: id,
                    version,
                    title,
                    body,
                    author_id: author.map(PersonId),
                    note,
                    created_at: from_ts(at)?,
                })
            })
            .collect()
    }

    /// Counts one reading.
    pub async fn count_article_view(&mut self, id: ArticleId) -> Result<()> {
        self.execute(q("UPDATE articles SET views = views + 1 WHERE id = $1").bind(id.0))
            .await?;
        Ok(())
    }

    /// Records a person's "was this helpful?" (their latest answer counts) and recounts.
    pub async fn set_article_feedback(
        &mut self,
        id: ArticleId,
        person: PersonId,
        helpful: bool,
        comment: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.execute(
            q("INSERT INTO article_feedback (article_id, person_id, helpful, comment, created_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (article_id, person_id) DO UPDATE SET helpful = excluded.helpful,
                 comment = CASE WHEN excluded.comment = '' AND article_feedback.helpful = excluded.helpful
                                THEN article_feedback.comment ELSE excluded.comment END,
                 created_at = excluded.created_at")
            .bind(id.0)
            .bind(person.0)
            .bind(helpful)
            .bind(comment)
            .bind(ts(now)),
        )
        .await?;
        self.execute(
            q("UPDATE articles SET
                 helpful_yes = (SELECT COUNT(*) FROM article_feedback f WHERE f.article_id = articles.id AND f.helpful),
                 helpful_no = (SELECT COUNT(*) FROM article_feedback f WHERE f.article_id = articles.id AND NOT f.helpful)
               WHERE id = $1")
            .bind(id.0),
        )
        .await?;
        Ok(())
    }

    /// The comments left on an article, newest first: (person, helpful, comment, when).
    pub async fn article_comments(
        &mut self,
        id: ArticleId,
    ) -> Result<Vec<(PersonId, bool, String, Timestamp)>> {
        let rows: Vec<(i64, bool, String, i64)> = self
            .fetch_all(
                q(
                    "SELECT person_id, helpful, comment, created_at FROM article_feedback
                   WHERE article_id = $1 AND comment <> '' ORDER BY created_at DESC LIMIT 100",
                )
                .bind(id.0),
            )
            .await?;
        rows.into_iter()
            .map(|(p, h, c, at)| Ok((PersonId(p), h, c, from_ts(at)?)))
            .collect()
    }

    pub async fn delete_article(&mut self, id: ArticleId) -> Result<()> {
        let n = self
            .execute(q("DELETE FROM articles WHERE id = $1").bind(id.0))
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    // ---- tickets ----

    pub async fn link_article(
        &mut self,
        ticket: TicketId,
        article: ArticleId,
        by: Option<PersonId>,
        now: Timestamp,
    ) -> Result<bool> {
        let n = self
            .execute(
                q("INSERT INTO ticket_articles (ticket_id, article_id, linked_by, linked_at) VALUES ($1, $2, $3, $4)
                   ON CONFLICT DO NOTHING")
                .bind(ticket.0)
                .bind(article.0)
                .bind(by.map(|p| p.0))
                .bind(ts(now)),
            )
            .await?;
        Ok(n > 0)
    }

    pub async fn unlink_article(&mut self, ticket: TicketId, article: ArticleId) -> Result<bool> {
        let n = self
            .execute(
                q("DELETE FROM ticket_articles WHERE ticket_id = $1 AND article_id = $2")
                    .bind(ticket.0)
                    .bind(article.0),
            )
            .await?;
        Ok(n > 0)
    }

    /// The articles linked to a ticket that a scope may read.
    pub async fn ticket_articles(
        &mut self,
        ticket: TicketId,
        scope: ArticleScope,
    ) -> Result<Vec<Article>> {
        let mut query = q(&format!(
            "SELECT {} FROM articles a JOIN ticket_articles ta ON ta.article_id = a.id WHERE ta.ticket_id = ",
            a_cols()
        ));
        query.param(ticket.0);
        push_scope(&mut query, scope);
        query.push(" ORDER BY ta.linked_at, a.id");
        let rows: Vec<ArticleRow> = self.fetch_all(query).await?;
        let mut out = rows
            .into_iter()
            .map(ArticleRow::into_article)
            .collect::<Result<Vec<_>>>()?;
        self.fill_sets(&mut out).await?;
        Ok(out)
    }

    /// How many tickets link an article.
    pub async fn article_ticket_count(&mut self, article: ArticleId) -> Result<i64> {
        let (n,): (i64,) = self
            .fetch_one(
                q("SELECT COUNT(*) FROM ticket_articles WHERE article_id = $1").bind(article.0),
            )
            .await?;
        Ok(n)
    }

    // ---- files ----

    /// Adds a file to an article (its bytes already stored with [`Conn::store_blob`]).
    pub async fn insert_article_file(
        &mut self,
        article: ArticleId,
        sha256: &str,
        filename: &str,
        content_type: &str,
        now: Timestamp,
    ) -> Result<ArticleFile> {
        let (id,): (i64,) = self
            .fetch_one(
                q("INSERT INTO article_files (article_id, sha256, filename, content_type, created_at)
                   VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(article.0)
                .bind(sha256)
                .bind(filename)
                .bind(content_type)
                .bind(ts(now)),
            )
            .await?;
        self.article_file(id).await
    }

    /// The files of an article, oldest first.
    pub async fn article_files(&mut self, article: ArticleId) -> Result<Vec<ArticleFile>> {
        let rows: Vec<(i64, i64, String, String, i64)> = self
            .fetch_all(
                q(&format!(
                    "{FILE_SELECT} WHERE f.article_id = $1 ORDER BY f.id"
                ))
                .bind(article.0),
            )
            .await?;
        Ok(rows.into_iter().map(ArticleFile::from_row).collect())
    }

    pub async fn article_file(&mut self, id: i64) -> Result<ArticleFile> {
        let row: (i64, i64, String, String, i64) = self
            .fetch_one(q(&format!("{FILE_SELECT} WHERE f.id = $1")).bind(id))
            .await?;
        Ok(ArticleFile::from_row(row))
    }

    /// A file's bytes.
    pub async fn article_file_data(&mut self, id: i64) -> Result<Vec<u8>> {
        let (data,): (Vec<u8>,) = self
            .fetch_one(
                q("SELECT b.data FROM article_files f JOIN blobs b ON b.sha256 = f.sha256 WHERE f.id = $1")
                    .bind(id),
            )
            .await?;
        Ok(data)
    }

    pub async fn delete_article_file(&mut self, id: i64) -> Result<()> {
        let n = self
            .execute(q("DELETE FROM article_files WHERE id = $1").bind(id))
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    // ---- deflection ----

    /// A requester opened an article the new-request form suggested.
    pub async fn record_suggestion_opened(
        &mut self,
        person: PersonId,
        article: ArticleId,
        now: Timestamp,
    ) -> Result<()> {
        self.execute(
            q("INSERT INTO kb_deflections (person_id, article_id, opened_at) VALUES ($1, $2, $3)")
                .bind(person.0)
                .bind(article.0)
                .bind(ts(now)),
        )
        .await?;
        Ok(())
    }

    /// A requester opened a request after all: the suggestions they opened since `since` did not
    /// answer them.
    pub async fn suggestions_not_enough(
        &mut self,
        person: PersonId,
        ticket: TicketId,
        since: Timestamp,
    ) -> Result<()> {
        self.execute(
            q("UPDATE kb_deflections SET ticket_id = $1 WHERE person_id = $2 AND opened_at >= $3 AND ticket_id IS NULL")
                .bind(ticket.0)
                .bind(person.0)
                .bind(ts(since)),
        )
        .await?;
        Ok(())
    }

    /// Requests deflected: suggested articles opened in `[from, to)` and not followed by a request
    /// within `window`, counted once per person and hour-long visit (the first opening).
    pub async fn count_deflections(
        &mut self,
        from: Timestamp,
        to: Timestamp,
        window: jiff::SignedDuration,
        organisation: Option<i64>,
    ) -> Result<i64> {
        let settled = to.checked_sub(window).unwrap_or(to);
        let mut query = q("SELECT person_id, opened_at FROM kb_deflections
                   WHERE opened_at >= $1 AND opened_at < $2 AND ticket_id IS NULL")
        .bind(ts(from))
        .bind(ts(settled));
        if let Some(o) = organisation {
            query
                .push(" AND person_id IN (SELECT id FROM people WHERE organisation_id = ")
                .param(o)
                .push(")");
        }
        query.push(" ORDER BY person_id, opened_at");
        let rows: Vec<(i64, i64)> = self.fetch_all(query).await?;
        let window_us = window.as_micros() as i64;
        let mut n = 0;
        let mut last: Option<(i64, i64)> = None;
        for (person, at) in rows {
            match last {
                Some((p, start)) if p == person && at - start < window_us => {}
                _ => {
                    n += 1;
                    last = Some((person, at));
                }
            }
        }
        Ok(n)
    }

    // ---- search ----

    /// Articles a scope may read whose title or body has every term, best first:
    /// (article, score).
    pub async fn search_articles(
        &mut self,
        terms: &[Term],
        excluded: &[Term],
        scope: ArticleScope,
        limit: i64,
    ) -> Result<Vec<Article>> {
        self.find_articles(terms, excluded, scope, limit, false)
            .await
    }

    /// Articles a scope may read that have any of the words (best first: those with more of
    /// them, and rarer ones), for "articles like this".
    pub async fn articles_like(
        &mut self,
        words: &[String],
        scope: ArticleScope,
        limit: i64,
    ) -> Result<Vec<Article>> {
        let terms: Vec<Term> = words.iter().map(|w| Term::Word(w.clone())).collect();
        self.find_articles(&terms, &[], scope, limit, true).await
    }

    async fn find_articles(
        &mut self,
        terms: &[Term],
        excluded: &[Term],
        scope: ArticleScope,
        limit: i64,
        any: bool,
    ) -> Result<Vec<Article>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut query;
        match self.backend() {
            Backend::Sqlite => {
                query = q(&format!(
                    "SELECT {} FROM article_search s JOIN articles a ON a.id = s.rowid WHERE article_search MATCH ",
                    a_cols()
                ));
                let text = if any {
                    crate::search::fts5_query(terms, &[], false).replace(" AND ", " OR ")
                } else {
                    crate::search::fts5_query(terms, excluded, false)
                };
                query.param(text);
                push_scope(&mut query, scope);
                query.push(" ORDER BY bm25(article_search, 3.0, 1.0), a.id");
            }
            Backend::Postgres => {
                query = q(&format!(
                    "SELECT {} FROM articles a, to_tsquery('english', ",
                    a_cols()
                ));
                let text = if any {
                    crate::search::tsquery(terms, &[], false).replace(" & ", " | ")
                } else {
                    crate::search::tsquery(terms, excluded, false)
                };
                query.param(text);
                query.push(") AS x(q) WHERE a.search @@ x.q");
                push_scope(&mut query, scope);
                query.push(" ORDER BY ts_rank_cd(a.search, x.q) DESC, a.id");
            }
        }
        query.push(" LIMIT ").param(limit);
        let rows: Vec<ArticleRow> = self.fetch_all(query).await?;
        let mut out = rows
            .into_iter()
            .map(ArticleRow::into_article)
            .collect::<Result<Vec<_>>>()?;
        self.fill_sets(&mut out).await?;
        Ok(out)
    }
}
