//! Configuration: built-in defaults, then `steward.toml`, then `STEWARD_*` environment variables,
//! then command-line flags (each overrides the one before). Zero configuration gives a working
//! installation on embedded SQLite in `./steward-data`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The commented example printed by `steward config example`.
pub const EXAMPLE: &str = r#"# steward.toml — Steward's configuration.
#
# Every setting is optional; the values shown are the defaults. Each can also be set with an
# environment variable (STEWARD_ and the name in capitals, e.g. STEWARD_LISTEN) or a command-line
# flag (--listen), which win over this file. Steward reads ./steward.toml, or the file named by
# --config / STEWARD_CONFIG.

# Address and port to serve HTTP on.
listen = "127.0.0.1:8080"

# Where Steward keeps its files: the embedded SQLite database (steward.db) and, later, attachments.
data_dir = "./steward-data"

# The database. Unset: embedded SQLite in data_dir. Or a PostgreSQL URL, for larger installations
# and for several Steward nodes sharing one database:
# database_url = "postgres://steward:secret@db.example.com:5432/steward"
# Or read the URL from a file (for secrets managers), also as STEWARD_DATABASE_URL_FILE:
# database_url_file = "/run/secrets/steward-database-url"

# Database connections per process (PostgreSQL), or SQLite reader connections. Default: 2 × cores + 2.
# db_max_connections = 6

# The address people use to reach Steward. When it starts with https://, cookies are marked Secure.
# public_url = "https://desk.example.com"

# Behind a reverse proxy: take the client's address from X-Forwarded-For. Only enable this when
# the proxy sets that header, or clients can pretend to be anyone.
trust_proxy = false

# The e-mail address of the administrator created on first start (with a one-time secret that is
# printed once and must be replaced at first sign-in).
admin_email = "admin@localhost"

# Logs go to standard error: "plain" for people, "json" for log collectors.
log_format = "plain"

# Log level: error, warn, info, debug or trace; or a filter such as "info,steward_store=debug".
log_level = "info"

# Tickets.
[tickets]
# Close resolved tickets after this many days without a reopening (0: never).
auto_close_days = 7
# Ask the requester to rate a resolved ticket (a satisfaction survey), this many hours after the
# resolution (0: at once). The mail needs [mail.smtp] and public_url; the portal asks anyway.
surveys = true
survey_delay_hours = 1

# Security.
[security]
# Delete audit-log entries after this many days (0: keep them forever).
audit_retention_days = 365
# Roles that must sign in with a second factor (an authenticator app): they set it up at their
# next sign-in before anything else. For example ["admin", "manager"].
two_factor_roles = []
# Requesters may ask for a sign-in link by mail instead of using a password (needs public_url
# and [mail.smtp]).
sign_in_links = false

# Backups taken by Steward while it runs (see docs/operations.md): a copy of the SQLite database,
# or a logical export of PostgreSQL, every every_hours hours (0: never), the newest keep kept.
[backup]
every_hours = 24
keep = 7
# Default: the backups directory inside data_dir. Better on another disk.
# dir = "/var/backups/steward"

# Automation rules.
[automation]
# Webhooks of rules carry X-Steward-Signature: sha256=<HMAC-SHA256 of the body with this secret>.
# webhook_secret_file = "/run/secrets/steward-webhook"   # or webhook_secret = "…"

# The e-mail channel.
[mail]
# The ticket tag in subjects is [PREFIX#1234]; the default, "", gives [#1234].
tag_prefix = ""
# Acknowledge new requests by mail (never to automatic mail: auto-replies, bulk mail, bounces).
acknowledge = true
# Attachments larger than this are not stored (the message says so).
max_attachment_mb = 25
# People in the Cc of a requester's mail become watchers: they get copies of public replies.
cc_watchers = true
# Mail staff about their work: a new ticket in their team's queue, a ticket assigned to them, a
# requester's answer on their ticket.
notify_staff = true
# Accept deliveries over LMTP (from Postfix or Dovecot) on this address.
# lmtp_listen = "127.0.0.1:2424"

