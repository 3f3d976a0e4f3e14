//! The knowledge base's use cases: categories, articles and their versions, reading (counted),
//! "was this helpful?", links between tickets and articles, and a draft article written from a
//! resolved ticket. Who may read what is `steward_domain::knowledge`.

use steward_domain::knowledge::{
    self, article_scope, may_manage, may_read, may_write, Article, ArticleStatus, ArticleVersion,
    KbCategory, Visibility,
};
use steward_domain::{
    validate, Actor, ArticleId, KbCategoryId, MessageKind, OrgId, PersonId, Status, TicketId,
};
use steward_store::knowledge::{ArticleFields, ArticleFile, ArticleFilter};
use steward_store::StoreError;

use crate::{Result, Service, ServiceError};

/// The largest file an article may carry, in bytes.
pub const MAX_ARTICLE_FILE: usize = 10_000_000;

/// How long after opening a suggested article a new request still counts as "not deflected".
pub const DEFLECTION_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

/// An article as written by an editor.
#[derive(Debug, Clone, Default)]
pub struct ArticleInput {
    pub title: String,
    /// Markdown.
    pub body: String,
    pub category_id: Option<KbCategoryId>,
    /// Default: internal (a new article is not shown to requesters by accident).
    pub visibility: Option<Visibility>,
    pub organisations: Vec<OrgId>,
    /// Default: draft.
    pub status: Option<ArticleStatus>,
    pub tags: Vec<String>,
    /// When changing an article: the version the editor started from.
    pub expected_version: Option<i64>,
    /// What changed, in the editor's words.
    pub note: Option<String>,
}

fn denied_write() -> ServiceError {
    ServiceError::Forbidden("only staff write knowledge-base articles".into())
}

fn denied_manage() -> ServiceError {
    ServiceError::Forbidden(
        "only managers and administrators delete articles and arrange categories".into(),
    )
}

fn store_refs(e: StoreError) -> ServiceError {
    match e {
        StoreError::BrokenReference(_) => ServiceError::invalid(
            "category_id",
            "refers to a category or organisation that does not exist",
        ),
        e => e.into(),
    }
}

impl Service {
    fn article_fields(input: &ArticleInput) -> Result<ArticleFields> {
        let title = knowledge::title(&input.title)?;
        let body = knowledge::body(&input.body)?;
        let visibility = input.visibility.unwrap_or(Visibility::Internal);
        let mut organisations = input.organisations.clone();
        organisations.sort();
        organisations.dedup();
        if visibility == Visibility::Organisations && organisations.is_empty() {
            return Err(ServiceError::invalid(
                "organisations",
                "an article for organisations names at least one",
            ));
        }
        let mut tags = input
            .tags
            .iter()
            .map(|t| validate::tag(t))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        tags.sort();
        tags.dedup();
        Ok(ArticleFields {
            title,
            body,
            category_id: input.category_id,
            visibility,
            organisations,
            status: input.status.unwrap_or(ArticleStatus::Draft),
            tags,
        })
    }

    // ---- categories ----

    /// The category tree (everyone signed in).
    pub async fn kb_categories(&self, _actor: &Actor) -> Result<Vec<KbCategory>> {
        Ok(self.store.read().await?.list_kb_categories().await?)
    }

