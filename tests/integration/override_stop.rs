//! The program override and the STOP key act during a motion, as on a KR C: the path speed ramps
//! to the new override within a fraction of a second, Stop brakes along the path (STOP 2) and Start
//! goes on from there, and none of it moves the robot off its path or beyond an axis limit.

use nalgebra::Vector3;
use robocell::sim::kinematics::fk;
use robocell::sim::math::Frame;
use robocell::sim::robot::RobotModel;
use robocell::sim::scenario::OperatingMode;
use robocell::sim::world::{Command, ProgramState, World};

use super::empty_cell;

const TOOL_Z: f64 = 160.0;

/// LIN along Y at 500 mm/s, then a CIRC around (500, 200, 400) with radius 100, tool pointing down.
const LINE_AND_ARC: &str = "DEF generated( )
  PTP XHOME
  PTP {X 500, Y -300, Z 400, A 0, B 0, C 180}
  $VEL.CP = 0.5
  LIN {X 500, Y 300, Z 400, A 0, B 0, C 180}
  CIRC {X 600, Y 200, Z 400, A 0, B 0, C 180}, {X 500, Y 100, Z 400, A 0, B 0, C 180}
END
";

fn tcp(m: &RobotModel, q: &[f64; 6]) -> Vector3<f64> {
    (fk(m, q) * Frame::new(0.0, 0.0, TOOL_Z, 0.0, 0.0, 0.0).to_iso()).translation.vector
}

/// Every axis within its speed and acceleration limit from one tick to the next.
fn assert_within_limits(m: &RobotModel, qs: &[[f64; 6]], dt: f64) {
    let mut prev_v = [0.0; 6];
    for (k, w) in qs.windows(2).enumerate() {
        let v: [f64; 6] = std::array::from_fn(|i| (w[1][i] - w[0][i]) / dt);
        for i in 0..6 {
            assert!(v[i].abs() <= m.max_speed_deg_s[i] * 1.0001, "tick {k}: A{} at {:.1} deg/s", i + 1, v[i]);
            let a = (v[i] - prev_v[i]) / dt;
            assert!(a.abs() <= m.max_acc_deg_s2[i] * 1.0001, "tick {k}: A{} accelerates at {a:.0} deg/s^2", i + 1);
        }
        prev_v = v;
    }
}

/// Runs `world` from Start to the end of the program; `operator` may send commands each tick
/// (given the tick and the TCP). Returns the axes of every tick.
fn run_with(world: &mut World, mut operator: impl FnMut(u64, &Vector3<f64>) -> Vec<Command>) -> Vec<[f64; 6]> {
    let m = world.model().clone();
    let mut qs = vec![world.axes_deg()];
    world.step(&[Command::Start]);
    for tick in 0..20_000 {
        let q = world.axes_deg();
        qs.push(q);
        if matches!(world.state(), ProgramState::Finished | ProgramState::Faulted) {
            break;
        }
        let cmds = operator(tick, &tcp(&m, &q));
        world.step(&cmds);
    }
    assert_eq!(world.state(), ProgramState::Finished, "{:?}", world.messages());
    qs
}

fn speed_mm_s(m: &RobotModel, a: &[f64; 6], b: &[f64; 6], dt: f64) -> f64 {
    (tcp(m, b) - tcp(m, a)).norm() / dt
}

/// Distance of `p` from the segment a-b.
fn dist_to_segment(p: &Vector3<f64>, a: &Vector3<f64>, b: &Vector3<f64>) -> f64 {
    let ab = b - a;
    let t = ((p - a).dot(&ab) / ab.norm_squared()).clamp(0.0, 1.0);
    (p - (a + ab * t)).norm()
}

