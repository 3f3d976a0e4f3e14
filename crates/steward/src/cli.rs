//! The command line: `steward serve`, `steward migrate`, and the administration commands.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use steward_domain::{Actor, Named, Role, TokenId};
use steward_service::{NewOrg, NewPersonInput, Service, SystemClock};

use crate::config::{self, Config, LogFormat, Overrides};
use crate::server;

#[derive(Debug, Parser)]
#[command(
    name = "steward",
    version,
    about = "Steward: IT service management — help desk, service levels, knowledge, assets.",
    long_about = "Steward: IT service management — help desk, service levels, knowledge, assets.\n\n\
        Start with `steward serve`: it creates an embedded database in ./steward-data, an \
        administrator with a one-time secret (printed once), and serves http://127.0.0.1:8080.\n\n\
        Settings come from steward.toml (see `steward config example`), STEWARD_* environment \
        variables and the flags below, each overriding the one before."
)]
struct Cli {
    /// Configuration file [default: ./steward.toml if present]
    #[arg(long, env = "STEWARD_CONFIG", global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory for the embedded database and files [default: ./steward-data]
    #[arg(long, env = "STEWARD_DATA_DIR", global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: postgres://USER:PASSWORD@HOST/DB, or sqlite:PATH [default: embedded SQLite in the data directory]
    #[arg(
        long,
        env = "STEWARD_DATABASE_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Read the database URL from this file
    #[arg(
        long,
        env = "STEWARD_DATABASE_URL_FILE",
        global = true,
        value_name = "FILE"
    )]
    database_url_file: Option<PathBuf>,
    /// Database connections per process [default: 2 × cores + 2]
    #[arg(
        long,
        env = "STEWARD_DB_MAX_CONNECTIONS",
        global = true,
        value_name = "N"
    )]
    db_max_connections: Option<u32>,
    /// Log format [default: plain]
    #[arg(long, env = "STEWARD_LOG_FORMAT", global = true, value_enum)]
    log_format: Option<LogFormat>,
    /// Log level or filter, e.g. info or "info,steward_store=debug" [default: info]
    #[arg(long, env = "STEWARD_LOG_LEVEL", global = true, value_name = "FILTER")]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (migrating the database first)
    Serve(ServeArgs),
    /// Apply database migrations and exit
    Migrate,
    /// Show or explain the configuration
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage people
    #[command(subcommand)]
    User(UserCommand),
    /// Manage organisations
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage API tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// The e-mail channel: take in mail, look at quarantined mail
    #[command(subcommand)]
    Mail(MailCommand),
    /// The search indexes
    #[command(subcommand)]
    Search(SearchCommand),
    /// Take a consistent backup while Steward runs: a copy of the SQLite database (attachments
    /// included), or a logical export of PostgreSQL
    Backup {
        /// The file to write (it must not exist)
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Restore a backup (or an export) into an empty data directory or database, and check it
    Restore {
        /// A file written by `steward backup` or `steward export`
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
    /// Write the whole database as JSON lines (to move between SQLite and PostgreSQL)
    Export {
        /// The file to write (it must not exist)
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
    /// Load a file written by `steward export` into an empty database
    Import {
        /// The export to load
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
    /// Fill the database with demo data: a year of a service desk's tickets with their
    /// conversations, organisations, people, teams, service levels and help articles
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// How many tickets (messages are about five per ticket; people and organisations grow with it)
    #[arg(long, default_value_t = 2000, value_name = "N")]
    tickets: u64,
    /// The same seed writes the same data
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Percentage of tickets still open (for measuring a large backlog) [default: as a real
    /// desk has it, a few per cent]
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u8).range(0..=100))]
    open_percent: Option<u8>,
}

#[derive(Debug, Subcommand)]
enum SearchCommand {
    /// Rebuild the full-text indexes of tickets, messages, people and organisations from the
    /// stored data (they are kept up to date by themselves; rebuild after restoring a damaged
    /// database or changing the index's language). Steward may keep running meanwhile.
    Reindex,
}

#[derive(Debug, Subcommand)]
enum MailCommand {
    /// Take in mail: one message on standard input (for an MTA's pipe transport; exit codes
    /// follow sysexits, so the MTA retries on 75 and bounces on others), or with --batch a Maildir,
    /// an mbox file or a folder of .eml files
    Ingest {
        /// The address the mail was sent to (selects the mailbox's team and type)
        #[arg(long, value_name = "ADDRESS")]
        mailbox: Option<String>,
        /// Import a Maildir, an mbox file, or a folder of .eml files
        #[arg(long, value_name = "PATH")]
        batch: Option<PathBuf>,
    },
    /// List quarantined mail (that could not be read or routed)
    Quarantine,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "STEWARD_LISTEN", value_name = "ADDR:PORT")]
    listen: Option<String>,
    /// The URL people use to reach Steward; https:// makes cookies Secure
    #[arg(long, env = "STEWARD_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// Trust X-Forwarded-For from a reverse proxy
    #[arg(long, env = "STEWARD_TRUST_PROXY", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    trust_proxy: Option<bool>,
    /// E-mail address of the administrator created on first start [default: admin@localhost]
    #[arg(long, env = "STEWARD_ADMIN_EMAIL", value_name = "EMAIL")]
    admin_email: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print a commented example steward.toml
    Example,
    /// Print the effective configuration (secrets hidden)
    Show,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a person (requester or staff)
    Create {
        /// E-mail address (also the sign-in name)
        #[arg(long)]
        email: String,
        /// Full name
        #[arg(long)]
        name: String,
        /// admin, manager, technician or requester
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Organisation (by slug) the person belongs to
        #[arg(long, value_name = "SLUG")]
        org: Option<String>,
        /// Let this requester see every ticket of their organisation
        #[arg(long)]
        org_access: bool,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a person's password (read from standard input)
    SetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organisation
    Create {
        #[arg(long)]
        name: String,
        /// Short name for URLs and commands [default: derived from the name]
        #[arg(long)]
        slug: Option<String>,
        /// Mail domain of its people (repeat for several)
        #[arg(long = "domain", value_name = "DOMAIN")]
        domains: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for a person and print it (only the token goes to standard output)
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "command line")]
        label: String,
        /// Days until it expires [default: never]
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<u32>,
    },
    /// Revoke an API token by id
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).map_err(|e| e.to_string())
}

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Config(ConfigCommand::Example) = cli.command {
        print!("{}", config::EXAMPLE);
        return ExitCode::SUCCESS;
    }
    let serve = match &cli.command {
        Command::Serve(s) => Some(s),
        _ => None,
    };
    let overrides = Overrides {
        listen: serve.and_then(|s| s.listen.clone()),
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        database_url_file: cli.database_url_file.clone(),
        db_max_connections: cli.db_max_connections,
        public_url: serve.and_then(|s| s.public_url.clone()),
        trust_proxy: serve.and_then(|s| s.trust_proxy),
        admin_email: serve.and_then(|s| s.admin_email.clone()),
        log_format: cli.log_format,
        log_level: cli.log_level.clone(),
    };
    let config = match config::load(cli.config.as_deref(), overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(78); // EX_CONFIG
        }
    };
    init_logging(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            crate::mail::exit_code(&e)
        }
    }
}

