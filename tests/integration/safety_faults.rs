//! E-STOP, the safety gate and injected faults, driven headless by commands and by the
//! scenario's schedule; expected behaviour from pendant.md sections 1 and 2.

use robocell::sim::exercise;
use robocell::sim::scenario::{FaultKind, FaultSpec, OperatingMode, Scenario};
use robocell::sim::world::{Command, Event, Level, ProgramState, World};

use super::{default_scenario, root};

fn steps(w: &mut World, n: usize) -> Vec<Event> {
    (0..n).flat_map(|_| w.step(&[])).collect()
}

fn said(ev: &[Event], text: &str) -> bool {
    ev.iter().any(|e| matches!(e, Event::Message(m) if m.text.contains(text)))
}

#[test]
fn e_stop_stops_on_the_path_and_start_waits_for_release_and_acknowledgement() {
    let (mut w, _) = World::new(default_scenario()).unwrap();
    w.step(&[Command::Start]);
    steps(&mut w, 1500); // 6 s: the robot is on its way
    let ev = w.step(&[Command::EmergencyStop(true)]);
    assert!(ev.iter().any(|e| matches!(e, Event::Message(m) if m.level == Level::Acknowledgement && m.text.contains("EMERGENCY STOP"))));
    assert_eq!(w.state(), ProgramState::Stopped);
    steps(&mut w, 250);
    let q = w.axes_deg();
    steps(&mut w, 250);
    assert_eq!(q, w.axes_deg(), "the robot stands after STOP 1");
    // Start: refused while the button is pressed.
    let ev = w.step(&[Command::Start]);
    assert!(said(&ev, "E-STOP pressed") && w.state() == ProgramState::Stopped);
    // Released but not acknowledged: still refused.
    w.step(&[Command::EmergencyStop(false)]);
    let ev = w.step(&[Command::Start]);
    assert!(said(&ev, "Acknowledge the message first") && w.state() == ProgramState::Stopped);
    w.step(&[Command::Acknowledge]);
    w.step(&[Command::Start]);
    assert_eq!(w.state(), ProgramState::Running);
    while !w.run_over() {
        w.step(&[]);
    }
    // The program goes on where it stopped and does its job.
    assert_eq!(w.state(), ProgramState::Finished, "{:?}", w.messages());
    steps(&mut w, 500);
    assert_eq!(w.delivered(), 3);
}

#[test]
fn acknowledging_while_the_button_is_pressed_is_refused() {
    let (mut w, _) = World::new(default_scenario()).unwrap();
    w.step(&[Command::EmergencyStop(true)]);
    let ev = w.step(&[Command::Acknowledge]);
    assert!(said(&ev, "Cannot acknowledge yet"));
    // A Reset keeps the button pressed.
    w.step(&[Command::Reset]);
    let ev = w.step(&[Command::Start]);
    assert!(said(&ev, "E-STOP pressed") && w.state() == ProgramState::Ready);
}

#[test]
fn an_open_gate_stops_aut_but_not_t1() {
    let mut l = default_scenario();
    l.scenario.door_input = Some(7);
    let (mut w, _) = World::new(l.clone()).unwrap();
    w.step(&[Command::Start]);
    steps(&mut w, 1000);
    assert!(w.io.inputs[7], "the door switch reads TRUE while the gate is closed");
    let ev = w.step(&[Command::SetDoor(true)]);
    assert!(said(&ev, "Safety gate open (STOP 1)") && w.state() == ProgramState::Stopped);
    w.step(&[]);
    assert!(!w.io.inputs[7]);
    // Closing is not enough: acknowledge, then Start.
    w.step(&[Command::SetDoor(false)]);
    let ev = w.step(&[Command::Start]);
    assert!(said(&ev, "Acknowledge the message first"));
    w.step(&[Command::Acknowledge]);
    w.step(&[Command::Start]);
    assert_eq!(w.state(), ProgramState::Running);
    // In T1 the gate may be open.
    l.scenario.mode = OperatingMode::T1;
    let (mut w, _) = World::new(l).unwrap();
    w.step(&[Command::SetDoor(true)]);
    w.step(&[Command::EnablingSwitch(true), Command::Start]);
    let q = w.axes_deg();
    // The first part is at the end stop after about 4.5 s; then the robot goes for it.
    steps(&mut w, 2000);
    assert_eq!(w.state(), ProgramState::Running);
    assert_ne!(q, w.axes_deg(), "the robot moves in T1 with the gate open");
}

