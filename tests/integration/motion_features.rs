//! Motion features the README promises, each against values worked out by hand: PTP_REL and
//! CIRC_REL, C_VEL and C_ORI approximation, T bits and the shortest-way PTP, the KR 16-2 and the
//! KR 6 R700 in a running cell, and a CIRC stopping at a software limit.

use nalgebra::Vector3;
use robocell::sim::kinematics::max_delta;
use robocell::sim::krl::value::Value;
use robocell::sim::math::Frame;
use robocell::sim::robot::RobotModel;
use robocell::sim::scenario::OperatingMode;
use robocell::sim::world::{Event, ProgramState, World};

use super::motion_props::{assert_within_limits, record, tcp};
use super::{default_scenario, empty_cell, run_program, strip_cell};

#[test]
fn ptp_rel_adds_to_the_axes_and_circ_rel_runs_its_arc_from_the_start() {
    let m = RobotModel::kr6_r900_sixx();
    let src = "DEF generated( )\n  PTP {A1 10, A2 -80, A3 90, A4 0, A5 40, A6 0}\n  PTP_REL {A1 15, A3 -5}\n  CIRC_REL {X 50, Y 50}, {X 100}\nEND\n";
    let mut cell = empty_cell(src, OperatingMode::AUT);
    let (qs, lines, _) = record(&mut cell);
    assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
    assert_within_limits(&m, &qs, cell.dt(), "rel");
    // PTP_REL: A1 10 + 15 = 25, A3 90 - 5 = 85, the others as they were.
    let after_rel = [25.0, -80.0, 85.0, 0.0, 40.0, 0.0];
    let at = qs.iter().position(|q| max_delta(q, &after_rel) < 1e-9).expect("the PTP_REL ends at A1 25, A3 85");
    // CIRC_REL from there: centre start + (50, 0, 0), radius 50, ending at start + (100, 0, 0).
    let p0 = tcp(&m, &qs[at]).translation.vector;
    let centre = p0 + Vector3::new(50.0, 0.0, 0.0);
    let mut n = 0;
    let mut nearest_aux = f64::INFINITY;
    for (q, l) in qs.iter().zip(&lines) {
        if *l == Some(4) {
            let p = tcp(&m, q).translation.vector;
            let r = ((p.x - centre.x).powi(2) + (p.y - centre.y).powi(2)).sqrt();
            assert!((r - 50.0).abs() < 0.1 && (p.z - p0.z).abs() < 0.1, "{p:?} off the arc ({:.3} mm)", r - 50.0);
            nearest_aux = nearest_aux.min((p - (p0 + Vector3::new(50.0, 50.0, 0.0))).norm());
            n += 1;
        }
    }
    assert!(n > 20, "{n} samples on the arc");
    assert!(nearest_aux < 1.0, "the arc passes its auxiliary point: {nearest_aux:.3} mm");
    let end = tcp(&m, qs.last().unwrap()).translation.vector;
    assert!((end - (p0 + Vector3::new(100.0, 0.0, 0.0))).norm() < 0.01, "{end:?}");
}

/// The nearest the TCP comes to `p` over the run.
fn closest(m: &RobotModel, qs: &[[f64; 6]], p: &Vector3<f64>) -> f64 {
    qs.iter().map(|q| (tcp(m, q).translation.vector - p).norm()).fold(f64::INFINITY, f64::min)
}

#[test]
fn c_vel_and_c_ori_blend_within_their_zones() {
    let m = RobotModel::kr6_r900_sixx();
    let corner = Vector3::new(500.0, 0.0, 400.0);
    // C_VEL 50 %: a 150 mm LIN at $ACC.CP 2.3 m/s^2 peaks at SQRT(2300 * 150) = 587 mm/s and
    // blends once braking below 293 mm/s, v^2 / (2 a) = 18.7 mm before the corner.
    // C_ORI 10 degrees: the first LIN turns A by 40 degrees evenly along 150 mm, so the blend
    // starts with 10 degrees left, 150 * 10 / 40 = 37.5 mm before the corner.
    for (setup, suffix, a_mid, a_end, zone_mm) in
        [("$APO.CVEL = 50", "C_VEL", 0.0, 0.0, 18.8), ("$APO.CORI = 10", "C_ORI", 40.0, 80.0, 37.6)]
    {
        let program = |sfx: &str| {
            format!(
                "DEF generated( )\n  PTP {{X 500, Y -150, Z 400, A 0, B 0, C 180, S 2}}\n  {setup}\n  LIN {{X 500, Y 0, Z 400, A {a_mid}, B 0, C 180}} {sfx}\n  LIN {{X 650, Y 0, Z 400, A {a_end}, B 0, C 180}}\nEND\n"
            )
        };
        let mut exact = empty_cell(&program(""), OperatingMode::AUT);
        let (q_exact, _, _) = record(&mut exact);
        let mut blended = empty_cell(&program(suffix), OperatingMode::AUT);
        let (q_blend, _, ev) = record(&mut blended);
        assert_eq!(blended.state(), ProgramState::Finished, "{suffix}: {:?}", blended.messages());
        assert_within_limits(&m, &q_blend, blended.dt(), suffix);
        assert!(!ev.iter().any(|e| matches!(e, Event::Message(msg) if msg.text.contains("Approximation not possible"))), "{suffix}");
        assert!(closest(&m, &q_exact, &corner) < 0.01, "{suffix}: the exact run passes the corner");
        let d = closest(&m, &q_blend, &corner);
        assert!(d > 0.5 && d < zone_mm, "{suffix}: the blend passes {d:.2} mm from the corner (zone {zone_mm} mm)");
        assert!(q_blend.len() < q_exact.len(), "{suffix}: {} vs {} ticks", q_blend.len(), q_exact.len());
        assert_eq!(q_blend.last(), q_exact.last(), "{suffix}: both end on the last point");
    }
}

