//! The smartPAD as core commands: jogging in every frame, the enabling switch, limits and
//! singularities, touch-up and new motions written into the files, breakpoints, block
//! selection, the watch panel and editing. Expected values come from the robot's data and
//! geometry worked out by hand, not from robocell's output.

use std::path::{Path, PathBuf};

use nalgebra::{Isometry3, Vector3};
use robocell::sim::krl::source::{decode, encode_like};
use robocell::sim::math::Frame;
use robocell::sim::scenario::{Loaded, OperatingMode, Scenario};
use robocell::sim::world::{Command, Event, FormKind, JogFrame, JogIncrement, MotionForm, ProgramState, World};

use super::{default_scenario, root, strip_cell};

/// The teaching scenario: T1, an empty cell with a table, and its program in code page 1252
/// with CR LF as a controller writes it; the enabling switch held.
fn teach_cell() -> World {
    world(Scenario::load(&root().join("scenarios/teach.ron")).expect("teach scenario loads"))
}

fn world(l: Loaded) -> World {
    let (mut w, _) = World::new(l).unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.to_string()).collect::<String>()));
    w.step(&[Command::EnablingSwitch(true)]);
    w
}

fn said(ev: &[Event], what: &str) -> bool {
    ev.iter().any(|e| matches!(e, Event::Message(m) if m.text.contains(what)))
}

/// Holds jog key `key` until the jog ends by itself (an increment done, a stop), at most `max` ticks.
fn jog_until_done(w: &mut World, key: u8, plus: bool, max: usize) -> Vec<Event> {
    let mut ev = w.step(&[Command::Jog { key, plus }]);
    for _ in 0..max {
        if !w.controller().jogging() {
            break;
        }
        ev.extend(w.step(&[]));
    }
    ev.extend(w.step(&[Command::JogRelease]));
    ev
}

fn set(w: &mut World, frame: JogFrame, inc: JogIncrement) {
    w.step(&[Command::SetJogFrame(frame), Command::SetJogIncrement(inc)]);
}

fn line_of(w: &World, text: &str) -> u32 {
    w.loaded().src.lines().position(|l| l.trim() == text).expect("line in the program") as u32 + 1
}

#[test]
fn axis_jog_moves_one_axis_by_exactly_the_increment() {
    let mut w = teach_cell();
    set(&mut w, JogFrame::Axes, JogIncrement::Mm10);
    let q0 = w.axes_deg();
    jog_until_done(&mut w, 0, true, 5000);
    let q1 = w.axes_deg();
    // 10 mm / 3°: an axis turns 3°.
    assert!((q1[0] - q0[0] - 3.0).abs() < 1e-9, "A1 {} -> {}", q0[0], q1[0]);
    assert!((1..6).all(|i| q1[i] == q0[i]), "only A1 moves: {q0:?} -> {q1:?}");
    // The finest step: 0.005° in A6, backwards.
    set(&mut w, JogFrame::Axes, JogIncrement::Mm01);
    jog_until_done(&mut w, 5, false, 5000);
    assert!((w.axes_deg()[5] - q1[5] + 0.005).abs() < 1e-9);
}

fn tcp(w: &World) -> Isometry3<f64> {
    w.tcp_world()
}

/// Jogs 10 mm along key `key` in `frame` and returns the TCP's displacement (world) and the
/// angle its orientation turned (degrees).
fn cart_jog(w: &mut World, frame: JogFrame, key: u8) -> (Vector3<f64>, f64) {
    set(w, frame, JogIncrement::Mm10);
    let t0 = tcp(w);
    jog_until_done(w, key, true, 5000);
    let t1 = tcp(w);
    (t1.translation.vector - t0.translation.vector, t0.rotation.angle_to(&t1.rotation).to_degrees())
}

#[test]
fn world_jog_moves_the_tcp_along_the_world_axis_by_exactly_the_increment() {
    let mut w = teach_cell();
    // Away from the wrist singularity of the home position first.
    w.step(&[Command::SetJogOverride(100)]);
    set(&mut w, JogFrame::Axes, JogIncrement::Mm100);
    jog_until_done(&mut w, 4, true, 5000); // A5 +10°
    for (key, axis) in [(0u8, Vector3::x()), (1, Vector3::y()), (2, Vector3::z())] {
        let (d, turned) = cart_jog(&mut w, JogFrame::World, key);
        assert!((d - axis * 10.0).norm() < 1e-6, "key {key}: moved {d:?}");
        assert!(turned < 1e-6, "the orientation stays: turned {turned}°");
    }
}

#[test]
fn base_jog_moves_along_the_selected_base() {
    let mut l = default_scenario();
    strip_cell(&mut l);
    l.scenario.mode = OperatingMode::T1;
    // BASE_DATA[1] turned 90° about Z: its X is the world's Y, its Y the world's -X.
    l.scenario.base_data = vec![Frame::new(300.0, 0.0, 0.0, 90.0, 0.0, 0.0)];
    let mut w = world(l);
    w.step(&[Command::SelectBase(1), Command::SetJogOverride(100)]);
    set(&mut w, JogFrame::Axes, JogIncrement::Mm100);
    jog_until_done(&mut w, 4, true, 5000);
    let (d, _) = cart_jog(&mut w, JogFrame::Base, 0);
    assert!((d - Vector3::new(0.0, 10.0, 0.0)).norm() < 1e-6, "base X: {d:?}");
    let (d, _) = cart_jog(&mut w, JogFrame::Base, 1);
    assert!((d - Vector3::new(-10.0, 0.0, 0.0)).norm() < 1e-6, "base Y: {d:?}");
}

