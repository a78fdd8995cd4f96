//! `robocell bench`: the standard measurements. Each shipped scenario's real-time factor, and a
//! soak: a default-like cell picking parts from the infeed into a draining bin for a simulated
//! hour, watched for parts that are lost or stall and for values that are not finite.
//! Wall-clock time is measured here, outside the deterministic core.

use std::path::Path;
use std::time::Instant;

use nalgebra::Vector3;

use crate::sim::cell::physics::PartState;
use crate::sim::scenario::{Loaded, Scenario};
use crate::sim::world::{Command, Phase, PhaseClock, World};

/// The real-time factor of one scenario's graded public run.
#[derive(Clone, Debug)]
pub struct ScenarioSpeed {
    pub name: String,
    pub simulated_s: f64,
    pub wall_s: f64,
}

impl ScenarioSpeed {
    pub fn realtime(&self) -> f64 {
        self.simulated_s / self.wall_s.max(1e-9)
    }
}

/// Every `.ron` scenario in `dir`, sorted, each as (file name, its world with its own program),
/// built as it is taken.
fn scenario_worlds(dir: &Path) -> impl Iterator<Item = Result<(String, World), String>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "ron")).collect())
        .unwrap_or_default();
    files.sort();
    files.into_iter().map(|f| {
        let loaded = Scenario::load(&f).map_err(|d| format!("{}: {}", f.display(), d[0].message))?;
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (world, _) = World::new(loaded).map_err(|d| format!("{name}: {}", d[0].message))?;
        Ok((name, world))
    })
}

/// Runs every `.ron` scenario in `dir` (their own programs) and times it.
pub fn scenario_speeds(dir: &Path) -> Vec<Result<ScenarioSpeed, String>> {
    scenario_worlds(dir)
        .map(|w| {
            let (name, mut world) = w?;
            let t0 = Instant::now();
            let r = world.run_to_end();
            Ok(ScenarioSpeed { name, simulated_s: r.end_s, wall_s: t0.elapsed().as_secs_f64() })
        })
        .collect()
}

/// Wall time per phase of a tick: the clock `robocell bench --profile` gives `World::step_timed`.
pub struct PhaseTimes {
    last: Instant,
    /// Nanoseconds per phase, in `Phase::ALL`'s order.
    pub ns: [u128; Phase::ALL.len()],
    pub ticks: u64,
    /// The simulated time of one tick, seconds.
    pub dt_s: f64,
}

impl Default for PhaseTimes {
    fn default() -> Self {
        PhaseTimes { last: Instant::now(), ns: [0; Phase::ALL.len()], ticks: 0, dt_s: 0.004 }
    }
}

impl PhaseClock for PhaseTimes {
    fn lap(&mut self, phase: Phase) {
        let now = Instant::now();
        self.ns[phase as usize] += (now - self.last).as_nanos();
        self.last = now;
        if phase == Phase::Messages {
            self.ticks += 1;
        }
    }
}

