//! Properties of the motions the controller makes, over seeded random programs run in an empty cell:
//! no axis beyond its speed or acceleration, LIN on its line and CIRC on its arc within 0.1 mm,
//! blended paths continuous, and T1 under 250 mm/s.

use nalgebra::Vector3;
use rand::{Rng, SeedableRng, rngs::StdRng};
use robocell::sim::kinematics::{fk, status_of, turn_of};
use robocell::sim::math::Frame;
use robocell::sim::robot::RobotModel;
use robocell::sim::scenario::OperatingMode;
use robocell::sim::world::{Command, Event, ProgramState, World};

use super::empty_cell;

const TOOL_Z: f64 = 160.0;

pub fn tcp(m: &RobotModel, q: &[f64; 6]) -> nalgebra::Isometry3<f64> {
    fk(m, q) * Frame::new(0.0, 0.0, TOOL_Z, 0.0, 0.0, 0.0).to_iso()
}

/// A point as KRL writes it, with S and T, for axis values `q`.
pub fn point(m: &RobotModel, q: &[f64; 6]) -> String {
    let f = Frame::from_iso(&tcp(m, q));
    format!(
        "{{X {:.3}, Y {:.3}, Z {:.3}, A {:.4}, B {:.4}, C {:.4}, S {}, T {}}}",
        f.x,
        f.y,
        f.z,
        f.a,
        f.b,
        f.c,
        status_of(m, q),
        turn_of(q)
    )
}

/// Random axis values in a comfortable part of the workspace (wrist away from A5 = 0).
fn random_q(rng: &mut StdRng, around: Option<[f64; 6]>) -> [f64; 6] {
    let lo = [-120.0, -100.0, 50.0, -80.0, 25.0, -90.0];
    let hi = [120.0, -50.0, 110.0, 80.0, 100.0, 90.0];
    std::array::from_fn(|i| match around {
        Some(c) => (c[i] + rng.random_range(-25.0..25.0)).clamp(lo[i], hi[i]),
        None => rng.random_range(lo[i]..hi[i]),
    })
}

/// Runs a program to its end, recording the axes every tick and the lines the motions belong to.
pub fn record(cell: &mut World) -> (Vec<[f64; 6]>, Vec<Option<u32>>, Vec<Event>) {
    let mut qs = vec![cell.axes_deg()];
    let mut lines = vec![None];
    // In T1 and T2 the enabling switch and Start are held throughout.
    let mut events = cell.step(&[Command::EnablingSwitch(true), Command::Start]);
    for _ in 0..60_000 {
        qs.push(cell.axes_deg());
        lines.push(cell.main_run_line());
        if matches!(cell.state(), ProgramState::Finished | ProgramState::Faulted) {
            break;
        }
        events.extend(cell.step(&[]));
    }
    (qs, lines, events)
}

/// Every axis within its speed and acceleration limit, the robot at rest before the first sample.
pub fn assert_within_limits(m: &RobotModel, qs: &[[f64; 6]], dt: f64, what: &str) {
    let mut prev_v = [0.0; 6];
    for w in qs.windows(2) {
        let v: [f64; 6] = std::array::from_fn(|i| (w[1][i] - w[0][i]) / dt);
        for (i, (vi, pv)) in v.iter().zip(prev_v).enumerate() {
            assert!(vi.abs() <= m.max_speed_deg_s[i] * 1.0001, "{what}: A{} at {vi:.1} deg/s", i + 1);
            let a = (vi - pv) / dt;
            assert!(a.abs() <= m.max_acc_deg_s2[i] * 1.0001, "{what}: A{} accelerates at {a:.0} deg/s^2", i + 1);
        }
        prev_v = v;
    }
}