#[test]
fn tool_jog_moves_along_the_tools_own_axis() {
    let mut w = teach_cell();
    w.step(&[Command::SetJogOverride(100)]);
    set(&mut w, JogFrame::Axes, JogIncrement::Mm100);
    jog_until_done(&mut w, 4, true, 5000);
    let before = tcp(&w);
    let (d, turned) = cart_jog(&mut w, JogFrame::Tool, 2);
    // The tool's Z as it pointed before the jog.
    let z = before.rotation * Vector3::z();
    assert!((d - z * 10.0).norm() < 1e-6, "tool Z: {d:?} vs {z:?}");
    assert!(turned < 1e-6);
    // A turns about the tool's Z through the TCP: the TCP stays, the orientation turns 3°.
    let (d, turned) = cart_jog(&mut w, JogFrame::Tool, 3);
    assert!(d.norm() < 1e-6, "the TCP stays put: {d:?}");
    assert!((turned - 3.0).abs() < 1e-6, "turned {turned}°");
}

#[test]
fn continuous_jog_runs_at_the_jog_speed_and_stops_when_released() {
    let mut w = teach_cell();
    set(&mut w, JogFrame::Axes, JogIncrement::Continuous);
    let dt = w.dt();
    w.step(&[Command::Jog { key: 0, plus: true }]);
    for _ in 0..200 {
        w.step(&[]);
    }
    let a = w.axes_deg()[0];
    w.step(&[]);
    // A1: 360 °/s x $RED_VEL_AXC 17 % x jog override 10 % = 6.12 °/s.
    assert!(((w.axes_deg()[0] - a) / dt - 6.12).abs() < 1e-9, "{} deg/s", (w.axes_deg()[0] - a) / dt);
    w.step(&[Command::JogRelease]);
    for _ in 0..50 {
        w.step(&[]);
    }
    let stopped = w.axes_deg();
    for _ in 0..100 {
        w.step(&[]);
    }
    assert_eq!(w.axes_deg(), stopped, "stands after the key is let go");
    // Letting go of the enabling switch stops a held jog at once.
    w.step(&[Command::Jog { key: 1, plus: false }]);
    for _ in 0..100 {
        w.step(&[]);
    }
    w.step(&[Command::EnablingSwitch(false)]);
    let q = w.axes_deg();
    for _ in 0..50 {
        w.step(&[]);
    }
    assert_eq!(w.axes_deg(), q);
    assert!(!w.controller().jogging());
    // Cartesian: $VEL_MA.CP 3 m/s x $RED_VEL_CPC 7.33 % x 100 % = 219.9 mm/s along World X.
    w.step(&[Command::EnablingSwitch(true), Command::SetJogOverride(100)]);
    set(&mut w, JogFrame::Axes, JogIncrement::Mm100);
    jog_until_done(&mut w, 4, true, 5000); // away from the wrist singularity (A5 = 0)
    set(&mut w, JogFrame::World, JogIncrement::Continuous);
    w.step(&[Command::Jog { key: 0, plus: true }]);
    for _ in 0..100 {
        w.step(&[]);
    }
    let x = tcp(&w).translation.vector;
    w.step(&[]);
    let v = (tcp(&w).translation.vector - x) / dt;
    assert!((v - Vector3::new(219.9, 0.0, 0.0)).norm() < 1e-6, "{v:?}");
}

#[test]
fn jogging_needs_t1_and_the_enabling_switch() {
    let mut w = teach_cell();
    w.step(&[Command::EnablingSwitch(false)]);
    let ev = w.step(&[Command::Jog { key: 0, plus: true }]);
    assert!(said(&ev, "Hold the enabling switch"));
    w.step(&[Command::EnablingSwitch(true), Command::SetMode(OperatingMode::AUT)]);
    let ev = w.step(&[Command::Jog { key: 0, plus: true }]);
    assert!(said(&ev, "Jogging only in T1"));
    // In T1 a program needs the enabling switch too, and stops when Start is let go.
    let ev = w.step(&[Command::SetMode(OperatingMode::T1), Command::EnablingSwitch(false), Command::Start]);
    assert!(said(&ev, "hold the enabling switch"), "{ev:?}");
    assert_eq!(w.state(), ProgramState::Ready);
    w.step(&[Command::EnablingSwitch(true), Command::Start]);
    for _ in 0..100 {
        w.step(&[]);
    }
    let ev = w.step(&[Command::ReleaseStart]);
    assert!(said(&ev, "Start key released"));
    assert_eq!(w.state(), ProgramState::Stopped);
}