fn init_logging(config: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|e| {
        eprintln!(
            "warning: log level {:?} is not valid ({e}); using info",
            config.log_level
        );
        EnvFilter::new("info")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Plain => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve(_) => serve(config).await,
        Command::Migrate => {
            let store = server::open_store(&config).await?;
            let v = store.schema_version().await?;
            println!("database schema is at version {v}");
            store.close().await;
            Ok(())
        }
        Command::Config(ConfigCommand::Show) => {
            println!("{config:#?}");
            Ok(())
        }
        Command::Config(ConfigCommand::Example) => Ok(()),
        Command::User(cmd) => admin(config, |svc| Box::pin(user(svc, cmd))).await,
        Command::Org(cmd) => admin(config, |svc| Box::pin(org(svc, cmd))).await,
        Command::Token(cmd) => admin(config, |svc| Box::pin(token(svc, cmd))).await,
        Command::Mail(cmd) => crate::mail::run(cmd_into(cmd), config).await,
        Command::Search(SearchCommand::Reindex) => {
            admin(config, |svc| Box::pin(reindex(svc))).await
        }
        Command::Demo(args) => demo(config, args).await,
        Command::Backup { to } => crate::backup::backup(config, to).await,
        Command::Restore { from } => crate::backup::restore(config, from).await,
        Command::Export { to } => crate::backup::export(config, to).await,
        Command::Import { from } => crate::backup::import(config, from).await,
    }
}

