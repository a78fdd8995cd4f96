//! The plots' data (`sim::trace`), checked on the default scenario's run.

use robocell::sim::trace::{Signal, Trace};
use robocell::sim::world::{Command, World};

use super::{default_scenario, root};

/// Runs the default scenario to its end with a trace of `window_s`.
fn traced(window_s: f64) -> (World, Trace) {
    let (mut w, _) = World::new(default_scenario()).unwrap();
    let mut trace = Trace::new(0.02, window_s);
    let mut ev = w.step(&[Command::Start]);
    loop {
        trace.record(&w, &ev);
        if w.run_over() || w.time_s() > 60.0 {
            break;
        }
        ev = w.step(&[]);
    }
    (w, trace)
}

#[test]
fn the_vacuum_lane_switches_where_the_program_says() {
    let (w, trace) = traced(600.0);
    // The lines of `$OUT[2] = TRUE` and `$OUT[2] = FALSE` in the bundled program, read here.
    let src = std::fs::read_to_string(root().join("scenarios/pick_place.src")).unwrap();
    let line_of = |needle: &str| src.lines().position(|l| l.trim_start().starts_with(needle)).unwrap() as u32 + 1;
    let (on, off) = (line_of("$OUT[2] = TRUE"), line_of("$OUT[2] = FALSE"));
    let lane = &trace.lanes[&Signal::Out(2)];
    let got: Vec<(bool, Option<u32>)> = lane.iter().map(|s| (s.value, s.line)).collect();
    // Three parts: on, off, three times over.
    assert_eq!(got, [(true, Some(on)), (false, Some(off))].repeat(3));
    assert!(lane.iter().zip(lane.iter().skip(1)).all(|(a, b)| a.time_s < b.time_s));
    // The light barrier is an input lane without a line.
    assert!(trace.lanes[&Signal::In(1)].iter().all(|s| s.line.is_none()));
    // One cycle per delivered part; together they reach the last delivery.
    let cycles = trace.cycle_times();
    assert_eq!(cycles.len() as u32, w.delivered());
    let sum: f64 = cycles.iter().map(|c| c.1).sum();
    let start = trace.samples.front().unwrap().time_s;
    assert!((sum - (cycles.last().unwrap().0 - start)).abs() < 1e-9, "from the start to the last delivery: {sum}");
    assert!(cycles.iter().all(|c| c.1 > 2.0), "a part takes its seconds: {cycles:?}");
}

#[test]
fn axis_speeds_stay_within_the_robots_limits() {
    let (w, trace) = traced(600.0);
    let m = w.model().clone();
    let mut fastest = [0.0f64; 6];
    for s in &trace.samples {
        for (i, top) in fastest.iter_mut().enumerate() {
            *top = top.max(s.speeds_deg_s[i].abs());
            assert!((m.min_deg[i] - 1e-6..=m.max_deg[i] + 1e-6).contains(&s.axes_deg[i]), "A{} at {}", i + 1, s.axes_deg[i]);
        }
    }
    for (i, top) in fastest.iter().enumerate() {
        assert!(*top <= m.max_speed_deg_s[i] * 1.001, "A{}: {top} deg/s", i + 1);
    }
    // A1 turns between the belt and the bin: it moves, and fast.
    assert!(fastest[0] > 0.3 * m.max_speed_deg_s[0], "{fastest:?}");
    assert!(trace.samples.iter().any(|s| s.tcp_mm_s > 500.0));
}

#[test]
fn the_trace_keeps_only_its_window() {
    let (w, trace) = traced(10.0);
    let first = trace.samples.front().unwrap().time_s;
    assert!(w.time_s() - first <= 10.0 + 1e-9, "{first}");
    assert!(trace.samples.len() <= (10.0 / 0.02) as usize + 2, "{}", trace.samples.len());
    // Each lane keeps at most the one switch before the window (the level at its start).
    for lane in trace.lanes.values() {
        assert!(lane.iter().filter(|s| s.time_s < first).count() <= 1);
    }
}

/// The frames the window draws are the program's `$BASE` (in the world) and its `$TOOL` on the
/// flange: worked out by hand for a base turned A 90 and a tool 100 mm out along the flange's z.
#[test]
fn the_drawn_frames_are_the_programs_base_and_tool() {
    let src =
        "DEF frames( )\n  $BASE = {X 100, Y 200, Z 300, A 90, B 0, C 0}\n  $TOOL = {X 0, Y 0, Z 100, A 0, B 0, C 0}\n  WAIT SEC 0.1\nEND\n";
    let mut w = super::empty_cell(src, robocell::sim::scenario::OperatingMode::AUT);
    let (base, _) = w.frames_world();
    assert_eq!(base, nalgebra::Isometry3::identity(), "the world frame before the program sets one");
    super::run_program(&mut w, 5.0);
    let (base, tool) = w.frames_world();
    assert!((base.translation.vector - nalgebra::Vector3::new(100.0, 200.0, 300.0)).norm() < 1e-9);
    // A 90 turns x onto y.
    assert!((base.rotation * nalgebra::Vector3::x() - nalgebra::Vector3::y()).norm() < 1e-9);
    let flange = w.link_frames_world()[6];
    let want = flange.translation.vector + flange.rotation * nalgebra::Vector3::new(0.0, 0.0, 100.0);
    assert!((tool.translation.vector - want).norm() < 1e-9, "{tool:?}");
}

/// The planned path ahead starts where the TCP is and ends on the programmed point: a LIN_REL
/// 100 mm along X of the world (the base frame, not set) from where the TCP stands.
#[test]
fn the_planned_path_ends_on_the_programmed_point() {
    let src = "DEF ahead( )\n  PTP $AXIS_ACT\n  LIN_REL {X 100}\n  WAIT SEC 0\nEND\n";
    let mut w = super::empty_cell(src, robocell::sim::scenario::OperatingMode::AUT);
    assert!(w.planned_path_world(5).is_empty(), "nothing planned before Start");
    let start = w.tcp_world().translation.vector;
    w.step(&[Command::Start]);
    for _ in 0..20 {
        w.step(&[]);
    }
    let path = w.planned_path_world(5);
    assert!(path.len() > 3, "{path:?}");
    let tcp = w.tcp_world().translation.vector;
    assert!((path[0] - tcp).norm() < 5.0, "starts at the TCP: {:?} vs {tcp:?}", path[0]);
    let want = start + nalgebra::Vector3::new(100.0, 0.0, 0.0);
    assert!((path.last().unwrap() - want).norm() < 0.01, "ends at {:?}, programmed {want:?}", path.last());
    // Every point on the straight line between.
    for p in &path {
        let off = p - start;
        assert!(off.y.abs() < 0.01 && off.z.abs() < 0.01 && (-0.01..=100.01).contains(&off.x), "{p:?} is off the line");
    }
}