#[test]
fn t_bits_choose_the_turn_and_without_them_the_ptp_takes_the_shortest_way() {
    let m = RobotModel::kr6_r900_sixx();
    // One pose, two ways to reach it: A6 = 170 or A6 = 170 - 360 = -190 (both within +-350).
    let q = [20.0, -80.0, 95.0, 30.0, 45.0, 170.0];
    let f = Frame::from_iso(&tcp(&m, &q));
    let pose = format!("X {:.4}, Y {:.4}, Z {:.4}, A {:.4}, B {:.4}, C {:.4}", f.x, f.y, f.z, f.a, f.b, f.c);
    let s = robocell::sim::kinematics::status_of(&m, &q);
    let run = |start_a6: f64, st: &str| {
        let src = format!("DEF generated( )\n  PTP {{A1 20, A2 -80, A3 95, A4 30, A5 45, A6 {start_a6}}}\n  PTP {{{pose}{st}}}\nEND\n");
        let mut cell = empty_cell(&src, OperatingMode::AUT);
        record(&mut cell);
        assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
        cell.axes_deg()
    };
    // T: bit 1 for A2 < 0, bit 5 for A6 < 0. T 34 asks for A6 negative, T 2 for A6 positive.
    let a6 = run(0.0, &format!(", S {s}, T 34"))[5];
    assert!((a6 + 190.0).abs() < 0.01, "T 34: A6 = {a6}");
    assert!((run(0.0, &format!(", S {s}, T 2"))[5] - 170.0).abs() < 0.01);
    // Without S and T: from A6 = 100, 170 is 70 degrees away and -190 is 290; from -150 the other way.
    assert!((run(100.0, "")[5] - 170.0).abs() < 0.01);
    assert!((run(-150.0, "")[5] + 190.0).abs() < 0.01);
}

#[test]
fn kr16_2_and_kr6_r700_run_in_a_cell_with_their_own_geometry() {
    // The flange at HOME: X = a1 + c3 + c4, Z = c1 + c2 - a2 (robot data, krl.md section 10).
    for (name, hx, hz) in
        [("KR16_2", 260.0 + 670.0 + 158.0, 675.0 + 680.0 - 35.0), ("KR6_R700_SIXX", 25.0 + 365.0 + 80.0, 400.0 + 315.0 + 35.0)]
    {
        let mut loaded = default_scenario();
        loaded.scenario.robot.model = name.into();
        loaded.model = RobotModel::by_name(name).unwrap();
        strip_cell(&mut loaded);
        loaded.src = "DEF generated( )
  DECL E6POS p, p1, p2
  DECL REAL hx, hz, dx, dz
  PTP XHOME
  $TOOL = $NULLFRAME
  p = $POS_ACT
  hx = p.X
  hz = p.Z
  PTP {A1 0, A2 -90, A3 90, A4 0, A5 30, A6 0}
  p1 = $POS_ACT
  LIN_REL {Z -200}
  p2 = $POS_ACT
  dx = p2.X - p1.X
  dz = p2.Z - p1.Z
END
"
        .into();
        loaded.src_path = loaded.src_path.with_file_name("generated.src");
        loaded.dat = None;
        let (mut cell, _) = World::new(loaded).unwrap();
        run_program(&mut cell, 60.0);
        assert_eq!(cell.state(), ProgramState::Finished, "{name}: {:?}", cell.messages());
        let num = |n: &str| match cell.variable(n) {
            Some(Value::Real(r)) => *r,
            other => panic!("{n}: {other:?}"),
        };
        assert!((num("HX") - hx).abs() < 1e-6 && (num("HZ") - hz).abs() < 1e-6, "{name}: HOME at X {} Z {}", num("HX"), num("HZ"));
        assert!(num("DX").abs() < 0.01 && (num("DZ") + 200.0).abs() < 0.01, "{name}: LIN_REL moved X {} Z {}", num("DX"), num("DZ"));
    }
}

