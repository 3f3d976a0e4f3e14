//! `steward-bench`: Steward's benchmark. For each backend and size it fills a fresh database with
//! `steward demo`, starts `steward serve`, and measures it from a load generator over loopback —
//! API ticket creation, pages, the ticket list, search, mail ingestion, SLA recomputation, the
//! scheduler, memory and start-up — beside baselines of the same machine measured in the same run.
//! It prints a Markdown table (and writes it to `--out`). See docs/benchmarks.md.

mod baseline;
mod http;
mod mail;
mod report;
mod run;
mod steward;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "steward-bench",
    version,
    about = "Steward's benchmark: fills databases with `steward demo`, starts Steward, and measures it over real HTTP and LMTP",
    long_about = "Steward's benchmark: fills databases with `steward demo`, starts Steward, and \
        measures it over real HTTP and LMTP from a load generator on loopback, beside baselines of \
        the same machine (raw database inserts, a minimal axum handler). Prints a Markdown table.\n\n\
        Build both binaries first: `cargo build --release -p steward -p steward-bench`, then run \
        `target/release/steward-bench` (or `bash bench/run`, which does both). \
        PostgreSQL measurements drop and create the database `steward_bench` on the server given."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    args: Args,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve `GET /` with "ok" (the minimal-handler baseline; started by the benchmark itself)
    #[command(hide = true)]
    BaselineServer {
        #[arg(long)]
        listen: SocketAddr,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Ticket counts to measure at (each gets a fresh database), e.g. 100000,1000000
    #[arg(long, value_delimiter = ',', default_value = "100000")]
    pub tickets: Vec<u64>,
    /// Backends to measure
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    pub backend: Vec<Backend>,
    /// A PostgreSQL server to measure on (the database `steward_bench` on it is dropped and created)
    #[arg(
        long,
        env = "STEWARD_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    /// Seconds of load per measurement
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Open tickets for the SLA recomputation and scheduler measurements (0: leave them out)
    #[arg(long, default_value_t = 100_000)]
    pub sla_tickets: u64,
    /// Messages for each mail ingestion measurement (batch and LMTP)
    #[arg(long, default_value_t = 5_000)]
    pub mail_messages: usize,
    /// The steward binary [default: the one beside steward-bench]
    #[arg(long, value_name = "PATH")]
    pub steward: Option<PathBuf>,
    /// Working directory for databases and files [default: a new directory under /tmp]
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// Also write the Markdown results to this file
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// A smoke run: tiny sizes and short loads (for CI; the figures mean nothing)
    #[arg(long)]
    pub quick: bool,
}

impl Args {
    pub fn load_time(&self) -> Duration {
        Duration::from_secs_f64(self.seconds.max(0.05))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    let result = match cli.command {
        Some(Command::BaselineServer { listen }) => {
            runtime.block_on(baseline::serve_minimal(listen))
        }
        None => {
            let mut args = cli.args;
            if args.quick {
                args.tickets = vec![2000];
                args.seconds = args.seconds.min(0.5);
                args.sla_tickets = args.sla_tickets.min(1000);
                args.mail_messages = args.mail_messages.min(50);
            }
            runtime.block_on(run::all(args))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