#[test]
fn override_change_mid_lin_and_circ_keeps_the_path_and_reaches_the_new_speed() {
    let mut world = empty_cell(LINE_AND_ARC, OperatingMode::AUT);
    let m = world.model().clone();
    let dt = world.dt();
    let (mut to30, mut to100, mut to50) = (false, false, false);
    let qs = run_with(&mut world, |_, p| {
        // On the line (Z 400, X 500): 30 % from Y -200, back to 100 % from Y -50; on the arc (X > 500.5) 50 %.
        let on_line = (p.z - 400.0).abs() < 0.2 && (p.x - 500.0).abs() < 0.2;
        if on_line && p.y > -200.0 && !to30 {
            to30 = true;
            return vec![Command::SetOverride(30)];
        }
        if on_line && p.y > -50.0 && !to100 {
            to100 = true;
            return vec![Command::SetOverride(100)];
        }
        if to100 && p.x > 500.5 && !to50 {
            to50 = true;
            return vec![Command::SetOverride(50)];
        }
        vec![]
    });
    assert!(to30 && to100 && to50, "every override change was sent");
    assert_within_limits(&m, &qs, dt);
    let (a, b) = (Vector3::new(500.0, -300.0, 400.0), Vector3::new(500.0, 300.0, 400.0));
    let centre = Vector3::new(500.0, 200.0, 400.0);
    let mut cruise_30 = Vec::new();
    let mut cruise_100 = Vec::new();
    let mut arc_50 = Vec::new();
    // The LIN runs from the first tick at its start point to the first at its end point.
    let lin_start = qs.iter().position(|q| (tcp(&m, q) - a).norm() < 1e-3).expect("LIN start reached");
    let lin_end = qs.iter().position(|q| (tcp(&m, q) - b).norm() < 1e-3).expect("LIN end reached");
    for (k, w) in qs.windows(2).enumerate().skip(lin_start) {
        let p = tcp(&m, &w[1]);
        let v = speed_mm_s(&m, &w[0], &w[1], dt);
        let on_lin = k < lin_end;
        // On the LIN or on the CIRC: within 0.1 mm of the line or of the circle (Z 400, radius 100).
        let d_line = dist_to_segment(&p, &a, &b);
        let r = p - centre;
        let d_arc = ((r.x * r.x + r.y * r.y).sqrt() - 100.0).abs().max((p.z - 400.0).abs());
        assert!(d_line.min(d_arc) < 0.1, "TCP {p:?} off the line ({d_line:.3} mm) and the arc ({d_arc:.3} mm)");
        if on_lin && (-140.0..-60.0).contains(&p.y) {
            cruise_30.push(v);
        }
        if on_lin && (60.0..200.0).contains(&p.y) {
            cruise_100.push(v);
        }
        if !on_lin && p.x > 580.0 {
            arc_50.push(v);
        }
    }
    // $VEL.CP = 0.5 m/s: 500 mm/s at 100 %, 150 mm/s at 30 %, 250 mm/s at 50 %.
    let within = |vs: &[f64], want: f64| !vs.is_empty() && vs.iter().all(|v| (v - want).abs() < want * 0.01);
    assert!(within(&cruise_30, 150.0), "30 %: {cruise_30:?}");
    assert!(within(&cruise_100, 500.0), "100 %: {cruise_100:?}");
    assert!(within(&arc_50, 250.0), "50 % on the arc: {arc_50:?}");
    let end = tcp(&m, qs.last().unwrap());
    assert!((end - Vector3::new(500.0, 100.0, 400.0)).norm() < 0.01, "CIRC target reached: {end:?}");
}