fn with_fault(kind: FaultKind, at_s: f64, for_s: Option<f64>) -> World {
    let mut l = default_scenario();
    l.scenario.faults = vec![FaultSpec { at_s, kind, for_s }];
    World::new(l).unwrap().0
}

fn times(w: &mut World, pred: impl Fn(&Event) -> bool) -> Vec<f64> {
    let mut out = Vec::new();
    let mut ev = w.step(&[Command::Start]);
    while !w.run_over() && w.time_s() < 40.0 {
        if ev.iter().any(&pred) {
            out.push(w.time_s());
        }
        ev = w.step(&[]);
    }
    out
}

#[test]
fn vacuum_lost_drops_the_held_part_at_that_moment() {
    // When the first part is held, from a run without the fault.
    let mut clean = with_fault(FaultKind::GripFails, 1000.0, None);
    let picked = times(&mut clean, |e| matches!(e, Event::PartPicked { .. }))[0];
    let at = picked + 0.5;
    let mut w = with_fault(FaultKind::VacuumLost, at, Some(0.1));
    let released = times(&mut w, |e| matches!(e, Event::PartReleased { .. }));
    // The tick of the fault: the part falls (the time counted after the tick).
    assert!((released[0] - (at + w.dt())).abs() < 1e-9, "{released:?} vs {at}");
    assert!(w.messages().iter().all(|m| !m.text.to_lowercase().contains("vacuum")), "the controller says nothing");
}

#[test]
fn a_gripper_that_fails_picks_nothing_and_a_stuck_barrier_keeps_the_program_waiting() {
    let mut w = with_fault(FaultKind::GripFails, 0.0, None);
    assert!(times(&mut w, |e| matches!(e, Event::PartPicked { .. })).is_empty());
    let mut w = with_fault(FaultKind::SensorStuck { input: 1, value: false }, 0.0, None);
    let seen = times(&mut w, |e| matches!(e, Event::Input { n: 1, value: true }));
    assert!(seen.is_empty());
    assert_eq!((w.state(), w.advance_line()), (ProgramState::Running, 17), "waiting at WAIT FOR $IN[1]");
}

#[test]
fn a_jammed_belt_stands_though_its_motor_is_on() {
    let mut w = with_fault(FaultKind::ConveyorJam { conveyor: "infeed".into() }, 1.0, Some(2.0));
    w.step(&[Command::Start]);
    steps(&mut w, 300); // 1.2 s: jammed since 1.0 s
    let y0 = w.parts()[0].pose.translation.y;
    steps(&mut w, 250);
    assert!(w.io.outputs[1], "the motor output is on");
    assert!((w.parts()[0].pose.translation.y - y0).abs() < 0.5, "the part moved on a jammed belt");
    steps(&mut w, 500); // past 3.0 s: the belt runs again
    assert!(w.parts()[0].pose.translation.y > y0 + 50.0);
}

#[test]
fn an_unexpected_part_and_a_scheduled_e_stop() {
    let mut l = Scenario::load(&root().join("scenarios/sort_by_type.ron")).unwrap();
    // The sequence would give a red cube first.
    l.scenario.spawners[0].parts = robocell::sim::scenario::PartSource::Sequence(vec!["red cube".into()]);
    l.scenario.faults = vec![
        FaultSpec { at_s: 0.0, kind: FaultKind::UnexpectedPart { part_type: "blue cylinder".into() }, for_s: None },
        FaultSpec { at_s: 2.0, kind: FaultKind::EmergencyStop, for_s: Some(1.0) },
    ];
    let (mut w, _) = World::new(l).unwrap();
    let mut all = w.step(&[Command::Start]);
    all.extend(steps(&mut w, 1000));
    let kinds: Vec<usize> = all.iter().filter_map(|e| if let Event::PartSpawned { kind, .. } = e { Some(*kind) } else { None }).collect();
    assert_eq!(kinds[0], 1, "blue cylinder first");
    assert!(said(&all, "EMERGENCY STOP") && said(&all, "E-STOP released"));
    assert_eq!(w.state(), ProgramState::Stopped);
    assert_eq!(all.iter().filter(|e| matches!(e, Event::Fault { .. })).count(), 2);
}

