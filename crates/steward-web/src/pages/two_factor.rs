//! Two-factor sign-in in the browser: the code after the password, setting up the authenticator
//! app (`/account/two-factor`), recovery codes; and the way back in without a password: "Forgot
//! your password?" and sign-in links for requesters.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Form;
use serde::Deserialize;
use steward_service::ServiceError;

use super::account::{capitalise, finish_sign_in, form_token_ok, parts_of, signed_out_layout};
use super::{render, safe_next, see_other, Layout, PageCaller, PageError, PageResult};
use crate::extract::ClientMeta;
use crate::AppState;

#[derive(askama::Template)]
#[template(path = "sign_in_code.html")]
struct CodePage {
    layout: Layout,
    challenge: String,
    next: String,
    error: Option<String>,
}

/// The second step of signing in: the code. `csrf` is the sign-in form's token (its cookie
/// stays the same).
pub(crate) fn code_page(
    csrf: String,
    challenge: String,
    next: String,
    error: Option<String>,
) -> PageResult {
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        render(&CodePage {
            layout: signed_out_layout("Two-factor sign-in", csrf),
            challenge,
            next,
            error,
        }),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    challenge: String,
    code: String,
    next: Option<String>,
}

/// `POST /sign-in/two-factor`.
pub async fn second_factor(
    State(s): State<AppState>,
    client: ClientMeta,
    headers: HeaderMap,
    Form(f): Form<CodeForm>,
) -> PageResult {
    let parts = parts_of(headers);
    let next = safe_next(f.next.as_deref());
    if !form_token_ok(&parts, &f.csrf) {
        return Err(PageError::Redirect("/sign-in".into()));
    }
    match s
        .service
        .sign_in_second_factor(&f.challenge, &f.code, &client.user_agent, &client.ip)
        .await
    {
        Ok((secret, person)) => Ok(finish_sign_in(&s, &parts, &secret, &person, next).await),
        Err(ServiceError::Unauthenticated(m)) if m.starts_with("that code") => code_page(
            f.csrf,
            f.challenge,
            next,
            Some(
                "That code is not right. Try the one your app shows now, or a recovery code."
                    .into(),
            ),
        ),
        Err(ServiceError::Unauthenticated(_)) => {
            Err(PageError::Redirect("/sign-in?notice=sign-in-again".into()))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "two_factor.html")]
struct TwoFactorPage {
    layout: Layout,
    enabled: bool,
    required: bool,
    codes_left: i64,
    /// While setting up: the QR code (SVG, made by Steward) and the secret to type.
    qr_svg: String,
    secret: String,
    /// Just made: shown once.
    new_codes: Vec<String>,
    error: Option<String>,
}

async fn page(
    s: &AppState,
    caller: &PageCaller,
    new_codes: Vec<String>,
    error: Option<String>,
) -> PageResult {
    let status = s
        .service
        .two_factor_status(caller.actor(), &caller.auth.person)
        .await?;
    let (qr_svg, secret) = if status.enabled || !new_codes.is_empty() {
        (String::new(), String::new())
    } else {
        let e = s.service.begin_two_factor(&caller.auth).await?;
        (e.qr_svg, e.secret)
    };
    Ok(render(&TwoFactorPage {
        layout: caller.layout("Two-factor sign-in", "account", None),
        enabled: status.enabled,
        required: status.required,
        codes_left: status.recovery_codes_left,
        qr_svg,
        secret,
        new_codes,
        error,
    }))
}

/// `GET /account/two-factor`.
pub async fn settings(State(s): State<AppState>, caller: PageCaller) -> PageResult {
    page(&s, &caller, vec![], None).await
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    code: String,
}

/// `POST /account/two-factor`: the first code from the app turns it on.
pub async fn confirm(
    State(s): State<AppState>,
    caller: PageCaller,
    Form(f): Form<ConfirmForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    match s.service.confirm_two_factor(&caller.auth, &f.code).await {
        Ok(codes) => page(&s, &caller, codes, None).await,
        Err(ServiceError::Invalid { message, .. }) => {
            page(&s, &caller, vec![], Some(format!("That code {message}."))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current_password: String,
}

/// `POST /account/two-factor/off`.
pub async fn turn_off(
    State(s): State<AppState>,
    caller: PageCaller,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    s.service
        .disable_two_factor(
            &caller.auth,
            caller.auth.person.id,
            Some(&f.current_password),
        )
        .await?;
    Ok(see_other("/account?notice=two-factor-off"))
}

/// `POST /account/two-factor/recovery-codes`.
pub async fn new_codes(
    State(s): State<AppState>,
    caller: PageCaller,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    caller.check_csrf(&f.csrf)?;
    let codes = s
        .service
        .new_recovery_codes(&caller.auth, &f.current_password)
        .await?;
    page(&s, &caller, codes, None).await
}

// ---------------------------------------------------------------- without a password

#[derive(askama::Template)]
#[template(path = "mail_link.html")]
struct MailLinkPage {
    layout: Layout,
    /// `reset` or `link`.
    purpose: &'static str,
    /// A link's secret being confirmed (sign-in links).
    token: String,
    sent: bool,
    error: Option<String>,
}

fn mail_link_page(
    purpose: &'static str,
    token: String,
    sent: bool,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let title = if purpose == "reset" {
        "Forgot your password?"
    } else {
        "Sign in with a link"
    };
    Ok((
        status,
        render(&MailLinkPage {
            layout: signed_out_layout(title, String::new()),
            purpose,
            token,
            sent,
            error,
        }),
    )
        .into_response())
}

/// `GET /forgot-password`.
pub async fn forgot_form() -> PageResult {
    mail_link_page("reset", String::new(), false, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

fn refusal(e: ServiceError, purpose: &'static str) -> PageResult {
    match e {
        ServiceError::Conflict(m) => {
            mail_link_page(purpose, String::new(), false, Some(m), StatusCode::CONFLICT)
        }
        e @ ServiceError::RateLimited { .. } => {
            let PageError::Invalid(m) = PageError::from(e) else {
                return Err(PageError::Internal);
            };
            mail_link_page(
                purpose,
                String::new(),
                false,
                Some(m),
                StatusCode::TOO_MANY_REQUESTS,
            )
        }
        e => Err(e.into()),
    }
}

/// `POST /forgot-password`: the same answer whether or not the address has an account.
pub async fn forgot(State(s): State<AppState>, Form(f): Form<EmailForm>) -> PageResult {
    match s.service.request_password_reset(&f.email).await {
        Ok(()) => mail_link_page("reset", String::new(), true, None, StatusCode::OK),
        Err(e) => refusal(e, "reset"),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `GET /sign-in/link`: the form to ask for a link, or, with `?token=`, a button that uses it.
/// (Opening the link signs nobody in: mail scanners open links too.)
pub async fn link_form(State(s): State<AppState>, Query(q): Query<TokenQuery>) -> PageResult {
    match q.token.filter(|t| !t.is_empty()) {
        Some(token) => {
            if s.service.sign_in_link_valid(&token).await? {
                mail_link_page("link", token, false, None, StatusCode::OK)
            } else {
                mail_link_page(
                    "link",
                    String::new(),
                    false,
                    Some(
                        "This sign-in link has expired or was used already. Ask for a new one."
                            .into(),
                    ),
                    StatusCode::NOT_FOUND,
                )
            }
        }
        None if s.service.sign_in_links_enabled() => {
            mail_link_page("link", String::new(), false, None, StatusCode::OK)
        }
        None => Err(PageError::NotFound),
    }
}

/// `POST /sign-in/link`: mails a link.
pub async fn request_link(State(s): State<AppState>, Form(f): Form<EmailForm>) -> PageResult {
    match s.service.request_sign_in_link(&f.email).await {
        Ok(()) => mail_link_page("link", String::new(), true, None, StatusCode::OK),
        Err(e) => refusal(e, "link"),
    }
}

#[derive(Deserialize)]
pub struct UseLinkForm {
    token: String,
}

/// `POST /sign-in/link/use`: signs in with the link.
pub async fn use_link(
    State(s): State<AppState>,
    client: ClientMeta,
    headers: HeaderMap,
    Form(f): Form<UseLinkForm>,
) -> PageResult {
    let parts = parts_of(headers);
    match s
        .service
        .sign_in_with_link(&f.token, &client.user_agent, &client.ip)
        .await
    {
        Ok((secret, person)) => {
            Ok(finish_sign_in(&s, &parts, &secret, &person, "/portal".into()).await)
        }
        Err(ServiceError::Unauthenticated(m)) => mail_link_page(
            "link",
            String::new(),
            false,
            Some(capitalise(&m)),
            StatusCode::UNAUTHORIZED,
        ),
        Err(e) => Err(e.into()),
    }
}
