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
        /// Window size, WIDTHxHEIGHT in pixels (a projector: 1280x720).
        #[arg(long, default_value = "1400x860", value_parser = parse_size)]
        size: (u32, u32),
        /// The pendant's tab to open: program, edit (the program in the editor), jog, watch, io or plots.
        #[arg(long, default_value = "program", value_parser = ["program", "edit", "jog", "watch", "io", "plots"])]
        tab: String,
        /// Run this program (.src, its .dat beside it) instead of the scenario's.
        #[arg(long)]
        program: Option<PathBuf>,
        /// The camera's view at the start (F1..F5 and the buttons over the cell switch it).
        #[arg(long, value_parser = VIEWS)]
        view: Option<String>,
        #[command(flatten)]
        overlays: Overlays,
        /// Serve the window's cell on the plant network too (as `robocell serve`).
        #[command(flatten)]
        net: cli::serve::NetArgs,
        #[command(flatten)]
        config: cli::ConfigArgs,
    },
    /// Run and grade a program on a scenario and its public variants: exit 0 full marks, 1 not
    /// full marks, 2 bad input.
    Check {
        #[arg(default_value = DEFAULT_SCENARIO)]
        scenario: PathBuf,
        /// Run this program (.src, its .dat beside it) instead of the scenario's.
        #[arg(long)]
        program: Option<PathBuf>,
        /// Print every controller message, not only the last ones.
        #[arg(long)]
        verbose: bool,
        /// Record the run to this file (replay it with `robocell replay FILE --check`).
        #[arg(long)]
        record: Option<PathBuf>,
        #[command(flatten)]
        config: cli::ConfigArgs,
    },
    /// Grade a class: every submission on the scenario and all its variants. Exit 0 when all were
    /// graded, 2 for a bad scenario or arguments.
    Grade {
        /// The exercise (scenario file, RON).
        scenario: PathBuf,
        /// Each student's folder (its .src/.dat) or a single .src: `submissions/*`.
        #[arg(required = true)]
        submissions: Vec<PathBuf>,
        /// Threads to run on (default: all cores).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
        jobs: Option<u32>,
        /// Write a CSV: one row per student.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Write JSON: every objective and run with points and explanation.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Write JUnit XML (GitLab, Jenkins): a testsuite per student, a testcase per objective and run.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Write Gradescope results: this file for one submission, else a folder of <student>.json.
        #[arg(long)]
        gradescope: Option<PathBuf>,
        /// Write one Markdown feedback file per student into this folder.
        #[arg(long)]
        feedback: Option<PathBuf>,
        /// Write each student's run recordings into this folder (DIR/student/run.ron), for
        /// `robocell replay`; the feedback names them.
        #[arg(long, value_name = "DIR")]
        record: Option<PathBuf>,
    },
    /// Measure: each shipped scenario's real-time factor, and a soak (an hour simulated) that
    /// must lose, stall and break nothing (exit 1 when it does).
    Bench {
        /// A 10-minute soak instead of an hour.
        #[arg(long)]
        quick: bool,
        /// Only the network under load (50 OPC UA clients, 20 MQTT subscribers, garbage, a broker restart).
        #[arg(long)]
        network: bool,
        /// Write the figures as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Where a tick's time goes: each scenario's and the pile's ticks split into phases.
        #[arg(long)]
        profile: bool,
    },
    /// Check KRL: .src/.sub/.dat files, folders or a controller backup, with the modules of the
    /// set and the $config.dat in reach: exit 0 clean, 1 errors, 2 unreadable.
    Lint {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// The course: each lesson with your best score.
    Lessons {
        #[command(flatten)]
        course: cli::lesson::CourseArgs,
    },
    /// Open lesson N: its starter is copied into your work folder (never over your work) and the
    /// window opens on it, with the lesson's text, objectives and Check.
    Lesson {
        /// The lesson's number (`robocell lessons` lists them).
        number: u32,
        #[command(flatten)]
        course: cli::lesson::CourseArgs,
        /// Save a screenshot (PNG) at the simulated time given by --at, then quit.
        #[arg(long)]
        screenshot: Option<PathBuf>,
        /// Simulated time of the screenshot, seconds.
        #[arg(long, default_value_t = 0.0)]
        at: f64,
        /// Press Start as soon as the window opens.
        #[arg(long)]
        start: bool,
        /// Window size, WIDTHxHEIGHT in pixels.
        #[arg(long, default_value = "1400x860", value_parser = parse_size)]
        size: (u32, u32),
        /// The tab to open: lesson, program, edit, jog, watch, io or plots.
        #[arg(long, default_value = "lesson", value_parser = ["lesson", "program", "edit", "jog", "watch", "io", "plots"])]
        tab: String,
        /// The camera's view at the start.
        #[arg(long, value_parser = VIEWS)]
        view: Option<String>,
    },
    /// Serve the cell on the plant network (OPC UA, MQTT, Modbus TCP) until Ctrl+C. Without a
    /// server flag all three run on their default addresses.
    Serve {
        #[arg(default_value = DEFAULT_SCENARIO)]
        scenario: PathBuf,
        #[command(flatten)]
        net: cli::serve::NetArgs,
        /// Simulated seconds per real second.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Record the session (every client's command) to this file, written when it stops.
        #[arg(long)]
        record: Option<PathBuf>,
        /// Stop after this many simulated seconds.
        #[arg(long, value_name = "SECONDS")]
        duration: Option<f64>,
        /// Press Start when serving begins.
        #[arg(long)]
        start: bool,
    },
    /// Watch a recording in the window, with a timeline to scrub and its collisions, faults,
    /// messages and parts as markers; --check runs it again: exit 0 identical, 1 diverged, 2 bad file.
    Replay {
        file: PathBuf,
        /// Re-run the recording headless and compare it step by step (no window).
        #[arg(long)]
        check: bool,
        /// Print the run's grade and its markers instead of opening the window.
        #[arg(long)]
        info: bool,
        /// Where the viewer opens: seconds from the start, `failure` (where the run went wrong), `start` or `end`.
        #[arg(long, default_value = "start", value_name = "WHEN")]
        at: String,
        /// Save a screenshot (PNG) of the viewer at --at, then quit.
        #[arg(long)]
        screenshot: Option<PathBuf>,
        /// Window size, WIDTHxHEIGHT in pixels.
        #[arg(long, default_value = "1400x860", value_parser = parse_size)]
        size: (u32, u32),
        /// The pendant's tab to open: program, watch, io or plots.
        #[arg(long, default_value = "program", value_parser = ["program", "jog", "watch", "io", "plots"])]
        tab: String,
        /// The camera's view at the start.
        #[arg(long, value_parser = VIEWS)]
        view: Option<String>,
        #[command(flatten)]
        overlays: Overlays,
        /// Simulated seconds per real second when playing.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
    },
}

