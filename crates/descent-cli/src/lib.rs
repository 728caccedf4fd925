//! `descent`: the command-line face of the `descent` library, as a library.
//!
//! The binary `descent` is [`main`]; the commands live here so that their argument parsers,
//! method dispatch and soak runs can be reached by tests and fuzz targets. [`args`] turns the
//! command line into typed values, each command calls the library, and [`output`] prints
//! tables and JSON and writes files atomically. Any error, from the command line or the
//! library, becomes one line on stderr and exit code 2.

#![warn(missing_docs)]
// The library is the binary's inside: module docs explain their private helpers by name, which
// render as links under `cargo doc --document-private-items`.
#![allow(rustdoc::private_intra_doc_links)]

pub mod args;
pub mod classify;
pub mod compare;
pub mod deconvolve;
pub mod denoise;
pub mod meta;
pub mod methods;
pub mod minimize;
pub mod output;
pub mod plots;
pub mod predict;
pub mod problems;
pub mod progress;
pub mod report;
pub mod soak;
pub mod tour;
pub mod train;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

use args::{Cli, Command};

/// The `descent` command: parses the command line, runs the command, and turns any error into
/// one line on stderr and exit code 2.
pub fn main() -> ExitCode {
    restore_sigpipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            return match error.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    print!("{error}");
                    ExitCode::SUCCESS
                }
                _ => fail(&usage_error(&error)),
            };
        }
    };
    progress::set_quiet(cli.quiet);
    let result = match cli.command {
        Command::Tour(args) => tour::run(&args),
        Command::Minimize(args) => minimize::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Problems(args) => problems::run(&args),
        Command::Classify(args) => classify::run(&args),
        Command::Denoise(args) => denoise::run(&args),
        Command::Deconvolve(args) => deconvolve::run(&args),
        Command::Train(args) => train::run(&args),
        Command::Predict(args) => predict::run(&args),
        Command::Meta(args::MetaCommand::Hypergradient(args)) => meta::hypergradient::run(&args),
        Command::Meta(args::MetaCommand::Maml(args)) => meta::maml::run(&args),
        Command::Bench(args::BenchCommand::Soak(args)) => soak::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&format!("error: {}", causes(&error))),
    }
}

/// Lets a closed standard output end the process quietly, as it ends `cat` or `grep`.
///
/// Rust ignores SIGPIPE, so writing to a pipe whose reader has gone (`descent … | head`) is an
/// error, and `println!` panics on it. Output files are written atomically and never through
/// stdout, so being ended by the signal mid-table loses nothing but the table nobody reads.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// clap's message for a command line it refused, up to its usage block, as one line (how the
/// binary prints it, and the Python package's `ValueError` says it).
pub fn usage_error(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty() && !line.starts_with("Usage:"))
        .collect();
    message.join(" ")
}

/// The error and its causes joined by ": ", as `{:#}` prints them, less a cause that its
/// effect's message already quotes (a library error that shows its source in its own text):
/// the line the binary prints after `error: `.
pub fn causes(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let message = cause.to_string();
        if !text.contains(&message) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&message);
        }
    }
    text
}

/// One line on stderr, exit code 2.
fn fail(message: &str) -> ExitCode {
    eprintln!("{}", message.replace('\n', " "));
    ExitCode::from(2)
}