impl PhaseTimes {
    /// Microseconds per tick of each phase, and in all.
    pub fn per_tick_us(&self) -> (Vec<(&'static str, f64)>, f64) {
        let n = self.ticks.max(1) as f64;
        let each: Vec<_> = Phase::ALL.iter().zip(&self.ns).map(|(p, ns)| (p.name(), *ns as f64 / n / 1000.0)).collect();
        let total = each.iter().map(|(_, us)| us).sum();
        (each, total)
    }
}

/// Each shipped scenario's public run with its ticks split into phases, and the pile of
/// `pile_parts` cubes heaping up.
pub fn profile(dir: &Path, default_scenario: &Path, pile_parts: u32) -> Vec<Result<(String, PhaseTimes), String>> {
    let mut out: Vec<Result<(String, PhaseTimes), String>> = scenario_worlds(dir)
        .map(|w| {
            let (name, mut world) = w?;
            let mut t = PhaseTimes { dt_s: world.dt(), ..PhaseTimes::default() };
            world.run_to_end_timed(&mut t);
            Ok((name, t))
        })
        .collect();
    out.push((|| {
        let (mut w, _) = World::new(pile_cell(default_scenario, pile_parts)?).map_err(|d| d[0].to_string())?;
        let ticks = (pile_seconds(pile_parts) / w.dt()).round() as u64;
        w.step(&[Command::Start]);
        let mut t = PhaseTimes { dt_s: w.dt(), ..PhaseTimes::default() };
        for _ in 0..ticks {
            t.last = Instant::now();
            w.step_timed(&[], &mut t);
        }
        Ok((format!("pile ({pile_parts} parts)"), t))
    })());
    out
}

/// What a soak found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SoakReport {
    pub simulated_s: f64,
    pub spawned: usize,
    pub delivered: usize,
    /// Parts below the floor, through a belt, or outside the cell.
    pub lost: usize,
    /// Parts on a running belt that did not move for 2 s while nothing held them back.
    pub stalled: usize,
    /// Ticks where an axis or a part's pose was not finite.
    pub nan: usize,
    /// Real-time factor over the first and the last 5 simulated minutes (or tenth of the run).
    pub realtime_start: f64,
    pub realtime_end: f64,
    /// The real-time factor of each window in turn.
    pub windows: Vec<f64>,
    /// What was found, for the report: "part 12 lost at 341.2 s: below the floor".
    pub findings: Vec<String>,
    /// Parts still in the cell at the end, and how many of them were awake.
    pub parts_at_end: usize,
    pub awake_at_end: usize,
}

/// The bundled pick-and-place program, forever.
const SOAK_PROGRAM: &str = "DEF pick_place( )
  BAS(#INITMOV, 0)
  $VEL.CP = 1.0
  PTP XHOME
  $OUT[1] = TRUE
  LOOP
    WAIT FOR $IN[1]
    PTP XABOVE_PICK
    LIN XPICK
    $OUT[2] = TRUE
    WAIT SEC 0.2
    LIN XABOVE_PICK
    PTP XABOVE_BIN
    $OUT[2] = FALSE
    WAIT SEC 0.3
  ENDLOOP
END
";

/// The soak's cell: the default scenario with an endless spawner, a draining bin (or, with
/// `drain` false, a bin that overflows into a pile) and the bundled program in a LOOP.
pub fn soak_cell(default_scenario: &Path, seconds: f64, drain: bool) -> Result<Loaded, String> {
    let mut l = Scenario::load(default_scenario).map_err(|d| d[0].to_string())?;
    let sc = &mut l.scenario;
    sc.time_limit_s = seconds + 1.0;
    sc.objectives.clear();
    sc.variants.clear();
    for s in &mut sc.spawners {
        s.count = 1_000_000;
        s.interval_s = 5.0;
        s.interval_jitter_s = 1.0;
    }
    for b in &mut sc.bins {
        b.drain_s = drain.then_some(1.0);
    }
    l.src = SOAK_PROGRAM.into();
    Ok(l)
}

/// The pile: the default cell with its belt's end stop taken away and a large tote under the
/// belt's end, `parts` cubes (one a second) dropping into it and heaping up. The robot stands
/// at HOME; the program runs the belt until the last part is off it.
pub fn pile_cell(default_scenario: &Path, parts: u32) -> Result<Loaded, String> {
    let mut l = Scenario::load(default_scenario).map_err(|d| d[0].to_string())?;
    let sc = &mut l.scenario;
    sc.objectives.clear();
    sc.variants.clear();
    sc.time_limit_s = pile_seconds(parts) + 1.0;
    let belt = sc.conveyors.first_mut().ok_or("the default scenario has no conveyor")?;
    belt.end_stop = false;
    let (end, motor) = (belt.to, belt.motor_output);
    let bin = sc.bins.first_mut().ok_or("the default scenario has no bin")?;
    // A tote that holds them all (100 cubes of 50 mm fill an eighth of it).
    bin.center = crate::sim::scenario::Point { x: end.x, y: end.y + 290.0, z: 0.0 };
    bin.size_mm = (600.0, 600.0, 150.0);
    bin.drain_s = None;
    for s in &mut sc.spawners {
        s.count = parts;
        s.interval_s = 1.0;
        s.interval_jitter_s = 0.3;
    }
    // The belt stops once the last part has left it (or lies blocked at its end).
    let belt_s = parts as f64 * 1.3 + 6.0;
    l.src = format!(
        "DEF pick_place( )\n  $OUT[{motor}] = TRUE\n  WAIT SEC {belt_s:.1}\n  $OUT[{motor}] = FALSE\n  LOOP\n    WAIT SEC 1.0\n  ENDLOOP\nEND\n"
    );
    l.dat = None;
    Ok(l)
}

/// How long the pile runs: every part spawned, travelled and come to rest (parts sleep 2 s
/// after they stop), plus the seconds measured.
pub fn pile_seconds(parts: u32) -> f64 {
    parts as f64 * 1.3 + 12.0 + PILE_MEASURED_S
}

/// The pile's last seconds, when every part lies in the heap, are what `bench` times.
pub const PILE_MEASURED_S: f64 = 20.0;

/// The pile's figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PileReport {
    pub parts: usize,
    /// Parts resting in the bin, and awake, at the end.
    pub in_bin: usize,
    pub awake: usize,
    /// Simulated seconds per wall second over the last [`PILE_MEASURED_S`].
    pub realtime: f64,
}

