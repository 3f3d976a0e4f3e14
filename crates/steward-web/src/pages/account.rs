//! Signing in and out, the front door, and one's password.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;
use steward_service::{ServiceError, SignIn, SignedIn};

use super::{
    constant_time_eq, hex, render, safe_next, see_other, CsrfOnly, Layout, PageCaller, PageError,
    PageResult,
};
use crate::extract::{cookie_value, session_cookie, session_set_cookie, ClientMeta};
use crate::AppState;

/// The cookie that carries the sign-in form's token (there is no session yet to derive one from).
const FORM_COOKIE: &str = "steward_form";

/// `GET /`: the agent workspace for staff, the portal for requesters.
pub async fn home(caller: PageCaller) -> Response {
    if caller.actor().is_staff() {
        see_other("/agent")
    } else {
        see_other("/portal")
    }
}

#[derive(askama::Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
    /// Requesters may ask for a sign-in link.
    links: bool,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    notice: Option<String>,
}

fn sign_in_page(
    links: bool,
    email: String,
    next: String,
    error: Option<String>,
    status: axum::http::StatusCode,
) -> PageResult {
    sign_in_page_with(links, email, next, error, status, None)
}

fn sign_in_page_with(
    links: bool,
    email: String,
    next: String,
    error: Option<String>,
    status: axum::http::StatusCode,
    notice: Option<&'static str>,
) -> PageResult {
    let token = hex(&random16()?);
    let page = SignInPage {
        layout: Layout {
            notice,
            ..signed_out_layout("Sign in", token.clone())
        },
        email,
        next,
        error,
        links,
    };
    let mut res = (status, render(&page)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{FORM_COOKIE}={token}; Path=/sign-in; HttpOnly; SameSite=Strict; Max-Age=3600"
    )) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

fn random16() -> Result<[u8; 16], PageError> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).map_err(|_| PageError::Internal)?;
    Ok(b)
}

/// `GET /sign-in`.
pub async fn sign_in_form(State(s): State<AppState>, Query(q): Query<NextQuery>) -> PageResult {
    sign_in_page_with(
        s.service.sign_in_links_enabled(),
        String::new(),
        safe_next(q.next.as_deref()),
        None,
        axum::http::StatusCode::OK,
        super::notice(q.notice.as_deref()),
    )
}

#[derive(Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