    pub async fn create_kb_category(
        &self,
        actor: &Actor,
        parent: Option<KbCategoryId>,
        name: &str,
        position: i64,
    ) -> Result<KbCategory> {
        if !may_manage(actor) {
            return Err(denied_manage());
        }
        let name = validate::name("name", name)?;
        let mut tx = self.store.write().await?;
        let c = tx
            .insert_kb_category(parent, &name, position, self.now())
            .await
            .map_err(|e| match e {
                StoreError::BrokenReference(_) => {
                    ServiceError::invalid("parent_id", "there is no such category")
                }
                e => e.into(),
            })?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn update_kb_category(&self, actor: &Actor, c: KbCategory) -> Result<KbCategory> {
        if !may_manage(actor) {
            return Err(denied_manage());
        }
        let name = validate::name("name", &c.name)?;
        let all = self.store.read().await?.list_kb_categories().await?;
        // A category may not move under itself or its descendants.
        let mut at = c.parent_id;
        while let Some(p) = at {
            if p == c.id {
                return Err(ServiceError::invalid(
                    "parent_id",
                    "a category cannot go inside itself",
                ));
            }
            at = all.iter().find(|x| x.id == p).and_then(|x| x.parent_id);
        }
        let c = KbCategory { name, ..c };
        let mut tx = self.store.write().await?;
        match tx.update_kb_category(&c).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound("category")),
            Err(StoreError::BrokenReference(_)) => {
                return Err(ServiceError::invalid(
                    "parent_id",
                    "there is no such category",
                ))
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(c)
    }

    pub async fn delete_kb_category(&self, actor: &Actor, id: KbCategoryId) -> Result<()> {
        if !may_manage(actor) {
            return Err(denied_manage());
        }
        let mut tx = self.store.write().await?;
        match tx.delete_kb_category(id).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound("category")),
            Err(StoreError::BrokenReference(_) | StoreError::Conflict(_)) => {
                return Err(ServiceError::Conflict(
                    "the category still holds articles or categories: move them first".into(),
                ))
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- articles ----

    pub async fn create_article(&self, actor: &Actor, input: ArticleInput) -> Result<Article> {
        if !may_write(actor) {
            return Err(denied_write());
        }
        let fields = Self::article_fields(&input)?;
        let mut tx = self.store.write().await?;
        let a = tx
            .insert_article(&fields, actor.person_id, self.now())
            .await
            .map_err(store_refs)?;
        tx.commit().await?;
        Ok(a)
    }

    /// Saves a new version. `expected_version` must be the version the editor started from.
    pub async fn update_article(
        &self,
        actor: &Actor,
        id: ArticleId,
        input: ArticleInput,
    ) -> Result<Article> {
        if !may_write(actor) {
            return Err(denied_write());
        }
        let fields = Self::article_fields(&input)?;
        let mut tx = self.store.write().await?;
        let current = match tx.get_article(id).await {
            Ok(a) => a,
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound("article")),
            Err(e) => return Err(e.into()),
        };
        let expected = input.expected_version.unwrap_or(current.version);
        let note = input.note.as_deref().unwrap_or("").trim();
        let a = tx
            .update_article(id, expected, &fields, actor.person_id, note, self.now())
            .await
            .map_err(|e| match e {
                StoreError::Conflict(m) => ServiceError::Conflict(format!(
                    "{m}: it is at version {}, you started from {expected}; reload and edit again",
                    current.version
                )),
                e => store_refs(e),
            })?;
        tx.commit().await?;
        Ok(a)
    }

    /// An article, if `actor` may read it (others' articles are as good as missing).
    pub async fn article(&self, actor: &Actor, id: ArticleId) -> Result<Article> {
        let a = match self.store.read().await?.get_article(id).await {
            Ok(a) => a,
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound("article")),
            Err(e) => return Err(e.into()),
        };
        if !may_read(actor, &a) {
            return Err(ServiceError::NotFound("article"));
        }
        Ok(a)
    }

    /// An article being read: counted as a view when a requester reads it.
    pub async fn read_article(&self, actor: &Actor, id: ArticleId) -> Result<Article> {
        let mut a = self.article(actor, id).await?;
        if !actor.is_staff() {
            let mut tx = self.store.write().await?;
            tx.count_article_view(id).await?;
            tx.commit().await?;
            a.views += 1;
        }
        Ok(a)
    }

    /// Articles `actor` may read, most recently updated first.
    pub async fn articles(
        &self,
        actor: &Actor,
        category: Option<KbCategoryId>,
        status: Option<ArticleStatus>,
    ) -> Result<Vec<Article>> {
        let filter = ArticleFilter { category, status };
        Ok(self
            .store
            .read()
            .await?
            .list_articles(article_scope(actor), &filter, 500)
            .await?)
    }

