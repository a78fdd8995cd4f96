//! `robocell bench`: the real-time factor of each shipped scenario and a soak of a default-like
//! cell (an hour simulated; 10 minutes with --quick). Exit 0 when the soak lost, stalled and
//! broke nothing; 1 when it did; 2 when it could not run.

use std::path::Path;
use std::process::ExitCode;

use robocell::bench::{self, SoakReport};

use super::DEFAULT_SCENARIO;

/// The pile: as many parts as a busy hour heaps up where nothing drains.
const PILE_PARTS: u32 = 100;

pub fn bench(quick: bool, network_only: bool, profile: bool, json: Option<&Path>) -> ExitCode {
    if !Path::new(DEFAULT_SCENARIO).is_file() {
        eprintln!("run robocell bench from the repository's root: it measures the scenarios in ./scenarios");
        return ExitCode::from(2);
    }
    if profile {
        return finish(json, phases(), true);
    }
    if network_only {
        let (ok, v) = network();
        return finish(json, serde_json::json!({ "network": v }), ok);
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
    // A pile: 100 cubes dropped off the belt's end into a bin, heaped in and around it.
    let plain = speeds.iter().filter_map(|s| s.as_ref().ok()).find(|s| s.name == "pick_and_place").map(|s| s.realtime());
    let pile = bench::pile(Path::new(DEFAULT_SCENARIO), PILE_PARTS);
    match (&pile, plain) {
        (Ok(p), plain) => println!(
            "{:<24} {:>12} {:>10} {:>11.0}x  ({} parts, {} in the bin, {} awake; {:.0} s timed with all of them down){}",
            format!("pile ({} parts)", p.parts),
            "",
            "",
            p.realtime,
            p.parts,
            p.in_bin,
            p.awake,
            bench::PILE_MEASURED_S,
            plain.map_or(String::new(), |v| format!(", {:.2} of pick_and_place's speed", p.realtime / v))
        ),
        (Err(e), _) => println!("pile: {e}"),
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
    let (net_ok, network) = network();
    let scenarios: Vec<serde_json::Value> = speeds
        .iter()
        .filter_map(|s| s.as_ref().ok())
        .map(|s| serde_json::json!({"name": s.name, "simulated_s": s.simulated_s, "wall_s": s.wall_s, "realtime": s.realtime()}))
        .collect();
    let pile = pile.as_ref().ok().map(|p| {
        serde_json::json!({"parts": p.parts, "in_bin": p.in_bin, "awake": p.awake, "realtime": p.realtime,
            "ratio_to_pick_and_place": plain.map(|v| p.realtime / v)})
    });
    let v = serde_json::json!({
        "scenarios": scenarios,
        "pile": pile,
        "soak": {
            "simulated_s": r.simulated_s, "spawned": r.spawned, "delivered": r.delivered, "lost": r.lost,
            "stalled": r.stalled, "nan": r.nan, "realtime_start": r.realtime_start, "realtime_end": r.realtime_end,
            "findings": r.findings,
        },
        "network": network,
    });
    finish(json, v, r.lost + r.stalled + r.nan == 0 && net_ok)
}

/// `--profile`: microseconds per tick of each phase, per scenario and for the pile of 100 parts.
fn phases() -> serde_json::Value {
    let runs = bench::profile(Path::new("scenarios"), Path::new(DEFAULT_SCENARIO), PILE_PARTS);
    let names: Vec<&str> = robocell::sim::world::Phase::ALL.iter().map(|p| p.name()).collect();
    println!("microseconds per tick (share of the tick)");
    let mut out = Vec::new();
    for r in &runs {
        match r {
            Ok((name, t)) => {
                let (each, total) = t.per_tick_us();
                println!("{name:<20} {total:>6.2} us/tick, {} ticks, {:.0}x real time", t.ticks, t.dt_s * 1e6 / total.max(1e-9));
                let parts: Vec<String> = each
                    .iter()
                    .filter(|(_, us)| *us >= 0.005)
                    .map(|(n, us)| format!("{n} {us:.2} ({:.0} %)", 100.0 * us / total.max(1e-9)))
                    .collect();
                println!("    {}", parts.join(", "));
                let phases: serde_json::Map<String, serde_json::Value> =
                    each.iter().map(|(n, us)| (n.to_string(), serde_json::json!(us))).collect();
                out.push(serde_json::json!({"name": name, "ticks": t.ticks, "us_per_tick": total, "phases_us": phases}));
            }
            Err(e) => println!("{e}"),
        }
    }
    serde_json::json!({ "phases": names, "profile": out })
}

/// Writes the JSON when asked; exit 0 when all went well, 1 otherwise.
fn finish(json: Option<&Path>, v: serde_json::Value, ok: bool) -> ExitCode {
    if let Some(path) = json
        && let Err(e) = std::fs::write(path, serde_json::to_string_pretty(&v).unwrap_or_default() + "\n")
    {
        eprintln!("{}: cannot write: {e}", path.display());
        return ExitCode::from(2);
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::from(1) }
}

/// The network under load (50 OPC UA clients, 20 MQTT subscribers, garbage, cut requests, a
/// broker restart) for 20 s: (all well, the figures).
#[cfg(feature = "net")]
fn network() -> (bool, serde_json::Value) {
    eprintln!("network: 50 OPC UA clients and 20 MQTT subscribers for 20 s ...");
    match robocell::net::load::network_load(Path::new(DEFAULT_SCENARIO), 20.0, 50, 20) {
        Ok(r) => {
            println!();
            println!(
                "network (20 s, 50 OPC UA clients at 100 ms, 20 MQTT subscribers): {:.3}x real time, at most {:.1} ms behind, {} slips",
                r.real_time_factor, r.max_lag_ms, r.slips
            );
            println!(
                "  OPC UA: {} of {} clients notified, the slowest at {:.1} Hz; MQTT: the slowest subscriber at {:.1} Hz",
                r.opcua_clients_notified, r.opcua_clients, r.opcua_min_rate_hz, r.mqtt_min_rate_hz
            );
            println!(
                "  {} garbage connections, {} requests cut off, broker restarted: {}; servers alive after: {}; events {} produced, {} published",
                r.garbage_connections, r.cut_requests, r.broker_restarted, r.servers_alive, r.events, r.events_published
            );
            (r.ok(), serde_json::to_value(&r).unwrap_or_default())
        }
        Err(e) => {
            println!("network: {e}");
            (false, serde_json::json!({ "error": e }))
        }
    }
}

#[cfg(not(feature = "net"))]
fn network() -> (bool, serde_json::Value) {
    (true, serde_json::Value::Null)
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