#[test]
fn a_circ_that_meets_a_software_limit_stops_on_its_arc() {
    // Tool down from (150, 1, 700) over (0, 60, 700) to (-150, 1, 700): the arc passes over the
    // base, where the wrist runs out of range. The circle through the three points, by hand:
    // centre (0, yc) with 150^2 + (1 - yc)^2 = (60 - yc)^2, so yc = -18901 / 118 = -160.18, r = 220.18.
    let m = RobotModel::kr6_r900_sixx();
    let src = "DEF generated( )\n  PTP XHOME\n  PTP {X 150, Y 1, Z 700, A 0, B 0, C 180, S 2}\n  CIRC {X 0, Y 60, Z 700, A 0, B 0, C 180}, {X -150, Y 1, Z 700, A 0, B 0, C 180}\nEND\n";
    let mut cell = empty_cell(src, OperatingMode::AUT);
    let (qs, lines, _) = record(&mut cell);
    assert_eq!(cell.state(), ProgramState::Faulted, "{:?}", cell.messages());
    assert!(cell.messages().iter().any(|t| t.text.contains("line 4: Software limit switch")), "{:?}", cell.messages());
    assert_within_limits(&m, &qs, cell.dt(), "circ limit");
    let (yc, r) = (-18901.0 / 118.0, 60.0 + 18901.0 / 118.0);
    let on_arc: Vec<_> = qs.iter().zip(&lines).filter(|(_, l)| **l == Some(4)).map(|(q, _)| q).chain(qs.last()).collect();
    assert!(on_arc.len() > 5);
    for q in on_arc {
        let p = tcp(&m, q).translation.vector;
        let d = (p.x.powi(2) + (p.y - yc).powi(2)).sqrt() - r;
        assert!(d.abs() < 0.1 && (p.z - 700.0).abs() < 0.1, "{p:?} is {d:.3} mm off the arc");
    }
    // It stopped short of the target, with an axis at its limit.
    let last = qs.last().unwrap();
    assert!(tcp(&m, last).translation.vector.x > -150.0 + 1.0);
    let at_limit = (0..6).any(|i| (last[i] - m.max_deg[i]).abs() < 1.0 || (last[i] - m.min_deg[i]).abs() < 1.0);
    assert!(at_limit, "an axis at its limit: {last:?}");
}

/// A SPLINE block through four points and an arc, and a PTP_SPLINE through three axis points.
const SPLINE_BLOCK: &str = "DEF generated( )
  PTP {X 500, Y -200, Z 500, A 0, B 90, C 0}
  SPLINE WITH $VEL.CP = 0.5
    SPL {X 500, Y -100, Z 550, A 0, B 90, C 0}
    SPL {X 500, Y 0, Z 500, A 0, B 90, C 0}
    SLIN {X 500, Y 100, Z 550, A 0, B 90, C 0}
    SCIRC {X 500, Y 150, Z 600, A 0, B 90, C 0}, {X 500, Y 200, Z 550, A 0, B 90, C 0}
  ENDSPLINE
  PTP_SPLINE
    SPTP {A1 20, A2 -80, A3 90, A4 0, A5 30, A6 0}
    SPTP {A1 30, A2 -70, A3 80, A4 0, A5 30, A6 0}
  ENDSPLINE
END
";

