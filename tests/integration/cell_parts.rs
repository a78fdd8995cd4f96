//! Part types, the type sensor, bins that drain, and the Sort and typed Deliver objectives, with
//! expected values from the scenario's own definitions and the parts' spawn events.

use robocell::sim::cell::physics::PartState;
use robocell::sim::exercise::{self, ObjectiveKind, ObjectiveSpec};
use robocell::sim::scenario::{Loaded, PartSource, Scenario};
use robocell::sim::world::{Command, Event, ProgramState, World};

use super::root;

fn sort_scenario() -> Loaded {
    Scenario::load(&root().join("scenarios/sort_by_type.ron")).unwrap_or_else(|d| panic!("{}", d[0]))
}

/// Runs to the end and returns the events of every step.
fn run_all(loaded: Loaded) -> (World, Vec<Event>) {
    let (mut w, warnings) = World::new(loaded).unwrap_or_else(|d| panic!("{}", d[0]));
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut all = w.step(&[Command::Start]);
    while !w.run_over() {
        all.extend(w.step(&[]));
    }
    for _ in 0..600 {
        all.extend(w.step(&[]));
    }
    (w, all)
}

fn kinds(events: &[Event]) -> Vec<usize> {
    events.iter().filter_map(|e| if let Event::PartSpawned { kind, .. } = e { Some(*kind) } else { None }).collect()
}

#[test]
fn a_sequence_spawns_its_types_in_turn_and_a_mix_spawns_both() {
    let mut l = sort_scenario();
    l.scenario.spawners[0].parts = PartSource::Sequence(vec!["red cube".into(), "blue cylinder".into(), "blue cylinder".into()]);
    l.scenario.spawners[0].count = 6;
    let (w, ev) = run_all(l);
    // part_types lists the red cube first (0), the blue cylinder second (1).
    assert_eq!(w.part_types()[0].name, "red cube");
    assert_eq!(kinds(&ev), [0, 1, 1, 0, 1, 1]);
    let mut l = sort_scenario();
    l.scenario.spawners[0].count = 12;
    l.scenario.time_limit_s = 120.0;
    l.src = l.src.replace("WHILE parts < 6", "WHILE parts < 12");
    let (_, ev) = run_all(l);
    let k = kinds(&ev);
    assert_eq!(k.len(), 12);
    assert!(k.contains(&0) && k.contains(&1), "{k:?}");
}

#[test]
fn the_type_sensor_reports_the_code_of_the_part_at_the_end_stop() {
    // The codes the scenario gives: red cube 1, blue cylinder 2; inputs 3 (bit 0) and 4 (bit 1).
    let code_of_kind = [1, 2];
    let (mut w, _) = World::new(sort_scenario()).unwrap();
    let mut seen: Vec<usize> = Vec::new();
    let mut rises = 0;
    let mut ev = w.step(&[Command::Start]);
    while !w.run_over() {
        if ev.iter().any(|e| matches!(e, Event::Input { n: 1, value: true })) {
            rises += 1;
            // The barrier sees the part furthest along the belt (towards +Y, the end stop).
            let front = w
                .parts()
                .into_iter()
                .filter(|p| p.state == PartState::Free)
                .max_by(|a, b| a.pose.translation.y.total_cmp(&b.pose.translation.y));
            let p = front.expect("a part at the barrier");
            let code = w.io.inputs[3] as u32 | (w.io.inputs[4] as u32) << 1;
            assert_eq!(code, code_of_kind[p.kind], "part {}", p.id + 1);
            if !seen.contains(&p.id) {
                seen.push(p.id);
            }
        }
        ev = w.step(&[]);
    }
    // One rise per part: a cylinder's round front grazing the beam does not make it flicker.
    assert_eq!((seen.len(), rises), (6, 6));
    // No part in front: both inputs are back at 0.
    assert!(!w.io.inputs[3] && !w.io.inputs[4]);
}

#[test]
fn cylinders_ride_the_belt_upright_and_are_sorted_into_drained_bins() {
    let (w, ev) = run_all(sort_scenario());
    assert_eq!(w.state(), ProgramState::Finished, "{:?}", w.messages());
    let delivered: Vec<(usize, &str)> =
        ev.iter().filter_map(|e| if let Event::PartDelivered { id, bin, .. } = e { Some((*id, bin.as_str())) } else { None }).collect();
    let k = kinds(&ev);
    assert_eq!(delivered.len(), 6);
    for (id, bin) in &delivered {
        assert_eq!(*bin, if k[*id] == 0 { "red" } else { "blue" }, "part {}", id + 1);
    }
    // Each bin drains: every part is gone.
    assert!(w.parts().is_empty(), "{:?}", w.parts().len());
    assert_eq!(ev.iter().filter(|e| matches!(e, Event::PartDrained { .. })).count(), 6);
}

