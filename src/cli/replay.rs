//! `robocell replay`: shows what a recording holds; with `--check` runs it again headless and
//! compares: exit 0 identical, 1 diverged, 2 damaged, truncated or newer file.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use robocell::sim::record::{Recording, Replay};

use super::print_diags;

pub fn replay(path: &Path, check: bool) -> ExitCode {
    let rec = match Recording::load(path) {
        Ok(r) => r,
        Err(diags) => {
            print_diags(&diags);
            return ExitCode::from(2);
        }
    };
    let dt_s = rec.loaded().map(|l| l.scenario.tick_ms as f64 / 1000.0).unwrap_or(0.004);
    println!("recording:  {} (robocell {}, format {})", path.display(), rec.robocell, rec.format);
    match &rec.variant {
        Some(v) => println!("scenario:   {} (variant `{v}`)", rec.scenario.path),
        None => println!("scenario:   {}", rec.scenario.path),
    }
    for p in &rec.programs {
        println!("program:    {} ({} lines)", p.path, p.text.lines().count());
    }
    println!("seed:       {}", rec.seed);
    println!("length:     {} steps ({:.2} s simulated)", rec.steps, rec.steps as f64 * dt_s);
    println!("commands:   {}", rec.commands.len());
    for c in &rec.commands {
        println!("  step {:>7} ({:>8.3} s)  {:?}", c.step, c.step as f64 * dt_s, c.command);
    }
    if !check {
        println!("(add --check to run it again and compare)");
        return ExitCode::SUCCESS;
    }
    let t0 = Instant::now();
    let outcome = rec.replay();
    let wall = t0.elapsed().as_secs_f64();
    match outcome {
        Err(diags) => {
            print_diags(&diags);
            eprintln!("the recorded scenario or program does not load: nothing was replayed");
            ExitCode::from(2)
        }
        Ok(Replay::Identical { steps }) => {
            let sim_s = steps as f64 * dt_s;
            println!("replay:     identical ({steps} steps in {wall:.2} s, {:.0}x real time)", sim_s / wall.max(1e-9));
            ExitCode::SUCCESS
        }
        Ok(Replay::Diverged { step, what }) => {
            println!("replay:     DIVERGED at step {step} ({:.3} s): {what}", step as f64 * dt_s);
            ExitCode::from(1)
        }
    }
}
