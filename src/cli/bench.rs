//! `robocell bench`: the real-time factor of each shipped scenario and a soak of a default-like
//! cell (an hour simulated; 10 minutes with --quick). Exit 0 when the soak lost, stalled and
//! broke nothing; 1 when it did; 2 when it could not run.

use std::path::Path;
use std::process::ExitCode;

use robocell::bench::{self, SoakReport};

use super::DEFAULT_SCENARIO;

pub fn bench(quick: bool, json: Option<&Path>) -> ExitCode {
    if !Path::new(DEFAULT_SCENARIO).is_file() {
        eprintln!("run robocell bench from the repository's root: it measures the scenarios in ./scenarios");
        return ExitCode::from(2);
    }
    let seconds = if quick { 600.0 } else { 3600.0 };
    println!("{:<24} {:>12} {:>10} {:>12}", "scenario", "simulated", "wall", "real time");
    let speeds = bench::scenario_speeds(Path::new("scenarios"));
    for s in &speeds {
        match s {
            Ok(s) => println!("{:<24} {:>10.1} s {:>8.2} s {:>11.0}x", s.name, s.simulated_s, s.wall_s, s.realtime()),
            Err(e) => println!("{e}"),
        }
    }
    // A pile: 10 minutes into a bin that does not drain, so parts heap up in and around it.
    let pile = bench::soak_cell(Path::new(DEFAULT_SCENARIO), 600.0, false).and_then(|l| bench::soak(l, 600.0));
    match &pile {
        Ok(p) => println!(
            "{:<24} {:>10.1} s {:>10} {:>11.0}x  ({} parts, the last 50 s)",
            "pile (no drain)", p.simulated_s, "", p.realtime_end, p.spawned
        ),
        Err(e) => println!("pile: {e}"),
    }
    let loaded = match bench::soak_cell(Path::new(DEFAULT_SCENARIO), seconds, true) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot build the soak cell: {e}");
            return ExitCode::from(2);
        }
    };
    eprintln!("soak: {seconds:.0} s simulated ...");
    let r = match bench::soak(loaded, seconds) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("the soak did not run: {e}");
            return ExitCode::from(2);
        }
    };
    print_soak(&r);
    if let Some(path) = json {
        let scenarios: Vec<serde_json::Value> = speeds
            .iter()
            .filter_map(|s| s.as_ref().ok())
            .map(|s| serde_json::json!({"name": s.name, "simulated_s": s.simulated_s, "wall_s": s.wall_s, "realtime": s.realtime()}))
            .collect();
        let pile = pile
            .as_ref()
            .map(|p| serde_json::json!({"simulated_s": p.simulated_s, "spawned": p.spawned, "realtime_end": p.realtime_end}))
            .ok();
        let v = serde_json::json!({
            "scenarios": scenarios,
            "pile": pile,
            "soak": {
                "simulated_s": r.simulated_s, "spawned": r.spawned, "delivered": r.delivered, "lost": r.lost,
                "stalled": r.stalled, "nan": r.nan, "realtime_start": r.realtime_start, "realtime_end": r.realtime_end,
                "findings": r.findings,
            },
        });
        if let Err(e) = std::fs::write(path, serde_json::to_string_pretty(&v).unwrap_or_default() + "\n") {
            eprintln!("{}: cannot write: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if r.lost + r.stalled + r.nan == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

fn print_soak(r: &SoakReport) {
    println!();
    println!("soak ({:.0} s simulated): {} parts spawned, {} delivered", r.simulated_s, r.spawned, r.delivered);
    println!("  lost {}, stalled {}, not finite {}", r.lost, r.stalled, r.nan);
    println!(
        "  real time: {:.0}x at the start, {:.0}x at the end ({:.0} %)",
        r.realtime_start,
        r.realtime_end,
        100.0 * r.realtime_end / r.realtime_start.max(1e-9)
    );
    let w: Vec<String> = r.windows.iter().map(|x| format!("{x:.0}")).collect();
    println!("  real time per {:.0} s: {}", r.simulated_s / r.windows.len().max(1) as f64, w.join(" "));
    for f in r.findings.iter().take(20) {
        println!("  - {f}");
    }
}