#[test]
fn a_jog_stops_at_the_software_limit_and_only_backs_off() {
    let mut w = teach_cell();
    set(&mut w, JogFrame::Axes, JogIncrement::Continuous);
    w.step(&[Command::SetJogOverride(100)]);
    // A5 at 388 °/s x 15 % = 58.2 °/s: from 0° to the +120° limit in about 2 s.
    let ev = jog_until_done(&mut w, 4, true, 3000);
    assert!(said(&ev, "Software limit switch +A5"), "{ev:?}");
    assert_eq!(w.axes_deg()[4], 120.0, "stops exactly at the limit");
    let ev = jog_until_done(&mut w, 4, true, 100);
    assert!(said(&ev, "Software limit switch +A5"));
    assert_eq!(w.axes_deg()[4], 120.0, "never past it");
    set(&mut w, JogFrame::Axes, JogIncrement::Mm100);
    jog_until_done(&mut w, 4, false, 3000);
    assert!((w.axes_deg()[4] - 110.0).abs() < 1e-9, "backs off");
}

#[test]
fn a_cartesian_jog_slows_and_stops_at_the_wrist_singularity_without_a_jump() {
    let mut w = teach_cell();
    w.step(&[Command::SetJogOverride(100)]);
    set(&mut w, JogFrame::Axes, JogIncrement::Mm100);
    jog_until_done(&mut w, 3, true, 5000); // A4 +10°, so the wrist must turn A4 to reach A5 = 0
    jog_until_done(&mut w, 4, true, 5000); // A5 +10°
    set(&mut w, JogFrame::Tool, JogIncrement::Continuous);
    let m = w.model().clone();
    let dt = w.dt();
    // Turning about the tool's Y brings A5 back towards 0.
    let mut ev = w.step(&[Command::Jog { key: 4, plus: false }]);
    let mut prev = w.axes_deg();
    let mut ticks = 0;
    let mut turn_rate = Vec::new();
    while w.controller().jogging() && ticks < 20_000 {
        let r0 = tcp(&w).rotation;
        ev.extend(w.step(&[]));
        turn_rate.push(r0.angle_to(&tcp(&w).rotation).to_degrees() / dt);
        let q = w.axes_deg();
        for i in 0..6 {
            let v = (q[i] - prev[i]).abs() / dt;
            assert!(v <= m.max_speed_deg_s[i] * 0.2, "tick {ticks}: A{} jumps at {v:.1} deg/s", i + 1);
        }
        prev = q;
        ticks += 1;
    }
    let msg = ev.iter().find_map(|e| if let Event::Message(m) = e { Some(m.text.clone()) } else { None }).unwrap_or_default();
    assert!(msg.contains("singularity") && msg.contains("A5"), "{msg}");
    assert!(w.axes_deg()[4].abs() < 5.0, "stops near A5 = 0: {:?}", w.axes_deg());
    // It slowed down first: at the end it turns at well under half its speed.
    let top = turn_rate.iter().cloned().fold(0.0, f64::max);
    let moving: Vec<f64> = turn_rate.iter().cloned().filter(|r| *r > 1e-6).collect();
    assert!(top > 20.0, "jogged at {top:.1} °/s");
    assert!(moving.last().is_some_and(|r| *r < top / 2.0), "slows down before it stops: {:?}", &moving[moving.len().saturating_sub(5)..]);
}

#[test]
fn axis_jog_keeps_the_tcp_under_250_mm_s_in_t1() {
    let mut w = teach_cell();
    w.step(&[Command::SetJogOverride(100)]);
    set(&mut w, JogFrame::Axes, JogIncrement::Mm100);
    jog_until_done(&mut w, 2, false, 5000); // A3 -10°: the arm reaches out
    set(&mut w, JogFrame::Axes, JogIncrement::Continuous);
    let dt = w.dt();
    w.step(&[Command::Jog { key: 0, plus: true }]);
    let mut top: f64 = 0.0;
    let mut p = tcp(&w).translation.vector;
    for _ in 0..300 {
        w.step(&[]);
        let n = tcp(&w).translation.vector;
        top = top.max((n - p).norm() / dt);
        p = n;
    }
    // A1 at 61.2 °/s would move a TCP about 1 m out at over 1 m/s: the cap holds it.
    assert!(top > 200.0 && top <= 250.0 + 1e-6, "{top:.1} mm/s");
}

/// Jogs A1 +10° and Z down 100 mm from home: a pose away from XP1.
fn jog_somewhere(w: &mut World) {
    w.step(&[Command::SetJogOverride(100)]);
    set(w, JogFrame::Axes, JogIncrement::Mm100);
    jog_until_done(w, 0, true, 5000);
    jog_until_done(w, 4, true, 5000);
    set(w, JogFrame::World, JogIncrement::Mm100);
    jog_until_done(w, 2, false, 5000);
}

fn run_to_end(w: &mut World) -> Vec<Event> {
    let mut ev = w.step(&[Command::Start]);
    for _ in 0..20_000 {
        if matches!(w.state(), ProgramState::Finished | ProgramState::Faulted) {
            break;
        }
        ev.extend(w.step(&[]));
    }
    ev
}