# Each address Steward receives mail for, and where its tickets go. Mail to other addresses is
# taken as well, into no team.
# [[mail.mailboxes]]
# address = "help@example.com"
# team = "Service Desk"        # a team's name
# type = "incident"            # or service_request, problem, change
# category = "Hardware"        # a category's name (optional)
#
# Fetch this mailbox's mail by IMAP (instead of, or as well as, delivery by pipe or LMTP).
# [mail.mailboxes.imap]
# host = "imap.example.com"
# port = 993
# security = "tls"             # or "starttls" (port 143), or "none" (only for a server on this machine)
# username = "help@example.com"
# password_file = "/run/secrets/imap-password"   # or password = "…"
# folder = "INBOX"
# after = "move"               # move taken mail to processed_folder, or "flag" it as seen
# processed_folder = "Steward" # created if missing
# poll_seconds = 60            # how often to look when the server offers no IDLE
# ca_file = "/etc/ssl/certs/internal-ca.pem"     # trust this CA too (an internal mail server)

# The texts of outbound mail. Placeholders: {number}, {tag} ([#1234]), {subject}, {requester}
# (their name) and, in replies, {message} (what the technician wrote). Unset: Steward's own texts.
# [mail.templates]
# acknowledgement = "Hello {requester},\n\nwe received your request {tag} and will answer soon.\n"
# reply = "{message}\n\n-- \nThe Service Desk, request {tag}\n"
# To staff, with {link} to the ticket and {message} (what was written):
# new_in_queue = "A new request is in your team's queue: {tag} {subject}\n{link}\n"
# assigned = "{tag} {subject} is now assigned to you.\n{link}\n"
# requester_replied = "{requester} answered on {tag}:\n\n{message}\n\n{link}\n"
# To the requester when staff resolve the ticket, or set it to wait for them, without a reply:
# resolved = "Hello {requester},\n\nwe consider {tag} resolved. Reply if it is not.\n"
# pending_requester = "Hello {requester},\n\nwe need something from you for {tag}.\n"
# The satisfaction survey ([surveys] delay_hours after the resolution; {survey}: the five links):
# survey = "Hello {requester},\n\nhow did we do on {tag}?\n\n{survey}\n"

# Outbound mail (acknowledgements, replies). Without this section nothing is sent or queued.
# [mail.smtp]
# host = "smtp.example.com"
# port = 587
# security = "starttls"        # or "tls" (port 465), or "none" (only for a server on this machine)
# username = "help@example.com"
# password_file = "/run/secrets/smtp-password"   # or password = "…"
"#;

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Plain,
    Json,
}

/// The `[mail]` section.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    pub tag_prefix: String,
    pub acknowledge: bool,
    pub max_attachment_mb: u32,
    pub cc_watchers: bool,
    pub notify_staff: bool,
    pub mailboxes: Vec<MailboxConfig>,
    /// Outbound mail; without it nothing is sent (or queued).
    pub smtp: Option<SmtpConfig>,
    /// Listen for LMTP deliveries on this address (e.g. "127.0.0.1:2424").
    pub lmtp_listen: Option<String>,
    /// The texts of outbound mail.
    pub templates: TemplatesConfig,
}

/// The `[mail.templates]` section: unset texts keep Steward's own.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct TemplatesConfig {
    pub acknowledgement: Option<String>,
    pub reply: Option<String>,
    pub new_in_queue: Option<String>,
    pub assigned: Option<String>,
    pub requester_replied: Option<String>,
    pub resolved: Option<String>,
    pub pending_requester: Option<String>,
    pub survey: Option<String>,
}

/// The `[mail.smtp]` section.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Default: 587 for starttls, 465 for tls, 25 for none.
    pub port: Option<u16>,
    /// "starttls" (default), "tls" or "none" (only for a server on this machine).
    pub security: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Read the password from this file instead.
    pub password_file: Option<PathBuf>,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("password_file", &self.password_file)
            .finish()
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            tag_prefix: String::new(),
            acknowledge: true,
            max_attachment_mb: 25,
            cc_watchers: true,
            notify_staff: true,
            mailboxes: Vec::new(),
            smtp: None,
            lmtp_listen: None,
            templates: TemplatesConfig::default(),
        }
    }
}

