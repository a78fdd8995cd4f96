//! Judging the objectives on finished runs: points, pass or fail, and an explanation a student
//! can act on (what was expected, what happened, when, and the program line involved).

use std::collections::HashMap;

use nalgebra::{Unit, UnitQuaternion, Vector3};

use super::spec::{ObjectiveKind, ObjectiveSpec};
use super::{Incident, Observations};
use crate::sim::cell::physics::{PartState, PartView};
use crate::sim::controller::{Message, ProgramState};
use crate::sim::scenario::{Point, Scenario};

/// One objective judged on one run (or, for a program objective, on the text).
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectiveResult {
    pub title: String,
    /// "public", a variant's name, or "program" for a check of the text.
    pub variant: String,
    pub hidden: bool,
    pub points: f64,
    pub max_points: f64,
    pub passed: bool,
    pub gate: bool,
    pub explanation: String,
}

/// A finished run, as the objectives see it.
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub variant: String,
    pub hidden: bool,
    /// The scenario as run (the variant applied).
    pub scenario: Scenario,
    pub obs: Observations,
    pub parts: Vec<PartView>,
    pub end_s: f64,
    pub state: ProgramState,
    pub axes: [f64; 6],
    pub home: [f64; 6],
    /// The program's file name, for "pick_place.src line 23".
    pub program_file: String,
    pub messages: Vec<Message>,
    /// The line the program was at when the run ended.
    pub line_at_end: u32,
    /// The name of each part type, by [`PartView::kind`].
    pub part_types: Vec<String>,
    /// The production orders of the run (plant orders), oldest first.
    pub orders: Vec<crate::sim::orders::OrderRecord>,
}

/// A student's grade over every run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grade {
    pub objectives: Vec<ObjectiveResult>,
    pub score: f64,
    pub max_score: f64,
    /// The gate objective that failed and zeroed the score.
    pub gate_failed: Option<String>,
    /// The public run's time from start to END, if it ended.
    pub cycle_time_s: Option<f64>,
    /// (objective, hint) for each failed objective that has a hint, in the scenario's order.
    pub hints: Vec<(String, String)>,
}

impl Grade {
    pub fn full_marks(&self) -> bool {
        self.max_score - self.score < 1e-9
    }

    /// An objective's points and its most points, over all its runs.
    pub fn totals(&self, title: &str) -> (f64, f64) {
        let mine = || self.objectives.iter().filter(|o| o.title == title);
        let (p, m) = mine().fold((0.0, 0.0), |a, o| (a.0 + o.points, a.1 + o.max_points));
        // Shares are rounded to cents: three thirds of 10 are 9.99 and 10.01, but passing in
        // every run earns the objective's points.
        if mine().all(|o| o.passed) { (round2(m), round2(m)) } else { (round2(p).min(round2(m)), round2(m)) }
    }
}

