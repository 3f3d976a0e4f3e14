//! The knowledge base: articles in Markdown, in a tree of categories, each version kept; who may
//! read which. Rendering Markdown to HTML is the web layer's (it sanitises what it renders).

use serde::{Deserialize, Serialize};

use crate::{Actor, ArticleId, DomainError, KbCategoryId, Named, OrgId, PersonId, Role, Timestamp};

/// Where an article is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    /// Being written: staff only.
    Draft,
    /// Readable by whom its visibility names.
    Published,
    /// Kept, but no longer offered: staff only.
    Archived,
}

impl Named for ArticleStatus {
    const ALL: &'static [Self] = &[
        ArticleStatus::Draft,
        ArticleStatus::Published,
        ArticleStatus::Archived,
    ];
    const WHAT: &'static str = "status";
    fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Draft => "draft",
            ArticleStatus::Published => "published",
            ArticleStatus::Archived => "archived",
        }
    }
}

/// Who may read a published article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Everyone signed in (requesters of every organisation, and staff).
    Public,
    /// Staff only.
    Internal,
    /// Requesters of the organisations the article names, and staff.
    Organisations,
}

impl Named for Visibility {
    const ALL: &'static [Self] = &[
        Visibility::Public,
        Visibility::Internal,
        Visibility::Organisations,
    ];
    const WHAT: &'static str = "visibility";
    fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
            Visibility::Organisations => "organisations",
        }
    }
}

/// An article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub id: ArticleId,
    pub title: String,
    /// Markdown.
    pub body: String,
    pub category_id: Option<KbCategoryId>,
    pub visibility: Visibility,
    /// For [`Visibility::Organisations`].
    pub organisations: Vec<OrgId>,
    pub status: ArticleStatus,
    pub tags: Vec<String>,
    pub author_id: Option<PersonId>,
    /// The current version's number (1 for a new article).
    pub version: i64,
    pub views: i64,
    pub helpful_yes: i64,
    pub helpful_no: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub published_at: Option<Timestamp>,
}

/// A saved version of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleVersion {
    pub article_id: ArticleId,
    pub version: i64,
    pub title: String,
    pub body: String,
    pub author_id: Option<PersonId>,
    /// What changed, in the editor's words ("Restored version 2").
    pub note: String,
    pub created_at: Timestamp,
}

/// A category of articles, in a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbCategory {
    pub id: KbCategoryId,
    pub parent_id: Option<KbCategoryId>,
    pub name: String,
    pub position: i64,
}

/// Which articles an actor may read, for lists and search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleScope {
    /// Every article, drafts and archived ones too (staff).
    All,
    /// Published articles that are public, or limited to this organisation.
    Published { organisation: Option<OrgId> },
}

/// The articles `actor` may read.
pub fn article_scope(actor: &Actor) -> ArticleScope {
    if actor.is_staff() {
        ArticleScope::All
    } else {
        ArticleScope::Published {
            organisation: actor.organisation_id,
        }
    }
}

/// Whether `actor` may read `article`.
pub fn may_read(actor: &Actor, article: &Article) -> bool {
    match article_scope(actor) {
        ArticleScope::All => true,
        ArticleScope::Published { organisation } => {
            article.status == ArticleStatus::Published
                && match article.visibility {
                    Visibility::Public => true,
                    Visibility::Internal => false,
                    Visibility::Organisations => {
                        organisation.is_some_and(|o| article.organisations.contains(&o))
                    }
                }
        }
    }
}

/// Whether `actor` may write articles (staff).
pub fn may_write(actor: &Actor) -> bool {
    actor.is_staff()
}

/// Whether `actor` may delete articles and edit categories (managers and administrators).
pub fn may_manage(actor: &Actor) -> bool {
    matches!(actor.role, Role::Admin | Role::Manager)
}

/// The longest article body, in bytes.
pub const MAX_BODY: usize = 200_000;

/// An article's title: trimmed, 1 to 200 characters, one line.
pub fn title(s: &str) -> Result<String, DomainError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(DomainError::invalid("title", "an article needs a title"));
    }
    if t.chars().count() > 200 {
        return Err(DomainError::invalid("title", "at most 200 characters"));
    }
    if t.contains(['\n', '\r']) {
        return Err(DomainError::invalid("title", "one line"));
    }
    Ok(t.to_string())
}

/// An article's body: Markdown, at most [`MAX_BODY`] bytes (may be empty in a draft).
pub fn body(s: &str) -> Result<String, DomainError> {
    if s.len() > MAX_BODY {
        return Err(DomainError::invalid(
            "body",
            format!("at most {} KB", MAX_BODY / 1000),
        ));
    }
    Ok(s.replace("\r\n", "\n"))
}