#[test]
fn random_ptp_and_lin_sequences_keep_axis_limits_and_lines() {
    let m = RobotModel::kr6_r900_sixx();
    let mut rng = StdRng::seed_from_u64(11);
    let mut lin_checked = 0;
    for case in 0..12 {
        let mut q = random_q(&mut rng, None);
        let mut src = format!("DEF generated( )\n  PTP XHOME\n  PTP {}\n", point(&m, &q));
        let mut lins = Vec::new();
        for k in 0..6 {
            let q2 = random_q(&mut rng, Some(q));
            if k % 2 == 0 {
                lins.push((src.lines().count() + 1, tcp(&m, &q).translation.vector, tcp(&m, &q2).translation.vector));
                src += &format!("  LIN {}\n", point(&m, &q2));
            } else {
                src += &format!("  $VEL_AXIS[1] = {}\n  PTP {}\n", rng.random_range(20..100), point(&m, &q2));
            }
            q = q2;
        }
        src += "END\n";
        let mut cell = empty_cell(&src, OperatingMode::AUT);
        let (qs, lines, _) = record(&mut cell);
        assert_eq!(cell.state(), ProgramState::Finished, "case {case}: {:?}", cell.messages());
        assert_within_limits(&m, &qs, cell.dt(), &format!("case {case}"));
        for (line, a, b) in &lins {
            // Each LIN's own samples lie on its own segment, and it ends on its target. A tick's
            // line is the motion still queued after it, so the LIN's last position is the tick after.
            let idx: Vec<usize> = (0..qs.len()).filter(|&i| lines[i] == Some(*line as u32)).collect();
            assert!(idx.len() >= 5, "case {case} line {line}: {} samples", idx.len());
            let mine: Vec<&[f64; 6]> = idx.iter().chain(idx.last().map(|i| i + 1).iter()).map(|&i| &qs[i]).collect();
            for q in &mine {
                let p = tcp(&m, q).translation.vector;
                let ab = b - a;
                let t = ((p - a).dot(&ab) / ab.norm_squared()).clamp(0.0, 1.0);
                let off = (p - (a + ab * t)).norm();
                assert!(off < 0.1, "case {case} line {line}: {off:.4} mm off the LIN's segment");
                lin_checked += 1;
            }
            let end = tcp(&m, mine.last().unwrap()).translation.vector;
            assert!((end - b).norm() < 0.01, "case {case} line {line}: ends {:.4} mm from its target", (end - b).norm());
        }
    }
    assert!(lin_checked > 500, "LIN samples checked: {lin_checked}");
}

#[test]
fn circ_stays_on_its_arc_and_reaches_the_target() {
    let m = RobotModel::kr6_r900_sixx();
    let q0 = [0.0, -80.0, 90.0, 0.0, 60.0, 0.0];
    let f0 = Frame::from_iso(&tcp(&m, &q0));
    let (cx, cy, r) = (f0.x - 100.0, f0.y, 100.0);
    let at = |deg: f64| {
        let t = deg.to_radians();
        format!("{{X {:.4}, Y {:.4}, Z {:.4}, A {:.4}, B {:.4}, C {:.4}}}", cx + r * t.cos(), cy + r * t.sin(), f0.z, f0.a, f0.b, f0.c)
    };
    let src = format!(
        "DEF generated( )\n  PTP {}\n  CIRC {}, {}\n  CIRC {}, {}, CA 90\nEND\n",
        point(&m, &q0),
        at(45.0),
        at(90.0),
        at(135.0),
        at(180.0)
    );
    let mut cell = empty_cell(&src, OperatingMode::AUT);
    let (qs, lines, _) = record(&mut cell);
    assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
    assert_within_limits(&m, &qs, cell.dt(), "circ");
    let mut n = 0;
    for (q, l) in qs.iter().zip(&lines) {
        if matches!(l, Some(3) | Some(4)) {
            let p = tcp(&m, q).translation.vector;
            let d = ((p.x - cx).powi(2) + (p.y - cy).powi(2)).sqrt() - r;
            assert!(d.abs() < 0.1 && (p.z - f0.z).abs() < 0.1, "{d:.4} mm off the arc");
            n += 1;
        }
    }
    assert!(n > 50);
    // The first CIRC ends at 90 degrees; the second, by CA 90, at 180.
    let end = tcp(&m, qs.last().unwrap()).translation.vector;
    assert!((end - Vector3::new(cx - r, cy, f0.z)).norm() < 0.01, "{end:?}");
}

