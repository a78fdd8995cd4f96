//! robocell command line: no arguments opens the window on the default scenario.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use robocell::sim::krl::interp::ConfigGlobals;
use robocell::sim::krl::{Diagnostic, Interpreter};
use robocell::sim::math::Frame;
use robocell::sim::scenario::Scenario;
use robocell::sim::world::{Level, Report, World};

/// The scenario the window opens and `check` runs when none is given.
pub const DEFAULT_SCENARIO: &str = "scenarios/pick_and_place.ron";

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
    },
    /// Run a scenario headless and report: exit 0 pass, 1 fail, 2 bad input.
    Check {
        #[arg(default_value = DEFAULT_SCENARIO)]
        scenario: PathBuf,
        /// Print every controller message, not only the last ones.
        #[arg(long)]
        verbose: bool,
    },
    /// Check KRL syntax of a .src file (and its .dat): exit 0 clean, 1 errors, 2 unreadable.
    Lint { file: PathBuf },
}

fn print_diags(diags: &[Diagnostic]) {
    for d in diags {
        eprint!("{d}");
    }
}

fn check(path: &Path, verbose: bool) -> ExitCode {
    let loaded = match Scenario::load(path) {
        Ok(l) => l,
        Err(diags) => {
            print_diags(&diags);
            eprintln!("{} problem(s) in the scenario: nothing was run", diags.len());
            return ExitCode::from(2);
        }
    };
    let (mut cell, warnings) = match World::new(loaded) {
        Ok(c) => c,
        Err(diags) => {
            print_diags(&diags);
            let n = diags.iter().filter(|d| d.is_error()).count();
            eprintln!("{n} error(s) in the program: nothing was run");
            return ExitCode::from(2);
        }
    };
    print_diags(&warnings);
    let t0 = Instant::now();
    let r = cell.run_to_end();
    let wall = t0.elapsed().as_secs_f64();
    print_report(&r, wall, verbose);
    if r.passed { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn print_report(r: &Report, wall_s: f64, verbose: bool) {
    println!("scenario:        {}", r.scenario);
    println!("parts delivered: {} of {}", r.delivered, r.required);
    println!("simulated time:  {:.2} s ({} ticks, {:.0}x real time)", r.sim_time_s, r.ticks, r.sim_time_s / wall_s.max(1e-9));
    println!("collisions:      {}", if r.collisions.is_empty() { "none".to_string() } else { r.collisions.len().to_string() });
    for c in &r.collisions {
        println!("  - {c}");
    }
    let shown: Vec<_> = if verbose { r.messages.iter().collect() } else { r.messages.iter().rev().take(8).rev().collect() };
    println!("controller messages: {}", r.messages.len());
    for m in shown {
        let kind = match m.level {
            Level::Notification => "info",
            Level::Status => "status",
            Level::Acknowledgement => "STOP",
        };
        println!("  [{:>7.2} s] {kind:<6} {}", m.time_s, m.text);
    }
    println!("result:          {} ({})", if r.passed { "PASS" } else { "FAIL" }, r.reason);
}

fn lint(path: &Path) -> ExitCode {
    // The module with its .dat, checked together with the modules beside it.
    let (module, mut diags) = match robocell::sim::krl::project::lint_file(path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let src = std::fs::read_to_string(path).unwrap_or_default();
    let dat_path = path.with_extension("dat");
    let dat = std::fs::read_to_string(&dat_path).ok();
    let dat_name = dat_path.display().to_string();
    let src_name = path.display().to_string();
    if !diags.iter().any(Diagnostic::is_error) {
        // Compile too: labels and GOTOs, EXIT placement, data list values.
        let cfg = ConfigGlobals { home_deg: [0.0, -90.0, 90.0, 0.0, 0.0, 0.0], tool: Frame::NULL, robroot: Frame::NULL, bases: Vec::new() };
        if let Err(e) = Interpreter::new(&module, &cfg) {
            diags.extend(e.diagnostics((&src_name, &src), dat.as_deref().map(|d| (dat_name.as_str(), d))));
        }
    }
    print_diags(&diags);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if errors > 0 {
        eprintln!("{errors} error(s), {warnings} warning(s)");
        ExitCode::from(1)
    } else {
        println!("{}: no errors, {warnings} warning(s)", path.display());
        ExitCode::SUCCESS
    }
}

#[cfg(feature = "app")]
fn window(path: &Path, script: robocell::app::Script) -> ExitCode {
    match Scenario::load(path) {
        Ok(loaded) => {
            robocell::app::run(loaded, script);
            ExitCode::SUCCESS
        }
        Err(diags) => {
            print_diags(&diags);
            ExitCode::from(2)
        }
    }
}

#[cfg(not(feature = "app"))]
struct Script;

#[cfg(not(feature = "app"))]
fn window(_: &Path, _: Script) -> ExitCode {
    eprintln!("this robocell was built without the window (feature `app`); try `robocell check`");
    ExitCode::from(2)
}

#[cfg(feature = "app")]
fn script(start: bool, speed: f64, screenshot: Option<PathBuf>, at: f64) -> robocell::app::Script {
    robocell::app::Script { autostart: start || screenshot.is_some(), screenshot: screenshot.map(|p| (p, at)), speed }
}

#[cfg(not(feature = "app"))]
fn script(_: bool, _: f64, _: Option<PathBuf>, _: f64) -> Script {
    Script
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => window(Path::new(DEFAULT_SCENARIO), script(false, 1.0, None, 0.0)),
        Some(Cmd::Run { scenario, start, speed, screenshot, at }) => window(&scenario, script(start, speed, screenshot, at)),
        Some(Cmd::Check { scenario, verbose }) => check(&scenario, verbose),
        Some(Cmd::Lint { file }) => lint(&file),
    }
}
