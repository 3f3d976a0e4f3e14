//! Every route of Steward, in one place.

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{
    audit, automation, categories, downtime, feedback, knowledge, organisations, people, reports,
    search, session, sessions, sla, teams, tickets, tokens, two_factor, watchers,
};
use crate::error::ApiError;
use crate::pages::{
    account, admin, agent, assets, audit as audit_pages, automation as automation_pages,
    feedback as feedback_pages, knowledge as kb_pages, live, notifications, portal,
    reports as report_pages, search as search_pages, service_levels,
    two_factor as two_factor_pages,
};
use crate::{headers, metrics, ops, AppState};

/// Largest request body accepted (a message body is at most 256 KiB; JSON escaping can double it).
const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Steward API",
        description = "The REST API of Steward, an IT service management system. Authenticate with \
            `Authorization: Bearer <token>` (create tokens with `steward token create` or `POST /tokens`). \
            Errors are JSON: `{\"error\": {\"code\", \"message\", \"field\"?}}`."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "tickets", description = "Tickets, their conversation and history"),
        (name = "service levels", description = "Business calendars and SLA policies"),
        (name = "organisations", description = "Client companies and departments"),
        (name = "people", description = "Requesters and staff"),
        (name = "teams", description = "Teams (queues) and their members"),
        (name = "categories", description = "Ticket categories"),
        (name = "search", description = "One search box over tickets, people, organisations and articles"),
        (name = "knowledge base", description = "Articles, their categories and versions"),
        (name = "notifications", description = "What staff are told about, in the app"),
        (name = "feedback", description = "Satisfaction surveys and the suggestion box"),
        (name = "reports", description = "KPI reports (JSON and CSV) and reports mailed on a schedule"),
        (name = "tokens", description = "API tokens"),
        (name = "session", description = "Signing in and out; who you are; sessions"),
        (name = "audit", description = "The audit log (administrators)"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tickets::list, tickets::create))
        .routes(routes!(tickets::get, tickets::update))
        .routes(routes!(tickets::get_by_number))
        .routes(routes!(tickets::messages, tickets::add_message))
        .routes(routes!(tickets::history))
        .routes(routes!(watchers::list, watchers::add))
        .routes(routes!(watchers::remove))
        .routes(routes!(
            automation::get_reminder,
            automation::put_reminder,
            automation::delete_reminder
        ))
        .routes(routes!(search::search))
        .routes(routes!(reports::kpis))
        .routes(routes!(reports::kpis_csv))
        .routes(routes!(reports::list_schedules, reports::create_schedule))
        .routes(routes!(reports::delete_schedule))
        .routes(routes!(feedback::get_survey, feedback::rate_survey))
        .routes(routes!(feedback::comment_survey))
        .routes(routes!(feedback::ticket_ratings, feedback::rate_ticket))
        .routes(routes!(
            feedback::list_suggestions,
            feedback::create_suggestion
        ))
        .routes(routes!(
            feedback::get_suggestion,
            feedback::answer_suggestion
        ))
        .routes(routes!(
            knowledge::list_categories,
            knowledge::create_category
        ))
        .routes(routes!(
            knowledge::update_category,
            knowledge::delete_category
        ))
        .routes(routes!(knowledge::list_articles, knowledge::create_article))
        .routes(routes!(
            knowledge::get_article,
            knowledge::update_article,
            knowledge::delete_article
        ))
        .routes(routes!(knowledge::versions))
        .routes(routes!(knowledge::restore))
        .routes(routes!(knowledge::feedback))
        .routes(routes!(knowledge::ticket_articles, knowledge::link))
        .routes(routes!(knowledge::unlink))
        .routes(routes!(knowledge::draft_from_ticket))
        .routes(routes!(knowledge::get_file, knowledge::delete_file))
        .merge(
            // Files for articles are larger than any other request body.
            OpenApiRouter::new()
                .routes(routes!(knowledge::upload_file, knowledge::list_files))
                .layer(axum::extract::DefaultBodyLimit::max(
                    steward_service::MAX_ARTICLE_FILE + 1024,
                )),
        )
        .routes(routes!(automation::list_notifications))
        .routes(routes!(automation::read_all))
        .routes(routes!(automation::read_one))
        .routes(routes!(
            automation::list_recurring,
            automation::create_recurring
        ))
        .routes(routes!(
            automation::get_recurring,
            automation::update_recurring,
            automation::delete_recurring
        ))
        .routes(routes!(sla::ticket_sla))
        .routes(routes!(sla::list_calendars, sla::create_calendar))
        .routes(routes!(sla::update_calendar, sla::delete_calendar))
        .routes(routes!(sla::import_holidays))
        .routes(routes!(sla::list_policies, sla::create_policy))
        .routes(routes!(sla::update_policy, sla::delete_policy))
        .routes(routes!(sla::failed_jobs))
        .routes(routes!(sla::list_rules, sla::create_rule))
        .routes(routes!(sla::update_rule, sla::delete_rule))
        .routes(routes!(sla::test_rule))
        .routes(routes!(downtime::list, downtime::create))
        .routes(routes!(downtime::end))
        .routes(routes!(downtime::report))
        .routes(routes!(downtime::set_commitment))
        .routes(routes!(teams::get_assignment, teams::put_assignment))
        .routes(routes!(people::get_away, people::put_away))
        .routes(routes!(organisations::list, organisations::create))
        .routes(routes!(organisations::get, organisations::update))
        .routes(routes!(people::list, people::create))
        .routes(routes!(people::get, people::update))
        .routes(routes!(teams::list, teams::create))
        .routes(routes!(teams::get, teams::update))
        .routes(routes!(teams::put_member, teams::delete_member))
        .routes(routes!(categories::list, categories::create))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(session::login))
        .routes(routes!(session::login_second_factor))
        .routes(routes!(session::password_reset))
        .routes(routes!(session::sign_in_link))
        .routes(routes!(session::logout))
        .routes(routes!(session::me))
        .routes(routes!(session::change_password))
        .routes(routes!(two_factor::status, two_factor::begin))
        .routes(routes!(two_factor::confirm))
        .routes(routes!(two_factor::recovery_codes))
        .routes(routes!(two_factor::turn_off))
        .routes(routes!(two_factor::reset))
        .routes(routes!(sessions::list))
        .routes(routes!(sessions::end))
        .routes(routes!(audit::list))
        .routes(routes!(audit::csv))
        .routes(routes!(audit::jsonl))
}

