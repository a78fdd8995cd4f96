//! `robocell check`: runs a scenario headless and reports; exit 0 pass, 1 fail, 2 bad input.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use robocell::sim::scenario::Scenario;
use robocell::sim::world::{Level, Report, World};

use super::print_diags;

pub fn check(path: &Path, verbose: bool, record: Option<&Path>) -> ExitCode {
    let loaded = match Scenario::load(path) {
        Ok(l) => l,
        Err(diags) => {
            print_diags(&diags);
            eprintln!("{} problem(s) in the scenario: nothing was run", diags.len());
            return ExitCode::from(2);
        }
    };
    let (mut world, warnings) = match World::new(loaded) {
        Ok(c) => c,
        Err(diags) => {
            print_diags(&diags);
            let n = diags.iter().filter(|d| d.is_error()).count();
            eprintln!("{n} error(s) in the program: nothing was run");
            return ExitCode::from(2);
        }
    };
    print_diags(&warnings);
    if record.is_some() {
        world.start_recording();
    }
    let t0 = Instant::now();
    let r = world.run_to_end();
    let wall = t0.elapsed().as_secs_f64();
    print_report(&r, wall, verbose);
    if let (Some(file), Some(rec)) = (record, world.recording()) {
        if let Err(e) = rec.save(file) {
            eprintln!("{}: cannot write the recording: {e}", file.display());
            return ExitCode::from(2);
        }
        println!("recording:       {} ({} steps, {} commands)", file.display(), rec.steps, rec.commands.len());
    }
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
