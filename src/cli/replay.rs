//! `robocell replay`: opens a recording in the window with its timeline (at a time, at the
//! moment it failed, or at its end); `--info` prints what it holds and its markers instead;
//! `--check` runs it again headless and compares: exit 0 identical, 1 diverged, 2 damaged,
//! truncated or newer file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use robocell::sim::record::{Recording, Replay};
use robocell::sim::timeline::{MarkerKind, Timeline};

use super::print_diags;

/// How the replay is shown.
#[cfg_attr(not(feature = "app"), allow(dead_code))]
pub struct ReplayOptions {
    pub check: bool,
    pub info: bool,
    /// Where the viewer opens: seconds from the start, `failure`, `start` or `end`.
    pub at: String,
    pub screenshot: Option<PathBuf>,
    pub size: (u32, u32),
    pub tab: String,
    pub view: Option<String>,
    pub trail: bool,
    /// Draw the program's `$BASE` and `$TOOL`.
    pub frames: bool,
    pub speed: f64,
}

pub fn replay(path: &Path, o: ReplayOptions) -> ExitCode {
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
    if o.check {
        for c in &rec.commands {
            println!("  step {:>7} ({:>8.3} s)  {:?}", c.step, c.step as f64 * dt_s, c.command);
        }
        return check(&rec, dt_s);
    }
    let t0 = Instant::now();
    let timeline = match Timeline::build(&rec) {
        Ok(t) => t,
        Err(diags) => {
            print_diags(&diags);
            eprintln!("the recorded scenario or program does not load: there is nothing to show");
            return ExitCode::from(2);
        }
    };
    println!("timeline:   {} markers, read in {:.2} s", timeline.markers.len(), t0.elapsed().as_secs_f64());
    let g = &timeline.grade;
    println!("this run:   {:.0} of {:.0} points", g.score, g.max_score);
    for r in g.objectives.iter().filter(|r| !r.passed) {
        println!("  ✖ {}: {}", r.title, r.explanation);
    }
    match timeline.failure() {
        Some(s) => {
            let why = timeline.markers.iter().find(|m| m.kind.is_failure() && m.step + 1 == s);
            let what = why.map(|m| m.text.as_str()).unwrap_or("the run ended with an objective failed");
            println!("failed at:  {:.3} s: {what}", s as f64 * dt_s);
        }
        None => println!("failed at:  nowhere: every objective passed"),
    }
    if o.info {
        // How long a jump to a moment takes (from the keyframe before it).
        let slowest = (1..=16u64)
            .map(|i| {
                let t1 = Instant::now();
                timeline.world_at(timeline.steps * i / 17);
                t1.elapsed().as_secs_f64()
            })
            .fold(0.0, f64::max);
        println!("seeking:    at most {:.0} ms to a moment (16 tried)", slowest * 1000.0);
        for m in timeline.markers.iter().filter(|m| m.kind != MarkerKind::Command) {
            let line = m.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            println!("  {:>9.3} s  {:?}: {}{line}", (m.step + 1) as f64 * dt_s, m.kind, m.text);
        }
        for c in &rec.commands {
            println!("  {:>9.3} s  command: {:?}", c.step as f64 * dt_s, c.command);
        }
        println!("(without --info the recording opens in the window; --check runs it again and compares)");
        return ExitCode::SUCCESS;
    }
    let at = match o.at.as_str() {
        "start" => 0,
        "end" => timeline.steps,
        "failure" => timeline.failure().unwrap_or_else(|| {
            println!("every objective passed: the viewer opens at the end");
            timeline.steps
        }),
        t => match t.parse::<f64>() {
            Ok(s) if s >= 0.0 && s.is_finite() => timeline.step_of(s),
            _ => {
                eprintln!("--at {t}: give seconds from the start (e.g. 12.5), `failure`, `start` or `end`");
                return ExitCode::from(2);
            }
        },
    };
    open(path, timeline, at, o)
}

#[cfg(feature = "app")]
fn open(path: &Path, timeline: Timeline, at: u64, o: ReplayOptions) -> ExitCode {
    let script = robocell::app::Script {
        screenshot: o.screenshot.map(|p| (p, 0.0)),
        speed: o.speed,
        size: o.size,
        tab: o.tab,
        view: o.view.as_deref().and_then(robocell::app::camera::View::by_name),
        trail: o.trail,
        frames: o.frames,
        ..Default::default()
    };
    match robocell::app::replay(timeline, path.display().to_string(), at, script) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e:?}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(feature = "app"))]
fn open(_: &Path, _: Timeline, _: u64, _: ReplayOptions) -> ExitCode {
    eprintln!("this robocell was built without the window (feature `app`); try `robocell replay FILE --info`");
    ExitCode::from(2)
}

fn check(rec: &Recording, dt_s: f64) -> ExitCode {
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
