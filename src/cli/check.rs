//! `robocell check`: runs a program headless on the scenario and its public variants and grades
//! it; exit 0 full marks, 1 not full marks, 2 bad input.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use robocell::grading::outputs;
use robocell::sim::exercise::{self, Grade, RunRecord};
use robocell::sim::scenario::Scenario;
use robocell::sim::world::{Level, World};

use super::print_diags;

pub struct CheckOptions<'a> {
    pub program: Option<&'a Path>,
    pub verbose: bool,
    pub record: Option<&'a Path>,
    pub config: super::ConfigArgs,
}

pub fn check(path: &Path, o: CheckOptions) -> ExitCode {
    let mut loaded = match Scenario::load_with_program(path, o.program) {
        Ok(l) => l,
        Err(diags) => {
            print_diags(&diags);
            eprintln!("{} problem(s) in the scenario or its program: nothing was run", diags.len());
            return ExitCode::from(2);
        }
    };
    if o.config.apply(&mut loaded).is_err() {
        return ExitCode::from(2);
    }
    // The public run, in a world kept for the recording.
    let (mut world, warnings) = match World::new(loaded.clone()) {
        Ok(c) => c,
        Err(diags) => {
            print_diags(&diags);
            let n = diags.iter().filter(|d| d.is_error()).count();
            eprintln!("{n} error(s) in the program: nothing was run");
            return ExitCode::from(2);
        }
    };
    print_diags(&warnings);
    if o.record.is_some() {
        world.start_recording();
    }
    println!("scenario: {} ({})", loaded.scenario.name, path.display());
    println!("program:  {}", loaded.src_path.display());
    let t0 = Instant::now();
    let mut runs = vec![world.run_to_end()];
    print_run(&runs[0], t0.elapsed().as_secs_f64(), o.verbose);
    for (name, hidden, l) in exercise::runs_of(&loaded, false).into_iter().skip(1) {
        let t0 = Instant::now();
        match exercise::run_one(l, &name, hidden) {
            Ok(r) => {
                print_run(&r, t0.elapsed().as_secs_f64(), o.verbose);
                runs.push(r);
            }
            Err(diags) => {
                print_diags(&diags);
                return ExitCode::from(2);
            }
        }
    }
    let hidden = loaded.scenario.variants.iter().filter(|v| v.hidden).count();
    if hidden > 0 {
        println!("({hidden} hidden variant(s) more are run by `robocell grade`)");
    }
    let grade = exercise::grade(&loaded.scenario.objectives, exercise::program_results(&loaded), &runs);
    print_grade(&grade);
    if let (Some(file), Some(rec)) = (o.record, world.recording()) {
        if let Err(e) = rec.save(file) {
            eprintln!("{}: cannot write the recording: {e}", file.display());
            return ExitCode::from(2);
        }
        println!("recording: {} (public run, {} steps, {} commands)", file.display(), rec.steps, rec.commands.len());
    }
    if grade.full_marks() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn print_run(r: &RunRecord, wall_s: f64, verbose: bool) {
    let delivered = r.obs.parts.iter().filter(|p| p.delivered.is_some()).count();
    println!();
    println!("run `{}`: {}", r.variant, r.ending());
    println!(
        "  {} part(s) came, {delivered} delivered, {} collision(s); {:.1} s simulated in {:.2} s ({:.0}x real time)",
        r.obs.parts.len(),
        r.obs.collisions.len(),
        r.end_s,
        wall_s,
        r.end_s / wall_s.max(1e-9)
    );
    let shown: Vec<_> = if verbose { r.messages.iter().collect() } else { r.messages.iter().rev().take(5).rev().collect() };
    if !verbose && r.messages.len() > shown.len() {
        println!("  last {} of {} controller messages (--verbose shows all):", shown.len(), r.messages.len());
    }
    for m in shown {
        let kind = match m.level {
            Level::Notification => "info",
            Level::Status => "status",
            Level::Acknowledgement => "STOP",
        };
        println!("  [{:>6.2} s] {kind:<6} {}", m.time_s, m.text);
    }
}

pub fn print_grade(g: &Grade) {
    println!();
    if g.objectives.is_empty() {
        println!("the scenario has no objectives: nothing to grade");
        return;
    }
    println!("objectives:");
    let mut last_title = "";
    for r in &g.objectives {
        if r.title != last_title {
            let (p, m) = g.totals(&r.title);
            println!("  {:>6} / {:<5} {}", outputs::fmt(p), outputs::fmt(m), r.title);
            last_title = &r.title;
        }
        let mark = if r.passed { "ok  " } else { "FAIL" };
        println!("      {mark} {:<14} {}", r.variant, r.explanation);
    }
    if !g.hints.is_empty() {
        println!("hints:");
        for (title, hint) in &g.hints {
            println!("  {title}:\n    {hint}");
        }
    }
    if let Some(gate) = &g.gate_failed {
        println!("  the gate objective `{gate}` failed: the score is 0");
    }
    match g.cycle_time_s {
        Some(t) => println!("cycle time: {t:.1} s (public run)"),
        None => println!("cycle time: none (the public run did not reach END)"),
    }
    let verdict = if g.full_marks() { "full marks" } else { "not full marks" };
    println!("score: {} / {} ({verdict})", outputs::fmt(g.score), outputs::fmt(g.max_score));
}