/// Grades the runs (the public one first) against the objectives. An objective's points are
/// split evenly over the runs; a program objective is judged once, on `program_results`.
pub fn grade(objectives: &[ObjectiveSpec], program_results: Vec<ObjectiveResult>, runs: &[RunRecord]) -> Grade {
    let mut out = Vec::new();
    let mut program_results = program_results.into_iter();
    for spec in objectives {
        if spec.is_static() {
            out.extend(program_results.next());
            continue;
        }
        let share = spec.points / runs.len().max(1) as f64;
        for run in runs {
            out.push(judge(spec, run, share));
        }
    }
    let max_score = objectives.iter().map(|o| o.points).sum();
    let gate_failed = out.iter().find(|r| r.gate && !r.passed).map(|r| format!("{} ({})", r.title, r.variant));
    // Per objective, its shares (rounded to cents) never add up to more than its points.
    let earned = objectives.iter().map(|o| {
        let mine = || out.iter().filter(|r| r.title == o.title);
        if mine().all(|r| r.passed) { o.points } else { mine().map(|r| r.points).sum::<f64>().min(o.points) }
    });
    let score = if gate_failed.is_some() { 0.0 } else { earned.sum::<f64>().min(max_score) };
    let cycle_time_s = runs.first().and_then(|r| r.obs.finished_s);
    let hints = objectives
        .iter()
        .filter(|o| out.iter().any(|r| r.title == o.title && !r.passed))
        .filter(|o| !o.hint.is_empty())
        .map(|o| (o.title.clone(), o.hint.clone()))
        .collect();
    Grade { objectives: out, score: round2(score), max_score, gate_failed, cycle_time_s, hints }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Judges one objective on one run, worth `max` points there.
pub fn judge(spec: &ObjectiveSpec, run: &RunRecord, max: f64) -> ObjectiveResult {
    let (fraction, explanation) = match &spec.kind {
        ObjectiveKind::Deliver { count, bin, part_type } => deliver(run, *count, bin.as_deref(), part_type.as_deref()),
        ObjectiveKind::Sort { bins, count, penalty } => sort(run, bins, *count, penalty * max / spec.points.max(1e-9), max),
        ObjectiveKind::Place { targets, pallet, slots, tolerance_mm, tolerance_deg, in_order, base } => {
            let spots = super::spec::place_targets(&run.scenario, targets, pallet.as_deref(), slots, *base);
            place(run, &spots, *tolerance_mm, *tolerance_deg, *in_order)
        }
        ObjectiveKind::Path { tolerance_mm, points, polyline, arc, base } => {
            let world = |ps: &[Point]| in_world(&run.scenario, *base, ps);
            let arc = arc.as_ref().map(|(a, b, c)| {
                let w = world(&[*a, *b, *c]);
                (w[0], w[1], w[2])
            });
            path(run, *tolerance_mm, &world(points), &world(polyline), arc.as_ref())
        }
        ObjectiveKind::CycleTime { full_s, zero_s } => cycle_time(run, *full_s, *zero_s),
        ObjectiveKind::Safety { no_collision, t1_speed, no_limit_stop, ends_at_home } => {
            safety(run, *no_collision, *t1_speed, *no_limit_stop, *ends_at_home)
        }
        ObjectiveKind::Orders { bin } => orders(run, bin),
        ObjectiveKind::Program { .. } => (0.0, "judged on the program text".into()),
    };
    let fraction = fraction.clamp(0.0, 1.0);
    ObjectiveResult {
        title: spec.title.clone(),
        variant: run.variant.clone(),
        hidden: run.hidden,
        points: round2(max * fraction),
        max_points: max,
        passed: fraction >= 1.0 - 1e-9,
        gate: spec.gate,
        explanation,
    }
}

/// Points given in `BASE_DATA[base]` of the scenario, in the world; world points as they are.
fn in_world(sc: &Scenario, base: Option<usize>, points: &[Point]) -> Vec<Point> {
    let Some(frame) = base.and_then(|n| sc.bases().get(n.wrapping_sub(1)).map(crate::sim::math::Frame::to_iso)) else {
        return points.to_vec();
    };
    points
        .iter()
        .map(|p| {
            let w = frame * nalgebra::Point3::new(p.x, p.y, p.z);
            Point { x: w.x, y: w.y, z: w.z }
        })
        .collect()
}

impl RunRecord {
    fn at(&self, line: Option<u32>) -> String {
        match line {
            Some(l) => format!("{} line {l}", self.program_file),
            None => "no program line".into(),
        }
    }

    /// How the run ended, for explanations: "the program ended at 18.8 s".
    pub fn ending(&self) -> String {
        match self.state {
            ProgramState::Finished => format!("the program ended at {:.1} s", self.obs.finished_s.unwrap_or(self.end_s)),
            ProgramState::Faulted => match self.obs.faults.last() {
                Some(f) => format!("the program stopped at {:.1} s: {}", f.time_s, f.what),
                None => format!("the program stopped at {:.1} s", self.end_s),
            },
            _ => format!(
                "the program was still running at {} when the time limit ({:.0} s) passed",
                self.at(Some(self.line_at_end)),
                self.end_s
            ),
        }
    }

    /// Where a part is now, in words.
    fn whereabouts(&self, p: &PartView) -> String {
        let c = p.pose.translation.vector;
        if p.state == PartState::Held {
            return "still in the gripper".into();
        }
        for b in &self.scenario.bins {
            let half = Vector3::new(b.size_mm.0, b.size_mm.1, b.size_mm.2) / 2.0;
            let d = c - Vector3::new(b.center.x, b.center.y, b.center.z + half.z);
            if d.x.abs() < half.x && d.y.abs() < half.y && d.z.abs() < half.z {
                return format!("in bin `{}`", b.name);
            }
        }
        for cv in &self.scenario.conveyors {
            let (a, e) = (Vector3::new(cv.from.x, cv.from.y, 0.0), Vector3::new(cv.to.x, cv.to.y, 0.0));
            let along = (e - a).normalize();
            let rel = Vector3::new(c.x, c.y, 0.0) - a;
            let s = rel.dot(&along);
            let side = (rel - along * s).norm();
            if s > -20.0 && s < (e - a).norm() + 20.0 && side < cv.width_mm / 2.0 + 20.0 && c.z > cv.from.z - 5.0 {
                return format!("on conveyor `{}`", cv.name);
            }
        }
        if c.z < p.size_mm.z / 2.0 + 5.0 {
            return format!("on the floor at x {:.0} y {:.0}", c.x, c.y);
        }
        format!("at x {:.0} y {:.0} z {:.0}", c.x, c.y, c.z)
    }

    fn release_note(&self, id: usize) -> String {
        match self.obs.parts.get(id).and_then(|p| p.released.last()) {
            Some((t, line)) => format!("; the gripper let it go at {t:.1} s at {}", self.at(*line)),
            None => String::new(),
        }
    }
}

impl RunRecord {
    /// The type name of part `id`.
    fn type_of(&self, id: usize) -> &str {
        self.obs.parts.get(id).and_then(|p| self.part_types.get(p.kind)).map_or("?", String::as_str)
    }
}

/// Each order filled exactly into `bin`: as many parts of each type as ordered, none of
/// another, reported done by the program. The share of orders filled.
fn orders(run: &RunRecord, bin: &str) -> (f64, String) {
    use crate::sim::orders::OrderRecord;
    if run.orders.is_empty() {
        return (0.0, format!("no order came in before the run ended ({})", run.ending()));
    }
    let mut filled = 0;
    let mut notes = Vec::new();
    for o in &run.orders {
        let what = format!("order {} ({})", o.id, OrderRecord::describe(&o.parts));
        let mut types: Vec<&String> = o.parts.keys().collect();
        types.extend(o.delivered.keys().filter(|t| !o.parts.contains_key(*t)));
        let wrong: Vec<String> = types
            .into_iter()
            .filter_map(|t| {
                let (want, got) = (o.parts.get(t).copied().unwrap_or(0), o.delivered_to(t, bin));
                (want != got).then(|| format!("{got} of {want} x {t}"))
            })
            .collect();
        match (o.placed_s, o.done_s) {
            (None, _) => notes.push(format!("{what} was never put on the inputs: the order before it was not reported done")),
            (Some(_), None) => {
                notes.push(format!("{what} was not reported done (done output); bin `{bin}` got {}", delivered_words(o, bin)))
            }
            (Some(_), Some(t)) if wrong.is_empty() => {
                filled += 1;
                notes.push(format!("{what} filled at {t:.1} s"));
            }
            (Some(_), Some(t)) => notes.push(format!("{what} reported done at {t:.1} s with {} in bin `{bin}`", wrong.join(", "))),
        }
    }
    let n = run.orders.len();
    (filled as f64 / n as f64, format!("{filled} of {n} order(s) filled: {}", notes.join("; ")))
}

fn delivered_words(o: &crate::sim::orders::OrderRecord, bin: &str) -> String {
    let v: Vec<String> = o.delivered.iter().filter_map(|(t, b)| b.get(bin).map(|n| format!("{n} x {t}"))).collect();
    if v.is_empty() { "nothing".into() } else { v.join(", ") }
}

fn deliver(run: &RunRecord, count: u32, bin: Option<&str>, part_type: Option<&str>) -> (f64, String) {
    let what = part_type.map(|t| format!("part(s) of type `{t}`")).unwrap_or_else(|| "part(s)".into());
    let into = bin.map(|b| format!("bin `{b}`")).unwrap_or_else(|| "a bin".into());
    let mut ok: Vec<(usize, f64)> = run
        .obs
        .parts
        .iter()
        .enumerate()
        .filter(|(id, _)| part_type.is_none_or(|t| run.type_of(*id) == t))
        .filter_map(|(id, p)| p.delivered.as_ref().filter(|(b, _)| bin.is_none_or(|x| x == b)).map(|(_, t)| (id, *t)))
        .collect();
    ok.sort_by(|a, b| a.1.total_cmp(&b.1));
    let n = ok.len() as u32;
    if n >= count {
        let t = ok[count as usize - 1].1;
        return (1.0, format!("{count} {what} required in {into}: {n} came to rest there, the last needed at {t:.1} s"));
    }
    let mut text = format!("{count} {what} required in {into}: {n} came to rest there by the end; {}", run.ending());
    // The first part that was handled but did not arrive tells the student most.
    let missing =
        run.parts.iter().filter(|p| !ok.iter().any(|(id, _)| *id == p.id)).filter(|p| part_type.is_none_or(|t| run.type_of(p.id) == t));
    let handled: Vec<&PartView> = missing.clone().filter(|p| run.obs.parts.get(p.id).is_some_and(|l| !l.picked_s.is_empty())).collect();
    if let Some(p) = handled.first().or(missing.clone().next().as_ref()) {
        let log = run.obs.parts.get(p.id);
        let story = if log.is_some_and(|l| !l.picked_s.is_empty()) { "was picked" } else { "was never picked" };
        text += &format!(". Part {} {story} and is {}{}", p.id + 1, run.whereabouts(p), run.release_note(p.id));
    } else if run.parts.is_empty() {
        text += ". No part arrived in the cell";
    }
    (n as f64 / count as f64, text)
}

fn sort(run: &RunRecord, bins: &std::collections::BTreeMap<String, String>, count: u32, penalty: f64, max: f64) -> (f64, String) {
    let mut right = 0u32;
    let mut wrong = Vec::new();
    for (id, p) in run.obs.parts.iter().enumerate() {
        let Some((bin, t)) = &p.delivered else { continue };
        let ty = run.type_of(id);
        match bins.get(ty) {
            Some(b) if b == bin => right += 1,
            // A part in a bin of the sort that is not its own (or of a type nobody sorts).
            _ if bins.values().any(|b| b == bin) => wrong.push((id, ty.to_string(), bin.clone(), *t)),
            _ => {}
        }
    }
    let earned = max * f64::from(right.min(count)) / f64::from(count) - penalty * wrong.len() as f64;
    let mut text = format!("{} of {count} part(s) sorted into the right bin", right.min(count));
    if let Some((id, ty, bin, t)) = wrong.first() {
        text += &format!(
            "; {} in a wrong bin (-{} points each): part {} ({ty}) came to rest in bin `{bin}` at {t:.1} s{}",
            wrong.len(),
            round2(penalty),
            id + 1,
            run.release_note(*id)
        );
    }
    if right < count {
        text += &format!("; {}", run.ending());
    }
    ((earned / max.max(1e-9)).max(0.0), text)
}

/// The smallest angle (deg) between a part's yaw and a target's, given the part's symmetry.
fn yaw_error(p: &PartView, target_yaw: f64) -> (f64, f64) {
    let r: UnitQuaternion<f64> = p.pose.rotation;
    let up = r * Vector3::z();
    let tilt = up.z.clamp(-1.0, 1.0).acos().to_degrees();
    let x = r * Vector3::x();
    let yaw = x.y.atan2(x.x).to_degrees();
    let period = if (p.size_mm.x - p.size_mm.y).abs() < 0.5 { 90.0 } else { 180.0 };
    let d = (yaw - target_yaw).rem_euclid(period);
    (d.min(period - d), tilt)
}

fn place(run: &RunRecord, targets: &[(String, Vector3<f64>, f64)], tol_mm: f64, tol_deg: f64, in_order: bool) -> (f64, String) {
    let resting: Vec<&PartView> = run.parts.iter().filter(|p| p.state != PartState::Held).collect();
    let mut used: Vec<usize> = Vec::new();
    let mut good = 0;
    let mut notes = Vec::new();
    let mut last_time = f64::NEG_INFINITY;
    for (name, at, yaw) in targets {
        let (at, yaw) = (*at, *yaw);
        let bottom = |p: &PartView| p.pose.translation.vector - p.pose.rotation * Vector3::new(0.0, 0.0, p.size_mm.z / 2.0);
        let nearest =
            resting.iter().filter(|p| !used.contains(&p.id)).min_by(|a, b| (bottom(a) - at).norm().total_cmp(&(bottom(b) - at).norm()));
        let Some(p) = nearest else {
            notes.push(format!("{name}: no part for it"));
            continue;
        };
        let d = (bottom(p) - at).norm();
        if d > tol_mm * 4.0 + 50.0 {
            notes.push(format!("{name}: no part placed there (the nearest, part {}, is {d:.0} mm away)", p.id + 1));
            continue;
        }
        used.push(p.id);
        let (dyaw, tilt) = yaw_error(p, yaw);
        let when = run.obs.parts.get(p.id).and_then(|l| l.released.last()).map(|r| r.0).unwrap_or(f64::NAN);
        if d > tol_mm {
            notes.push(format!(
                "part {} placed {d:.1} mm from {name} (tolerance {tol_mm} mm) at {when:.1} s{}",
                p.id + 1,
                run.release_note(p.id)
            ));
        } else if dyaw.max(tilt) > tol_deg {
            notes.push(format!(
                "part {} on {name} is turned {:.1} deg (tolerance {tol_deg} deg){}",
                p.id + 1,
                dyaw.max(tilt),
                run.release_note(p.id)
            ));
        } else if in_order && when < last_time {
            notes.push(format!("part {} on {name} was placed out of order, at {when:.1} s", p.id + 1));
        } else {
            good += 1;
            last_time = when;
        }
    }
    let n = targets.len();
    let text = if notes.is_empty() {
        format!("all {n} target(s) hold a part within {tol_mm} mm and {tol_deg} deg")
    } else {
        format!("{good} of {n} target(s) right: {}", notes.join("; "))
    };
    (good as f64 / n as f64, text)
}

/// Centre, radius and the unit normal of the circle through three points.
pub fn circle_through(a: &Point, b: &Point, c: &Point) -> Option<(Vector3<f64>, f64, Unit<Vector3<f64>>)> {
    let v = |p: &Point| Vector3::new(p.x, p.y, p.z);
    let (a, b, c) = (v(a), v(b), v(c));
    let (ab, ac) = (b - a, c - a);
    let n = ab.cross(&ac);
    if n.norm() < 1e-6 * ab.norm().max(1.0) * ac.norm().max(1.0) {
        return None;
    }
    let centre = a + (n.cross(&ab) * ac.norm_squared() + ac.cross(&n) * ab.norm_squared()) / (2.0 * n.norm_squared());
    Some((centre, (a - centre).norm(), Unit::new_normalize(n)))
}

/// Points every `step` mm along the arc from `a` through `b` to `c`.
fn sample_arc(a: &Point, b: &Point, c: &Point, step: f64) -> Vec<Vector3<f64>> {
    let Some((o, r, n)) = circle_through(a, b, c) else { return Vec::new() };
    let v = |p: &Point| Vector3::new(p.x, p.y, p.z) - o;
    let (va, vc) = (v(a), v(c));
    let e1 = va.normalize();
    let e2 = n.cross(&e1);
    let ang = |w: Vector3<f64>| w.dot(&e2).atan2(w.dot(&e1)).rem_euclid(std::f64::consts::TAU);
    let end = ang(vc);
    let end = if end < 1e-9 { std::f64::consts::TAU } else { end };
    let k = ((end * r) / step).ceil().max(1.0) as usize;
    (0..=k).map(|i| o + (e1 * (i as f64 * end / k as f64).cos() + e2 * (i as f64 * end / k as f64).sin()) * r).collect()
}

fn sample_polyline(pts: &[Point], step: f64) -> Vec<Vector3<f64>> {
    let v = |p: &Point| Vector3::new(p.x, p.y, p.z);
    let mut out = vec![v(&pts[0])];
    for w in pts.windows(2) {
        let (a, b) = (v(&w[0]), v(&w[1]));
        let k = ((b - a).norm() / step).ceil().max(1.0) as usize;
        out.extend((1..=k).map(|i| a + (b - a) * (i as f64 / k as f64)));
    }
    out
}

fn fmt_point(p: &Vector3<f64>) -> String {
    format!("({:.0}, {:.0}, {:.0})", p.x, p.y, p.z)
}

/// The TCP's samples with points filled in between (every `step` mm): a tick can carry it
/// further than the tolerance.
fn densify(samples: &[(f64, Vector3<f64>)], breaks: &[usize], step: f64) -> Vec<(f64, Vector3<f64>)> {
    let mut out = Vec::with_capacity(samples.len());
    for (i, w) in samples.windows(2).enumerate() {
        let ((t0, a), (t1, b)) = (w[0], w[1]);
        if breaks.contains(&(i + 1)) {
            // The pen was lifted between these two: no line.
            out.push((t0, a));
            continue;
        }
        let k = ((b - a).norm() / step).ceil().max(1.0) as usize;
        out.extend((0..k).map(|i| {
            let f = i as f64 / k as f64;
            (t0 + (t1 - t0) * f, a + (b - a) * f)
        }));
    }
    out.extend(samples.last().copied());
    out
}

fn path(run: &RunRecord, tol: f64, points: &[Point], polyline: &[Point], arc: Option<&(Point, Point, Point)>) -> (f64, String) {
    let who = if matches!(run.scenario.gripper, crate::sim::scenario::GripperSpec::Pen) { "the pen's ink" } else { "the TCP" };
    let tcp = &densify(&run.obs.tcp, &run.obs.strokes, (tol / 4.0).max(0.1));
    if !points.is_empty() {
        // In order: each point must be reached after the one before it.
        let mut from = 0;
        for (k, p) in points.iter().enumerate() {
            let want = Vector3::new(p.x, p.y, p.z);
            match tcp[from..].iter().position(|(_, x)| (x - want).norm() <= tol) {
                Some(i) => from += i,
                None => {
                    let closest = tcp[from..].iter().min_by(|a, b| (a.1 - want).norm().total_cmp(&(b.1 - want).norm()));
                    let miss = match closest {
                        Some((t, x)) => format!("closest {:.1} mm, at {t:.1} s", (x - want).norm()),
                        None => "the robot did not move".into(),
                    };
                    let text = format!(
                        "{who} passed {k} of {} point(s) in order within {tol} mm; it missed point {} {} ({miss})",
                        points.len(),
                        k + 1,
                        fmt_point(&want)
                    );
                    return (k as f64 / points.len() as f64, text);
                }
            }
        }
        return (1.0, format!("{who} passed all {} point(s) in order within {tol} mm", points.len()));
    }
    let (what, samples) = match arc {
        Some((a, b, c)) => ("arc", sample_arc(a, b, c, (tol / 2.0).max(0.5))),
        None => ("polyline", sample_polyline(polyline, (tol / 2.0).max(0.5))),
    };
    // TCP samples bucketed by a grid of the tolerance's size: each sample of the shape looks
    // in its own cell and the neighbours.
    let cell = |x: &Vector3<f64>| ((x.x / tol).floor() as i64, (x.y / tol).floor() as i64, (x.z / tol).floor() as i64);
    let mut grid: HashMap<(i64, i64, i64), Vec<usize>> = HashMap::new();
    for (i, (_, x)) in tcp.iter().enumerate() {
        grid.entry(cell(x)).or_default().push(i);
    }
    let covered = |s: &Vector3<f64>| {
        let (i, j, k) = cell(s);
        (-1..=1).any(|di| {
            (-1..=1).any(|dj| {
                (-1..=1).any(|dk| grid.get(&(i + di, j + dj, k + dk)).is_some_and(|v| v.iter().any(|&n| (tcp[n].1 - s).norm() <= tol)))
            })
        })
    };
    let missed: Vec<&Vector3<f64>> = samples.iter().filter(|s| !covered(s)).collect();
    let fraction = 1.0 - missed.len() as f64 / samples.len().max(1) as f64;
    let text = match missed.first() {
        None => format!("{who} followed the whole {what} within {tol} mm"),
        Some(m) => format!(
            "{who} followed {:.0} % of the {what} within {tol} mm; it did not come near {} ({} spot(s) missed)",
            fraction * 100.0,
            fmt_point(m),
            missed.len()
        ),
    };
    (fraction, text)
}

fn cycle_time(run: &RunRecord, full_s: f64, zero_s: f64) -> (f64, String) {
    let Some(t) = run.obs.finished_s else {
        return (0.0, format!("no cycle time: {}", run.ending()));
    };
    let task_undone = run
        .scenario
        .objectives
        .iter()
        .filter(|o| {
            matches!(
                o.kind,
                ObjectiveKind::Deliver { .. } | ObjectiveKind::Place { .. } | ObjectiveKind::Sort { .. } | ObjectiveKind::Orders { .. }
            )
        })
        .map(|o| judge(o, run, 1.0))
        .find(|r| !r.passed);
    if let Some(r) = task_undone {
        return (0.0, format!("the program ended at {t:.1} s, but a cycle time counts only when the task is done (`{}` was not)", r.title));
    }
    let f = ((zero_s - t) / (zero_s - full_s)).clamp(0.0, 1.0);
    let text = if f >= 1.0 {
        format!("cycle time {t:.1} s: full points at or under {full_s} s")
    } else {
        format!("cycle time {t:.1} s: full points at or under {full_s} s, none at {zero_s} s or more")
    };
    (f, text)
}

fn safety(run: &RunRecord, collision: bool, t1: bool, limits: bool, home: bool) -> (f64, String) {
    let incident = |i: &Incident| match i.line {
        // A controller message names its line already.
        Some(l) if i.what.contains(&format!(" line {l}: ")) => format!("{} (at {:.1} s)", i.what, i.time_s),
        _ => format!("{} at {:.1} s ({})", i.what, i.time_s, run.at(i.line)),
    };
    let mut fails = Vec::new();
    if collision && let Some(c) = run.obs.collisions.first() {
        fails.push(format!("collision: {}", incident(c)));
    }
    if t1 && let Some(i) = &run.obs.t1_overspeed {
        fails.push(incident(i));
    }
    if limits && let Some(i) = run.obs.limit_stops.first() {
        fails.push(format!("stop at a limit: {}", incident(i)));
    }
    if home {
        if run.obs.finished_s.is_none() {
            fails.push(format!("the program did not reach its END at HOME: {}", run.ending()));
        } else if let Some(k) = (0..6).find(|&k| (run.axes[k] - run.home[k]).abs() > 0.5) {
            fails.push(format!("the program ended away from HOME: A{} at {:.1} deg, HOME is {:.1} deg", k + 1, run.axes[k], run.home[k]));
        }
    }
    let mut checked: Vec<&str> = Vec::new();
    for (on, name) in [(collision, "no collision"), (t1, "T1 speed kept"), (limits, "no stop at a limit"), (home, "ended at HOME")] {
        if on {
            checked.push(name);
        }
    }
    if fails.is_empty() { (1.0, format!("held for the whole run: {}", checked.join(", "))) } else { (0.0, fails.join("; ")) }
}