/// The OpenAPI document of the API, generated from the handlers themselves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api_routes())
        .split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    merge_flattened(doc)
}

/// A request type with a `#[serde(flatten)]` field becomes `allOf` of its own fields and the
/// flattened type's, and when both refuse unknown fields (`additionalProperties: false`) no
/// object can satisfy the two at once: client generators and schema-driven fuzzers give up. The
/// parts of an `allOf` are merged into one object with all the properties (which is what the API
/// accepts), keeping `additionalProperties: false` on the whole.
fn merge_flattened(doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use serde_json::{Map, Value};
    let Ok(mut v) = serde_json::to_value(&doc) else {
        return doc;
    };
    let schemas = v
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    fn resolve<'a>(part: &'a Value, schemas: &'a Value) -> &'a Value {
        match part
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            Some(name) => schemas.get(name).unwrap_or(part),
            None => part,
        }
    }
    fn walk(v: &mut Value, schemas: &Value) {
        match v {
            Value::Object(o) => {
                let merged = o.get("allOf").and_then(Value::as_array).and_then(|parts| {
                    let mut props = Map::new();
                    let mut required: Vec<Value> = vec![];
                    let mut closed = false;
                    for part in parts {
                        let part = resolve(part, schemas);
                        // Only plain objects merge; anything else stays as it is.
                        part.get("properties")?
                            .as_object()
                            .map(|p| props.extend(p.clone()))?;
                        if let Some(r) = part.get("required").and_then(Value::as_array) {
                            required.extend(r.iter().cloned());
                        }
                        closed |= part.get("additionalProperties") == Some(&Value::Bool(false));
                    }
                    Some((props, required, closed))
                });
                if let Some((props, required, closed)) = merged {
                    o.remove("allOf");
                    o.insert("type".into(), "object".into());
                    o.insert("properties".into(), Value::Object(props));
                    if !required.is_empty() {
                        o.insert("required".into(), Value::Array(required));
                    }
                    if closed {
                        o.insert("additionalProperties".into(), Value::Bool(false));
                    }
                }
                for (_, child) in o.iter_mut() {
                    walk(child, schemas);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|c| walk(c, schemas)),
            _ => {}
        }
    }
    walk(&mut v, &schemas);
    serde_json::from_value(v).unwrap_or(doc)
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    tracing::error!("a request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "something went wrong on our side; it has been logged",
    )
    .into_response()
}

