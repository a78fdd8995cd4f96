//! A program of several modules (tests/multi): the controller loads every module of the
//! program's folder and its $config.dat. GLOBAL routines, other modules' main DEFs and PUBLIC
//! GLOBAL data are shared; the rest stays in its module.

use std::path::Path;

use robocell::sim::krl::value::Value;
use robocell::sim::scenario::Scenario;
use robocell::sim::world::{Command, ProgramState, World};

use super::root;

fn copy_multi(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("robocell-multi-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(root().join("tests/multi")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    dir
}

fn run(cell: &Path) -> World {
    let loaded = Scenario::load(cell).unwrap_or_else(|d| panic!("{}", d[0]));
    let (mut w, _) = World::new(loaded).unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.to_string()).collect::<String>()));
    w.run_to_end();
    w
}

#[test]
fn a_program_of_several_modules_runs_and_does_its_job() {
    let w = run(&root().join("tests/multi/cell.ron"));
    assert_eq!(w.state(), ProgramState::Finished, "{:?}", w.messages());
    assert!(w.grade_this_run().full_marks(), "{:#?}", w.grade_this_run());
    // PUBLIC GLOBAL data of two other modules, written through them.
    assert_eq!(w.variable("PARTS_DONE"), Some(&Value::Int(3)));
    assert_eq!(w.variable("LAST_PLACED"), Some(&Value::Int(3)));
    // $config.dat's global.
    assert_eq!(w.variable("CFG_SPEED").and_then(Value::as_f64), Some(1.0));
}

#[test]
fn a_local_routine_of_another_module_cannot_be_called() {
    let dir = copy_multi("local");
    let main = std::fs::read_to_string(dir.join("cell_main.src")).unwrap();
    std::fs::write(dir.join("cell_main.src"), main.replace("    pick_part()", "    grip(TRUE)")).unwrap();
    let loaded = Scenario::load(&dir.join("cell.ron")).unwrap();
    // The check before the run says so (grip is local to pick.src) ...
    let Err(d) = World::new(loaded) else { panic!("loaded") };
    assert!(d.iter().any(|d| d.message.contains("GRIP is a local routine of pick.src")), "{d:?}");
}

#[test]
fn a_fault_in_another_module_names_that_file_and_a_broken_module_is_left_out() {
    let dir = copy_multi("fault");
    let pick = std::fs::read_to_string(dir.join("pick.src")).unwrap();
    std::fs::write(dir.join("pick.src"), pick.replace("  LIN XPICK\n", "  LIN XPICK\n  $OUT[2] = 1 / 0 == 1\n")).unwrap();
    // A module that does not parse: left out with a warning, the program runs without it.
    std::fs::write(dir.join("broken.src"), "DEF broken( )\n  IF TRUE THEN\nEND\n").unwrap();
    let loaded = Scenario::load(&dir.join("cell.ron")).unwrap();
    let (mut w, warnings) = World::new(loaded).unwrap();
    assert!(warnings.iter().any(|d| d.code == "KRL090" && d.message.contains("broken.src has errors")), "{warnings:?}");
    w.step(&[Command::Start]);
    while !w.run_over() {
        w.step(&[]);
    }
    assert_eq!(w.state(), ProgramState::Faulted);
    // pick.src line 8: the division inserted after LIN XPICK (line 7) in pick_part.
    let last = w.messages().last().unwrap();
    assert!(last.text.starts_with("pick.src line 8: division by zero"), "{}", last.text);
}

#[test]
fn a_multi_module_session_replays_from_its_recording_alone() {
    let dir = copy_multi("rec");
    let loaded = Scenario::load(&dir.join("cell.ron")).unwrap();
    let (mut w, _) = World::new(loaded).unwrap();
    w.start_recording();
    w.run_to_end();
    let rec = w.recording().unwrap();
    // The modules on disk change; the recording holds their texts.
    std::fs::write(dir.join("pick.src"), "DEF pick( )\nEND\n").unwrap();
    let back = robocell::sim::record::Recording::parse("rec.ron", &rec.to_ron()).unwrap();
    assert_eq!(back.modules.len(), rec.modules.len());
    assert!(matches!(back.replay(), Ok(robocell::sim::record::Replay::Identical { .. })));
}

