//! The replay viewer's timeline: a copied world runs on exactly as the original, any step of a
//! recording is reached from its keyframes as a run from the start reaches it, and the markers
//! sit on the steps where the events happened.

use robocell::sim::record::Recording;
use robocell::sim::timeline::{MarkerKind, Timeline};
use robocell::sim::world::{Command, Event, ProgramState, World};

use super::{default_scenario, root};

#[test]
fn a_copied_world_runs_on_exactly_as_the_original() {
    let (mut a, _) = World::new(default_scenario()).unwrap();
    a.step(&[Command::Start]);
    // Parts on the belt, the robot moving, contacts in rapier's narrow phase.
    for _ in 0..1500 {
        a.step(&[]);
    }
    assert!(!a.parts().is_empty());
    let mut b = a.clone();
    for i in 0..2500 {
        let cmds = if i == 900 { vec![Command::SetOverride(40)] } else { vec![] };
        assert_eq!(a.step(&cmds), b.step(&cmds), "step {i} after the copy");
    }
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert!(a.delivered() > 0, "the run went on to deliver parts");
}

/// The default cell running `tests/krl/collision.src`, recorded with its Start and an override
/// change; returns the recording, each step's fingerprint after it and the step with the collision.
fn collision_session() -> (Recording, Vec<u64>, u64) {
    let mut loaded = default_scenario();
    let file = root().join("tests/krl/collision.src");
    loaded.src = std::fs::read_to_string(&file).unwrap();
    loaded.src_path = file;
    loaded.dat = None;
    loaded.scenario.variants.clear();
    let (mut world, _) = World::new(loaded).unwrap();
    assert!(world.start_recording());
    let mut prints = vec![world.fingerprint()];
    let mut collision = None;
    let mut step = 0;
    while world.state() != ProgramState::Faulted || step < collision.unwrap_or(0) + 300 {
        let cmds = match step {
            0 => vec![Command::Start],
            200 => vec![Command::SetOverride(80)],
            _ => vec![],
        };
        let ev = world.step(&cmds);
        if collision.is_none() && ev.iter().any(|e| matches!(e, Event::Collision { .. })) {
            collision = Some(step);
        }
        prints.push(world.fingerprint());
        step += 1;
        assert!(step < 20_000, "the robot never hit the belt");
    }
    (world.recording().unwrap(), prints, collision.unwrap())
}

#[test]
fn any_step_is_reached_from_the_keyframes_as_a_run_from_the_start_reaches_it() {
    let (rec, prints, _) = collision_session();
    let tl = Timeline::build(&rec).unwrap();
    assert_eq!(tl.steps as usize + 1, prints.len());
    let n = tl.steps;
    assert!(n > 510, "the session spans three keyframes: {n} steps");
    for to in [0, 1, 199, 200, 201, 250, 251, 499, 500, 501, n / 2, n - 1, n] {
        assert_eq!(tl.world_at(to).fingerprint(), prints[to as usize], "world_at({to})");
    }
    // Scrubbing back and forth from where the viewer stands.
    let mut w = tl.world_at(0);
    let mut at = 0;
    for to in [n - 5, 40, 41, 505, n, 3, n / 3, n / 3 + 260] {
        let mut ran = 0;
        tl.seek(&mut w, at, to, |_, _| ran += 1);
        assert_eq!(w.fingerprint(), prints[to as usize], "seek {at} -> {to}");
        // Never more steps than from the keyframe before the target (64 keyframes at most,
        // 250 steps apart at least).
        assert!(ran <= 250.max(tl.steps.div_ceil(64)), "seek {at} -> {to} ran {ran} steps");
        at = to;
    }
}

#[test]
fn markers_sit_where_the_events_happened_and_the_failure_is_the_collision() {
    let (rec, _, collision) = collision_session();
    let tl = Timeline::build(&rec).unwrap();
    let of = |k: MarkerKind| tl.markers.iter().filter(|m| m.kind == k).map(|m| (m.step, m.text.clone())).collect::<Vec<_>>();
    assert_eq!(of(MarkerKind::Command), vec![(0, "Start".to_string()), (200, "SetOverride(80)".to_string())]);
    let hits = of(MarkerKind::Collision);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].0, collision);
    assert!(hits[0].1.contains("tool touched conveyor infeed"), "{hits:?}");
    // The controller's fault message in the same step, with its text.
    assert!(of(MarkerKind::Fault).iter().any(|(s, t)| *s == collision && t.starts_with("Collision: robot tool")), "{:?}", tl.markers);
    // The default scenario's safety objective fails: the viewer opens after the collision's step.
    assert!(tl.grade.objectives.iter().any(|o| !o.passed));
    assert_eq!(tl.failure(), Some(collision + 1));
    assert_eq!(tl.world_at(collision + 1).state(), ProgramState::Faulted);
    assert_ne!(tl.world_at(collision).state(), ProgramState::Faulted);
}

#[test]
fn a_run_that_passes_has_no_failure_and_its_deliveries_are_marked() {
    let (mut world, _) = World::new(default_scenario()).unwrap();
    world.start_recording();
    let rec_run = world.run_to_end();
    let rec = world.recording().unwrap();
    let tl = Timeline::build(&rec).unwrap();
    assert!(tl.grade.objectives.iter().all(|o| o.passed), "{:#?}", tl.grade);
    assert_eq!(tl.failure(), None);
    let delivered = tl.markers.iter().filter(|m| m.kind == MarkerKind::Delivered).count();
    assert_eq!(delivered, rec_run.obs.parts.iter().filter(|p| p.delivered.is_some()).count());
    assert!(delivered > 0);
}