#[test]
fn stop_brakes_along_the_line_and_start_goes_on_from_there() {
    let mut world = empty_cell(LINE_AND_ARC, OperatingMode::AUT);
    let m = world.model().clone();
    let dt = world.dt();
    let mut stop_tick = None;
    let mut start_tick = None;
    let qs = run_with(&mut world, |tick, p| {
        let on_line = (p.z - 400.0).abs() < 0.2 && (p.x - 500.0).abs() < 0.2;
        if on_line && p.y > 0.0 && stop_tick.is_none() {
            stop_tick = Some(tick);
            return vec![Command::Stop];
        }
        if stop_tick.is_some_and(|s| tick == s + 200) {
            start_tick = Some(tick);
            return vec![Command::Start];
        }
        vec![]
    });
    assert_within_limits(&m, &qs, dt);
    // qs[i + 1] is the position after the step of tick i.
    let stop = stop_tick.expect("stopped") as usize + 1;
    let start = start_tick.expect("started again") as usize + 1;
    let v = |i: usize| speed_mm_s(&m, &qs[i - 1], &qs[i], dt);
    assert!((v(stop - 1) - 500.0).abs() < 1.0, "cruising at 500 mm/s before the stop: {}", v(stop - 1));
    // STOP 2 is a ramp, not a freeze: the first tick after Stop still moves at nearly full speed.
    assert!(v(stop) > 450.0, "first tick after Stop: {} mm/s", v(stop));
    let (a, b) = (Vector3::new(500.0, -300.0, 400.0), Vector3::new(500.0, 300.0, 400.0));
    let mut standstill = None;
    for (i, q) in qs.iter().enumerate().take(start).skip(stop) {
        assert!(v(i + 1) <= v(i) + 1e-6, "speed never rises while braking: {} then {}", v(i), v(i + 1));
        assert!(dist_to_segment(&tcp(&m, q), &a, &b) < 0.1, "braking on the line");
        if standstill.is_none() && v(i) == 0.0 {
            standstill = Some(i);
        }
    }
    let standstill = standstill.expect("the robot came to a standstill");
    // A ramp from 100 % takes at least 0.2 s, so the TCP runs on at least 500 mm/s * 0.2 s / 2 = 50 mm.
    let braking_mm = (tcp(&m, &qs[standstill]) - tcp(&m, &qs[stop - 1])).norm();
    assert!(braking_mm >= 49.9, "braking distance {braking_mm:.1} mm");
    assert!((standstill - stop) as f64 * dt <= 0.5, "standstill within 0.5 s");
    // It stands until Start, then ramps back to 500 mm/s on the same line.
    assert!(qs[standstill..start].iter().all(|q| *q == qs[standstill]));
    assert!(v(start) < 100.0 && v(start + 1) > v(start), "Start ramps up: {} then {}", v(start), v(start + 1));
    let back = (start..qs.len()).find(|&i| (v(i) - 500.0).abs() < 1.0).expect("back at 500 mm/s");
    assert!(tcp(&m, &qs[back]).y < 300.0 && dist_to_segment(&tcp(&m, &qs[back]), &a, &b) < 0.1);
    assert!((back - start) as f64 * dt <= 0.5, "full speed again within 0.5 s");
}

