//! Integration tests: the real binary against the fake STS, in real shells and terminals.

#[path = "../support/mod.rs"]
mod support;

mod cache;
mod console;
mod core;
mod doctor;
mod hardening;
mod house;
mod init_shells;
mod integration_shell;
mod keyring;
mod keys;
mod login;
mod moto;
mod policy;
mod powershell;
mod server;
mod session;
mod setup;
mod shells;
mod sso;
mod startup;
mod terminal;
mod tls;
mod windows;