#[test]
fn approximated_motions_blend_continuously_and_save_time() {
    let m = RobotModel::kr6_r900_sixx();
    let mut rng = StdRng::seed_from_u64(5);
    for case in 0..6 {
        let mut qs_pts = vec![random_q(&mut rng, None)];
        for _ in 0..5 {
            let last = *qs_pts.last().unwrap();
            qs_pts.push(random_q(&mut rng, Some(last)));
        }
        let program = |suffix_ptp: &str, suffix_lin: &str| {
            let mut s = String::from("DEF generated( )\n  PTP XHOME\n  $APO.CDIS = 20\n  $APO.CPTP = 30\n");
            for (k, q) in qs_pts.iter().enumerate() {
                if k % 2 == 0 {
                    s += &format!("  PTP {} {suffix_ptp}\n", point(&m, q));
                } else {
                    s += &format!("  LIN {} {suffix_lin}\n", point(&m, q));
                }
            }
            s + "  PTP XHOME\nEND\n"
        };
        let mut exact = empty_cell(&program("", ""), OperatingMode::AUT);
        let (q_exact, _, _) = record(&mut exact);
        let mut blended = empty_cell(&program("C_PTP", "C_DIS"), OperatingMode::AUT);
        let (q_blend, _, ev) = record(&mut blended);
        assert_eq!(blended.state(), ProgramState::Finished, "case {case}: {:?}", blended.messages());
        assert_within_limits(&m, &q_blend, blended.dt(), &format!("blended case {case}"));
        // Six blends (five points and the one before HOME): each saves at least a stop and a start.
        assert!(q_blend.len() + 6 * 10 <= q_exact.len(), "case {case}: blending saves time ({} vs {} ticks)", q_blend.len(), q_exact.len());
        // The path passes each via point within its zone: 20 mm for C_DIS, 27 axis degrees (30 % of 90) for C_PTP.
        for (k, via) in qs_pts.iter().enumerate().take(qs_pts.len() - 1).skip(1) {
            if k % 2 == 1 {
                let v = tcp(&m, via).translation.vector;
                let d = q_blend.iter().map(|q| (tcp(&m, q).translation.vector - v).norm()).fold(f64::INFINITY, f64::min);
                assert!(d <= 20.0 + 1e-6, "case {case}: LIN point {k} passed {d:.2} mm away");
            } else {
                let d = q_blend.iter().map(|q| robocell::sim::kinematics::max_delta(q, via)).fold(f64::INFINITY, f64::min);
                assert!(d <= 27.0 + 1e-6, "case {case}: PTP point {k} passed {d:.2} degrees away");
            }
        }
        assert_eq!(q_blend.last(), q_exact.last(), "case {case}: both end at HOME");
        assert!(
            !ev.iter().any(|e| matches!(e, Event::Message(msg) if msg.text.contains("Approximation not possible"))),
            "case {case}: every motion had look-ahead"
        );
    }
}

#[test]
fn an_advance_run_stop_prevents_approximation() {
    let src = "DEF generated( )\n  PTP XHOME\n  PTP {A1 20} C_PTP\n  $OUT[3] = TRUE\n  PTP {A1 40}\nEND\n";
    let mut cell = empty_cell(src, OperatingMode::AUT);
    let (qs, _, _) = record(&mut cell);
    assert_eq!(cell.state(), ProgramState::Finished);
    assert!(cell.messages().iter().any(|m| m.text.contains("line 3: Approximation not possible")), "{:?}", cell.messages());
    // Exact stop: the robot passes through A1 = 20 exactly, at rest.
    let at = qs.iter().position(|q| (q[0] - 20.0).abs() < 1e-9).expect("reaches A1 = 20");
    assert!((qs[at][0] - qs[at - 1][0]).abs() / cell.dt() < 5.0, "arrives nearly at rest");
}