#[test]
fn override_and_stop_never_change_the_path_of_blended_motions() {
    let src = "DEF generated( )
  PTP XHOME
  $APO.CDIS = 30
  $APO.CPTP = 40
  $VEL.CP = 0.8
  PTP {X 500, Y -300, Z 400, A 0, B 0, C 180} C_PTP
  LIN {X 500, Y 0, Z 500, A 0, B 0, C 180} C_DIS
  LIN {X 400, Y 200, Z 400, A 20, B 0, C 180} C_DIS
  PTP {A1 40, A2 -80, A3 100, A4 0, A5 40, A6 0}
END
";
    let mut reference = empty_cell(src, OperatingMode::AUT);
    let m = reference.model().clone();
    let dt = reference.dt();
    let plain = run_with(&mut reference, |_, _| vec![]);
    let mut world = empty_cell(src, OperatingMode::AUT);
    let script = [
        (40, Command::SetOverride(35)),
        (150, Command::SetOverride(90)),
        (260, Command::Stop),
        (330, Command::Start),
        (400, Command::SetOverride(10)),
        (480, Command::SetOverride(100)),
    ];
    let changed = run_with(&mut world, |tick, _| script.iter().filter(|(t, _)| *t == tick).map(|(_, c)| c.clone()).collect());
    assert_within_limits(&m, &changed, dt);
    assert!(changed.len() > plain.len() + 100, "the slower run takes longer: {} vs {} ticks", changed.len(), plain.len());
    // Every position of the slowed run lies on the axis path of the run at 100 % (a polyline through its ticks).
    let mut seg = 0;
    for q in &changed {
        let on = |s: usize| {
            let (a, b) = (plain[s], plain[s + 1]);
            let d: [f64; 6] = std::array::from_fn(|i| b[i] - a[i]);
            let len2: f64 = d.iter().map(|x| x * x).sum();
            let t = if len2 == 0.0 { 0.0 } else { ((0..6).map(|i| (q[i] - a[i]) * d[i]).sum::<f64>() / len2).clamp(0.0, 1.0) };
            (0..6).map(|i| (a[i] + d[i] * t - q[i]).abs()).fold(0.0, f64::max) < 1e-6
        };
        // The path is walked forwards only.
        while seg + 1 < plain.len() && !on(seg) {
            seg += 1;
        }
        assert!(seg + 1 < plain.len(), "{q:?} is not on the planned path");
    }
    assert_eq!(changed.last(), plain.last());
}

#[test]
fn program_override_of_50_percent_takes_twice_as_long() {
    let time_of = |ov: u32| {
        let src = format!("DEF generated( )\n  PTP XHOME\n  $OV_PRO = {ov}\n  PTP {{A1 60, A2 -70, A3 110, A4 30, A5 -40, A6 90}}\nEND\n");
        let mut world = empty_cell(&src, OperatingMode::AUT);
        let qs = run_with(&mut world, |_, _| vec![]);
        // Ticks from leaving HOME to the last change of position.
        let moving: Vec<usize> = (1..qs.len()).filter(|&i| qs[i] != qs[i - 1]).collect();
        moving.last().unwrap() - moving.first().unwrap() + 1
    };
    let (full, half) = (time_of(100), time_of(50));
    // The override scales time: half the speed at every point of the path takes twice the ticks.
    assert!((half as i64 - 2 * full as i64).abs() <= 2, "{full} ticks at 100 %, {half} at 50 %");
}

#[test]
fn changing_the_mode_while_running_stops_the_program_on_its_path() {
    // pendant.md: "mode changed while running: STOP 2". The robot brakes along its line and stands.
    let mut world = empty_cell(LINE_AND_ARC, OperatingMode::AUT);
    let m = world.model().clone();
    let dt = world.dt();
    world.step(&[Command::Start]);
    let mut qs = vec![world.axes_deg()];
    let mut changed = None;
    for tick in 0..5000 {
        let p = tcp(&m, &world.axes_deg());
        let on_line = (p.z - 400.0).abs() < 0.2 && (p.x - 500.0).abs() < 0.2 && p.y > 0.0;
        let cmds = if on_line && changed.is_none() {
            changed = Some(tick);
            vec![Command::SetMode(OperatingMode::T2)]
        } else {
            vec![]
        };
        world.step(&cmds);
        qs.push(world.axes_deg());
        if changed.is_some_and(|c| tick > c + 300) {
            break;
        }
    }
    assert!(changed.is_some(), "the LIN was reached");
    assert_eq!(world.state(), ProgramState::Stopped);
    assert!(world.messages().iter().any(|msg| msg.text.contains("STOP 2")), "{:?}", world.messages());
    assert_within_limits(&m, &qs, dt);
    // Standing on the line, short of its end.
    let n = qs.len();
    assert_eq!(qs[n - 1], qs[n - 50], "the robot stands");
    let p = tcp(&m, &qs[n - 1]);
    assert!(dist_to_segment(&p, &Vector3::new(500.0, -300.0, 400.0), &Vector3::new(500.0, 300.0, 400.0)) < 0.1 && p.y < 300.0);
}