/// `POST /sign-in`.
pub async fn sign_in(
    State(s): State<AppState>,
    client: ClientMeta,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> PageResult {
    let next = safe_next(f.next.as_deref());
    let parts = parts_of(headers);
    let expected = f.csrf.clone();
    if !form_token_ok(&parts, &f.csrf) {
        return sign_in_page(
            s.service.sign_in_links_enabled(),
            f.email,
            next,
            Some("The sign-in form had expired. Please sign in again.".into()),
            axum::http::StatusCode::FORBIDDEN,
        );
    }
    let result = s
        .service
        .sign_in(SignIn {
            email: f.email.clone(),
            password: f.password,
            user_agent: client.user_agent,
            ip: client.ip,
        })
        .await;
    let outcome = match result {
        Ok(ok) => ok,
        Err(ServiceError::Unauthenticated(m)) => {
            return sign_in_page(
                s.service.sign_in_links_enabled(),
                f.email,
                next,
                Some(capitalise(&m)),
                axum::http::StatusCode::UNAUTHORIZED,
            )
        }
        Err(e @ ServiceError::RateLimited { .. }) => {
            let PageError::Invalid(m) = PageError::from(e) else {
                return Err(PageError::Internal);
            };
            return sign_in_page(
                s.service.sign_in_links_enabled(),
                f.email,
                next,
                Some(m),
                axum::http::StatusCode::TOO_MANY_REQUESTS,
            );
        }
        Err(e) => return Err(e.into()),
    };
    match outcome {
        SignedIn::Session { secret, person } => {
            Ok(finish_sign_in(&s, &parts, &secret, &person, next).await)
        }
        SignedIn::SecondFactor { challenge, .. } => {
            super::two_factor::code_page(expected, challenge, next, None)
        }
    }
}

/// Whether a sign-in form's token matches its cookie (the form has no session to derive one
/// from).
pub(crate) fn form_token_ok(parts: &axum::http::request::Parts, csrf: &str) -> bool {
    let expected = cookie_value(parts, FORM_COOKIE).unwrap_or_default();
    !expected.is_empty() && constant_time_eq(expected.as_bytes(), csrf.as_bytes())
}

/// After signing in: ends the session the browser had (its id must not carry over: fixation),
/// sets the new one, and goes on (to the password page first if the password must change).
pub(crate) async fn finish_sign_in(
    s: &AppState,
    parts: &axum::http::request::Parts,
    secret: &str,
    person: &steward_domain::Person,
    next: String,
) -> Response {
    if let Some(old) = session_cookie(parts) {
        let _ = s.service.sign_out(&old).await;
    }
    let to = if person.must_change_password {
        "/account/password".to_string()
    } else {
        next
    };
    let mut res = see_other(&to);
    if let Some(c) = session_set_cookie(s, secret, steward_service::SESSION_LIFETIME.as_secs()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// The parts of a request from its headers (for the cookie helpers).
pub(crate) fn parts_of(headers: HeaderMap) -> axum::http::request::Parts {
    let mut req = axum::http::Request::new(());
    *req.headers_mut() = headers;
    req.into_parts().0
}

/// The layout of a page for someone not signed in (signing in, the way back in).
pub(crate) fn signed_out_layout(title: &str, csrf: String) -> Layout {
    Layout {
        title: title.into(),
        user_name: String::new(),
        staff: false,
        admin_nav: false,
        csrf,
        section: "sign-in",
        notice: None,
        unread: 0,
        search_q: String::new(),
    }
}

/// A message from a use case as a sentence.
pub(crate) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect::<String>() + ".",
        None => String::new(),
    }
}

/// `POST /sign-out`.
pub async fn sign_out(
    State(s): State<AppState>,
    caller: PageCaller,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    if let Some(hash) = &caller.auth.session_hash {
        s.service.end_session(hash).await?;
    }
    let mut res = see_other("/sign-in");
    if let Some(c) = session_set_cookie(&s, "", 0) {
        res.headers_mut().insert(header::SET_COOKIE, c);
    }
    Ok(res)
}

#[derive(askama::Template)]
#[template(path = "password.html")]
struct PasswordPage {
    layout: Layout,
    required: bool,
    error: Option<String>,
}

/// `GET /account/password`.
pub async fn password_form(caller: PageCaller) -> Response {
    let required = caller.auth.person.must_change_password;
    render(&PasswordPage {
        layout: caller.layout("Change your password", "account", None),
        required,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// `POST /account/password`.
pub async fn change_password(
    State(s): State<AppState>,
    caller: PageCaller,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let again = |error: String| {
        let status = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        Ok((
            status,
            render(&PasswordPage {
                layout: caller.layout("Change your password", "account", None),
                required: caller.auth.person.must_change_password,
                error: Some(error),
            }),
        )
            .into_response())
    };
    if f.new_password != f.confirm_password {
        return again("The two new passwords are not the same.".into());
    }
    match s
        .service
        .change_password(&caller.auth, &f.current_password, &f.new_password)
        .await
    {
        Ok(()) if caller.actor().is_staff() => Ok(see_other("/agent?notice=password")),
        Ok(()) => Ok(see_other("/portal?notice=password")),
        Err(ServiceError::Invalid { message, .. }) => again(format!("The new password {message}.")),
        Err(ServiceError::Forbidden(m)) => again(capitalise(&m)),
        Err(e @ ServiceError::RateLimited { .. }) => match PageError::from(e) {
            PageError::Invalid(m) => again(m),
            other => Err(other),
        },
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- one's account and API tokens

/// A token as listed.
pub struct TokenRow {
    pub id: i64,
    pub label: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub revoked: bool,
}

/// A signed-in browser as listed.
pub struct SessionRow {
    pub id: String,
    pub browser: String,
    pub ip: String,
    pub created: String,
    pub last_seen: String,
    pub current: bool,
}

/// A short name for a browser from its user agent ("Firefox on Windows"), or the start of it.
pub fn browser_name(ua: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(k, _)| ua.contains(k))
    .map(|(_, n)| n);
    let system = [
        ("Windows", "Windows"),
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(k, _)| ua.contains(k))
    .map(|(_, n)| n);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_string(),
        _ if ua.trim().is_empty() => "unknown browser".to_string(),
        _ => ua.chars().take(60).collect(),
    }
}

#[derive(askama::Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    name: String,
    email: String,
    role: &'static str,
    sessions: Vec<SessionRow>,
    /// Two-factor sign-in is on.
    two_factor: bool,
    tokens: Vec<TokenRow>,
    new_secret: Option<String>,
}

async fn account_page(
    s: &AppState,
    caller: &PageCaller,
    notice_key: Option<&str>,
    new_secret: Option<String>,
) -> PageResult {
    let me = &caller.auth.person;
    let tokens = s.service.list_tokens(caller.actor(), me.id).await?;
    let current = caller.auth.session_hash.as_deref();
    let sessions = s
        .service
        .sessions(caller.actor(), me.id)
        .await?
        .into_iter()
        .map(|x| SessionRow {
            id: x.id().to_string(),
            browser: browser_name(&x.user_agent),
            ip: x.ip.clone(),
            created: super::when(x.created_at),
            last_seen: super::when(x.last_seen_at),
            current: current == Some(x.token_hash.as_str()),
        })
        .collect();
    let two_factor = s
        .service
        .two_factor_status(caller.actor(), me)
        .await?
        .enabled;
    Ok(render(&AccountPage {
        two_factor,
        sessions,
        layout: caller.layout("Your account", "account", super::notice(notice_key)),
        name: me.name.clone(),
        email: me.email.clone(),
        role: steward_domain::Named::as_str(me.role),
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                id: t.id.0,
                label: t.label,
                prefix: t.prefix,
                created: super::when(t.created_at),
                last_used: t
                    .last_used_at
                    .map(super::when)
                    .unwrap_or_else(|| "never".into()),
                expires: t
                    .expires_at
                    .map(super::when)
                    .unwrap_or_else(|| "never".into()),
                revoked: t.revoked_at.is_some(),
            })
            .collect(),
        new_secret,
    }))
}

#[derive(Debug, Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// `GET /account`.
pub async fn account(
    State(s): State<AppState>,
    caller: PageCaller,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    account_page(&s, &caller, q.notice.as_deref(), None).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    csrf: String,
    label: String,
    expires_in_days: Option<String>,
}

/// `POST /account/tokens`: a new API token, shown once.
pub async fn create_token(
    State(s): State<AppState>,
    caller: PageCaller,
    Form(f): Form<TokenForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let days = match f
        .expires_in_days
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        Some(d) => Some(
            d.parse::<u32>()
                .map_err(|_| PageError::Invalid("Expiry: a number of days.".into()))?,
        ),
        None => None,
    };
    let created = s
        .service
        .create_token(caller.actor(), caller.auth.person.id, &f.label, days)
        .await?;
    account_page(&s, &caller, None, Some(created.secret)).await
}

