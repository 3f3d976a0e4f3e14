//! The HTML pages: the agent workspace (`/agent`), the requester portal (`/portal`), signing in,
//! and one's account. Server-rendered with askama templates (escaped by default); every form works
//! without JavaScript, and every page asks the same use cases, and so the same policy, as the API.

pub mod account;
pub mod admin;
pub mod agent;
pub mod assets;
pub mod audit;
pub mod automation;
pub mod charts;
pub mod feedback;
pub mod knowledge;
pub mod live;
pub mod notifications;
pub mod portal;
pub mod reports;
pub mod rule_lines;
pub mod search;
pub mod service_levels;
pub mod two_factor;
mod view;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};
use steward_domain::Actor;
use steward_service::{Authenticated, ServiceError};

use crate::extract::session_cookie;
use crate::AppState;

pub use view::*;

/// What every page's layout needs.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    /// The signed-in person's name (empty on the sign-in page).
    pub user_name: String,
    pub staff: bool,
    /// Admins and managers see the administration pages.
    pub admin_nav: bool,
    /// The form token of this session, for every state-changing form.
    pub csrf: String,
    /// Which top-level section is current ("queue", "new", "portal", …).
    pub section: &'static str,
    /// A short confirmation after a redirect ("Reply sent").
    pub notice: Option<&'static str>,
    /// Unread in-app notifications (staff).
    pub unread: i64,
    /// What the search box in the top bar shows (the query of a search page).
    pub search_q: String,
}

/// A signed-in person viewing a page, with their session's form token.
pub struct PageCaller {
    pub auth: Authenticated,
    pub csrf: String,
    /// Unread notifications (staff, on pages shown; 0 for forms).
    pub unread: i64,
}

impl PageCaller {
    pub fn actor(&self) -> &Actor {
        &self.auth.actor
    }

    pub fn layout(
        &self,
        title: impl Into<String>,
        section: &'static str,
        notice: Option<&'static str>,
    ) -> Layout {
        Layout {
            title: title.into(),
            user_name: self.auth.person.name.clone(),
            staff: self.auth.actor.is_staff(),
            admin_nav: matches!(
                self.auth.actor.role,
                steward_domain::Role::Admin | steward_domain::Role::Manager
            ),
            csrf: self.csrf.clone(),
            section,
            notice,
            unread: self.unread,
            search_q: String::new(),
        }
    }

    /// Refuses a form whose token is not this session's (cross-site request forgery).
    pub fn check_csrf(&self, token: &str) -> Result<(), PageError> {
        if constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(PageError::Forbidden(
                "This form has expired or did not come from Steward. Go back, reload the page and try again.".into(),
            ))
        }
    }
}

/// A staff member viewing an agent page; requesters are sent to the portal.
pub struct StaffCaller(pub PageCaller);

/// The form token of a session: derived from its secret, so it needs no storage and cannot be
/// guessed without the (HttpOnly) cookie.
pub fn csrf_token(session_secret: &str) -> String {
    hex(&Sha256::digest(
        format!("steward-form\0{session_secret}").as_bytes(),
    ))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // After signing in, come back here; for a form (POST), to the page it was on.
        let next = if parts.method == axum::http::Method::GET {
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into())
        } else {
            let referer = parts
                .headers
                .get(header::REFERER)
                .and_then(|r| r.to_str().ok())
                .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
                .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()));
            safe_next(referer.as_deref())
        };
        let to_sign_in = || PageError::Redirect(format!("/sign-in?next={}", url_encode(&next)));
        let Some(secret) = session_cookie(parts) else {
            return Err(to_sign_in());
        };
        let auth = match state.service.session(&secret).await {
            Ok(a) => a,
            Err(ServiceError::Unauthenticated(_)) => return Err(to_sign_in()),
            Err(e) => return Err(e.into()),
        };
        if auth.person.must_change_password
            && !matches!(parts.uri.path(), "/account/password" | "/sign-out")
        {
            return Err(PageError::Redirect("/account/password".into()));
        }
        if auth.two_factor_missing
            && !parts.uri.path().starts_with("/account/two-factor")
            && parts.uri.path() != "/sign-out"
        {
            return Err(PageError::Redirect("/account/two-factor".into()));
        }
        // The bell's count, on pages shown (a form's answer is a redirect to one).
        let unread = if parts.method == axum::http::Method::GET && auth.actor.is_staff() {
            state
                .service
                .unread_notifications(&auth.actor)
                .await
                .unwrap_or(0)
        } else {
            0
        };
        Ok(PageCaller {
            csrf: csrf_token(&secret),
            auth,
            unread,
        })
    }
}