#[test]
fn drained_parts_leave_one_second_after_they_were_counted() {
    let (mut w, _) = World::new(sort_scenario()).unwrap();
    let mut counted = Vec::new();
    let mut drained = Vec::new();
    let mut evs = w.step(&[Command::Start]);
    while !w.run_over() {
        for e in &evs {
            match e {
                Event::PartDelivered { id, .. } => counted.push((*id, w.tick())),
                Event::PartDrained { id } => drained.push((*id, w.tick())),
                _ => {}
            }
        }
        evs = w.step(&[]);
    }
    assert!(!drained.is_empty());
    for (id, t) in &drained {
        let (_, c) = counted.iter().find(|(i, _)| i == id).expect("counted first");
        // drain_s 1.0 at 4 ms per tick: 250 ticks.
        assert_eq!(t - c, 250, "part {}", id + 1);
    }
}

fn sort_only(penalty: f64) -> ObjectiveSpec {
    let mut bins = std::collections::BTreeMap::new();
    bins.insert("red cube".to_string(), "red".to_string());
    bins.insert("blue cylinder".to_string(), "blue".to_string());
    ObjectiveSpec {
        title: "sort".into(),
        points: 60.0,
        gate: false,
        kind: ObjectiveKind::Sort { bins, count: 6, penalty },
        hint: String::new(),
    }
}

#[test]
fn sort_counts_right_bins_and_charges_for_wrong_ones() {
    // Everything into the red bin: the red cubes are right, every blue cylinder is wrong.
    let mut l = sort_scenario();
    l.scenario.variants.clear();
    l.scenario.objectives = vec![sort_only(10.0)];
    l.src = l.src.replace("PTP XABOVE_BLUE", "PTP XABOVE_RED");
    let (g, runs) = exercise::grade_program(&l, true).unwrap();
    let reds = runs[0].obs.parts.iter().filter(|p| p.kind == 0).count() as f64;
    let blues = 6.0 - reds;
    assert!(reds > 0.0 && blues > 0.0, "the seed gives both types");
    // 60 points * reds / 6, less 10 per blue cylinder, never below 0.
    let want = (60.0 * reds / 6.0 - 10.0 * blues).max(0.0);
    assert_eq!(g.objectives[0].points, want, "{:#?}", g.objectives[0]);
    assert!(
        g.objectives[0].explanation.contains(&format!("{reds} of 6 part(s) sorted into the right bin")),
        "{}",
        g.objectives[0].explanation
    );
    assert!(g.objectives[0].explanation.contains("(blue cylinder) came to rest in bin `red`"), "{}", g.objectives[0].explanation);
    // The solution sorts all 6.
    let mut l = sort_scenario();
    l.scenario.variants.clear();
    l.scenario.objectives = vec![sort_only(10.0)];
    assert!(exercise::grade_program(&l, true).unwrap().0.full_marks());
}

#[test]
fn deliver_can_ask_for_one_part_type() {
    let mut l = sort_scenario();
    l.scenario.variants.clear();
    let reds_wanted = ObjectiveKind::Deliver { count: 6, bin: None, part_type: Some("red cube".into()) };
    l.scenario.objectives = vec![ObjectiveSpec { title: "reds".into(), points: 12.0, gate: false, kind: reds_wanted, hint: String::new() }];
    let (g, runs) = exercise::grade_program(&l, true).unwrap();
    let reds = runs[0].obs.parts.iter().filter(|p| p.kind == 0).count() as f64;
    assert_eq!(g.objectives[0].points, (12.0 * reds / 6.0 * 100.0).round() / 100.0, "{:#?}", g.objectives[0]);
    assert!(g.objectives[0].explanation.contains("part(s) of type `red cube`"), "{}", g.objectives[0].explanation);
}