    /// Every version of an article (staff).
    pub async fn article_versions(
        &self,
        actor: &Actor,
        id: ArticleId,
    ) -> Result<Vec<ArticleVersion>> {
        if !may_write(actor) {
            return Err(ServiceError::NotFound("article"));
        }
        self.article(actor, id).await?;
        Ok(self.store.read().await?.article_versions(id).await?)
    }

    /// Makes an old version's title and text the current ones, as a new version.
    pub async fn restore_article_version(
        &self,
        actor: &Actor,
        id: ArticleId,
        version: i64,
    ) -> Result<Article> {
        let current = self.article(actor, id).await?;
        let versions = self.article_versions(actor, id).await?;
        let old = versions
            .into_iter()
            .find(|v| v.version == version)
            .ok_or(ServiceError::NotFound("version"))?;
        self.update_article(
            actor,
            id,
            ArticleInput {
                title: old.title,
                body: old.body,
                category_id: current.category_id,
                visibility: Some(current.visibility),
                organisations: current.organisations,
                status: Some(current.status),
                tags: current.tags,
                expected_version: Some(current.version),
                note: Some(format!("Restored version {version}")),
            },
        )
        .await
    }

    /// "Was this helpful?" from someone who may read the article; their latest answer counts.
    pub async fn article_feedback(
        &self,
        actor: &Actor,
        id: ArticleId,
        helpful: bool,
        comment: &str,
    ) -> Result<Article> {
        let Some(person) = actor.person_id else {
            return Err(ServiceError::invalid(
                "person",
                "feedback comes from a person",
            ));
        };
        let a = self.article(actor, id).await?;
        if a.status != ArticleStatus::Published {
            return Err(ServiceError::Conflict(
                "only published articles take feedback".into(),
            ));
        }
        let comment = comment.trim();
        if comment.chars().count() > 2000 {
            return Err(ServiceError::invalid("comment", "at most 2000 characters"));
        }
        let mut tx = self.store.write().await?;
        tx.set_article_feedback(id, person, helpful, comment, self.now())
            .await?;
        tx.commit().await?;
        self.article(actor, id).await
    }

    /// Comments left with feedback (staff): (person, helpful, comment, when).
    pub async fn article_comments(
        &self,
        actor: &Actor,
        id: ArticleId,
    ) -> Result<Vec<(PersonId, bool, String, steward_domain::Timestamp)>> {
        if !actor.is_staff() {
            return Err(ServiceError::NotFound("article"));
        }
        Ok(self.store.read().await?.article_comments(id).await?)
    }

    pub async fn delete_article(&self, actor: &Actor, id: ArticleId) -> Result<()> {
        if !may_manage(actor) {
            return Err(denied_manage());
        }
        let mut tx = self.store.write().await?;
        match tx.delete_article(id).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound("article")),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many tickets link an article (staff).
    pub async fn article_ticket_count(&self, actor: &Actor, id: ArticleId) -> Result<i64> {
        if !actor.is_staff() {
            return Err(ServiceError::NotFound("article"));
        }
        Ok(self.store.read().await?.article_ticket_count(id).await?)
    }