fn written(ev: &[Event], name: &str) -> Option<(PathBuf, String)> {
    ev.iter().rev().find_map(|e| match e {
        Event::WriteFile { path, text } if path.file_name().is_some_and(|f| f == name) => Some((path.clone(), text.clone())),
        _ => None,
    })
}

#[test]
fn touch_up_round_trip_reaches_the_taught_pose() {
    let mut w = teach_cell();
    jog_somewhere(&mut w);
    let taught = tcp(&w);
    let fold = line_of(&w, "PTP XP1") - 5;
    let ev = w.step(&[Command::TouchUp { line: fold, aux: false }]);
    assert!(said(&ev, "Touch-up XP1"), "{ev:?}");
    let (path, text) = written(&ev, "teach.dat").expect("the .dat is written");
    // Written back as the controller wrote it: code page 1252 (ü is FC) and CR LF; the rest kept.
    let old = std::fs::read(&path).unwrap();
    let bytes = encode_like(Some(&old), &text);
    assert!(bytes.windows(4).any(|b| b == b"f\xfcr ") && bytes.windows(2).any(|b| b == b"\r\n"));
    assert!(!bytes.windows(2).any(|b| b[1] == b'\n' && b[0] != b'\r'), "every line ends in CR LF");
    let old_text = decode(&old).text;
    let changed: Vec<_> = old_text.lines().zip(text.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 1, "only XP1 changes (FP1 keeps tool 1, base 0): {changed:?}");
    // Reset (the robot goes back to its start) and run: it ends the PTP XP1 at the taught pose.
    w.step(&[Command::Reset]);
    let mut at_p1 = None;
    let mut ev = w.step(&[Command::Start]);
    for _ in 0..20_000 {
        if ev.iter().any(|e| matches!(e, Event::MotionDone { line } if *line == fold + 5)) && at_p1.is_none() {
            at_p1 = Some(tcp(&w));
        }
        if w.state() == ProgramState::Finished {
            break;
        }
        ev = w.step(&[]);
    }
    let p = at_p1.expect("PTP XP1 done");
    let err = (p.translation.vector - taught.translation.vector).norm();
    assert!(err < 0.01, "{err} mm from the taught point");
    assert!(p.rotation.angle_to(&taught.rotation).to_degrees() < 1e-3);
}

#[test]
fn a_new_motion_lints_clean_runs_and_reaches_its_point() {
    let mut w = teach_cell();
    let warnings_before = w.diagnostics().len();
    jog_somewhere(&mut w);
    let taught = tcp(&w);
    let fold = line_of(&w, "PTP XP1") - 5;
    let form = MotionForm { kind: FormKind::Lin, cont: false, vel: 0.5 };
    let ev = w.step(&[Command::NewMotion { after_line: fold, form }]);
    assert!(written(&ev, "teach.src").is_some() && written(&ev, "teach.dat").is_some(), "{ev:?}");
    let src = w.loaded().src.clone();
    // Below the whole fold of PTP P1, with the smartPAD's text; the next free names.
    let lines: Vec<&str> = src.lines().collect();
    let at = lines.iter().position(|l| l.starts_with(";FOLD LIN P2 Vel=0.5 m/s CPDAT1 Tool[1] Base[0]")).expect("the new fold");
    assert_eq!(lines[at - 1], ";ENDFOLD");
    assert_eq!(
        &lines[at + 1..at + 7],
        &["$BWDSTART=FALSE", "LDAT_ACT=LCPDAT1", "FDAT_ACT=FP2", "BAS(#CP_PARAMS,0.5)", "LIN XP2", ";ENDFOLD"]
    );
    assert!(src.contains("\r\n") && !src.replace("\r\n", "").contains('\n'), "CR LF kept");
    let dat = w.loaded().dat.clone().unwrap().1;
    assert!(dat.contains("DECL FDAT FP2={TOOL_NO 1,BASE_NO 0,"));
    assert!(dat.contains("DECL LDAT LCPDAT1={VEL 0.5,"));
    assert!(dat.contains("LAST_BASIS={POINT1[] \"P2\",POINT2[] \"P2\",CP_PARAMS[] \"CPDAT1\""));
    assert_eq!(w.diagnostics().len(), warnings_before, "no new diagnostics: {:?}", w.diagnostics());
    // Runs: the robot stands where the motion was taught when the LIN is done.
    w.step(&[Command::Reset]);
    let lin = at as u32 + 6;
    let mut ev = w.step(&[Command::Start]);
    let mut at_p2 = None;
    for _ in 0..20_000 {
        if ev.iter().any(|e| matches!(e, Event::MotionDone { line } if *line == lin)) {
            at_p2 = Some(tcp(&w));
        }
        if matches!(w.state(), ProgramState::Finished | ProgramState::Faulted) {
            break;
        }
        ev = w.step(&[]);
    }
    assert_eq!(w.state(), ProgramState::Finished, "{:?}", w.messages());
    let err = (at_p2.expect("LIN XP2 done").translation.vector - taught.translation.vector).norm();
    assert!(err < 0.01, "{err} mm");
}

