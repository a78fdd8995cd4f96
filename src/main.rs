//! robocell command line: no arguments opens the window on the default scenario.

mod cli;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cli::DEFAULT_SCENARIO;

#[derive(Parser)]
#[command(name = "robocell", version, about = "A KUKA robot cell for learning KRL: simulate, check and lint programs")]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Open the cell in a window (the default).
    Run {
        /// Scenario file (RON).
        #[arg(default_value = DEFAULT_SCENARIO)]
        scenario: PathBuf,
        /// Press Start as soon as the window opens.
        #[arg(long)]
        start: bool,
        /// Simulated seconds per real second.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Save a screenshot (PNG) at the simulated time given by --at, then quit.
        #[arg(long)]
        screenshot: Option<PathBuf>,
        /// Simulated time of the screenshot, seconds.
        #[arg(long, default_value_t = 0.0)]
        at: f64,
        /// Record the session (every pendant command) to this file, written when the window closes.
        #[arg(long)]
        record: Option<PathBuf>,
    },
    /// Run a scenario headless and report: exit 0 pass, 1 fail, 2 bad input.
    Check {
        #[arg(default_value = DEFAULT_SCENARIO)]
        scenario: PathBuf,
        /// Print every controller message, not only the last ones.
        #[arg(long)]
        verbose: bool,
        /// Record the run to this file (replay it with `robocell replay FILE --check`).
        #[arg(long)]
        record: Option<PathBuf>,
    },
    /// Check KRL syntax of a .src file (and its .dat): exit 0 clean, 1 errors, 2 unreadable.
    Lint { file: PathBuf },
    /// Show a recording; with --check run it again: exit 0 identical, 1 diverged, 2 bad file.
    Replay {
        file: PathBuf,
        /// Re-run the recording headless and compare it step by step.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => cli::run::run(Path::new(DEFAULT_SCENARIO), cli::run::RunOptions::default()),
        Some(Cmd::Run { scenario, start, speed, screenshot, at, record }) => {
            cli::run::run(&scenario, cli::run::RunOptions { start, speed, screenshot, at, record })
        }
        Some(Cmd::Check { scenario, verbose, record }) => cli::check::check(&scenario, verbose, record.as_deref()),
        Some(Cmd::Lint { file }) => cli::lint::lint(&file),
        Some(Cmd::Replay { file, check }) => cli::replay::replay(&file, check),
    }
}