#[test]
fn a_spline_block_flows_through_its_points_without_stopping() {
    let m = RobotModel::kr6_r900_sixx();
    let mut cell = empty_cell(SPLINE_BLOCK, OperatingMode::AUT);
    let (qs, lines, _) = record(&mut cell);
    assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
    assert_within_limits(&m, &qs, cell.dt(), "spline");
    let p = |q: &[f64; 6]| tcp(&m, q).translation.vector;
    // The block's samples: lines 4 to 7 (its segments).
    let block: Vec<Vector3<f64>> = qs.iter().zip(&lines).filter(|(_, l)| matches!(l, Some(4..=7))).map(|(q, _)| p(q)).collect();
    // It passes each inner point within $APO.CDIS (3 mm after BAS-less defaults) ...
    for want in [Vector3::new(500.0, -100.0, 550.0), Vector3::new(500.0, 0.0, 500.0), Vector3::new(500.0, 100.0, 550.0)] {
        let d = block.iter().map(|x| (x - want).norm()).fold(f64::INFINITY, f64::min);
        assert!(d <= 3.0 + 0.5, "passed {want:?} {d:.2} mm away");
    }
    // ... never stands still inside the block (at 0.5 m/s a tick moves 2 mm) ...
    let speeds: Vec<f64> = block.windows(2).map(|w| (w[1] - w[0]).norm() / cell.dt()).collect();
    let inner = &speeds[speeds.len() / 10..speeds.len() * 9 / 10];
    assert!(
        inner.iter().all(|v| *v > 50.0),
        "it stopped inside the block: {:.1} mm/s",
        inner.iter().cloned().fold(f64::INFINITY, f64::min)
    );
    // ... and ends exactly on the arc's end point (an exact stop: the block has no C_SPL).
    let want = Vector3::new(500.0, 200.0, 550.0);
    let closest = qs.iter().map(|q| (p(q) - want).norm()).fold(f64::INFINITY, f64::min);
    assert!(closest < 0.01, "{closest}");
    // The PTP_SPLINE ends on its last axis point.
    assert!(max_delta(qs.last().unwrap(), &[30.0, -70.0, 80.0, 0.0, 30.0, 0.0]) < 1e-6);
}

/// Four SPL points a quarter circle apart (radius 100 mm about (600, 0, 500)), from the point
/// before the first.
const SPL_CIRCLE: &str = "DEF generated( )
  PTP {X 600, Y -100, Z 500, A 0, B 90, C 0}
  SPLINE WITH $VEL.CP = 0.3
    SPL {X 700, Y 0, Z 500, A 0, B 90, C 0}
    SPL {X 600, Y 100, Z 500, A 0, B 90, C 0}
    SPL {X 500, Y 0, Z 500, A 0, B 90, C 0}
    SPL {X 600, Y -100, Z 500, A 0, B 90, C 0}
  ENDSPLINE
END
";

/// Distance from `p` to the segment `a`-`b`.
fn to_segment(p: &Vector3<f64>, a: &Vector3<f64>, b: &Vector3<f64>) -> f64 {
    let ab = b - a;
    let t = if ab.norm_squared() > 0.0 { ((p - a).dot(&ab) / ab.norm_squared()).clamp(0.0, 1.0) } else { 0.0 };
    (a + ab * t - p).norm()
}

#[test]
fn spl_points_are_passed_exactly_on_a_path_without_corners_or_stops() {
    let m = RobotModel::kr6_r900_sixx();
    let mut cell = empty_cell(SPL_CIRCLE, OperatingMode::AUT);
    let (qs, lines, _) = record(&mut cell);
    assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
    assert_within_limits(&m, &qs, cell.dt(), "spl");
    let p = |q: &[f64; 6]| tcp(&m, q).translation.vector;
    let path: Vec<Vector3<f64>> = qs.iter().zip(&lines).filter(|(_, l)| matches!(l, Some(4..=7))).map(|(q, _)| p(q)).collect();
    // Through every point: approximation would cut the corners by up to $APO.CDIS.
    let points = [(700.0, 0.0), (600.0, 100.0), (500.0, 0.0), (600.0, -100.0)].map(|(x, y)| Vector3::new(x, y, 500.0));
    for want in &points {
        let d = path.windows(2).map(|w| to_segment(want, &w[0], &w[1])).fold(f64::INFINITY, f64::min);
        assert!(d < 0.05, "passed {want:?} {d:.3} mm away");
    }
    // No corner: the direction turns a little per tick (a quarter circle of 100 mm at 1.2 mm a
    // tick turns 0.7°), no stop until the end, and the path stays near the circle.
    let steps: Vec<Vector3<f64>> = path.windows(2).map(|w| w[1] - w[0]).filter(|d| d.norm() > 0.05).collect();
    let turn = steps.windows(2).map(|w| w[0].angle(&w[1]).to_degrees()).fold(0.0, f64::max);
    assert!(turn < 3.0, "turns {turn:.1}° in one tick");
    let speeds: Vec<f64> = path.windows(2).map(|w| (w[1] - w[0]).norm() / cell.dt()).collect();
    let inner = &speeds[speeds.len() / 10..speeds.len() * 9 / 10];
    assert!(inner.iter().all(|v| *v > 150.0), "slowed to {:.1} mm/s", inner.iter().cloned().fold(f64::INFINITY, f64::min));
    let off = path.iter().map(|x| ((x - Vector3::new(600.0, 0.0, 500.0)).norm() - 100.0).abs()).fold(0.0, f64::max);
    assert!(off < 0.5, "{off:.2} mm off the circle");
    assert!((p(qs.last().unwrap()) - points[3]).norm() < 0.01, "ends exactly on the last point");
}