#[test]
fn a_breakpoint_stops_before_its_line_and_start_goes_on() {
    let mut w = teach_cell();
    let wait = line_of(&w, "WAIT SEC 0.2");
    w.step(&[Command::SetBreakpoint { file: None, line: wait, on: true }]);
    let mut ev = w.step(&[Command::Start]);
    for _ in 0..20_000 {
        if w.state() != ProgramState::Running {
            break;
        }
        ev.extend(w.step(&[]));
    }
    assert_eq!(w.state(), ProgramState::Stopped);
    assert!(ev.iter().any(|e| matches!(e, Event::Message(m) if m.text.contains("Breakpoint") && m.line == Some(wait))));
    assert_eq!(w.advance_line(), wait, "the advance-run pointer on the breakpoint");
    assert_eq!(w.controller().at_breakpoint(), Some(wait));
    // The motion before it is done: the robot stands at XP1 (600, 0, 700 in the world).
    let p = w.controller().watch("$POS_ACT").unwrap();
    let robocell::sim::krl::value::Value::Struct(s) = p else { panic!() };
    assert!((s.num("X").unwrap() - 600.0).abs() < 0.01 && (s.num("Z").unwrap() - 700.0).abs() < 0.01, "{s:?}");
    let ev = run_to_end(&mut w);
    assert_eq!(w.state(), ProgramState::Finished, "{ev:?}");
}

/// A program whose loop switches `$OUT[10]` three times; the breakpoint goes on that line.
const LOOP_SRC: &str =
    "DEF loopbp( )\n  DECL INT i\n  FOR i = 1 TO 3\n    $OUT[10] = TRUE\n    WAIT SEC 0.1\n    $OUT[10] = FALSE\n  ENDFOR\nEND\n";

/// Start (or go on) and step until the program is no longer running.
fn start_until_it_stands(w: &mut World) -> Vec<Event> {
    let mut ev = w.step(&[Command::Start]);
    for _ in 0..20_000 {
        if w.state() != ProgramState::Running {
            break;
        }
        ev.extend(w.step(&[]));
    }
    ev
}

fn counter(w: &World) -> i32 {
    match w.controller().watch("i") {
        Ok(robocell::sim::krl::value::Value::Int(i)) => i,
        v => panic!("i: {v:?}"),
    }
}

#[test]
fn a_breakpoint_inside_a_loop_stops_the_program_on_every_pass() {
    let mut w = super::empty_cell(LOOP_SRC, robocell::sim::scenario::OperatingMode::AUT);
    w.step(&[Command::SetBreakpoint { file: None, line: 4, on: true }]);
    // Three passes: it stands before line 4 with i = 1, 2 and 3, and $OUT[10] not yet switched.
    for pass in 1..=3 {
        let ev = start_until_it_stands(&mut w);
        assert_eq!(w.state(), ProgramState::Stopped, "pass {pass}: {ev:?}");
        assert_eq!(w.controller().at_breakpoint(), Some(4), "pass {pass}");
        assert_eq!(counter(&w), pass, "the loop counter at pass {pass}");
        assert!(!w.io.outputs[10], "pass {pass}: line 4 has not run yet");
    }
    let ev = start_until_it_stands(&mut w);
    assert_eq!(w.state(), ProgramState::Finished, "{ev:?}");
    let switched = ev.iter().filter(|e| matches!(e, Event::Output { n: 10, value: true, .. })).count();
    assert_eq!(switched, 1, "the third pass's line 4 ran once after the last stop");
}

#[test]
fn a_breakpoint_removed_while_the_program_stands_on_it_stops_it_no_more() {
    let mut w = super::empty_cell(LOOP_SRC, robocell::sim::scenario::OperatingMode::AUT);
    w.step(&[Command::SetBreakpoint { file: None, line: 4, on: true }]);
    start_until_it_stands(&mut w);
    assert_eq!((w.state(), w.controller().at_breakpoint(), counter(&w)), (ProgramState::Stopped, Some(4), 1));
    w.step(&[Command::SetBreakpoint { file: None, line: 4, on: false }]);
    assert!(w.controller().breakpoints().is_empty());
    // The rest of the loop runs through: $OUT[10] goes TRUE on each of the three passes.
    let ev = start_until_it_stands(&mut w);
    assert_eq!(w.state(), ProgramState::Finished, "{ev:?}");
    let switched = ev.iter().filter(|e| matches!(e, Event::Output { n: 10, value: true, .. })).count();
    assert_eq!(switched, 3, "{ev:?}");
}

#[test]
fn block_selection_starts_with_a_bco_run_to_the_selected_motion() {
    let mut w = teach_cell();
    let ptp = line_of(&w, "PTP XP1");
    let ev = w.step(&[Command::SelectBlock { line: ptp }]);
    assert!(said(&ev, "Block selection to line"));
    let ev = run_to_end(&mut w);
    let started: Vec<u32> = ev.iter().filter_map(|e| if let Event::MotionStarted { line } = e { Some(*line) } else { None }).collect();
    assert_eq!(started.first(), Some(&ptp), "the first motion is the selected one: {started:?}");
    assert!(ev.iter().any(|e| matches!(e, Event::Message(m) if m.text.contains("Programmed path reached (BCO)") && m.line == Some(ptp))));
    assert_eq!(w.state(), ProgramState::Finished);
    // A line without a statement cannot be selected.
    let mut w = teach_cell();
    let ev = w.step(&[Command::SelectBlock { line: 4 }]);
    assert!(said(&ev, "holds no statement"));
}