#[test]
fn a_session_with_safety_commands_and_faults_replays_exactly() {
    let (mut w, _) = World::new(default_scenario()).unwrap();
    assert!(w.start_recording());
    w.step(&[Command::Start]);
    steps(&mut w, 700);
    w.step(&[Command::InjectFault { kind: FaultKind::ConveyorJam { conveyor: "infeed".into() }, for_s: Some(1.5) }]);
    steps(&mut w, 300);
    w.step(&[Command::EmergencyStop(true)]);
    steps(&mut w, 100);
    w.step(&[Command::EmergencyStop(false)]);
    w.step(&[Command::Acknowledge]);
    w.step(&[Command::Start]);
    steps(&mut w, 2000);
    let rec = w.recording().unwrap();
    let back = robocell::sim::record::Recording::parse("session.ron", &rec.to_ron()).unwrap();
    assert!(matches!(back.replay(), Ok(robocell::sim::record::Replay::Identical { .. })));
}

#[test]
fn faults_that_do_not_fit_the_cell_are_refused() {
    let path = root().join("scenarios/pick_and_place.ron");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "    program: \"pick_place.src\",",
        "    faults: [(at_s: 5, kind: ConveyorJam(conveyor: \"outfeed\"))],\n    program: \"pick_place.src\",",
    );
    let sc = Scenario::parse("f.ron", &text).unwrap();
    let errs = sc.validate("f.ron", &text);
    let line = text.lines().position(|l| l.contains("ConveyorJam")).unwrap() as u32 + 1;
    assert!(errs.iter().any(|d| d.message.contains("no conveyor named `outfeed`") && d.span.line == line), "{errs:#?}");
    // The grader goes on with a scheduled fault: the run is graded, the fault costs points.
    let mut l = default_scenario();
    l.scenario.variants.clear();
    l.scenario.faults = vec![FaultSpec { at_s: 0.0, kind: FaultKind::GripFails, for_s: None }];
    let (g, _) = exercise::grade_program(&l, true).unwrap();
    assert!(!g.full_marks() && g.objectives[0].points == 0.0);
}

/// Lesson 9's starter closes the parallel gripper on a cube, waits 0.4 s and HALTs when
/// `$IN[6]` (fully closed) says it holds nothing. The jaws travel 80 mm in 0.3 s, so within the
/// 0.4 s they close fully when the cube slips out, and stop on it (50 mm) when it does not.
#[test]
fn a_failed_parallel_grip_closes_the_jaws_on_nothing() {
    let lesson = root().join("lessons/09");
    let starter = lesson.join("starter/grip_retry.src");
    let run = |faults: Vec<FaultSpec>| {
        let mut l = Scenario::load_with_program(&lesson, Some(&starter)).unwrap();
        l.scenario.faults = faults;
        let (mut w, _) = World::new(l).unwrap();
        let picked = times(&mut w, |e| matches!(e, Event::PartPicked { .. }));
        (w, picked)
    };
    let (w, picked) = run(vec![FaultSpec { at_s: 0.0, kind: FaultKind::GripFails, for_s: None }]);
    assert!(picked.is_empty());
    let halt = std::fs::read_to_string(&starter).unwrap().lines().position(|l| l.trim() == "HALT").unwrap() as u32 + 1;
    assert_eq!((w.state(), w.advance_line()), (ProgramState::Halted, halt), "the closed input reported the failed grip");
    assert!(w.io.inputs[6], "fully closed");
    // Without the fault the same program takes the cubes and never reaches the HALT.
    let (w, picked) = run(Vec::new());
    assert!(!picked.is_empty() && w.state() != ProgramState::Halted);
}