#[test]
fn t1_keeps_the_tcp_under_250_mm_s() {
    let m = RobotModel::kr6_r900_sixx();
    let src = "DEF generated( )\n  PTP XHOME\n  PTP {A1 90, A2 -60, A3 80, A5 40}\n  LIN {X 300, Y 500, Z 500}\n  PTP XHOME\nEND\n";
    for (mode, cap) in [(OperatingMode::T1, Some(250.0)), (OperatingMode::AUT, None)] {
        let mut cell = empty_cell(src, mode);
        let (qs, _, _) = record(&mut cell);
        assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
        let top = qs
            .windows(2)
            .map(|w| (tcp(&m, &w[1]).translation.vector - tcp(&m, &w[0]).translation.vector).norm() / cell.dt())
            .fold(0.0, f64::max);
        match cap {
            Some(c) => assert!(top <= c * 1.001, "{mode:?}: {top:.1} mm/s"),
            None => assert!(top > 1000.0, "{mode:?}: {top:.1} mm/s"),
        }
    }
}

#[test]
fn lin_near_the_wrist_singularity_slows_down_within_axis_limits() {
    // The wrist passes A5 = 0 on the way: the LIN slows down there instead of spinning A4/A6.
    let m = RobotModel::kr6_r900_sixx();
    let a = [0.0, -70.0, 90.0, 0.0, 30.0, 0.0];
    let pa = Frame::from_iso(&tcp(&m, &a));
    let src = format!(
        "DEF generated( )\n  PTP {}\n  LIN {{X {:.3}, Y {:.3}, Z {:.3}, A {:.3}, B {:.3}, C {:.3}}}\nEND\n",
        point(&m, &a),
        pa.x,
        pa.y + 300.0,
        pa.z,
        pa.a + 90.0,
        pa.b,
        pa.c
    );
    let mut cell = empty_cell(&src, OperatingMode::AUT);
    let (qs, lines, _) = record(&mut cell);
    assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
    assert_within_limits(&m, &qs, cell.dt(), "lin near singularity");
    assert!(qs.iter().any(|q| q[4].abs() < 1.0), "the path goes through A5 = 0");
    // On the line all the way, and slower where A5 is near 0 than anywhere else on it.
    let start = lines.iter().position(|l| *l == Some(3)).expect("the LIN runs") - 1;
    let (a_p, b_p) = (tcp(&m, &qs[start]).translation.vector, Vector3::new(pa.x, pa.y + 300.0, pa.z));
    let mut near = 0.0f64;
    let mut top = 0.0f64;
    for w in qs[start..].windows(2) {
        let p = tcp(&m, &w[1]).translation.vector;
        let ab = b_p - a_p;
        let t = ((p - a_p).dot(&ab) / ab.norm_squared()).clamp(0.0, 1.0);
        assert!((p - (a_p + ab * t)).norm() < 0.1, "off the line at {p:?}");
        let v = (p - tcp(&m, &w[0]).translation.vector).norm() / cell.dt();
        top = top.max(v);
        if w[1][4].abs() < 1.0 {
            near = near.max(v);
        }
    }
    assert!(near < 0.5 * top, "near A5 = 0 the TCP slows to {near:.0} mm/s (top {top:.0} mm/s)");
}

#[test]
fn lin_that_meets_a_software_limit_stops_on_the_path() {
    // Tool down, reaching back over the base: A5 runs into its +120 degree limit on the way.
    let m = RobotModel::kr6_r900_sixx();
    let src = "DEF generated( )\n  PTP XHOME\n  PTP {X 150, Y 1, Z 700, A 0, B 0, C 180, S 2}\n  LIN {X -150, Y 1, Z 700, A 0, B 0, C 180}\nEND\n";
    let mut cell = empty_cell(src, OperatingMode::AUT);
    let (qs, _, _) = record(&mut cell);
    assert_within_limits(&m, &qs, cell.dt(), "limit");
    assert_eq!(cell.state(), ProgramState::Faulted, "{:?}", cell.messages());
    assert!(cell.messages().iter().any(|t| t.text.contains("line 4: Software limit switch +A5")), "{:?}", cell.messages());
    let last = qs.last().unwrap();
    assert!(last[4] <= 120.0 && last[4] > 119.0, "stopped at the limit: A5 = {}", last[4]);
    let end = tcp(&m, last).translation.vector;
    assert!((end.y - 1.0).abs() < 0.1 && (end.z - 700.0).abs() < 0.1 && end.x < 150.0, "on the line: {end:?}");
}

