//! Ten simulated minutes of the default cell picking parts into a draining bin: nothing lost,
//! nothing stalled, nothing not finite (the hour-long soak is `robocell bench`).

use robocell::bench::{soak, soak_cell};

use super::root;

#[test]
fn ten_minutes_of_picking_lose_and_stall_nothing() {
    let loaded = soak_cell(&root().join("scenarios/pick_and_place.ron"), 600.0, true).unwrap();
    let r = soak(loaded, 600.0).unwrap();
    assert_eq!((r.lost, r.stalled, r.nan), (0, 0, 0), "{:#?}", r.findings);
    // A part every 5 to 6 s from 0.5 s on: between 600 / 6 and 600 / 5 of them.
    assert!((100..=120).contains(&r.spawned), "{r:?}");
    // Each is picked and drained; at most the last two are still on their way.
    assert!(r.delivered + 2 >= r.spawned, "{r:?}");
}

#[test]
fn the_soak_reports_a_part_that_stalls_or_leaves_the_cell() {
    // A belt that runs at 0 mm/s: its motor is on, the part on it never moves.
    let mut l = soak_cell(&root().join("scenarios/pick_and_place.ron"), 20.0, true).unwrap();
    l.scenario.conveyors[0].speed_mm_s = 0.0;
    let r = soak(l, 20.0).unwrap();
    assert!(r.stalled >= 1 && r.lost == 0, "{r:?}");
    assert!(r.findings[0].contains("stalled on a running belt"), "{:?}", r.findings);
    // The same cell with the belt moved 4.5 m away: its parts are outside the cell.
    let mut l = soak_cell(&root().join("scenarios/pick_and_place.ron"), 20.0, true).unwrap();
    for c in &mut l.scenario.conveyors {
        c.from.x += 4500.0;
        c.to.x += 4500.0;
    }
    l.scenario.light_barriers.clear();
    let r = soak(l, 20.0).unwrap();
    assert!(r.lost >= 1, "{r:?}");
    assert!(r.findings[0].contains("outside the cell"), "{:?}", r.findings);
}

/// The bench's pile: every cube dropped off the belt's end comes to rest above the floor, in
/// the tote or on the heap, and once the belt stops they all sleep (what keeps a pile cheap).
#[test]
fn a_pile_of_parts_comes_to_rest_and_sleeps() {
    use robocell::sim::world::{Command, World};
    let n = 30;
    let (mut w, _) = World::new(robocell::bench::pile_cell(&root().join("scenarios/pick_and_place.ron"), n).unwrap()).unwrap();
    w.step(&[Command::Start]);
    while w.time_s() < robocell::bench::pile_seconds(n) {
        w.step(&[]);
    }
    assert_eq!(w.parts_awake(), (n as usize, 0), "all {n} parts in the cell, none awake");
    for p in w.parts() {
        let z = p.pose.translation.vector.z;
        // A 50 mm cube rests with its centre at least 25 mm up (on the floor); the tote's floor is above that.
        assert!(z >= 24.0, "part {} sank to z {z:.1}", p.id);
    }
    assert!(w.delivered() as usize >= n as usize / 2, "most lie in the tote: {}", w.delivered());
}