#[test]
fn jogging_away_from_a_stopped_program_returns_to_the_path_on_start() {
    let mut w = teach_cell();
    w.step(&[Command::Start]);
    // Into the PTP XP1 (after the PTP XHOME, which starts at home), then stop.
    let ptp = line_of(&w, "PTP XP1");
    for _ in 0..20_000 {
        if w.main_run_line() == Some(ptp) && w.controller().path_speed() > 0.5 {
            break;
        }
        w.step(&[]);
    }
    w.step(&[Command::Stop]);
    for _ in 0..200 {
        w.step(&[]);
    }
    let on_path = w.axes_deg();
    set(&mut w, JogFrame::Axes, JogIncrement::Mm100);
    jog_until_done(&mut w, 0, false, 5000);
    assert!((w.axes_deg()[0] - on_path[0] + 10.0).abs() < 1e-9);
    let mut ev = w.step(&[Command::Start]);
    assert!(said(&ev, "BCO run"));
    let mut back = None;
    for _ in 0..20_000 {
        if back.is_none() && said(&ev, "Programmed path reached (BCO)") {
            back = Some(w.axes_deg());
        }
        if w.state() == ProgramState::Finished {
            break;
        }
        ev = w.step(&[]);
    }
    assert_eq!(back, Some(on_path), "back exactly where it left the path");
    assert_eq!(w.state(), ProgramState::Finished);
}

#[test]
fn the_watch_panel_reads_variables_members_and_the_call_stack() {
    let mut w = teach_cell();
    let c = w.controller();
    assert_eq!(c.watch("xp1.x").unwrap().as_f64(), Some(600.0));
    assert_eq!(c.watch("XP1.S").unwrap().to_string(), "2");
    assert_eq!(c.watch("$AXIS_ACT.A2").unwrap().as_f64(), Some(-90.0));
    assert_eq!(c.watch("TOOL_DATA[1].X").unwrap().as_f64(), Some(w.loaded().scenario.tool.tcp.x));
    assert!(c.watch("TOOL_DATA[99]").unwrap_err().contains("out of range"));
    assert!(c.watch("NOPE").unwrap_err().contains("not a variable"));
    assert!(c.watch("XP1 + 1").is_err());
    assert_eq!(c.call_stack().first().map(|f| f.0.as_str()), Some("TEACH"));
    w.step(&[Command::SetJogOverride(30)]);
    assert_eq!(w.controller().watch("$OV_JOG").unwrap().to_string(), "30");
}

#[test]
fn editing_is_refused_while_active_and_errors_keep_the_program_from_starting() {
    let mut w = teach_cell();
    let src_path: &Path = &w.loaded().src_path.clone();
    let text = w.loaded().src.clone();
    w.step(&[Command::Start]);
    let ev = w.step(&[Command::Edit { file: src_path.to_path_buf(), text: text.replace("WAIT SEC 0.2", "WAIT SEC 0.1") }]);
    assert!(said(&ev, "reset it before editing"));
    assert!(!w.unsaved(src_path));
    w.step(&[Command::Reset]);
    // An error: listed with its line, Start refused; the editor keeps the text, unsaved.
    let broken = text.replace("WAIT SEC 0.2", "WAIT SEC");
    let ev = w.step(&[Command::Edit { file: src_path.to_path_buf(), text: broken.replace("\r\n", "\n") }]);
    assert!(said(&ev, "error(s)"));
    assert!(w.unsaved(src_path));
    let wait = text.lines().position(|l| l == "WAIT SEC 0.2").unwrap() as u32 + 1;
    assert!(w.diagnostics().iter().any(|d| d.is_error() && d.span.line == wait), "{:?}", w.diagnostics());
    assert!(w.loaded().src.contains("WAIT SEC\r\n"), "the file keeps its CR LF");
    let ev = w.step(&[Command::Start]);
    assert!(said(&ev, "fix them in the editor"));
    assert_eq!(w.state(), ProgramState::Ready);
    // Fixed and saved: it runs.
    let fixed = text.replace("WAIT SEC 0.2", "WAIT SEC 0.1");
    w.step(&[Command::Edit { file: src_path.to_path_buf(), text: fixed.clone() }]);
    let ev = w.step(&[Command::Save { file: src_path.to_path_buf() }]);
    assert_eq!(written(&ev, "teach.src").map(|w| w.1), Some(fixed));
    assert!(!w.unsaved(src_path));
    run_to_end(&mut w);
    assert_eq!(w.state(), ProgramState::Finished);
}