#[test]
fn cartesian_ptp_picks_the_configuration_by_status() {
    let m = RobotModel::kr6_r900_sixx();
    let q = [10.0, -70.0, 95.0, 20.0, 45.0, 30.0];
    let f = Frame::from_iso(&tcp(&m, &q));
    for s_bits in [2u8, 6u8] {
        let src = format!(
            "DEF generated( )\n  PTP XHOME\n  PTP {{X {:.4}, Y {:.4}, Z {:.4}, A {:.4}, B {:.4}, C {:.4}, S {s_bits}}}\nEND\n",
            f.x, f.y, f.z, f.a, f.b, f.c
        );
        let mut cell = empty_cell(&src, OperatingMode::AUT);
        record(&mut cell);
        assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
        let end = cell.axes_deg();
        assert_eq!(status_of(&m, &end), s_bits);
        assert!((tcp(&m, &end).translation.vector - tcp(&m, &q).translation.vector).norm() < 0.01);
        // S 2 has A5 > 0, S 6 flips the wrist (A5 <= 0).
        assert_eq!(end[4] > 0.0, s_bits == 2);
    }
}

#[test]
fn ori_type_constant_and_joint_guide_the_orientation() {
    let m = RobotModel::kr6_r900_sixx();
    let a = [10.0, -75.0, 95.0, 20.0, 50.0, 10.0];
    let b = [30.0, -65.0, 85.0, -10.0, 60.0, 40.0];
    let pb = Frame::from_iso(&tcp(&m, &b));
    let target = format!("{{X {:.4}, Y {:.4}, Z {:.4}, A {:.4}, B {:.4}, C {:.4}}}", pb.x, pb.y, pb.z, pb.a, pb.b, pb.c);
    // #CONSTANT: the start orientation all the way; the position still reaches the target.
    let src = format!("DEF generated( )\n  PTP {}\n  $ORI_TYPE = #CONSTANT\n  LIN {target}\nEND\n", point(&m, &a));
    let mut cell = empty_cell(&src, OperatingMode::AUT);
    let (qs, lines, _) = record(&mut cell);
    assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
    let r0 = tcp(&m, &a).rotation;
    for (q, l) in qs.iter().zip(&lines) {
        if *l == Some(4) {
            assert!(tcp(&m, q).rotation.angle_to(&r0) < 1e-6);
        }
    }
    assert!((tcp(&m, qs.last().unwrap()).translation.vector - tcp(&m, &b).translation.vector).norm() < 0.01);
    // #JOINT: the wrist axes move in proportion, the TCP on the line, ending in the target's orientation.
    let src = format!("DEF generated( )\n  PTP {}\n  $ORI_TYPE = #JOINT\n  LIN {target}\nEND\n", point(&m, &a));
    let mut cell = empty_cell(&src, OperatingMode::AUT);
    let (qs, lines, _) = record(&mut cell);
    assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
    assert_within_limits(&m, &qs, cell.dt(), "joint");
    let end = qs.last().unwrap();
    assert!(tcp(&m, end).rotation.angle_to(&tcp(&m, &b).rotation) < 1e-3);
    let (pa, pbv) = (tcp(&m, &a).translation.vector, tcp(&m, &b).translation.vector);
    let dir = (pbv - pa).normalize();
    let mut ratios = Vec::new();
    for (q, l) in qs.iter().zip(&lines) {
        if *l == Some(4) {
            let p = tcp(&m, q).translation.vector - pa;
            assert!((p - dir * p.dot(&dir)).norm() < 0.1, "on the line");
            let s = p.dot(&dir) / (pbv - pa).norm();
            if s > 0.05 && s < 0.95 {
                ratios.push(((q[3] - a[3]) / (b[3] - a[3]) - s).abs());
            }
        }
    }
    assert!(!ratios.is_empty() && ratios.iter().all(|d| *d < 0.02), "A4 follows the path parameter: {ratios:?}");
}