/// Markdown as plain text, roughly, for snippets: link targets, emphasis and code marks, heading
/// and quote marks, and table rules dropped.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let line = line.trim_start_matches(['#', '>', ' ']);
        if !line.is_empty() && line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
            continue;
        }
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' | '`' | '|' => out.push(' '),
                ']' if chars.peek() == Some(&'(') => {
                    // Skip the link's target.
                    for c in chars.by_ref() {
                        if c == ')' {
                            break;
                        }
                    }
                }
                '[' => {}
                c => out.push(c),
            }
        }
        out.push('\n');
    }
    out
}

/// The most line pairs [`diff_lines`] compares one by one (4 bytes each: 16 MB).
pub const MAX_DIFF_CELLS: usize = 4_000_000;

/// A line-by-line comparison of two texts, for "what changed between versions".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Added(String),
    Removed(String),
}

/// The lines of `new` against `old`: the common start and end, and between them a longest common
/// subsequence. That is quadratic in lines, so a changed middle of more than [`MAX_DIFF_CELLS`]
/// line pairs is shown as all removed, then all added.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // Common prefix and suffix first: most edits touch a few lines.
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut out: Vec<DiffLine> = a[..prefix]
        .iter()
        .map(|l| DiffLine::Same(l.to_string()))
        .collect();
    if am.len().saturating_mul(bm.len()) > MAX_DIFF_CELLS {
        out.extend(am.iter().map(|l| DiffLine::Removed(l.to_string())));
        out.extend(bm.iter().map(|l| DiffLine::Added(l.to_string())));
        out.extend(
            a[a.len() - suffix..]
                .iter()
                .map(|l| DiffLine::Same(l.to_string())),
        );
        return out;
    }
    // lcs[i][j]: the longest common subsequence of am[i..] and bm[j..].
    let mut lcs = vec![vec![0u32; bm.len() + 1]; am.len() + 1];
    for i in (0..am.len()).rev() {
        for j in (0..bm.len()).rev() {
            lcs[i][j] = if am[i] == bm[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < am.len() || j < bm.len() {
        if i < am.len() && j < bm.len() && am[i] == bm[j] {
            out.push(DiffLine::Same(am[i].to_string()));
            i += 1;
            j += 1;
        } else if j < bm.len() && (i == am.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(DiffLine::Added(bm[j].to_string()));
            j += 1;
        } else {
            out.push(DiffLine::Removed(am[i].to_string()));
            i += 1;
        }
    }
    out.extend(
        a[a.len() - suffix..]
            .iter()
            .map(|l| DiffLine::Same(l.to_string())),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(status: ArticleStatus, visibility: Visibility, orgs: &[i64]) -> Article {
        Article {
            id: ArticleId(1),
            title: "t".into(),
            body: String::new(),
            category_id: None,
            visibility,
            organisations: orgs.iter().map(|o| OrgId(*o)).collect(),
            status,
            tags: vec![],
            author_id: None,
            version: 1,
            views: 0,
            helpful_yes: 0,
            helpful_no: 0,
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            published_at: None,
        }
    }

    fn actor(role: Role, org: Option<i64>) -> Actor {
        Actor {
            person_id: Some(PersonId(7)),
            role,
            organisation_id: org.map(OrgId),
            org_access: false,
        }
    }

    #[test]
    fn who_reads_which_article() {
        use ArticleStatus::*;
        use Visibility::*;
        let acme = actor(Role::Requester, Some(1));
        let loner = actor(Role::Requester, None);
        let tech = actor(Role::Technician, None);
        // (status, visibility, organisations, acme requester, requester without org, staff)
        let table = [
            (Published, Public, vec![], true, true, true),
            (Published, Internal, vec![], false, false, true),
            (Published, Organisations, vec![1], true, false, true),
            (Published, Organisations, vec![2], false, false, true),
            (Draft, Public, vec![], false, false, true),
            (Archived, Public, vec![], false, false, true),
            (Draft, Organisations, vec![1], false, false, true),
        ];
        for (status, vis, orgs, a, l, t) in table {
            let art = article(status, vis, &orgs);
            assert_eq!(may_read(&acme, &art), a, "{status:?} {vis:?} {orgs:?}");
            assert_eq!(may_read(&loner, &art), l, "{status:?} {vis:?} {orgs:?}");
            assert_eq!(may_read(&tech, &art), t, "{status:?} {vis:?} {orgs:?}");
        }
        assert!(may_write(&tech) && !may_write(&acme));
        assert!(!may_manage(&tech) && may_manage(&actor(Role::Manager, None)));
    }

    #[test]
    fn titles_and_bodies() {
        assert_eq!(title("  Reset a password ").unwrap(), "Reset a password");
        assert!(title(" ").is_err());
        assert!(title("a\nb").is_err());
        assert!(title(&"x".repeat(201)).is_err());
        assert_eq!(body("a\r\nb").unwrap(), "a\nb");
        assert!(body(&"x".repeat(MAX_BODY + 1)).is_err());
    }

    #[test]
    fn markdown_as_plain_text() {
        let t = plain_text("# Title\n\nUse **AnyConnect**, see [the guide](https://x.example/g).\n\n| a | b |\n|---|---|\n| `x` | y |");
        let words: Vec<&str> = t.split_whitespace().collect();
        assert_eq!(
            words,
            [
                "Title",
                "Use",
                "AnyConnect",
                ",",
                "see",
                "the",
                "guide.",
                "a",
                "b",
                "x",
                "y"
            ]
        );
    }

    #[test]
    fn diffs_show_what_changed() {
        use DiffLine::*;
        let d = diff_lines("one\ntwo\nthree\nfour", "one\n2\nthree\nfour\nfive");
        assert_eq!(
            d,
            vec![
                Same("one".into()),
                Added("2".into()),
                Removed("two".into()),
                Same("three".into()),
                Same("four".into()),
                Added("five".into()),
            ]
        );
        assert_eq!(diff_lines("", "a"), vec![Added("a".into())]);
        assert_eq!(diff_lines("a", ""), vec![Removed("a".into())]);
        assert_eq!(diff_lines("same", "same"), vec![Same("same".into())]);
        // A big rewrite is shown whole rather than compared pair by pair.
        let before: String = (0..3000).map(|i| format!("old {i}\n")).collect();
        let after: String = (0..3000).map(|i| format!("new {i}\n")).collect();
        let d = diff_lines(&format!("top\n{before}end"), &format!("top\n{after}end"));
        assert_eq!(d.len(), 6002);
        assert_eq!(d[0], Same("top".into()));
        assert_eq!(d[1], Removed("old 0".into()));
        assert_eq!(d[3001], Added("new 0".into()));
        assert_eq!(d[6001], Same("end".into()));
    }
}
