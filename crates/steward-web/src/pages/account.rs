//! Signing in and out, the front door, and one's password.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;
use steward_service::{ServiceError, SignIn};

use super::{
    constant_time_eq, hex, render, safe_next, see_other, Layout, PageCaller, PageError, PageResult,
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
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn sign_in_page(
    email: String,
    next: String,
    error: Option<String>,
    status: axum::http::StatusCode,
) -> PageResult {
    let token = hex(&random16()?);
    let page = SignInPage {
        layout: Layout {
            title: "Sign in".into(),
            user_name: String::new(),
            staff: false,
            csrf: token.clone(),
            section: "sign-in",
            notice: None,
        },
        email,
        next,
        error,
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
pub async fn sign_in_form(Query(q): Query<NextQuery>) -> PageResult {
    sign_in_page(
        String::new(),
        safe_next(q.next.as_deref()),
        None,
        axum::http::StatusCode::OK,
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
    let parts = {
        let mut req = axum::http::Request::new(());
        *req.headers_mut() = headers;
        req.into_parts().0
    };
    let expected = cookie_value(&parts, FORM_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), f.csrf.as_bytes()) {
        return sign_in_page(
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
    let (secret, person) = match result {
        Ok(ok) => ok,
        Err(ServiceError::Unauthenticated(m)) => {
            return sign_in_page(
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
                f.email,
                next,
                Some(m),
                axum::http::StatusCode::TOO_MANY_REQUESTS,
            );
        }
        Err(e) => return Err(e.into()),
    };
    // A session that existed before signing in is ended: its id must not carry over (fixation).
    if let Some(old) = session_cookie(&parts) {
        let _ = s.service.sign_out(&old).await;
    }
    let to = if person.must_change_password {
        "/account/password".to_string()
    } else {
        next
    };
    let mut res = see_other(&to);
    if let Some(c) = session_set_cookie(&s, &secret, steward_service::SESSION_LIFETIME.as_secs()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(res)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect::<String>() + ".",
        None => String::new(),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /sign-out`.
pub async fn sign_out(
    State(s): State<AppState>,
    caller: PageCaller,
    Form(f): Form<CsrfForm>,
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
