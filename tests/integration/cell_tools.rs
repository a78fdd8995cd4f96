//! The parallel gripper, the pen, presence and distance sensors, a reversing belt and tool
//! numbers, with expected values worked out by hand from the scenario's geometry.

use robocell::sim::exercise::{self, ObjectiveKind, ObjectiveSpec};
use robocell::sim::krl::value::Value;
use robocell::sim::math::Frame;
use robocell::sim::scenario::{GripperSpec, Loaded, Point, Scenario, SensorKind, SensorSpec, TableSpec};
use robocell::sim::world::{Command, Event, ProgramState, World};

use super::{default_scenario, root, strip_cell};

fn load(name: &str) -> Loaded {
    Scenario::load(&root().join("scenarios").join(name)).unwrap_or_else(|d| panic!("{}", d[0]))
}

fn run_until(w: &mut World, max_ticks: usize, pred: impl Fn(&World, &[Event]) -> bool) -> bool {
    for _ in 0..max_ticks {
        let ev = w.step(&[]);
        if pred(w, &ev) {
            return true;
        }
    }
    false
}

#[test]
fn the_parallel_gripper_closes_on_a_cube_and_holds_it_without_slipping() {
    let (mut w, _) = World::new(load("sort_to_pallet.ron")).unwrap();
    w.step(&[Command::Start]);
    assert!(run_until(&mut w, 5000, |_, ev| ev.iter().any(|e| matches!(e, Event::PartPicked { .. }))));
    // The tool's X (A 164) and the cube's x (yaw 90, along the belt) are 74 degrees apart: the
    // 50 mm cube is 50 (cos 74 + sin 74) = 61.84 mm wide across the jaws (the cube turns a
    // fraction of a degree on the belt: 0.5 mm).
    let want = 50.0 * (74f64.to_radians().cos() + 74f64.to_radians().sin());
    assert!((w.finger_gap().unwrap() - want).abs() < 0.5, "{:?} vs {want}", w.finger_gap());
    // Neither fully open ($IN[5]) nor fully closed ($IN[6]).
    w.step(&[]);
    assert!(!w.io.inputs[5] && !w.io.inputs[6]);
    let held = w.holding().unwrap();
    let rel = |w: &World| w.tcp_world().inverse() * w.parts().iter().find(|p| p.id == held).unwrap().pose;
    let r0 = rel(&w);
    for _ in 0..400 {
        w.step(&[]);
        if w.holding() != Some(held) {
            break;
        }
        let r = rel(&w);
        // rapier keeps poses in f32 metres: 0.001 mm is its resolution here, not a slip.
        assert!(
            (r.translation.vector - r0.translation.vector).norm() < 1e-3,
            "the cube slipped in the fingers: {:?} -> {:?}",
            r0.translation,
            r.translation
        );
    }
}