/// One `[[mail.mailboxes]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MailboxConfig {
    pub address: String,
    /// A team's name.
    pub team: Option<String>,
    /// A ticket type (default incident).
    #[serde(rename = "type")]
    pub ticket_type: Option<String>,
    /// A category's name, for its new tickets.
    pub category: Option<String>,
    /// Fetch this mailbox's mail by IMAP.
    pub imap: Option<ImapConfig>,
}

/// A `[mail.mailboxes.imap]` section.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ImapConfig {
    pub host: String,
    /// Default: 993 for tls, 143 for starttls and none.
    pub port: Option<u16>,
    /// "tls" (default), "starttls" or "none" (only for a server on this machine).
    pub security: Option<String>,
    pub username: String,
    pub password: Option<String>,
    /// Read the password from this file instead.
    pub password_file: Option<PathBuf>,
    /// The folder to take mail from (default INBOX).
    pub folder: Option<String>,
    /// "move" (default) taken mail to `processed_folder`, or "flag" it as seen.
    pub after: Option<String>,
    /// Where "move" puts taken mail (default "Steward"); created if missing.
    pub processed_folder: Option<String>,
    /// How often to look for mail when the server offers no IDLE (default 60).
    pub poll_seconds: Option<u64>,
    /// A PEM file of certificate authorities to trust besides the usual public ones.
    pub ca_file: Option<PathBuf>,
}

impl fmt::Debug for ImapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("password_file", &self.password_file)
            .field("folder", &self.folder)
            .field("after", &self.after)
            .field("processed_folder", &self.processed_folder)
            .field("poll_seconds", &self.poll_seconds)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// The settings as written in `steward.toml` (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub mail: MailConfig,
    #[serde(default)]
    pub tickets: TicketsConfig,
    #[serde(default)]
    pub security: SecurityConfig,
    #[serde(default)]
    pub backup: BackupConfig,
    #[serde(default)]
    pub automation: AutomationConfig,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub database_url_file: Option<PathBuf>,
    pub db_max_connections: Option<u32>,
    pub public_url: Option<String>,
    pub trust_proxy: Option<bool>,
    pub admin_email: Option<String>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<String>,
}

/// The effective settings.
#[derive(Clone)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    /// `None`: embedded SQLite in `data_dir`.
    pub database_url: Option<String>,
    pub db_max_connections: Option<u32>,
    pub public_url: Option<String>,
    pub trust_proxy: bool,
    pub admin_email: String,
    pub log_format: LogFormat,
    pub log_level: String,
    pub mail: MailConfig,
    pub tickets: TicketsConfig,
    pub security: SecurityConfig,
    pub backup: BackupConfig,
    pub automation: AutomationConfig,
}

/// The `[backup]` section.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Hours between backups (0: none).
    pub every_hours: u32,
    /// How many are kept.
    pub keep: u32,
    /// Where (default: `backups` in the data directory).
    pub dir: Option<PathBuf>,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            every_hours: 24,
            keep: 7,
            dir: None,
        }
    }
}

impl Config {
    /// The backup schedule in effect (`None`: no scheduled backups).
    pub fn backup_schedule(&self) -> Option<steward_service::BackupSchedule> {
        (self.backup.every_hours > 0).then(|| steward_service::BackupSchedule {
            dir: self
                .backup
                .dir
                .clone()
                .unwrap_or_else(|| self.data_dir.join("backups")),
            every: jiff::SignedDuration::from_hours(i64::from(self.backup.every_hours)),
            keep: self.backup.keep.max(1) as usize,
        })
    }
}

/// The `[security]` section.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Audit entries are deleted after this many days (0: never).
    pub audit_retention_days: u32,
    /// Roles that must sign in with a second factor.
    pub two_factor_roles: Vec<String>,
    /// Requesters may sign in with a link sent by mail.
    pub sign_in_links: bool,
}

