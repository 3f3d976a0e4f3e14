//! Steward's use cases. Each public method of [`Service`] is one thing a person (or the system) can
//! do: it asks the domain's access policy on behalf of an [`Actor`](steward_domain::Actor), applies
//! the domain's rules with `now` from the injected [`Clock`], and stores the result in one
//! transaction. HTTP handlers and the command line call these and nothing below them.

mod assign;
mod audit;
mod auth;
mod automation;
mod backup;
mod clock;
mod counts;
mod directory;
mod downtime;
mod error;
mod feedback;
mod jobs;
mod knowledge;
mod limiter;
mod mail;
mod notices;
mod notify;
mod outbound;
mod reports;
mod rules;
mod search;
mod secrets;
mod sla;
mod tickets;
mod two_factor;
mod workspace;

pub use audit::{with_origin, Origin, MAX_AUDIT_PAGE};
pub use auth::{Authenticated, SignIn, TokenCreated, SESSION_LIFETIME};
pub use automation::{
    RecurringInput, RecurringTemplate, RecurringTicket, Reminder, TIME_RULES_EVERY,
};
pub use backup::{backup_extension, BackupMade, BackupSchedule};
pub use clock::{Clock, ManualClock, SystemClock};
pub use directory::{NewOrg, NewPersonInput, NewTeam, OrgPatch, PersonPatch, TeamPatch};
pub use downtime::{DowntimeMonth, NewDowntime};
pub use error::ServiceError;
pub use feedback::{rating_words, SurveyView, RATING_WORDS};
pub use jobs::{JobsRun, MAX_JOB_ATTEMPTS};
pub use knowledge::{ArticleInput, MAX_ARTICLE_FILE};
pub use mail::{Ingested, MailSettings, Mailbox, Templates};
pub use notices::{Notice, NoticeKind};
pub use outbound::{Delivery, SmtpSecurity, SmtpSender, SmtpSettings, MAX_ATTEMPTS};
pub use reports::{
    duration_words, filter_query, filter_words, percent_words, Report, ReportNames, ReportRequest,
    MAX_REPORT_DAYS,
};
pub use rules::RuleInput;
pub use search::{
    ArticleFound, SearchRequest, SearchResults, SearchScope, TicketFound, MAX_SEARCH_PAGE,
    SEARCH_PAGE,
};
pub use sla::PolicyInput;
pub use tickets::{CreateTicket, MessageInput, TicketUpdate};
pub use two_factor::{
    base32, totp, totp_code, Enrolment, SignedIn, TwoFactorStatus, RESET_LIFETIME,
    SIGN_IN_LINK_LIFETIME, TOTP_STEP_SECS,
};
pub use workspace::INVITATION_LIFETIME;

use std::sync::Arc;

use steward_store::Store;

/// Results of use cases.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// The use cases, over one store and one clock. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    store: Store,
    clock: Arc<dyn Clock>,
    limiter: Arc<limiter::SignInLimiter>,
    notices: tokio::sync::broadcast::Sender<Notice>,
    counts: Arc<counts::CountCache>,
    mail: Arc<MailSettings>,
    /// Resolved tickets close after this long (`None`: never).
    auto_close: Option<jiff::SignedDuration>,
    /// Resolved tickets' requesters are asked to rate them this long after (`None`: never).
    surveys: Option<jiff::SignedDuration>,
    /// Audit entries are deleted this long after (`None`: kept forever).
    audit_retention: Option<jiff::SignedDuration>,
    /// Backups taken by the scheduler (`None`: none).
    backups: Option<Arc<backup::BackupSchedule>>,
    /// Roles that must sign in with a second factor.
    two_factor_roles: Arc<[steward_domain::Role]>,
    /// Requesters may ask for a sign-in link by mail.
    sign_in_links: bool,
    /// Signs rule webhooks (HMAC-SHA256), when set.
    webhook_secret: Option<Arc<str>>,
    /// For rule webhooks.
    http: reqwest::Client,
}

impl Service {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Service {
            store,
            clock,
            limiter: Arc::new(limiter::SignInLimiter::default()),
            notices: notices::channel(),
            counts: Arc::default(),
            mail: Arc::default(),
            auto_close: None,
            surveys: None,
            audit_retention: None,
            backups: None,
            two_factor_roles: Arc::from(Vec::new()),
            sign_in_links: false,
            webhook_secret: None,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
        }
    }

    /// The same service signing rule webhooks with `secret`.
    pub fn with_webhook_secret(mut self, secret: Option<String>) -> Self {
        self.webhook_secret = secret.filter(|s| !s.is_empty()).map(Arc::from);
        self
    }

    /// The same service closing resolved tickets after `days` (0: never).
    pub fn with_auto_close(mut self, days: u32) -> Self {
        self.auto_close =
            (days > 0).then(|| jiff::SignedDuration::from_hours(24 * i64::from(days)));
        self
    }

    /// The same service with these e-mail settings.
    pub fn with_mail(mut self, settings: MailSettings) -> Self {
        self.mail = Arc::new(settings);
        self
    }

    /// The e-mail settings.
    pub fn mail_settings(&self) -> &MailSettings {
        &self.mail
    }

    /// The store, for health checks and metrics.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The current instant, from the injected clock, to the microsecond (what the store keeps, so
    /// that a value returned before and after a round trip through the database is the same).
    pub fn now(&self) -> steward_domain::Timestamp {
        let t = self.clock.now();
        steward_domain::Timestamp::from_microsecond(t.as_microsecond()).unwrap_or(t)
    }
}