async fn api_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method",
    )
}

/// The HTML pages: the agent workspace, the portal, signing in.
fn page_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(account::home))
        .route(
            "/sign-in",
            get(account::sign_in_form).post(account::sign_in),
        )
        .route("/sign-out", post(account::sign_out))
        .route("/sign-in/two-factor", post(two_factor_pages::second_factor))
        .route(
            "/sign-in/link",
            get(two_factor_pages::link_form).post(two_factor_pages::request_link),
        )
        .route("/sign-in/link/use", post(two_factor_pages::use_link))
        .route(
            "/forgot-password",
            get(two_factor_pages::forgot_form).post(two_factor_pages::forgot),
        )
        .route(
            "/account/two-factor",
            get(two_factor_pages::settings).post(two_factor_pages::confirm),
        )
        .route("/account/two-factor/off", post(two_factor_pages::turn_off))
        .route(
            "/account/two-factor/recovery-codes",
            post(two_factor_pages::new_codes),
        )
        .route(
            "/account/password",
            get(account::password_form).post(account::change_password),
        )
        .route("/account", get(account::account))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/account/sessions/{id}/end", post(account::end_session))
        .route(
            "/account/sessions/end-others",
            post(account::end_other_sessions),
        )
        .route(
            "/welcome",
            get(account::welcome_form).post(account::welcome),
        )
        .route("/agent/views", post(agent::save_view))
        .route("/agent/tickets/{number}/files/{id}", get(agent::file))
        .route("/portal/tickets/{number}/files/{id}", get(portal::file))
        .route("/agent/views/{id}/delete", post(agent::delete_view))
        .route(
            "/agent/tickets/{number}/canned/{id}",
            get(agent::canned_text),
        )
        .route(
            "/agent/admin/people",
            get(admin::people).post(admin::create_person),
        )
        .route("/agent/admin/people/{id}", post(admin::update_person))
        .route(
            "/agent/admin/organisations",
            get(admin::organisations).post(admin::create_org),
        )
        .route("/agent/admin/organisations/{id}", post(admin::update_org))
        .route(
            "/agent/admin/teams",
            get(admin::teams).post(admin::create_team),
        )
        .route("/agent/admin/teams/{id}/members", post(admin::team_member))
        .route(
            "/agent/admin/canned",
            get(admin::canned).post(admin::create_canned),
        )
        .route("/agent/admin/canned/{id}", post(admin::update_canned))
        .route("/agent/admin/mail", get(admin::mail))
        .route("/agent/admin/audit", get(audit_pages::page))
        .route("/agent/admin/sla", get(service_levels::page))
        .route("/agent/admin/automation", get(automation_pages::page))
        .route(
            "/agent/admin/automation/rules",
            post(automation_pages::new_rule),
        )
        .route(
            "/agent/admin/automation/rules/{id}",
            post(automation_pages::save_rule),
        )
        .route(
            "/agent/admin/automation/recurring",
            post(automation_pages::new_recurring),
        )
        .route(
            "/agent/admin/automation/recurring/{id}",
            post(automation_pages::save_recurring),
        )
        .route(
            "/agent/admin/automation/downtimes",
            post(automation_pages::record_downtime),
        )
        .route(
            "/agent/admin/automation/downtimes/{id}/end",
            post(automation_pages::end_downtime),
        )
        .route(
            "/agent/admin/automation/commitments",
            post(automation_pages::set_commitment),
        )
        .route(
            "/agent/admin/sla/calendars",
            post(service_levels::create_calendar),
        )
        .route(
            "/agent/admin/sla/calendars/{id}",
            post(service_levels::update_calendar),
        )
        .route(
            "/agent/admin/sla/policies",
            post(service_levels::create_policy),
        )
        .route(
            "/agent/admin/sla/policies/{id}",
            post(service_levels::update_policy),
        )
        .route(
            "/agent/admin/sla/assignment/{team}",
            post(service_levels::set_assignment),
        )
        .route("/agent/admin/mail/{id}", post(admin::quarantine_action))
        .route("/static/{file}", get(assets::serve))
        .route("/agent", get(agent::queue))
        .route("/agent/notifications", get(notifications::page))
        .route("/agent/notifications/read", post(notifications::read_all))
        .route("/agent/notifications/{id}/open", post(notifications::open))
        .route("/agent/events", get(live::events))
        .route("/agent/bulk", post(agent::bulk))
        .route(
            "/agent/new",
            get(agent::new_ticket_form).post(agent::create_ticket),
        )
        .route("/agent/tickets/{number}", get(agent::ticket))
        .route("/agent/tickets/{number}/fields", post(agent::update_fields))
        .route("/agent/tickets/{number}/messages", post(agent::add_message))
        .route("/agent/tickets/{number}/watchers", post(agent::add_watcher))
        .route("/agent/tickets/{number}/reminder", post(agent::reminder))
        .route(
            "/agent/tickets/{number}/watchers/{person}/remove",
            post(agent::remove_watcher),
        )
        .route(
            "/agent/tickets/{number}/assign-to-me",
            post(agent::assign_to_me),
        )
        .route("/portal", get(portal::list))
        .route("/portal/search", get(search_pages::page))
        .route("/portal/kb", get(kb_pages::portal_list))
        .route("/portal/kb/suggest", get(kb_pages::suggest))
        .route("/portal/kb/{id}", get(kb_pages::portal_article))
        .route("/portal/kb/{id}/feedback", post(kb_pages::portal_feedback))
        .route("/agent/kb", get(kb_pages::list))
        .route("/agent/kb/categories", post(kb_pages::save_category))
        .route(
            "/agent/kb/new",
            get(kb_pages::new_form).post(kb_pages::create),
        )
        .route(
            "/agent/kb/{id}",
            get(kb_pages::article).post(kb_pages::save),
        )
        .route("/agent/kb/{id}/versions/{version}", get(kb_pages::version))
        .route(
            "/agent/kb/{id}/files/{file}/remove",
            post(kb_pages::remove_file),
        )
        .route(
            "/agent/kb/{id}/versions/{version}/restore",
            post(kb_pages::restore),
        )
        .route(
            "/agent/tickets/{number}/articles",
            post(kb_pages::link_to_ticket),
        )
        .route(
            "/agent/tickets/{number}/article-draft",
            post(kb_pages::draft_from_ticket),
        )
        .route("/agent/search", get(search_pages::page))
        .route("/portal/new", get(portal::new_form).post(portal::create))
        .route("/portal/tickets/{number}", get(portal::ticket))
        .route("/portal/tickets/{number}/reply", post(portal::reply))
        .route("/portal/tickets/{number}/resolve", post(portal::resolve))
        .route(
            "/portal/tickets/{number}/rating",
            post(feedback_pages::portal_rate),
        )
        .route(
            "/portal/tickets/{number}/rating/comment",
            post(feedback_pages::portal_comment),
        )
        .route(
            "/survey/{token}",
            get(feedback_pages::survey).post(feedback_pages::rate),
        )
        .route("/survey/{token}/comment", post(feedback_pages::comment))
        .route(
            "/portal/suggestions",
            get(feedback_pages::portal_suggestions).post(feedback_pages::suggest),
        )
        .route("/agent/suggestions", get(feedback_pages::agent_suggestions))
        .route("/agent/suggestions/{id}", post(feedback_pages::answer))
        .route("/agent/reports", get(report_pages::page))
        .route("/agent/reports.csv", get(report_pages::csv))
        .route("/agent/reports/schedules", post(report_pages::schedule))
        .route(
            "/agent/reports/schedules/{id}/delete",
            post(report_pages::unschedule),
        )
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let (api, _) = OpenApiRouter::<AppState>::new()
        .nest("/api/v1", api_routes())
        .split_for_parts();
    let doc = openapi();
    let doc_json = serde_json::to_string(&doc).unwrap_or_else(|_| "{}".into());
    let api = api
        .route(
            "/api/v1/openapi.json",
            get(move || async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    doc_json,
                )
            }),
        )
        .route("/api/v1/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed);

    Router::new()
        .merge(page_routes())
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .merge(api)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::origin,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        // A bug that panics in a handler answers 500 (and is logged) instead of dropping the
        // connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