/// Runs the pile of `parts` cubes and times its last seconds.
pub fn pile(default_scenario: &Path, parts: u32) -> Result<PileReport, String> {
    let (mut w, _) = World::new(pile_cell(default_scenario, parts)?).map_err(|d| d[0].to_string())?;
    let total = pile_seconds(parts);
    w.step(&[Command::Start]);
    while w.time_s() < total - PILE_MEASURED_S {
        w.step(&[]);
    }
    let (t0, s0) = (Instant::now(), w.time_s());
    while w.time_s() < total {
        w.step(&[]);
    }
    let realtime = (w.time_s() - s0) / t0.elapsed().as_secs_f64().max(1e-9);
    let (parts, awake) = w.parts_awake();
    Ok(PileReport { parts, in_bin: w.delivered() as usize, awake, realtime })
}

/// Where parts may be: a belt's footprint and top, for the lost and stall checks.
struct Belt {
    from: Vector3<f64>,
    dir: Vector3<f64>,
    len: f64,
    half_width: f64,
    top: f64,
    motor: usize,
}

/// Runs the soak for `seconds` of simulated time.
pub fn soak(loaded: Loaded, seconds: f64) -> Result<SoakReport, String> {
    let belts: Vec<Belt> = loaded
        .scenario
        .conveyors
        .iter()
        .map(|c| {
            let from = Vector3::new(c.from.x, c.from.y, c.from.z);
            let d = Vector3::new(c.to.x, c.to.y, c.to.z) - from;
            Belt { from, dir: d.normalize(), len: d.norm(), half_width: c.width_mm / 2.0, top: c.from.z, motor: c.motor_output }
        })
        .collect();
    let (mut w, _) = World::new(loaded).map_err(|d| d[0].to_string())?;
    let mut r = SoakReport::default();
    let window = (seconds / 12.0).min(300.0);
    let ticks = (seconds / w.dt()).round() as u64;
    // Per part: where it was 2 s ago (for stalls), and whether it was reported.
    let mut last_pos: Vec<Option<(f64, Vector3<f64>)>> = Vec::new();
    let mut reported: Vec<bool> = Vec::new();
    let mut events = w.step(&[Command::Start]);
    let t0 = Instant::now();
    let (mut first_window_end, mut last_window_start) = (None, None);
    let mut window_mark = t0;
    let check_every = (0.5 / w.dt()).round().max(1.0) as u64;
    for tick in 1..=ticks {
        for e in &events {
            match e {
                crate::sim::world::Event::PartSpawned { .. } => r.spawned += 1,
                crate::sim::world::Event::PartDelivered { .. } => r.delivered += 1,
                _ => {}
            }
        }
        if tick % check_every == 0 {
            let now = w.time_s();
            if w.axes_deg().iter().any(|a| !a.is_finite()) {
                r.nan += 1;
            }
            let parts = w.parts();
            for p in &parts {
                if last_pos.len() <= p.id {
                    last_pos.resize(p.id + 1, None);
                    reported.resize(p.id + 1, false);
                }
                let c = p.pose.translation.vector;
                if !c.iter().all(|x| x.is_finite()) {
                    r.nan += 1;
                    continue;
                }
                if p.state == PartState::Held || reported[p.id] {
                    last_pos[p.id] = None;
                    continue;
                }
                let mut lost = None;
                if c.z < -5.0 {
                    lost = Some("below the floor");
                } else if c.x.abs() > 4000.0 || c.y.abs() > 4000.0 {
                    lost = Some("outside the cell");
                }
                let on_belt = belts.iter().enumerate().find(|(_, b)| {
                    let rel = c - b.from;
                    let s = rel.dot(&b.dir);
                    let side = (rel - b.dir * s).xy().norm();
                    s > 0.0 && s < b.len && side < b.half_width
                });
                if let Some((_, b)) = on_belt
                    && c.z < b.top - 2.0
                    && c.z > b.top - 80.0
                {
                    lost = Some("through the belt");
                }
                if let Some(why) = lost {
                    r.lost += 1;
                    reported[p.id] = true;
                    r.findings.push(format!("part {} lost at {now:.1} s: {why} ({:.0}, {:.0}, {:.0})", p.id + 1, c.x, c.y, c.z));
                    continue;
                }
                // A stall: on a running belt, not held back by the end stop or a part ahead, and
                // still where it was 2 s ago.
                match (on_belt, last_pos[p.id]) {
                    (Some((_, b)), Some((since, at))) if w.io.outputs[b.motor] && c.z > b.top => {
                        let s = (c - b.from).dot(&b.dir);
                        let length = p.size_mm.x.max(p.size_mm.y);
                        let at_stop = s > b.len - length;
                        let behind_another = parts.iter().any(|q| {
                            let d = (q.pose.translation.vector - c).dot(&b.dir);
                            q.id != p.id && d > 0.0 && d < length + 10.0 && (q.pose.translation.vector - c).xy().norm() < length * 1.5
                        });
                        if (c - at).norm() > 1.0 || at_stop || behind_another {
                            last_pos[p.id] = Some((now, c));
                        } else if now - since >= 2.0 {
                            r.stalled += 1;
                            reported[p.id] = true;
                            r.findings.push(format!("part {} stalled on a running belt at {now:.1} s ({:.0}, {:.0})", p.id + 1, c.x, c.y));
                        }
                    }
                    _ => last_pos[p.id] = Some((now, c)),
                }
            }
        }
        // Real-time factor of the first and the last window, and of every window.
        let now = w.time_s();
        if now >= window * (r.windows.len() + 1) as f64 - 1e-9 {
            r.windows.push(window / window_mark.elapsed().as_secs_f64().max(1e-9));
            window_mark = Instant::now();
        }
        if first_window_end.is_none() && now >= window - 1e-9 {
            first_window_end = Some(Instant::now());
        }
        if last_window_start.is_none() && now >= seconds - window - 1e-9 {
            last_window_start = Some(Instant::now());
        }
        events = w.step(&[]);
    }
    r.simulated_s = w.time_s();
    (r.parts_at_end, r.awake_at_end) = w.parts_awake();
    let rate = |wall: f64| window / wall.max(1e-9);
    r.realtime_start = first_window_end.map_or(0.0, |t: Instant| rate((t - t0).as_secs_f64()));
    r.realtime_end = last_window_start.map_or(0.0, |t: Instant| rate(t.elapsed().as_secs_f64()));
    Ok(r)
}