impl FromRequestParts<AppState> for StaffCaller {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = PageCaller::from_request_parts(parts, state).await?;
        if caller.actor().is_staff() {
            Ok(StaffCaller(caller))
        } else {
            Err(PageError::Redirect("/portal".into()))
        }
    }
}

/// Percent-encodes a string for a query parameter.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Where to go after signing in: only a path on this site, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    // Only a path on this site, in plain characters: no scheme, no "//host", no backslash, no
    // whitespace or control characters (browsers drop those and may then see "//host").
    let plain = |n: &str| {
        n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_.~%?=&+-#:,".contains(&b))
    };
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && plain(n) && n.len() <= 2000 => {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// A staff member who runs the desk (administrator or manager), for the administration pages.
pub struct DeskCaller(pub PageCaller);

impl FromRequestParts<AppState> for DeskCaller {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let StaffCaller(caller) = StaffCaller::from_request_parts(parts, state).await?;
        if matches!(
            caller.actor().role,
            steward_domain::Role::Admin | steward_domain::Role::Manager
        ) {
            Ok(DeskCaller(caller))
        } else {
            Err(PageError::Forbidden(
                "Administration is for managers and administrators.".into(),
            ))
        }
    }
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Go elsewhere (sign in, the portal, …).
    Redirect(String),
    NotFound,
    Forbidden(String),
    /// The input was refused; the message says why.
    Invalid(String),
    Unavailable,
    /// The database cannot store anything (disk full, read-only).
    StorageUnavailable,
    Internal,
}

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(_) => PageError::NotFound,
            ServiceError::Forbidden(m) => PageError::Forbidden(m),
            ServiceError::Invalid { field, message } => {
                PageError::Invalid(format!("{field}: {message}"))
            }
            ServiceError::Conflict(m) => PageError::Invalid(m),
            ServiceError::Unauthenticated(_) => PageError::Redirect("/sign-in".into()),
            ServiceError::RateLimited { retry_after_secs } => PageError::Invalid(format!(
                "Too many attempts. Try again in {} minutes.",
                retry_after_secs.div_ceil(60)
            )),
            ServiceError::Unavailable(e) if e.is_storage_problem() => {
                tracing::error!(error = %e, "the database cannot store anything");
                PageError::StorageUnavailable
            }
            ServiceError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                PageError::Unavailable
            }
            ServiceError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                PageError::Internal
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            PageError::Redirect(to) => return Redirect::to(&to).into_response(),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or you may not see it.".to_string(),
            ),
            PageError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m),
            PageError::Invalid(m) => (StatusCode::UNPROCESSABLE_ENTITY, "That did not work", m),
            PageError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "Steward cannot reach its database right now. Try again in a moment.".to_string(),
            ),
            PageError::StorageUnavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Cannot save right now",
                "Steward's database cannot store anything at the moment (its disk is full or it \
                 is read-only). Nothing was changed. Try again later; the administrators have \
                 been told in the log."
                    .to_string(),
            ),
            PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Something went wrong on our side. It has been logged.".to_string(),
            ),
        };
        let page = ErrorPage {
            layout: Layout {
                title: title.to_string(),
                user_name: String::new(),
                staff: false,
                admin_nav: false,
                csrf: String::new(),
                section: "",
                notice: None,
                unread: 0,
                search_q: String::new(),
            },
            heading: title,
            message,
        };
        (status, render(&page)).into_response()
    }
}

/// Renders a template into an HTML response.
pub fn render<T: askama::Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => {
            let mut res = html.into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "rendering a template");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: &'static str,
    message: String,
}