#[test]
fn a_scenario_names_a_folder_of_modules_and_the_main_one() {
    // tests/multi/folder.ron: `program: "."` with `main: Some("cell_main")`.
    let w = run(&root().join("tests/multi/folder.ron"));
    assert!(w.grade_this_run().full_marks(), "{:#?}", w.grade_this_run());
    assert!(w.loaded().src_path.ends_with("cell_main.src"));
    // Without `main`, the folder cannot be read as a program: the hint says what to add.
    let dir = copy_multi("nomain");
    let text = std::fs::read_to_string(dir.join("folder.ron")).unwrap().replace("    main: Some(\"cell_main\"),\n", "");
    std::fs::write(dir.join("folder.ron"), text).unwrap();
    let d = Scenario::load(&dir.join("folder.ron")).unwrap_err();
    assert!(d[0].hint.as_deref().unwrap_or("").contains("`program` names a folder"), "{:?}", d[0]);
}

#[test]
fn a_motion_stopped_in_the_main_run_names_its_own_module() {
    // pick_part's CIRC over the robot's base runs into a software limit on its way. By then the
    // advance run has gone on into place.src; the stop still names pick.src and the CIRC's line.
    let dir = copy_multi("limit");
    let pick = std::fs::read_to_string(dir.join("pick.src")).unwrap();
    let circ = "  PTP {X 150, Y 1, Z 700, A 0, B 0, C 180, S 2}\n  CIRC {X 0, Y 60, Z 700, A 0, B 0, C 180}, {X -150, Y 1, Z 700, A 0, B 0, C 180}\n";
    std::fs::write(dir.join("pick.src"), pick.replace("  grip(TRUE)\n  LIN XABOVE_PICK\n", &format!("  grip(TRUE)\n{circ}"))).unwrap();
    let loaded = Scenario::load(&dir.join("cell.ron")).unwrap();
    let (mut w, _) = World::new(loaded).unwrap();
    w.step(&[Command::Start]);
    while !w.run_over() {
        w.step(&[]);
    }
    assert_eq!(w.state(), ProgramState::Faulted);
    let last = w.messages().last().unwrap();
    // pick.src: the CIRC is line 10 (after the PTP on line 9).
    assert!(last.text.starts_with("pick.src line 10: Software limit switch"), "{}", last.text);
    assert_eq!(last.line, Some(10));
}

#[test]
fn a_breakpoint_in_another_module_stops_there_and_the_pointers_name_that_module() {
    use robocell::sim::world::Command;
    let loaded = Scenario::load(&root().join("tests/multi/cell.ron")).unwrap();
    let (mut w, _) = World::new(loaded).unwrap();
    // pick.src line 8: `grip(TRUE)` inside pick_part, after LIN XPICK.
    let ev = w.step(&[Command::SetBreakpoint { file: Some("pick.src".into()), line: 8, on: true }]);
    assert!(ev.is_empty(), "{ev:?}");
    let ev = w.step(&[Command::SetBreakpoint { file: Some("nope.src".into()), line: 3, on: true }]);
    assert!(format!("{ev:?}").contains("No module nope.src"), "{ev:?}");
    w.step(&[Command::Start]);
    for _ in 0..50_000 {
        if w.state() != ProgramState::Running {
            break;
        }
        w.step(&[]);
    }
    assert_eq!(w.state(), ProgramState::Stopped, "{:?}", w.messages());
    assert_eq!(w.controller().advance_pointer(), (Some("pick.src".to_string()), 8));
    assert_eq!(w.controller().breakpoints(), vec![(Some("pick.src".to_string()), 8)]);
    let stack: Vec<String> = w.controller().call_stack().into_iter().map(|f| f.0).collect();
    assert_eq!(stack.last().map(String::as_str), Some("PICK_PART"), "{stack:?}");
    // The gripper is not closed yet: the breakpoint stopped before grip(TRUE).
    assert!(!w.io.outputs[2]);
}