#[test]
fn step_modes_stop_after_each_motion_or_statement() {
    use robocell::sim::world::StepMode;
    let src = "DEF generated( )\n  DECL INT a\n  a = 1\n  PTP XHOME\n  a = 2\n  PTP {A1 20}\n  PTP {A1 40}\n  a = 3\nEND\n";
    let run_until_stopped = |cell: &mut World| {
        cell.step(&[Command::Start]);
        for _ in 0..5000 {
            if cell.state() != ProgramState::Running {
                break;
            }
            cell.step(&[]);
        }
    };
    // MSTEP: one Start per motion; the robot stands at each point.
    let mut cell = empty_cell(src, OperatingMode::AUT);
    cell.step(&[Command::SetStepMode(StepMode::Motion)]);
    let mut a1 = Vec::new();
    for _ in 0..3 {
        run_until_stopped(&mut cell);
        assert_eq!(cell.state(), ProgramState::Stopped);
        a1.push(cell.axes_deg()[0]);
    }
    assert_eq!(a1, vec![0.0, 20.0, 40.0]);
    run_until_stopped(&mut cell);
    assert_eq!(cell.state(), ProgramState::Finished);
    // ISTEP: one Start per statement; a motion statement waits for the robot.
    let mut cell = empty_cell(src, OperatingMode::AUT);
    cell.step(&[Command::SetStepMode(StepMode::Line)]);
    let mut seen = Vec::new();
    for _ in 0..6 {
        run_until_stopped(&mut cell);
        assert_eq!(cell.state(), ProgramState::Stopped);
        seen.push((cell.variable("A").map(|v| v.to_string()), cell.axes_deg()[0]));
    }
    let want = [("1", 0.0), ("1", 0.0), ("2", 0.0), ("2", 20.0), ("2", 40.0), ("3", 40.0)];
    for ((got, q), (w, wq)) in seen.iter().zip(want) {
        assert_eq!((got.as_deref(), *q), (Some(w), wq), "{seen:?}");
    }
}

/// T1 watches the flange as well as the TCP: a PTP that mostly turns the wrist moves the
/// flange and the TCP differently, and neither may pass 250 mm/s (worked out here with FK).
#[test]
fn t1_keeps_the_flange_and_the_tcp_under_250_mm_s_when_the_wrist_turns() {
    let m = RobotModel::kr6_r900_sixx();
    let src = "DEF generated( )\n  PTP {A1 15, A2 -85, A3 90, A4 70, A5 -40, A6 -90}\n  PTP XHOME\n  PTP {A1 -80, A2 -95, A3 100, A4 10, A5 30, A6 0}\n  PTP XHOME\nEND\n";
    let mut cell = empty_cell(src, OperatingMode::T1);
    let (qs, _, _) = record(&mut cell);
    assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
    let speed = |p: &dyn Fn(&[f64; 6]) -> Vector3<f64>| qs.windows(2).map(|w| (p(&w[1]) - p(&w[0])).norm() / cell.dt()).fold(0.0, f64::max);
    let flange = speed(&|q| fk(&m, q).translation.vector);
    let tool = speed(&|q| tcp(&m, q).translation.vector);
    assert!(flange <= 250.0 * 1.001 && tool <= 250.0 * 1.001, "flange {flange:.1} mm/s, TCP {tool:.1} mm/s");
    assert!(flange.max(tool) > 200.0, "the cap is reached, not undercut: {flange:.1} / {tool:.1} mm/s");
}