#[test]
fn bad_part_types_and_sensors_are_refused_with_their_lines() {
    let path = root().join("scenarios/sort_by_type.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    let bad = text
        .replace("colour: \"red\"", "colour: \"purplish\"")
        .replace("Mix([(\"red cube\", 1)", "Mix([(\"green cube\", 1)")
        .replace("\"blue cylinder\": 2}", "\"blue cylinder\": 4}");
    let sc = Scenario::parse("bad.ron", &bad).unwrap();
    let errs = sc.validate("bad.ron", &bad);
    let line = |needle: &str| bad.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1;
    let has = |msg: &str, l: u32| errs.iter().any(|d| d.message.contains(msg) && d.span.line == l);
    assert!(has("unknown colour `purplish`", line("purplish")), "{errs:#?}");
    assert!(has("no part type named `green cube`", line("green cube")), "{errs:#?}");
    // Two inputs hold codes 1..3.
    assert!(has("code 4 of `blue cylinder` must be 1..3", line("type_sensors") + 1), "{errs:#?}");
}

#[test]
fn pallet_slots_lie_on_the_pallet_frame_worked_out_by_hand() {
    use robocell::sim::scenario::{PalletSpec, Point};
    // Turned 90 degrees: a row runs along world +Y, rows step along world -X.
    let p = PalletSpec {
        name: "P".into(),
        origin: Point { x: 100.0, y: 200.0, z: 50.0 },
        yaw_deg: 90.0,
        rows: 2,
        columns: 3,
        pitch_mm: (80.0, 60.0),
        thickness_mm: 20.0,
        base: Some(3),
    };
    let slots = p.slots();
    let at = |n: &str| slots.iter().find(|s| s.0 == n).unwrap().1;
    let near = |a: nalgebra::Vector3<f64>, b: [f64; 3]| (a - nalgebra::Vector3::from(b)).norm() < 1e-9;
    assert_eq!(slots.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(), ["A1", "A2", "A3", "B1", "B2", "B3"]);
    // A3: 2 pitches (160 mm) along the pallet's X = world +Y.
    assert!(near(at("A3"), [100.0, 360.0, 50.0]), "{:?}", at("A3"));
    // B2: 80 along world +Y, 60 along the pallet's Y = world -X.
    assert!(near(at("B2"), [40.0, 280.0, 50.0]), "{:?}", at("B2"));
}

fn pallet_scenario() -> Loaded {
    Scenario::load(&root().join("scenarios/palletize.ron")).unwrap_or_else(|d| panic!("{}", d[0]))
}

#[test]
fn the_pallet_base_is_what_the_program_sees_and_parts_rest_on_the_pallet() {
    let mut l = pallet_scenario();
    l.src = l
        .src
        .replace("PTP XHOME\n  $OUT[1] = TRUE", "pb = BASE_DATA[2]\n  PTP XHOME\n  $OUT[1] = TRUE")
        .replace("DECL E6POS slot", "DECL E6POS slot\n  DECL FRAME pb");
    let (w, _) = run_all(l);
    assert_eq!(w.state(), ProgramState::Finished, "{:?}", w.messages());
    // The scenario puts slot A1 at (380, 400, 220), not turned.
    let Some(robocell::sim::krl::value::Value::Struct(pb)) = w.variable("PB") else { panic!("pb is a FRAME") };
    let f = |m: &str| pb.fields.iter().find(|(n, _)| n == m).and_then(|(_, v)| v.as_f64()).unwrap();
    assert_eq!([f("X"), f("Y"), f("Z"), f("A"), f("B"), f("C")], [380.0, 400.0, 220.0, 0.0, 0.0, 0.0]);
    // Six cubes on the pallet's top (z 220): centres 25 mm up, none sunk or tipped.
    let parts = w.parts();
    assert_eq!(parts.len(), 6);
    for p in &parts {
        assert!((p.pose.translation.z - 245.0).abs() < 1.0, "part {} at z {:.2}", p.id + 1, p.pose.translation.z);
    }
}

#[test]
fn place_on_a_pallet_wants_the_slots_in_order() {
    // Row B first: each cube lands in a slot, but B1..B3 are filled before A1..A3.
    let mut l = pallet_scenario();
    l.scenario.variants.clear();
    l.src = l.src.replace("row = n / 3", "row = 1 - n / 3").replace("col = n - row * 3", "col = n - (n / 3) * 3");
    let (g, _) = exercise::grade_program(&l, true).unwrap();
    let o = &g.objectives[0];
    // In order means the release times rise along A1, A2, A3, B1, B2, B3. Placed 4th, 5th, 6th,
    // A1..A3 rise; B1 (placed 1st) comes earlier than A3, and so do B2 and B3: out of order.
    assert!(!o.passed, "{o:#?}");
    assert!(o.explanation.contains("on B1 was placed out of order"), "{}", o.explanation);
    assert_eq!(o.points, 30.0, "A1..A3 right, B1..B3 out of order: 3 of 6 of 60 points");
}
