use robocell::sim::world::{Command, Event, World};

use super::default_scenario;

fn run(ticks: u64) -> (Vec<u64>, Vec<Event>) {
    let (mut cell, _) = World::new(default_scenario()).unwrap();
    let mut prints = Vec::new();
    let mut events = cell.step(&[Command::Start]);
    for t in 0..ticks {
        events.extend(cell.step(&[]));
        if t % 50 == 0 {
            prints.push(cell.fingerprint());
        }
    }
    (prints, events)
}

#[test]
fn same_scenario_twice_is_bit_identical() {
    let (a, ea) = run(4000);
    let (b, eb) = run(4000);
    assert_eq!(a, b);
    assert_eq!(ea, eb);
    assert!(ea.iter().any(|e| matches!(e, Event::PartDelivered { .. })), "the run got as far as a delivery");
}

#[test]
fn another_seed_changes_the_run() {
    let mut loaded = default_scenario();
    let (mut a, _) = World::new(loaded.clone()).unwrap();
    loaded.scenario.seed = 7;
    let (mut b, _) = World::new(loaded).unwrap();
    for _ in 0..1500 {
        a.step(&[]);
        b.step(&[]);
    }
    assert_ne!(a.fingerprint(), b.fingerprint());
}

#[test]
fn reset_returns_to_the_initial_state() {
    let (mut cell, _) = World::new(default_scenario()).unwrap();
    let fresh = cell.fingerprint();
    cell.step(&[Command::Start]);
    for _ in 0..800 {
        cell.step(&[]);
    }
    assert_ne!(cell.fingerprint(), fresh);
    cell.step(&[Command::Reset]);
    assert_eq!(cell.time_s(), 0.0);
    assert_eq!(cell.axes_deg(), cell.model().home_deg);
    assert!(cell.parts().is_empty());
    assert_eq!(cell.fingerprint(), fresh, "the whole state is back, physics included");
    // And it runs again exactly as a fresh world does.
    let (mut other, _) = World::new(default_scenario()).unwrap();
    cell.step(&[Command::Start]);
    other.step(&[Command::Start]);
    for _ in 0..800 {
        cell.step(&[]);
        other.step(&[]);
    }
    assert_eq!(cell.fingerprint(), other.fingerprint());
}