async fn demo(config: Config, args: DemoArgs) -> anyhow::Result<()> {
    use steward_demo::Phase;
    if args.tickets > 100_000_000 {
        bail!(
            "--tickets {} is more than this generator is meant for (at most 100,000,000)",
            args.tickets
        );
    }
    let store = server::open_store(&config).await?;
    let clock = Arc::new(SystemClock);
    let svc = Service::new(store.clone(), clock.clone());
    let bar = indicatif::ProgressBar::new(args.tickets);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:<22} {bar:40} {pos}/{len} {per_sec} {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let opts = steward_demo::DemoOptions {
        tickets: args.tickets,
        seed: args.seed,
        now: steward_service::Clock::now(&*clock),
        open_share: args.open_percent.map(|p| f64::from(p) / 100.0),
    };
    let progress = |phase: Phase, done: u64, total: u64| {
        bar.set_message(match phase {
            Phase::People => "people and teams",
            Phase::Tickets => "tickets",
            Phase::ServiceLevels => "service-level clocks",
            Phase::Statistics => "query statistics",
        });
        bar.set_length(total);
        bar.set_position(done);
    };
    let result = steward_demo::generate(&svc, &store, &opts, &progress).await;
    bar.finish_and_clear();
    store.close().await;
    let r = result?;
    let numbers = match r.numbers {
        Some((a, b)) => format!(" (#{a} to #{b})"),
        None => String::new(),
    };
    println!(
        "demo data written in {:.1} s: {} tickets{numbers} with {} messages and {} history entries \
         ({} still open, {} with service-level clocks); {} organisations, {} requesters, {} \
         technicians; {} help articles",
        started.elapsed().as_secs_f64(),
        r.tickets,
        r.messages,
        r.events,
        r.open_tickets,
        r.clocks_computed,
        r.organisations,
        r.requesters,
        r.technicians,
        r.articles,
    );
    Ok(())
}

async fn reindex(svc: &Service) -> anyhow::Result<()> {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} messages, {per_sec}, {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let done = svc
        .reindex_search(&Actor::system(), |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await?;
    bar.finish_and_clear();
    println!(
        "search indexes rebuilt: {done} messages, with every ticket, person and organisation, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn cmd_into(cmd: MailCommand) -> crate::mail::MailCmd {
    match cmd {
        MailCommand::Ingest { mailbox, batch } => crate::mail::MailCmd::Ingest { mailbox, batch },
        MailCommand::Quarantine => crate::mail::MailCmd::Quarantine,
    }
}

type BoxFut<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + 'a>>;

/// Runs an administration command against the configured database, as the system.
async fn admin(
    config: Config,
    f: impl for<'a> FnOnce(&'a Service) -> BoxFut<'a>,
) -> anyhow::Result<()> {
    let store = server::open_store(&config).await?;
    let svc = Service::new(store.clone(), Arc::new(SystemClock));
    // What the command line does is recorded in the audit log as coming from it.
    let result = steward_service::with_origin(command_line(), f(&svc)).await;
    store.close().await;
    result
}

/// The origin of what the command line does, for the audit log.
pub(crate) fn command_line() -> steward_service::Origin {
    steward_service::Origin {
        ip: String::new(),
        user_agent: format!("steward {} (command line)", env!("CARGO_PKG_VERSION")),
    }
}

fn read_password_line() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        eprint!("Password: ");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    if pw.is_empty() {
        bail!("no password on standard input");
    }
    Ok(pw)
}