fn gripper_cell(part_mm: f64) -> World {
    let mut l = load("sort_to_pallet.ron");
    l.scenario.part_types[0].size_mm = (part_mm, part_mm, 50.0);
    l.scenario.part_types[1].size_mm = (part_mm, part_mm, 50.0);
    l.src = "DEF sort_to_pallet( )
  BAS(#INITMOV, 0)
  PTP XHOME
  $OUT[3] = TRUE
  WAIT FOR $IN[5]
  $OUT[1] = TRUE
  WAIT FOR $IN[1]
  PTP XABOVE_PICK
  LIN XPICK
  $OUT[3] = FALSE
  $OUT[2] = TRUE
  WAIT SEC 1.0
END
"
    .into();
    World::new(l).unwrap().0
}

#[test]
fn closing_on_nothing_ends_closed_and_a_too_wide_part_stops_the_fingers() {
    // On nothing, at the start: 80 mm in 0.3 s, 1.0667 mm per 4 ms tick. The Start tick and 30
    // more close it for 31 ticks: 80 - 31 * 1.0667 = 46.93 mm open; fully closed after 0.3 s.
    let mut l = load("sort_to_pallet.ron");
    l.src = "DEF sort_to_pallet( )\n  $OUT[2] = TRUE\n  WAIT SEC 1.0\nEND\n".into();
    let (mut w, _) = World::new(l).unwrap();
    assert_eq!(w.finger_gap(), Some(80.0));
    w.step(&[Command::Start]);
    for _ in 0..30 {
        w.step(&[]);
    }
    assert!((w.finger_gap().unwrap() - (80.0 - 31.0 * 80.0 / 0.3 * 0.004)).abs() < 1e-9, "{:?}", w.finger_gap());
    for _ in 0..60 {
        w.step(&[]);
    }
    assert_eq!(w.finger_gap(), Some(0.0));
    assert!(w.io.inputs[6] && !w.io.inputs[5], "closed on nothing: $IN[6] TRUE");
    // A 100 mm cube, wider than the 80 mm stroke, lies between the fingertips' reach: they stop
    // at once, nothing is held, and "closed" stays FALSE.
    let mut w = gripper_cell(100.0);
    w.step(&[Command::Start]);
    let mut picked = false;
    while w.state() == ProgramState::Running && w.time_s() < 30.0 {
        picked |= w.step(&[]).iter().any(|e| matches!(e, Event::PartPicked { .. }));
    }
    assert!(!picked);
    assert_eq!(w.finger_gap(), Some(80.0));
    assert!(!w.io.inputs[6]);
}

/// A pen cell: a drawing table whose top is at z 200 around (500, 0).
fn pen_cell(src: &str, objectives: Vec<ObjectiveSpec>) -> Loaded {
    let mut l = default_scenario();
    strip_cell(&mut l);
    l.scenario.gripper = GripperSpec::Pen;
    l.scenario.tool.tcp = Frame::new(0.0, 0.0, 150.0, 0.0, 0.0, 0.0);
    l.scenario.tables = vec![TableSpec {
        name: "paper".into(),
        center: Point { x: 500.0, y: 0.0, z: 0.0 },
        size_mm: (400.0, 400.0, 200.0),
        yaw_deg: 0.0,
        drawing: true,
    }];
    l.scenario.objectives = objectives;
    l.src = src.into();
    l.src_path = "generated.src".into();
    l.dat = None;
    l
}

/// Draws a line from (450, -50) to (550, -50) on the paper, lifts the pen 50 mm, moves to
/// (450, 50) and draws to (550, 50).
const DRAW: &str = "DEF generated( )
  PTP {X 450, Y -50, Z 250, A 0, B 0, C 180, S 2}
  LIN {X 450, Y -50, Z 200, A 0, B 0, C 180}
  LIN {X 550, Y -50, Z 200, A 0, B 0, C 180}
  LIN {X 550, Y -50, Z 250, A 0, B 0, C 180}
  LIN {X 450, Y 50, Z 250, A 0, B 0, C 180}
  LIN {X 450, Y 50, Z 200, A 0, B 0, C 180}
  LIN {X 550, Y 50, Z 200, A 0, B 0, C 180}
  LIN {X 550, Y 50, Z 250, A 0, B 0, C 180}
END
";

fn path(polyline: Vec<(f64, f64, f64)>) -> ObjectiveSpec {
    let polyline = polyline.into_iter().map(|(x, y, z)| Point { x, y, z }).collect();
    ObjectiveSpec {
        title: "draw".into(),
        points: 10.0,
        gate: false,
        kind: ObjectiveKind::Path { tolerance_mm: 1.0, points: vec![], polyline, arc: None, base: None },
        hint: String::new(),
    }
}

#[test]
fn the_pen_draws_where_it_touches_and_path_objectives_see_only_the_ink() {
    let l = pen_cell(DRAW, vec![]);
    let (mut w, _) = World::new(l).unwrap();
    w.step(&[Command::Start]);
    while w.state() == ProgramState::Running {
        w.step(&[]);
    }
    let (trail, strokes) = w.trail();
    // Two strokes, each along its line at the table's top (z 200).
    assert_eq!(strokes.len(), 2, "{strokes:?}");
    assert!(trail.iter().all(|(_, p)| (p.z - 200.0).abs() <= 1.0 && (p.y.abs() - 50.0).abs() < 1e-6), "off the lines");
    // Both drawn lines pass; the pen-up move between them (550, -50) -> (450, 50) was not drawn.
    let drawn = path(vec![(450.0, -50.0, 200.0), (550.0, -50.0, 200.0)]);
    let second = path(vec![(450.0, 50.0, 200.0), (550.0, 50.0, 200.0)]);
    let travel = path(vec![(550.0, -50.0, 200.0), (450.0, 50.0, 200.0)]);
    let g = exercise::grade_program(&pen_cell(DRAW, vec![drawn, second, travel]), true).unwrap().0;
    assert!(g.objectives[0].passed && g.objectives[1].passed, "{g:#?}");
    // Only the ends of the diagonal travel (where the strokes end and begin) carry ink.
    assert!(g.objectives[2].points < 1.0, "{:#?}", g.objectives[2]);
}

#[test]
fn presence_and_distance_sensors_see_parts_on_the_belt() {
    let mut l = default_scenario();
    // Looking down on the belt's centre line, 600 mm along it, from 150 mm above the belt (z 400).
    let down = Point { x: 0.0, y: 0.0, z: -1.0 };
    let at = Point { x: 620.0, y: -400.0, z: 400.0 };
    l.scenario.sensors = vec![
        SensorSpec { name: "over the belt".into(), kind: SensorKind::Presence { input: 9 }, at, direction: down, range_mm: 200.0 },
        SensorSpec { name: "height".into(), kind: SensorKind::Distance { analog: 2 }, at, direction: down, range_mm: 200.0 },
    ];
    // The program reads $ANIN[2] when the presence sensor sees a part.
    l.src = "DEF pick_place( )\n  DECL REAL seen\n  $OUT[1] = TRUE\n  WAIT FOR $IN[9]\n  seen = $ANIN[2]\nEND\n".into();
    let (mut w, _) = World::new(l).unwrap();
    assert_eq!(w.io.analog_in[2], 0.0);
    w.step(&[Command::Start]);
    w.step(&[]);
    assert_eq!(w.io.analog_in[2], 1.0, "nothing seen: the full range");
    while w.state() == ProgramState::Running {
        w.step(&[]);
    }
    // The cube's top is 50 mm over the belt: 150 - 50 = 100 mm from the sensor, of 200.
    let seen = w.variable("SEEN").and_then(Value::as_f64).unwrap();
    assert!((seen - 0.5).abs() < 0.005, "{seen}");
}

#[test]
fn a_reversing_belt_carries_parts_back_and_tool_data_holds_the_tool_at_its_number() {
    let mut l = default_scenario();
    l.scenario.conveyors[0].reverse_output = Some(6);
    l.src = "DEF pick_place( )\n  $OUT[1] = TRUE\n  WAIT SEC 3.0\n  $OUT[6] = TRUE\n  WAIT SEC 1.0\nEND\n".into();
    let (mut w, _) = World::new(l).unwrap();
    w.step(&[Command::Start]);
    run_until(&mut w, 2000, |w, _| w.time_s() >= 3.1);
    let y0 = w.parts()[0].pose.translation.y;
    run_until(&mut w, 2000, |w, _| w.time_s() >= 3.6);
    // Backwards (towards the belt's start at y -1000) at its 200 mm/s: about 100 mm in 0.5 s.
    let dy = w.parts()[0].pose.translation.y - y0;
    assert!((-110.0..-80.0).contains(&dy), "{dy}");
    // Tool number 2: TOOL_DATA[2] is the tool, TOOL_DATA[1] stays empty.
    let mut l = default_scenario();
    l.scenario.tool.number = 2;
    l.src = "DEF pick_place( )\n  DECL FRAME t1, t2\n  t1 = TOOL_DATA[1]\n  t2 = TOOL_DATA[2]\nEND\n".into();
    let (mut w, _) = World::new(l).unwrap();
    w.step(&[Command::Start]);
    run_until(&mut w, 100, |w, _| w.state() == ProgramState::Finished);
    let z = |n: &str| match w.variable(n) {
        Some(Value::Struct(s)) => s.fields.iter().find(|f| f.0 == "Z").and_then(|f| f.1.as_f64()).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!((z("T1"), z("T2")), (0.0, 160.0));
}

#[test]
fn a_full_bin_counts_no_more_and_says_so() {
    // Capacity 2: the third part lands in the bin but is not counted, and $IN[8] reads full.
    let mut l = default_scenario();
    l.scenario.bins[0].capacity = Some(2);
    l.scenario.bins[0].full_input = Some(8);
    let (mut w, _) = World::new(l).unwrap();
    let mut ev = w.step(&[Command::Start]);
    let mut delivered = 0;
    let mut full_when = None;
    while !w.run_over() || w.time_s() < 30.0 {
        delivered += ev.iter().filter(|e| matches!(e, Event::PartDelivered { .. })).count();
        if full_when.is_none() && w.io.inputs[8] {
            full_when = Some(delivered);
        }
        ev = w.step(&[]);
        if w.time_s() > 40.0 {
            break;
        }
    }
    assert_eq!((delivered, full_when), (2, Some(2)));
}

#[test]
fn a_stack_stands_from_the_start_and_an_e_stop_input_reports_the_circuit() {
    use robocell::sim::scenario::StackSpec;
    let mut l = default_scenario();
    l.scenario.stacks = vec![StackSpec { part_type: "cube".into(), at: Point { x: 400.0, y: 300.0, z: 0.0 }, count: 3, yaw_deg: 0.0 }];
    l.scenario.estop_input = Some(11);
    let (mut w, _) = World::new(l).unwrap();
    let ev = w.step(&[]);
    assert_eq!(ev.iter().filter(|e| matches!(e, Event::PartSpawned { .. })).count(), 3);
    assert!(w.io.inputs[11], "the circuit is closed");
    for _ in 0..500 {
        w.step(&[]);
    }
    // 50 mm cubes on the floor: centres at 25, 75 and 125 mm, none sunk, none fallen.
    let mut z: Vec<f64> = w.parts().iter().filter(|p| (p.pose.translation.x - 400.0).abs() < 5.0).map(|p| p.pose.translation.z).collect();
    z.sort_by(f64::total_cmp);
    assert_eq!(z.len(), 3);
    for (k, z) in z.iter().enumerate() {
        assert!((z - (25.0 + 50.0 * k as f64)).abs() < 1.0, "cube {k} at z {z}");
    }
    w.step(&[Command::EmergencyStop(true)]);
    w.step(&[]);
    assert!(!w.io.inputs[11], "E-STOP pressed: the circuit is open");
}

#[test]
fn parts_fall_off_an_open_belt_end_into_the_bin_below() {
    // The belt ends over the bin's middle, 200 mm up: no end stop.
    let mut l = default_scenario();
    let c = &mut l.scenario.conveyors[0];
    c.end_stop = false;
    c.from = Point { x: 150.0, y: -300.0, z: 200.0 };
    c.to = Point { x: 150.0, y: 620.0, z: 200.0 };
    l.scenario.light_barriers.clear();
    // Falling at one spot they would stack above the bin's rim: the bin drains.
    l.scenario.bins[0].drain_s = Some(1.0);
    l.src = "DEF pick_place( )\n  $OUT[1] = TRUE\n  WAIT SEC 30.0\nEND\n".into();
    let (mut w, _) = World::new(l).unwrap();
    let mut ev = w.step(&[Command::Start]);
    let mut delivered = 0;
    while w.time_s() < 26.0 {
        delivered += ev.iter().filter(|e| matches!(e, Event::PartDelivered { .. })).count();
        ev = w.step(&[]);
    }
    // Four parts, at 0.5 s and then every 5 to 6 s (the last by 18.5 s), ride 920 mm at 200 mm/s
    // (4.6 s) and fall: all four in by 24.1 s and a little settling.
    assert_eq!(
        delivered,
        4,
        "{:?}",
        w.parts().iter().map(|p| (p.id, p.state, p.pose.translation.vector.map(|x| x.round()))).collect::<Vec<_>>()
    );
}

#[test]
fn an_infeed_and_an_outfeed_run_on_their_own_motors() {
    let mut l = default_scenario();
    let mut out = l.scenario.conveyors[0].clone();
    out.name = "outfeed".into();
    out.from = Point { x: -600.0, y: -1000.0, z: 250.0 };
    out.to = Point { x: -600.0, y: -150.0, z: 250.0 };
    out.motor_output = 4;
    l.scenario.conveyors.push(out);
    let mut sp = l.scenario.spawners[0].clone();
    sp.conveyor = "outfeed".into();
    l.scenario.spawners.push(sp);
    // Only the outfeed's motor ($OUT[4]) runs.
    l.src = "DEF pick_place( )\n  $OUT[4] = TRUE\n  WAIT SEC 3.0\nEND\n".into();
    let (mut w, _) = World::new(l).unwrap();
    w.step(&[Command::Start]);
    run_until(&mut w, 1000, |w, _| w.time_s() >= 3.0);
    let y = |x: f64| w.parts().iter().find(|p| (p.pose.translation.x - x).abs() < 30.0).map(|p| p.pose.translation.y).unwrap();
    // Both parts were put on at y -1000 + 45 (20 mm in, half a cube); the outfeed carried its
    // part at 200 mm/s for about 2.5 s, the infeed's stayed.
    assert!((y(620.0) - (-955.0)).abs() < 3.0, "{}", y(620.0));
    assert!(y(-600.0) > -955.0 + 400.0, "{}", y(-600.0));
}