impl SecurityConfig {
    /// The roles of `two_factor_roles`, or which name is not a role.
    pub fn two_factor_roles(&self) -> anyhow::Result<Vec<steward_domain::Role>> {
        use steward_domain::Named;
        self.two_factor_roles
            .iter()
            .map(|r| {
                steward_domain::Role::parse(r).map_err(|_| {
                    anyhow::anyhow!(
                        "[security] two_factor_roles: {r:?} is not a role (admin, manager, technician, requester)"
                    )
                })
            })
            .collect()
    }
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            audit_retention_days: 365,
            two_factor_roles: Vec::new(),
            sign_in_links: false,
        }
    }
}

/// The `[automation]` section.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct AutomationConfig {
    pub webhook_secret: Option<String>,
    /// Read the secret from this file instead.
    pub webhook_secret_file: Option<PathBuf>,
}

impl fmt::Debug for AutomationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AutomationConfig")
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "***"),
            )
            .field("webhook_secret_file", &self.webhook_secret_file)
            .finish()
    }
}

impl AutomationConfig {
    /// The webhook secret, from the file if one is named.
    pub fn secret(&self) -> anyhow::Result<Option<String>> {
        match (&self.webhook_secret, &self.webhook_secret_file) {
            (_, Some(f)) => Ok(Some(
                std::fs::read_to_string(f)
                    .map_err(|e| {
                        anyhow::anyhow!("cannot read webhook_secret_file {}: {e}", f.display())
                    })?
                    .trim()
                    .to_string(),
            )),
            (s, None) => Ok(s.clone()),
        }
    }
}

/// The `[tickets]` section.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct TicketsConfig {
    /// Close resolved tickets after this many days (0: never).
    pub auto_close_days: u32,
    /// Ask requesters to rate resolved tickets.
    pub surveys: bool,
    /// How long after the resolution (hours).
    pub survey_delay_hours: u32,
}

impl Default for TicketsConfig {
    fn default() -> Self {
        TicketsConfig {
            auto_close_days: 7,
            surveys: true,
            survey_delay_hours: 1,
        }
    }
}

impl TicketsConfig {
    /// When surveys go out after a resolution (`None`: they do not).
    pub fn survey_delay(&self) -> Option<jiff::SignedDuration> {
        self.surveys
            .then(|| jiff::SignedDuration::from_hours(i64::from(self.survey_delay_hours)))
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./steward-data"),
            database_url: None,
            db_max_connections: None,
            public_url: None,
            trust_proxy: false,
            admin_email: "admin@localhost".into(),
            log_format: LogFormat::Plain,
            log_level: "info".into(),
            mail: MailConfig::default(),
            tickets: TicketsConfig::default(),
            security: SecurityConfig::default(),
            backup: BackupConfig::default(),
            automation: AutomationConfig::default(),
        }
    }
}