/// A form field's value, trimmed; `None` when absent or blank.
pub fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A form field holding a stable name (a status, a priority…), if given.
pub fn parse<T: steward_domain::Named>(s: &Option<String>) -> PageResult<Option<T>> {
    blank(s)
        .map(|v| T::parse(v).map_err(|e| PageError::Invalid(e.to_string())))
        .transpose()
}

/// A form field holding an id, if given.
pub fn parse_id(field: &str, s: &Option<String>) -> PageResult<Option<i64>> {
    blank(s)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| PageError::Invalid(format!("{field}: not an id: {v:?}")))
        })
        .transpose()
}

/// A form with nothing but its token (a button that does one thing).
#[derive(Debug, serde::Deserialize)]
pub struct CsrfOnly {
    pub csrf: String,
}

/// Results of page handlers.
pub type PageResult<T = Response> = Result<T, PageError>;

/// The confirmation shown after a redirect, by its key in `?notice=` (only these fixed texts can
/// appear, whatever the URL says).
pub fn notice(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "replied" => "Reply sent.",
        "noted" => "Internal note added.",
        "updated" => "Ticket updated.",
        "created" => "Ticket created.",
        "assigned" => "Assigned to you.",
        "watcher-added" => "Watcher added: they receive copies of public replies.",
        "watcher-removed" => "Watcher removed.",
        "watcher-invalid" => "That address cannot be a watcher (not an e-mail address, the requester, or deactivated).",
        "resolved" => "Marked as resolved. Reply if the problem comes back.",
        "password" => "Your password was changed.",
        "bulk" => "Tickets updated.",
        "saved" => "Saved.",
        "deleted" => "Deleted.",
        "revoked" => "Token revoked.",
        "session-ended" => "That browser is signed out.",
        "sessions-ended" => "Every other browser is signed out.",
        "two-factor-off" => "Two-factor sign-in is off.",
        "two-factor-reset" => "Their two-factor sign-in is off: they sign in with their password, and set it up again.",
        "sign-in-again" => "The sign-in took too long or had too many wrong codes. Sign in again.",
        "signed-out" => "Signed out everywhere: every session of that person has ended.",
        "read" => "All notifications marked read.",
        "reminder-set" => "Reminder set: you will be notified then.",
        "reminder-removed" => "Reminder removed.",
        "restored" => "Restored as a new version.",
        "drafted" => "A draft article was written from the ticket. Check it, then publish it.",
        "welcome" => "Your password is set. Welcome to Steward.",
        "rated" => "Thank you for your rating.",
        "suggested" => "Thank you: your suggestion was sent to the service desk.",
        "scheduled" => "The report will be mailed to you.",
        "unscheduled" => "The report will no longer be mailed to you.",
        _ => return None,
    })
}

/// Redirect after a successful form (POST → redirect → GET), with a notice.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// `?inline=1` on a file link: show an image rather than download it.
#[derive(Debug, serde::Deserialize)]
pub struct FileQuery {
    pub inline: Option<String>,
}

/// A file view for the ticket pages.
pub struct FileLink {
    pub href: String,
    pub name: String,
    pub size: String,
}

/// Download links for the attachments of one message; `base` is the ticket page's path.
pub fn file_links(
    attachments: &[steward_store::mail::AttachmentInfo],
    message: steward_domain::MessageId,
    base: &str,
) -> Vec<FileLink> {
    attachments
        .iter()
        .filter(|a| a.message_id == message)
        .map(|a| FileLink {
            href: format!("{base}/files/{}", a.id),
            name: a
                .filename
                .clone()
                .unwrap_or_else(|| format!("attachment {}", a.id)),
            size: human_size(a.size),
        })
        .collect()
}

/// "12 KB", "3.4 MB".
pub fn human_size(bytes: i64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{} KB", (b + 1023) / 1024),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The image types a page may show from an attachment (never SVG, which can carry script).
fn showable_image(content_type: &str) -> Option<&'static str> {
    match content_type.to_ascii_lowercase().as_str() {
        "image/png" => Some("image/png"),
        "image/jpeg" | "image/jpg" | "image/pjpeg" => Some("image/jpeg"),
        "image/gif" => Some("image/gif"),
        "image/webp" => Some("image/webp"),
        _ => None,
    }
}