#[test]
fn pendant_sessions_replay_exactly() {
    use robocell::sim::record::Replay;
    let (mut w, _) = World::new(Scenario::load(&root().join("scenarios/teach.ron")).unwrap()).unwrap();
    assert!(w.start_recording());
    w.step(&[Command::EnablingSwitch(true)]);
    jog_somewhere(&mut w);
    let fold = line_of(&w, "PTP XP1") - 5;
    w.step(&[Command::TouchUp { line: fold, aux: false }]);
    w.step(&[Command::NewMotion { after_line: fold, form: MotionForm::new(FormKind::Ptp) }]);
    w.step(&[Command::SetBreakpoint { file: None, line: line_of(&w, "WAIT SEC 0.2"), on: true }]);
    run_to_end(&mut w);
    run_to_end(&mut w);
    let rec = w.recording().unwrap();
    let r = rec.replay().unwrap();
    assert!(matches!(r, Replay::Identical { .. }), "{r:?}");
}

#[test]
fn a_fault_must_be_acknowledged_before_the_next_start() {
    let mut w = teach_cell();
    let path = w.loaded().src_path.clone();
    // A1 +200° is past its +170° software limit: the motion faults.
    let text = w.loaded().src.replacen("PTP XHOME", "PTP XHOME\r\nPTP {A1 200}", 1);
    w.step(&[Command::Edit { file: path, text }]);
    run_to_end(&mut w);
    assert_eq!(w.state(), ProgramState::Faulted);
    assert_eq!(w.controller().to_acknowledge().len(), 1);
    w.step(&[Command::Reset]);
    let ev = w.step(&[Command::Start]);
    assert!(said(&ev, "Acknowledge the message first: Software limit switch +A1"), "{ev:?}");
    assert_eq!(w.state(), ProgramState::Ready);
    w.step(&[Command::AcknowledgeOne(0)]);
    let ev = w.step(&[Command::Start]);
    // It starts (and meets the same limit again).
    assert!(said(&ev, "Program started"), "{ev:?}");
}

#[test]
fn a_program_with_errors_opens_for_the_editor_and_runs_once_fixed() {
    let mut l = Scenario::load(&root().join("scenarios/teach.ron")).unwrap();
    let good = l.src.clone();
    l.src = good.replace("WAIT SEC 0.2", "WAIT SEC 0.2 +");
    assert!(World::new(l.clone()).is_err());
    let (mut w, diags) = World::open(l);
    let wait = good.lines().position(|x| x == "WAIT SEC 0.2").unwrap() as u32 + 1;
    assert!(diags.iter().any(|d| d.is_error() && d.span.line == wait), "{diags:?}");
    assert!(w.loaded().src.contains("WAIT SEC 0.2 +"), "the student's text is kept");
    let ev = w.step(&[Command::EnablingSwitch(true), Command::Start]);
    assert!(said(&ev, "fix them in the editor"));
    let path = w.loaded().src_path.clone();
    w.step(&[Command::Edit { file: path, text: good }]);
    assert!(w.diagnostics().iter().all(|d| !d.is_error()));
    run_to_end(&mut w);
    assert_eq!(w.state(), ProgramState::Finished);
}

#[test]
fn touch_up_in_a_base_writes_base_coordinates_and_the_base_number() {
    let mut w = teach_cell();
    jog_somewhere(&mut w);
    let taught = tcp(&w);
    // BASE_DATA[1] is the table's corner at (350, -150, 200), not turned.
    w.step(&[Command::SelectBase(1)]);
    let fold = line_of(&w, "PTP XP1") - 5;
    w.step(&[Command::TouchUp { line: fold, aux: false }]);
    let dat = w.loaded().dat.clone().unwrap().1;
    let fp1 = dat.lines().find(|l| l.starts_with("DECL FDAT FP1=")).unwrap();
    assert!(fp1.contains("TOOL_NO 1,BASE_NO 1,"), "{fp1}");
    let xp1 = w.controller().watch("XP1").unwrap();
    let robocell::sim::krl::value::Value::Struct(p) = xp1 else { panic!() };
    let t = taught.translation.vector;
    for (m, want) in [("X", t.x - 350.0), ("Y", t.y + 150.0), ("Z", t.z - 200.0)] {
        assert!((p.num(m).unwrap() - want).abs() < 1e-3, "{m}: {} vs {want}", p.num(m).unwrap());
    }
    // Run: FDAT_ACT = FP1 selects the base, and the robot reaches the taught pose.
    w.step(&[Command::Reset]);
    let mut ev = w.step(&[Command::Start]);
    let mut at_p1 = None;
    for _ in 0..20_000 {
        if at_p1.is_none() && ev.iter().any(|e| matches!(e, Event::MotionDone { line } if *line == fold + 5)) {
            at_p1 = Some(tcp(&w));
        }
        if matches!(w.state(), ProgramState::Finished | ProgramState::Faulted) {
            break;
        }
        ev = w.step(&[]);
    }
    let err = (at_p1.expect("PTP XP1 done").translation.vector - t).norm();
    assert!(err < 0.01, "{err} mm");
}