async fn user(svc: &Service, cmd: UserCommand) -> anyhow::Result<()> {
    let system = Actor::system();
    match cmd {
        UserCommand::Create {
            email,
            name,
            role,
            org,
            org_access,
            password_stdin,
        } => {
            let organisation_id = match org {
                Some(slug) => Some(
                    svc.get_org_by_slug(&system, &slug)
                        .await
                        .with_context(|| format!("organisation {slug:?}"))?
                        .id,
                ),
                None => None,
            };
            let password = if password_stdin {
                Some(read_password_line()?)
            } else {
                None
            };
            let p = svc
                .create_person(
                    &system,
                    NewPersonInput {
                        email,
                        name,
                        role,
                        organisation_id,
                        org_access,
                        password,
                    },
                )
                .await?;
            println!(
                "created {} {} <{}> (id {})",
                p.role.as_str(),
                p.name,
                p.email,
                p.id
            );
        }
        UserCommand::SetPassword { email } => {
            let p = svc.get_person_by_email(&system, &email).await?;
            let pw = read_password_line()?;
            svc.set_password(&system, p.id, &pw).await?;
            println!("password set for {}; their sessions were ended", p.email);
        }
    }
    Ok(())
}

async fn org(svc: &Service, cmd: OrgCommand) -> anyhow::Result<()> {
    match cmd {
        OrgCommand::Create {
            name,
            slug,
            domains,
        } => {
            let o = svc
                .create_org(
                    &Actor::system(),
                    NewOrg {
                        name,
                        slug,
                        domains,
                    },
                )
                .await?;
            println!(
                "created organisation {} (slug {}, id {})",
                o.name, o.slug, o.id
            );
        }
    }
    Ok(())
}

async fn token(svc: &Service, cmd: TokenCommand) -> anyhow::Result<()> {
    let system = Actor::system();
    match cmd {
        TokenCommand::Create {
            email,
            label,
            expires_in_days,
        } => {
            let p = svc.get_person_by_email(&system, &email).await?;
            let t = svc
                .create_token(&system, p.id, &label, expires_in_days)
                .await?;
            eprintln!(
                "API token {} for {} (id {}); it is shown only now:",
                t.token.label, p.email, t.token.id
            );
            println!("{}", t.secret);
        }
        TokenCommand::Revoke { id } => {
            let t = svc.revoke_token(&system, TokenId(id)).await?;
            println!("revoked token {} ({})", t.id, t.label);
        }
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let store = server::open_store(&config).await?;
    let svc = Service::new(store.clone(), Arc::new(SystemClock));
    let svc = svc
        .clone()
        .with_mail(server::mail_settings(&config, &svc).await?)
        .with_auto_close(config.tickets.auto_close_days)
        .with_surveys(config.tickets.survey_delay())
        .with_audit_retention(config.security.audit_retention_days)
        .with_two_factor_roles(config.security.two_factor_roles()?)
        .with_sign_in_links(config.security.sign_in_links)
        .with_backups(config.backup_schedule())
        .with_webhook_secret(config.automation.secret()?);
    svc.schedule_audit_prune().await?;
    svc.schedule_backups().await?;
    if let Some((admin, secret)) = svc.bootstrap_admin(&config.admin_email).await? {
        println!();
        println!("  Steward created the administrator {}.", admin.email);
        println!("  One-time sign-in secret: {secret}");
        println!("  It is shown only now. Sign in with it and choose a password:");
        println!("    POST /api/v1/auth/login, then POST /api/v1/me/password");
        println!(
            "  For an API token instead: steward token create --email {}",
            admin.email
        );
        println!();
    }
    let shutdown = server::shutdown_signal();
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let workers = server::Workers::start(&config, &svc).await?;
    let mut running = server::start(svc, server::web_config(&config), listener).await?;
    let backend = store.backend().as_str();
    tracing::info!(addr = %running.addr, backend, "Steward is ready");
    println!(
        "Steward is listening on http://{} ({backend})",
        running.addr
    );
    tokio::select! {
        r = running.wait() => r?,
        _ = shutdown => {
            tracing::info!("shutting down: finishing requests in flight");
            running.stop().await?;
        }
    }
    workers.stop().await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}