/// A message's sanitised HTML with its inline images (`cid:`) pointing at the stored files;
/// an image that was not kept, or is not of a type a page may show, loses its `src`.
pub fn inline_images(
    html: &str,
    attachments: &[steward_store::mail::AttachmentInfo],
    message: steward_domain::MessageId,
    base: &str,
) -> String {
    const MARK: &str = "src=\"cid:";
    // Lower-cased once: ASCII case changes keep every byte offset.
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut from = 0;
    while let Some(found) = lower[from..].find(MARK) {
        let at = from + found;
        let value = at + MARK.len();
        let Some(len) = html[value..].find('"') else {
            break;
        };
        // Only inside a tag: the sanitised HTML has no raw `<` in text, so the last `<` before
        // the match coming after the last `>` means an attribute, not words in the message.
        let in_tag = html[..at].rfind('<') > html[..at].rfind('>');
        out.push_str(&html[from..at]);
        if in_tag {
            // The sanitiser wrote the value HTML-escaped; Content-IDs are plain in practice.
            let cid = html[value..value + len].replace("&amp;", "&");
            let image = attachments.iter().find(|a| {
                a.message_id == message
                    && a.content_id.as_deref() == Some(cid.as_str())
                    && showable_image(&a.content_type).is_some()
            });
            if let Some(a) = image {
                out.push_str(&format!("src=\"{base}/files/{}?inline=1\"", a.id));
            }
        } else {
            out.push_str(&html[at..value + len + 1]);
        }
        from = value + len + 1;
    }
    out.push_str(&html[from..]);
    out
}

/// Sends an attachment as a download (never shown inline, so an HTML or SVG file cannot run as a
/// page of Steward). With `inline`, a raster image is sent as itself, for an `<img>` of the
/// message's HTML.
pub fn download(
    info: &steward_store::mail::AttachmentInfo,
    data: Vec<u8>,
    inline: bool,
) -> Response {
    let name = info
        .filename
        .clone()
        .unwrap_or_else(|| format!("attachment-{}", info.id));
    file_response(&name, &info.content_type, data, inline)
}

/// A stored file as a response: shown in the page if asked and it is an image of a type
/// browsers show safely (never SVG), otherwise downloaded as bytes under its name.
pub fn file_response(name: &str, content_type: &str, data: Vec<u8>, inline: bool) -> Response {
    let mut res = data.into_response();
    let h = res.headers_mut();
    if let (true, Some(image)) = (inline, showable_image(content_type)) {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(image));
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("inline"),
        );
        return res;
    }
    let disposition = format!("attachment; filename*=UTF-8''{}", url_encode(name));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_images_point_at_files_only_inside_tags() {
        let a = steward_store::mail::AttachmentInfo {
            id: 9,
            message_id: steward_domain::MessageId(1),
            filename: None,
            content_type: "image/png".into(),
            size: 3,
            inline: true,
            content_id: Some("logo@x".into()),
        };
        let html = r#"<p>Write src="cid:logo@x" to embed. <img src="cid:logo@x" alt="logo"><img src="CID:gone@x"></p>"#;
        let out = inline_images(html, &[a], steward_domain::MessageId(1), "/agent/tickets/4");
        assert_eq!(
            out,
            r#"<p>Write src="cid:logo@x" to embed. <img src="/agent/tickets/4/files/9?inline=1" alt="logo"><img ></p>"#
        );
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/agent?view=mine")), "/agent?view=mine");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/\n")), "/");
        assert_eq!(safe_next(Some("/ /evil.example")), "/");
        assert_eq!(
            safe_next(Some("/agent?view=open&sort=priority")),
            "/agent?view=open&sort=priority"
        );
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn csrf_tokens() {
        let a = csrf_token("secret-a");
        assert_eq!(a, csrf_token("secret-a"));
        assert_ne!(a, csrf_token("secret-b"));
        assert!(constant_time_eq(a.as_bytes(), a.as_bytes()));
        assert!(!constant_time_eq(a.as_bytes(), b"short"));
        assert_eq!(url_encode("/agent?view=a b"), "%2Fagent%3Fview%3Da%20b");
    }
}