#[test]
fn a_new_circ_taught_with_touch_up_runs_through_its_auxiliary_point() {
    let mut w = teach_cell();
    let fold = line_of(&w, "PTP XP1") - 5;
    w.step(&[Command::NewMotion { after_line: fold, form: MotionForm::new(FormKind::Circ) }]);
    let circ = w.loaded().src.lines().position(|l| l.starts_with(";FOLD CIRC P2 P3 ")).expect("the CIRC fold") as u32 + 1;
    assert!(w.loaded().src.contains("CIRC XP2, XP3\r\n"), "{}", w.loaded().src);
    assert!(w.diagnostics().iter().all(|d| !d.is_error()), "{:?}", w.diagnostics());
    // P1, the auxiliary point and the end point, each touched up where the robot stands: the
    // start, 100 mm towards the robot, then 100 mm to the side (a quarter circle's points).
    w.step(&[Command::SetJogOverride(100)]);
    set(&mut w, JogFrame::Axes, JogIncrement::Mm100);
    jog_until_done(&mut w, 4, true, 5000);
    set(&mut w, JogFrame::World, JogIncrement::Mm100);
    jog_until_done(&mut w, 2, false, 5000);
    w.step(&[Command::TouchUp { line: fold, aux: false }]);
    jog_until_done(&mut w, 0, false, 5000);
    let aux = tcp(&w).translation.vector;
    let ev = w.step(&[Command::TouchUp { line: circ, aux: true }]);
    assert!(said(&ev, "Touch-up XP2"), "{ev:?}");
    jog_until_done(&mut w, 1, true, 5000);
    let end = tcp(&w).translation.vector;
    let ev = w.step(&[Command::TouchUp { line: circ, aux: false }]);
    assert!(said(&ev, "Touch-up XP3"), "{ev:?}");
    w.step(&[Command::Reset]);
    let mut ev = w.step(&[Command::Start]);
    let mut path = Vec::new();
    let mut at_end = None;
    for _ in 0..20_000 {
        if w.main_run_line() == Some(circ + 5) {
            path.push(tcp(&w).translation.vector);
        }
        if at_end.is_none() && ev.iter().any(|e| matches!(e, Event::MotionDone { line } if *line == circ + 5)) {
            at_end = Some(tcp(&w).translation.vector);
        }
        if matches!(w.state(), ProgramState::Finished | ProgramState::Faulted) {
            break;
        }
        ev = w.step(&[]);
    }
    assert_eq!(w.state(), ProgramState::Finished, "{:?}", w.messages());
    assert!((at_end.expect("the CIRC ran") - end).norm() < 0.01);
    let nearest = path.iter().map(|p| (p - aux).norm()).fold(f64::INFINITY, f64::min);
    assert!(nearest < 2.0, "the arc passes {nearest:.2} mm from the auxiliary point");
}

/// Jogs the TCP in World to `target` (mm) with the increments, as a student would: the
/// coarse steps first, then the finer ones.
fn jog_to(w: &mut World, target: Vector3<f64>) {
    for (inc, size) in [(JogIncrement::Mm100, 100.0), (JogIncrement::Mm10, 10.0), (JogIncrement::Mm1, 1.0), (JogIncrement::Mm01, 0.1)] {
        set(w, JogFrame::World, inc);
        for key in 0..3u8 {
            let d = target[key as usize] - tcp(w).translation.vector[key as usize];
            for _ in 0..(d.abs() / size).floor() as usize {
                jog_until_done(w, key, d > 0.0, 5000);
            }
        }
    }
}

#[test]
fn the_teach_lesson_is_passed_with_the_pendant_alone() {
    let mut w = teach_cell();
    w.step(&[Command::SetJogOverride(100)]);
    set(&mut w, JogFrame::Axes, JogIncrement::Mm100);
    jog_until_done(&mut w, 4, true, 5000);
    // The lesson: P1 50 mm above the table's centre (500, 0, 250).
    jog_to(&mut w, Vector3::new(500.0, 0.0, 250.0));
    let off = (tcp(&w).translation.vector - Vector3::new(500.0, 0.0, 250.0)).norm();
    assert!(off < 0.2, "jogged to within {off:.3} mm");
    let fold = line_of(&w, "PTP XP1") - 5;
    w.step(&[Command::TouchUp { line: fold, aux: false }]);
    w.step(&[Command::Reset]);
    let record = w.run_to_end();
    assert_eq!(record.state, ProgramState::Finished, "{:?}", w.messages());
    let grade = w.grade_this_run();
    assert!(grade.full_marks(), "{:?}", grade.objectives.iter().map(|o| &o.explanation).collect::<Vec<_>>());
}

#[test]
fn a_broken_program_opens_whatever_its_file_is_called() {
    for name in ["my-prog.src", "1st try.src", "teach.src"] {
        let mut l = Scenario::load(&root().join("scenarios/teach.ron")).unwrap();
        l.src_path = l.src_path.with_file_name(name);
        l.src = "DEF x( )\n  WAIT SEC\nEND\n".into();
        let (w, diags) = World::open(l);
        assert!(diags.iter().any(|d| d.is_error() && d.span.line == 2), "{name}: {diags:?}");
        assert_eq!(w.loaded().src, "DEF x( )\n  WAIT SEC\nEND\n");
    }
}