    /// Articles `actor` may read that resemble a text (a ticket's subject, a request being
    /// typed): any of its significant words, best first.
    pub async fn articles_like(
        &self,
        actor: &Actor,
        text: &str,
        limit: i64,
    ) -> Result<Vec<Article>> {
        let words = steward_domain::search::significant_words(text);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .read()
            .await?
            .articles_like(&words, article_scope(actor), limit)
            .await?)
    }

    // ---- files ----

    /// Adds a file or image to an article (staff). At most [`MAX_ARTICLE_FILE`] bytes; the name
    /// is kept without any folder part.
    pub async fn add_article_file(
        &self,
        actor: &Actor,
        article: ArticleId,
        filename: &str,
        content_type: &str,
        data: &[u8],
    ) -> Result<ArticleFile> {
        use sha2::Digest;
        if !may_write(actor) {
            return Err(denied_write());
        }
        self.article(actor, article).await?;
        let name = filename
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("")
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect::<String>();
        if name.is_empty() {
            return Err(ServiceError::invalid("filename", "a file needs a name"));
        }
        if data.is_empty() {
            return Err(ServiceError::invalid("file", "the file is empty"));
        }
        if data.len() > MAX_ARTICLE_FILE {
            return Err(ServiceError::invalid(
                "file",
                format!("at most {} MB", MAX_ARTICLE_FILE / 1_000_000),
            ));
        }
        let content_type = match content_type.trim() {
            "" => "application/octet-stream",
            t if t.len() > 100 || !t.contains('/') => "application/octet-stream",
            t => t,
        };
        let sha = hex::encode(sha2::Sha256::digest(data));
        let now = self.now();
        let mut tx = self.store.write().await?;
        tx.store_blob(&sha, data, now).await?;
        let f = tx
            .insert_article_file(article, &sha, &name, content_type, now)
            .await?;
        tx.commit().await?;
        Ok(f)
    }

    /// The files of an article `actor` may read.
    pub async fn article_files(
        &self,
        actor: &Actor,
        article: ArticleId,
    ) -> Result<Vec<ArticleFile>> {
        self.article(actor, article).await?;
        Ok(self.store.read().await?.article_files(article).await?)
    }

    /// A file and its bytes, if `actor` may read its article.
    pub async fn article_file(&self, actor: &Actor, id: i64) -> Result<(ArticleFile, Vec<u8>)> {
        let mut c = self.store.read().await?;
        let f = match c.article_file(id).await {
            Ok(f) => f,
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound("file")),
            Err(e) => return Err(e.into()),
        };
        drop(c);
        self.article(actor, f.article_id)
            .await
            .map_err(|_| ServiceError::NotFound("file"))?;
        let data = self.store.read().await?.article_file_data(id).await?;
        Ok((f, data))
    }

    pub async fn delete_article_file(&self, actor: &Actor, id: i64) -> Result<()> {
        if !may_write(actor) {
            return Err(denied_write());
        }
        let mut tx = self.store.write().await?;
        match tx.delete_article_file(id).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound("file")),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(())
    }

    // ---- deflection ----

    /// A requester opened an article the new-request form suggested (staff trying the form are
    /// not counted).
    pub async fn record_suggestion_opened(&self, actor: &Actor, article: ArticleId) -> Result<()> {
        let Some(person) = actor.person_id.filter(|_| !actor.is_staff()) else {
            return Ok(());
        };
        let mut tx = self.store.write().await?;
        tx.record_suggestion_opened(person, article, self.now())
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Requests deflected between two instants (staff): a requester opened a suggested article
    /// and did not open a request within [`DEFLECTION_WINDOW`] after. Visits within that window
    /// count once.
    pub async fn deflections(
        &self,
        actor: &Actor,
        from: steward_domain::Timestamp,
        to: steward_domain::Timestamp,
    ) -> Result<i64> {
        if !actor.is_staff() {
            return Err(ServiceError::Forbidden(
                "deflection figures are for staff".into(),
            ));
        }
        Ok(self
            .store
            .read()
            .await?
            .count_deflections(from, to, DEFLECTION_WINDOW, None)
            .await?)
    }

    /// In the transaction of a requester's new request: the suggestions they opened in the last
    /// [`DEFLECTION_WINDOW`] did not answer them.
    pub(crate) async fn request_not_deflected(
        &self,
        tx: &mut steward_store::Conn,
        person: PersonId,
        ticket: TicketId,
    ) -> Result<()> {
        let now = self.now();
        let since = now.checked_sub(DEFLECTION_WINDOW).unwrap_or(now);
        tx.suggestions_not_enough(person, ticket, since).await?;
        Ok(())
    }

    // ---- tickets ----

    /// Links an article to a ticket (staff; the article must be one the ticket's requester could
    /// be pointed to, or internal for staff's own use).
    pub async fn link_article(
        &self,
        actor: &Actor,
        ticket: TicketId,
        article: ArticleId,
    ) -> Result<bool> {
        if !actor.is_staff() {
            return Err(ServiceError::Forbidden(
                "staff link articles to tickets".into(),
            ));
        }
        let t = self.get_ticket(actor, ticket).await?;
        self.article(actor, article).await?;
        let mut tx = self.store.write().await?;
        let linked = tx
            .link_article(t.id, article, actor.person_id, self.now())
            .await?;
        tx.commit().await?;
        Ok(linked)
    }

    pub async fn unlink_article(
        &self,
        actor: &Actor,
        ticket: TicketId,
        article: ArticleId,
    ) -> Result<()> {
        if !actor.is_staff() {
            return Err(ServiceError::Forbidden(
                "staff link articles to tickets".into(),
            ));
        }
        let t = self.get_ticket(actor, ticket).await?;
        let mut tx = self.store.write().await?;
        if !tx.unlink_article(t.id, article).await? {
            return Err(ServiceError::NotFound("link"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The articles linked to a ticket that `actor` may read.
    pub async fn ticket_articles(&self, actor: &Actor, ticket: TicketId) -> Result<Vec<Article>> {
        let t = self.get_ticket(actor, ticket).await?;
        Ok(self
            .store
            .read()
            .await?
            .ticket_articles(t.id, article_scope(actor))
            .await?)
    }

    /// A draft article from a resolved or closed ticket: its subject as the title, the problem
    /// (the requester's first message) and the fix (the last public staff reply), with the
    /// requester's name and address taken out. Linked to the ticket; internal until an editor
    /// decides otherwise.
    pub async fn article_from_ticket(&self, actor: &Actor, ticket: TicketId) -> Result<Article> {
        if !may_write(actor) {
            return Err(denied_write());
        }
        let t = self.get_ticket(actor, ticket).await?;
        if !matches!(t.status, Status::Resolved | Status::Closed) {
            return Err(ServiceError::Conflict(
                "write an article from a ticket once it is resolved".into(),
            ));
        }
        let mut c = self.store.read().await?;
        let messages = c.list_messages(t.id, false).await?;
        let requester = c.get_person(t.requester_id).await?;
        let staff: std::collections::HashSet<PersonId> = {
            let authors: Vec<PersonId> = messages.iter().filter_map(|m| m.author_id).collect();
            c.people_by_ids(&authors)
                .await?
                .into_iter()
                .filter(|p| p.role.is_staff())
                .map(|p| p.id)
                .collect()
        };
        drop(c);
        let mut public = messages.iter().filter(|m| m.kind == MessageKind::Public);
        let problem = public
            .clone()
            .find(|m| m.author_id == Some(t.requester_id))
            .map(|m| m.body.clone())
            .unwrap_or_default();
        let fix = public
            .rfind(|m| m.author_id.is_some_and(|a| staff.contains(&a)))
            .map(|m| m.body.clone())
            .unwrap_or_default();
        let scrub = |text: &str| {
            let mut out = text.replace(&requester.email, "[requester]");
            for part in requester
                .name
                .split_whitespace()
                .filter(|p| p.chars().count() > 2)
            {
                out = out.replace(part, "[requester]");
            }
            out.trim().to_string()
        };
        let body = format!(
            "## Problem\n\n{}\n\n## Solution\n\n{}\n",
            if problem.is_empty() {
                "(describe the problem)".to_string()
            } else {
                scrub(&problem)
            },
            if fix.is_empty() {
                "(describe the fix)".to_string()
            } else {
                scrub(&fix)
            },
        );
        let input = ArticleInput {
            title: scrub(&t.subject),
            body,
            visibility: Some(Visibility::Internal),
            status: Some(ArticleStatus::Draft),
            tags: t.tags.clone(),
            note: Some(format!("Written from ticket #{}", t.number)),
            ..Default::default()
        };
        let fields = Self::article_fields(&input)?;
        let mut tx = self.store.write().await?;
        let a = tx
            .insert_article(&fields, actor.person_id, self.now())
            .await?;
        tx.link_article(t.id, a.id, actor.person_id, self.now())
            .await?;
        tx.commit().await?;
        Ok(a)
    }
}
