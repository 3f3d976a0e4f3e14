//! Steward's integration tests: the real server on a free port, against a real database.
//!
//! Every story runs twice: on SQLite (a fresh file) and on PostgreSQL (a fresh schema), when
//! `STEWARD_TEST_POSTGRES_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/test`). Without
//! it, the PostgreSQL half prints that it was skipped.
//!
//! All integration tests live in this one binary; add modules here, not new files in `tests/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod accounts;
mod auth;
mod authz;
mod automation;
mod backup;
mod bad_input;
mod browser;
mod cli;
mod crash;
mod demo;
mod dovecot;
mod feedback;
mod full_disk;
mod imap;
mod knowledge;
mod live;
mod mail;
mod migrations;
mod openapi;
mod ops;
mod pages;
mod search;
mod security;
mod sla;
mod story;
