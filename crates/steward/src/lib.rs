//! The `steward` binary as a library: command line, configuration and wiring, so that tests can
//! start the real server the same way `steward serve` does.

pub mod backup;
pub mod cli;
pub mod config;
pub mod imap;
pub mod lmtp;
pub mod mail;
pub mod server;