/// Hides the password in a URL (`postgres://user:***@host/db`, and `?password=***`).
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = base.to_string();
    if let Some((scheme, rest)) = base.split_once("://") {
        if let Some((userinfo, host)) = rest.rsplit_once('@') {
            if let Some((user, _)) = userinfo.split_once(':') {
                out = format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    if let Some(q) = query {
        let params: Vec<String> = q
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("db_max_connections", &self.db_max_connections)
            .field("public_url", &self.public_url)
            .field("trust_proxy", &self.trust_proxy)
            .field("admin_email", &self.admin_email)
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .field("mail", &self.mail)
            .field("tickets", &self.tickets)
            .field("security", &self.security)
            .field("backup", &self.backup)
            .field("automation", &self.automation)
            .finish()
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("cannot read the database URL from {path}: {source}")]
    UrlFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Settings given on the command line or in the environment (already merged by clap).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub database_url_file: Option<PathBuf>,
    pub db_max_connections: Option<u32>,
    pub public_url: Option<String>,
    pub trust_proxy: Option<bool>,
    pub admin_email: Option<String>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<String>,
}

/// Reads the file at `path` (if given, it must exist; if not, `./steward.toml` is used when
/// present) and applies `overrides` on top.
pub fn load(path: Option<&Path>, overrides: Overrides) -> Result<Config, ConfigError> {
    let file = match path {
        Some(p) => Some(read_file(p)?),
        None if Path::new("steward.toml").exists() => Some(read_file(Path::new("steward.toml"))?),
        None => None,
    }
    .unwrap_or_default();
    let d = Config::default();
    let url_file = overrides.database_url_file.or(file.database_url_file);
    let database_url = match overrides.database_url.or(file.database_url) {
        Some(u) => Some(u),
        None => match url_file {
            Some(p) => Some(
                std::fs::read_to_string(&p)
                    .map_err(|source| ConfigError::UrlFile { path: p, source })?
                    .trim()
                    .to_string(),
            ),
            None => None,
        },
    };
    Ok(Config {
        listen: overrides.listen.or(file.listen).unwrap_or(d.listen),
        data_dir: overrides.data_dir.or(file.data_dir).unwrap_or(d.data_dir),
        database_url: database_url.filter(|u| !u.is_empty()),
        db_max_connections: overrides.db_max_connections.or(file.db_max_connections),
        public_url: overrides.public_url.or(file.public_url),
        trust_proxy: overrides
            .trust_proxy
            .or(file.trust_proxy)
            .unwrap_or(d.trust_proxy),
        admin_email: overrides
            .admin_email
            .or(file.admin_email)
            .unwrap_or(d.admin_email),
        log_format: overrides
            .log_format
            .or(file.log_format)
            .unwrap_or(d.log_format),
        log_level: overrides
            .log_level
            .or(file.log_level)
            .unwrap_or(d.log_level),
        mail: file.mail,
        tickets: file.tickets,
        security: file.security,
        backup: file.backup,
        automation: file.automation,
    })
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_parses_and_matches_the_defaults() {
        let f: FileConfig = toml::from_str(EXAMPLE).unwrap();
        let d = Config::default();
        assert_eq!(f.listen.as_deref(), Some(d.listen.as_str()));
        assert_eq!(f.data_dir.as_deref(), Some(d.data_dir.as_path()));
        assert_eq!(f.admin_email.as_deref(), Some(d.admin_email.as_str()));
        assert_eq!(f.log_format, Some(d.log_format));
        assert!(f.database_url.is_none());
        assert_eq!(f.tickets, d.tickets);
        assert_eq!(f.security, d.security);
        assert_eq!(f.backup, d.backup);
    }

    #[test]
    fn two_factor_roles_are_checked() {
        let ok: SecurityConfig =
            toml::from_str("two_factor_roles = [\"admin\", \"manager\"]").unwrap();
        assert_eq!(
            ok.two_factor_roles().unwrap(),
            [steward_domain::Role::Admin, steward_domain::Role::Manager]
        );
        let bad: SecurityConfig = toml::from_str("two_factor_roles = [\"admins\"]").unwrap();
        let e = bad.two_factor_roles().unwrap_err().to_string();
        assert!(e.contains("\"admins\" is not a role"), "{e}");
    }

    #[test]
    fn overrides_win_over_the_file() {
        let dir = std::env::temp_dir().join(format!("steward-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("steward.toml");
        std::fs::write(&p, "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\n").unwrap();
        let c = load(
            Some(&p),
            Overrides {
                listen: Some("127.0.0.1:1".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:1");
        assert_eq!(c.log_format, LogFormat::Json);
        std::fs::write(&p, "listn = \"typo\"\n").unwrap();
        let err = load(Some(&p), Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("listn"), "{err}");
        assert!(load(Some(&dir.join("absent.toml")), Overrides::default()).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:p4ss@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=p4ss&sslmode=require"),
            "postgres://h/db?user=u&password=***&sslmode=require"
        );
        let c = Config {
            database_url: Some("postgres://u:p4ss@h/db".into()),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("p4ss"));
    }
}