/// `POST /account/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(s): State<AppState>,
    caller: PageCaller,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    s.service
        .revoke_token(caller.actor(), steward_domain::TokenId(id))
        .await?;
    Ok(see_other("/account?notice=revoked"))
}

/// `POST /account/sessions/{id}/end`: signs one of one's browsers out.
pub async fn end_session(
    State(s): State<AppState>,
    caller: PageCaller,
    axum::extract::Path(id): axum::extract::Path<String>,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    s.service
        .end_session_of(caller.actor(), caller.auth.person.id, &id)
        .await?;
    Ok(see_other("/account?notice=session-ended"))
}

/// `POST /account/sessions/end-others`: signs out every browser but this one.
pub async fn end_other_sessions(
    State(s): State<AppState>,
    caller: PageCaller,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    s.service
        .end_sessions_of(
            caller.actor(),
            caller.auth.person.id,
            caller.auth.session_hash.as_deref(),
        )
        .await?;
    Ok(see_other("/account?notice=sessions-ended"))
}

// ---------------------------------------------------------------- invitations

#[derive(askama::Template)]
#[template(path = "welcome.html")]
struct WelcomePage {
    layout: Layout,
    name: String,
    email: String,
    token: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct WelcomeQuery {
    token: Option<String>,
}

fn welcome_page(person: &steward_domain::Person, token: String, error: Option<String>) -> Response {
    render(&WelcomePage {
        layout: Layout {
            title: "Welcome".into(),
            user_name: String::new(),
            staff: false,
            admin_nav: false,
            // The link's secret is itself the proof of origin for this one form.
            csrf: String::new(),
            section: "welcome",
            notice: None,
            unread: 0,
            search_q: String::new(),
        },
        name: person.name.clone(),
        email: person.email.clone(),
        token,
        error,
    })
}

/// `GET /welcome?token=…`: choose a password with an invitation link.
pub async fn welcome_form(State(s): State<AppState>, Query(q): Query<WelcomeQuery>) -> PageResult {
    let token = q.token.unwrap_or_default();
    let person = s.service.password_link(&token).await.map_err(|_| {
        PageError::Invalid(
            "This link is not valid any more. Ask your administrator for a new one.".into(),
        )
    })?;
    Ok(welcome_page(&person, token, None))
}

#[derive(Deserialize)]
pub struct WelcomeForm {
    token: String,
    new_password: String,
    confirm_password: String,
}

/// `POST /welcome`.
pub async fn welcome(State(s): State<AppState>, Form(f): Form<WelcomeForm>) -> PageResult {
    let person = s.service.password_link(&f.token).await.map_err(|_| {
        PageError::Invalid(
            "This link is not valid any more. Ask your administrator for a new one.".into(),
        )
    })?;
    if f.new_password != f.confirm_password {
        return Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            welcome_page(
                &person,
                f.token,
                Some("The two passwords are not the same.".into()),
            ),
        )
            .into_response());
    }
    match s
        .service
        .set_password_with_link(&f.token, &f.new_password)
        .await
    {
        Ok(_) => Ok(see_other("/sign-in?notice=welcome")),
        Err(ServiceError::Invalid { message, .. }) => Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            welcome_page(&person, f.token, Some(format!("The password {message}."))),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}
