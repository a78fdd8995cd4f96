//! Recordings replay a session exactly: operator commands included, after the files on disk
//! changed; a changed recording diverges where it was changed; bad files are refused clearly.

use std::path::PathBuf;

use robocell::sim::record::{Recording, Replay};
use robocell::sim::scenario::{OperatingMode, Scenario};
use robocell::sim::world::{Command, World};

use super::{default_scenario, root};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("robocell-rec-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The operator's session: start, override down, stop, start again, T1, reset, start again.
const SESSION: &[(u64, Command)] = &[
    (0, Command::Start),
    (300, Command::SetOverride(50)),
    (800, Command::Stop),
    (1000, Command::SetOverride(100)),
    (1001, Command::Start),
    (1500, Command::SetMode(OperatingMode::T1)),
    (2200, Command::Reset),
    (2201, Command::SetMode(OperatingMode::AUT)),
    (2202, Command::Start),
];

fn record_session(loaded: robocell::sim::scenario::Loaded, steps: u64) -> Recording {
    let (mut world, _) = World::new(loaded).unwrap();
    assert!(world.start_recording());
    for step in 0..steps {
        let cmds: Vec<Command> = SESSION.iter().filter(|(s, _)| *s == step).map(|(_, c)| c.clone()).collect();
        world.step(&cmds);
    }
    world.recording().expect("recording")
}

#[test]
fn a_session_with_operator_commands_replays_bit_identically() {
    let rec = record_session(default_scenario(), 4000);
    assert_eq!(rec.steps, 4000);
    assert_eq!(rec.commands.len(), SESSION.len());
    // Start, Stop and Reset each change the program state, so their steps have events.
    for step in [0, 800, 2200] {
        assert!(rec.events.iter().any(|(s, _)| *s == step), "events at step {step}");
    }
    // Through the file and back, then replayed.
    let file = temp_dir("session").join("session.ron");
    rec.save(&file).unwrap();
    let back = Recording::load(&file).unwrap();
    assert_eq!(back, rec);
    assert_eq!(back.replay().unwrap(), Replay::Identical { steps: 4000 });
}

#[test]
fn only_a_world_that_never_stepped_can_be_recorded() {
    // After a Reset the tick is 0 again, but the override is kept: not the initial state.
    let (mut world, _) = World::new(default_scenario()).unwrap();
    world.step(&[Command::SetOverride(30)]);
    world.step(&[Command::Reset]);
    assert_eq!(world.tick(), 0);
    assert!(!world.start_recording());
    assert!(world.recording().is_none());
}

#[test]
fn a_recording_replays_after_the_program_on_disk_changed() {
    // A scenario and program in a folder of their own; record, then spoil the program file.
    let dir = temp_dir("changed");
    for f in ["pick_and_place.ron", "pick_place.src", "pick_place.dat"] {
        std::fs::copy(root().join("scenarios").join(f), dir.join(f)).unwrap();
    }
    let loaded = Scenario::load(&dir.join("pick_and_place.ron")).unwrap();
    let rec = record_session(loaded, 3000);
    std::fs::write(dir.join("pick_place.src"), "DEF pick_place( )\n  this is not KRL\nEND\n").unwrap();
    std::fs::write(dir.join("pick_and_place.ron"), "(broken").unwrap();
    assert!(Scenario::load(&dir.join("pick_and_place.ron")).is_err(), "the files on disk are spoilt");
    assert_eq!(rec.replay().unwrap(), Replay::Identical { steps: 3000 });
}

#[test]
fn a_changed_command_diverges_at_its_step() {
    let mut rec = record_session(default_scenario(), 2000);
    // The Stop at step 800 now comes at step 900: step 800 no longer stops the program.
    let stop = rec.commands.iter_mut().find(|c| c.command == Command::Stop).unwrap();
    assert_eq!(stop.step, 800);
    stop.step = 900;
    match rec.replay().unwrap() {
        Replay::Diverged { step, .. } => assert_eq!(step, 800),
        other => panic!("expected a divergence at step 800, got {other:?}"),
    }
    // Only the final state differs: the replay says so at the end.
    let mut rec = record_session(default_scenario(), 500);
    rec.fingerprint ^= 1;
    assert!(matches!(rec.replay().unwrap(), Replay::Diverged { step: 500, .. }));
}

#[test]
fn damaged_truncated_and_newer_recordings_are_refused_with_line_and_column() {
    let rec = record_session(default_scenario(), 300);
    let text = rec.to_ron();
    // Truncated in the middle of the command list.
    let cut = &text[..text.find("commands").unwrap() + 30];
    let errs = Recording::parse("cut.ron", cut).unwrap_err();
    let lines = cut.lines().count() as u32;
    assert!(errs[0].span.line >= lines - 1, "error at the cut (line {} of {lines}): {}", errs[0].span.line, errs[0]);
    assert!(errs[0].message.contains("not a valid recording"), "{}", errs[0]);
    // A field of the wrong kind (the recording's own seed, after the texts that hold one too).
    let at = text.rfind("\n    seed:").unwrap();
    let bad = format!("{}\n    seed: \"x\", old_seed:{}", &text[..at], &text[at + "\n    seed:".len()..]);
    let errs = Recording::parse("bad.ron", &bad).unwrap_err();
    let want = bad.lines().position(|l| l.contains("old_seed")).unwrap() as u32 + 1;
    assert_eq!(errs[0].span.line, want, "{}", errs[0]);
    // A newer format is named as such.
    let newer = text.replacen("format: 1,", "format: 2,", 1);
    let errs = Recording::parse("newer.ron", &newer).unwrap_err();
    assert!(errs[0].message.contains("recording format 2") && errs[0].message.contains("reads format 1"), "{}", errs[0]);
    assert_eq!(errs[0].span.line, newer.lines().position(|l| l.contains("format: 2")).unwrap() as u32 + 1);
}