/// What the window draws over the cell from the start (the view bar toggles them too).
#[derive(clap::Args)]
struct Overlays {
    /// Draw the TCP's trail (its path of the last 20 s, coloured by speed).
    #[arg(long)]
    trail: bool,
    /// Draw the program's $BASE and $TOOL frames and the path planned ahead.
    #[arg(long)]
    frames: bool,
}

/// The camera's views by name.
const VIEWS: [&str; 5] = ["operator", "front", "side", "top", "follow"];

/// `1280x720` -> (1280, 720); at least 640 x 480.
fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or("write the size as WIDTHxHEIGHT, e.g. 1280x720")?;
    let (w, h): (u32, u32) = (
        w.trim().parse().map_err(|_| format!("width `{w}` is not a number"))?,
        h.trim().parse().map_err(|_| format!("height `{h}` is not a number"))?,
    );
    if w < 640 || h < 480 {
        return Err(format!("{w}x{h} is too small for the cell and the pendant: at least 640x480"));
    }
    Ok((w, h))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => cli::run::run(Path::new(DEFAULT_SCENARIO), cli::run::RunOptions::default()),
        Some(Cmd::Run { scenario, start, speed, screenshot, at, record, size, tab, program, view, overlays, net, config }) => {
            cli::run::run(
                &scenario,
                cli::run::RunOptions {
                    start,
                    speed,
                    screenshot,
                    at,
                    record,
                    size,
                    tab,
                    net,
                    config,
                    program,
                    view,
                    trail: overlays.trail,
                    frames: overlays.frames,
                    #[cfg(feature = "app")]
                    lesson: None,
                },
            )
        }
        Some(Cmd::Lessons { course }) => cli::lesson::list(&course),
        Some(Cmd::Lesson { number, course, screenshot, at, start, size, tab, view }) => {
            cli::lesson::open(number, &course, cli::run::RunOptions { screenshot, at, start, size, tab, view, ..Default::default() })
        }
        Some(Cmd::Check { scenario, program, verbose, record, config }) => cli::check::check(
            &scenario,
            cli::check::CheckOptions { program: program.as_deref(), verbose, record: record.as_deref(), config },
        ),
        Some(Cmd::Grade { scenario, submissions, jobs, csv, json, junit, gradescope, feedback, record }) => cli::grade::grade(
            &scenario,
            &submissions,
            cli::grade::GradeOptions { jobs: jobs.map(|j| j as usize), csv, json, junit, gradescope, feedback, record },
        ),
        Some(Cmd::Bench { quick, network, json, profile }) => cli::bench::bench(quick, network, profile, json.as_deref()),
        Some(Cmd::Lint { paths }) => cli::lint::lint(&paths),
        Some(Cmd::Replay { file, check, info, at, screenshot, size, tab, view, overlays, speed }) => {
            let Overlays { trail, frames } = overlays;
            cli::replay::replay(&file, cli::replay::ReplayOptions { check, info, at, screenshot, size, tab, view, trail, frames, speed })
        }
        Some(Cmd::Serve { scenario, net, speed, record, duration, start }) => {
            cli::serve::serve(&scenario, cli::serve::ServeArgs { net, speed, record, duration, start })
        }
    }
}
