use robocell::sim::scenario::Scenario;
use robocell::sim::world::{ProgramState, World};

use super::{default_scenario, root};

#[test]
fn default_scenario_passes_headless() {
    let (mut cell, warnings) = World::new(default_scenario()).expect("builds");
    assert!(warnings.is_empty(), "{warnings:?}");
    let r = cell.run_to_end();
    assert_eq!(r.state, ProgramState::Finished, "{:?}", r.messages);
    assert_eq!(r.obs.parts.iter().filter(|p| p.delivered.is_some()).count(), 3);
    assert!(r.obs.collisions.is_empty());
    assert!(r.end_s < 60.0);
    assert!(cell.grade_this_run().full_marks(), "{:#?}", cell.grade_this_run());
}

#[test]
fn broken_scenario_lists_errors_with_position() {
    let text = std::fs::read_to_string(root().join("scenarios/pick_and_place.ron")).unwrap();
    // A syntax error: a missing comma.
    let broken = text.replace("seed: 42,", "seed: 42");
    let e = Scenario::parse("broken.ron", &broken).unwrap_err();
    assert_eq!(e.len(), 1);
    // The parser finds the missing comma at the next field, `tick_ms`, on the line after.
    let next = broken.lines().position(|l| l.trim_start().starts_with("tick_ms")).unwrap() as u32 + 1;
    assert_eq!((e[0].span.line, e[0].file.as_str()), (next, "broken.ron"), "{}", e[0]);
    // Several semantic errors at once.
    let wrong = text.replace("KR6_R900_SIXX", "KR7").replace("conveyor: \"infeed\", at_mm", "conveyor: \"outfeed\", at_mm");
    let sc = Scenario::parse("wrong.ron", &wrong).unwrap();
    let errs = sc.validate("wrong.ron", &wrong);
    assert!(errs.len() >= 2, "{errs:?}");
    assert!(errs.iter().any(|d| d.message.contains("unknown robot model") && d.hint.as_deref().unwrap_or("").contains("KR6_R900_SIXX")));
    let barrier = wrong.lines().position(|l| l.contains("conveyor: \"outfeed\"")).unwrap() as u32 + 1;
    assert!(errs.iter().any(|d| d.message.contains("outfeed") && d.span.line == barrier), "{errs:?}");
}

#[test]
fn unknown_field_is_reported_with_its_line() {
    let text = std::fs::read_to_string(root().join("scenarios/pick_and_place.ron")).unwrap();
    let typo = text.replace("speed_mm_s: 200", "speed_mms: 200");
    let e = Scenario::parse("typo.ron", &typo).unwrap_err();
    let line = typo.lines().position(|l| l.contains("speed_mms")).unwrap() + 1;
    assert_eq!(e[0].span.line as usize, line, "{}", e[0]);
    assert!(e[0].message.contains("speed_mms"), "{}", e[0]);
}

#[test]
fn conveyor_carries_a_part_to_the_end_stop_without_sinking() {
    let (mut cell, _) = World::new(default_scenario()).unwrap();
    // Switch the belt on by hand: the program is not started.
    cell.io.outputs[1] = true;
    let mut first_y = None;
    for _ in 0..2500 {
        cell.step(&[]);
        if let Some(p) = cell.parts().first() {
            first_y.get_or_insert(p.pose.translation.y);
        }
    }
    assert_eq!(cell.state(), ProgramState::Ready);
    let p = &cell.parts()[0];
    let start_y = first_y.unwrap();
    // Travelled from the start of the belt to the end stop at y = -150 (part half size 25).
    assert!(p.pose.translation.y > start_y + 700.0, "{} -> {}", start_y, p.pose.translation.y);
    assert!((p.pose.translation.y - (-175.0)).abs() < 3.0, "{}", p.pose.translation.y);
    // Resting on the belt top (z 250) with its centre 25 mm above.
    assert!((p.pose.translation.z - 275.0).abs() < 2.0, "{}", p.pose.translation.z);
    assert!(cell.io.inputs[1], "the light barrier sees the part");
}

#[test]
fn a_robot_given_as_data_is_the_robot_that_moves() {
    // A KR 6 R900 with a 100 mm longer wrist (c4 180 instead of 80) and A1 limited to +100 degrees.
    let text = std::fs::read_to_string(root().join("scenarios/pick_and_place.ron")).unwrap();
    let custom = r#"model: "MY_KR6",
        custom: Some((
            name: "KR 6, long wrist",
            geometry: (a1: 25, a2: -35, b: 0, c1: 400, c2: 455, c3: 420, c4: 180,
                       offsets_deg: (0, -90, 0, 0, 0, 0), signs: (-1, 1, 1, -1, 1, -1)),
            min_deg: (-170, -190, -120, -185, -120, -350),
            max_deg: (100, 45, 156, 185, 120, 350),
            max_speed_deg_s: (360, 300, 360, 381, 388, 615),
            max_acc_deg_s2: (1500, 1300, 1500, 2000, 2000, 3000),
            max_cp_speed_m_s: 3.0,
            home_deg: (0, -90, 90, 0, 0, 0),
        )),"#;
    let dir = std::env::temp_dir().join(format!("robocell-custom-long-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cell.ron"), text.replace("model: \"KR6_R900_SIXX\",", custom)).unwrap();
    let program = "DEF pick_place( )\n  DECL E6POS p\n  DECL REAL hx, hz\n  PTP XHOME\n  $TOOL = $NULLFRAME\n  p = $POS_ACT\n  hx = p.X\n  hz = p.Z\n  PTP {A1 120}\nEND\n";
    std::fs::write(dir.join("pick_place.src"), program).unwrap();
    let loaded = Scenario::load(&dir.join("cell.ron")).unwrap_or_else(|e| panic!("{}", e[0]));
    assert_eq!(loaded.model.name, "KR 6, long wrist");
    let (mut cell, _) = World::new(loaded).unwrap();
    let r = cell.run_to_end();
    // The flange at HOME: X = a1 + c3 + c4 = 25 + 420 + 180, Z = c1 + c2 - a2 = 400 + 455 + 35.
    let num = |n: &str| cell.variable(n).and_then(|v| v.as_f64()).unwrap();
    assert!((num("HX") - 625.0).abs() < 1e-6 && (num("HZ") - 890.0).abs() < 1e-6, "{} {}", num("HX"), num("HZ"));
    // The built-in KR 6 reaches A1 = 120; this one stops at its own limit.
    assert_eq!(r.state, ProgramState::Faulted);
    assert!(r.messages.iter().any(|m| m.text.contains("Software limit switch +A1")), "{:?}", r.messages);
}

#[test]
fn a_rotated_base_and_an_offset_robot_give_the_hand_computed_pos_act() {
    use robocell::sim::math::Frame;
    // The robot stands at (100, -50, 20) turned 90 degrees about Z; BASE_DATA[1] sits at
    // (300, 400, 150) turned 30 degrees. A point taught in base 1 lands in the world at
    // BASE_DATA[1] * P: (100 cos 30 - 50 sin 30, 100 sin 30 + 50 cos 30) + (300, 400) =
    // (361.603, 493.301), Z 300 + 150 = 450, turned A 0 + 30.
    let mut loaded = default_scenario();
    loaded.scenario.robot.base = Frame::new(100.0, -50.0, 20.0, 90.0, 0.0, 0.0);
    loaded.scenario.base_data = vec![Frame::new(300.0, 400.0, 150.0, 30.0, 0.0, 0.0)];
    super::strip_cell(&mut loaded);
    loaded.src = "DEF pick_place( )
  DECL E6POS w, b
  BAS(#INITMOV, 0)
  PTP XHOME
  BAS(#BASE, 1)
  PTP {X 100, Y 50, Z 300, A 0, B 0, C 180}
  b = $POS_ACT
  BAS(#BASE, 0)
  w = $POS_ACT
END
"
    .into();
    loaded.dat = None;
    let (mut cell, _) = World::new(loaded).unwrap();
    super::run_program(&mut cell, 30.0);
    assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
    let frame = |n: &str| match cell.variable(n) {
        Some(robocell::sim::krl::value::Value::Struct(s)) => s.to_frame().unwrap(),
        other => panic!("{n}: {other:?}"),
    };
    let (w, b) = (frame("W"), frame("B"));
    let want_w = [361.603, 493.301, 450.0, 30.0, 0.0, 180.0];
    let want_b = [100.0, 50.0, 300.0, 0.0, 0.0, 180.0];
    for (got, want) in [(w, want_w), (b, want_b)] {
        let g = [got.x, got.y, got.z, got.a, got.b, got.c];
        for i in 0..6 {
            // C = 180 and -180 are the same turn.
            let d = if i >= 3 { robocell::sim::math::norm_deg(g[i] - want[i]) } else { g[i] - want[i] };
            assert!(d.abs() < 0.002, "component {i}: {g:?}, expected {want:?}");
        }
    }
}

/// Found by the scenario fuzz target: a NaN in a conveyor's end reached rapier and a part's
/// pose became NaN. Non-finite numbers are refused, each named, at the line of the NaN.
#[test]
fn nan_and_infinite_numbers_in_a_scenario_are_refused() {
    let text = std::fs::read_to_string(root().join("scenarios/pick_and_place.ron")).unwrap();
    let nan = text.replacen("to: (x: 620, y: -150, z: 250)", "to: (x: 620, y: -150, z: NaN)", 1);
    assert_ne!(nan, text);
    let sc = Scenario::parse("nan.ron", &nan).expect("RON reads NaN as a number");
    let errs = sc.validate("nan.ron", &nan);
    let line = nan.lines().position(|l| l.contains("NaN")).unwrap();
    let col = nan.lines().nth(line).unwrap().find("NaN").unwrap() as u32 + 1;
    assert!(
        errs.iter().any(|d| d.message == "conveyors[0].to.z is not a finite number" && (d.span.line, d.span.col) == (line as u32 + 1, col)),
        "{errs:?}"
    );
    // An exponent too large for a double is infinite too.
    let huge = text.replacen("speed_mm_s: 200", "speed_mm_s: 1e999", 1);
    let sc = Scenario::parse("huge.ron", &huge).expect("parses");
    let errs = sc.validate("huge.ron", &huge);
    let line = huge.lines().position(|l| l.contains("1e999")).unwrap() as u32 + 1;
    assert!(errs.iter().any(|d| d.message == "conveyors[0].speed_mm_s is not a finite number" && d.span.line == line), "{errs:?}");
    // Found next: a conveyor 1e96 mm long is finite, but no physics resolves it; 100 m is the limit.
    let far = text.replacen("from: (x: 620, y: -1000, z: 250)", "from: (x: 620, y: -1e96, z: 250)", 1);
    let sc = Scenario::parse("far.ron", &far).expect("parses");
    let errs = sc.validate("far.ron", &far);
    assert!(errs.iter().any(|d| d.message.starts_with("conveyors[0].from.y = ") && d.message.ends_with("is out of range")), "{errs:?}");
    let near = text.replacen("from: (x: 620, y: -1000, z: 250)", "from: (x: 620, y: -99999, z: 250)", 1);
    let sc = Scenario::parse("near.ron", &near).expect("parses");
    assert!(!sc.validate("near.ron", &near).iter().any(|d| d.message.contains("out of range")), "99.999 m is allowed");
}

#[test]
fn parts_dropped_on_resting_parts_in_the_bin_neither_sink_nor_overlap() {
    // Parts in a bin sleep once counted; a part dropped on them must still land on top. Dropped
    // at one spot, the 8 parts stack into a column.
    let mut loaded = default_scenario();
    loaded.src = loaded.src.replace("WHILE parts < 3", "WHILE parts < 8");
    loaded.scenario.spawners[0].count = 8;
    loaded.scenario.time_limit_s = 120.0;
    let (mut cell, _) = World::new(loaded).unwrap();
    let r = cell.run_to_end();
    assert_eq!(r.state, ProgramState::Finished, "{:?}", r.messages);
    let parts = cell.parts();
    assert_eq!(parts.len(), 8);
    // The bin's floor is 10 mm thick: a 50 mm cube resting on it has its centre at z 35.
    for p in &parts {
        assert!(p.pose.translation.z > 35.0 - 1.5, "part {} sank to z {:.1}", p.id + 1, p.pose.translation.z);
    }
    // Two 50 mm cubes that do not overlap have centres at least 50 mm apart.
    for (i, a) in parts.iter().enumerate() {
        for b in &parts[i + 1..] {
            let d = (a.pose.translation.vector - b.pose.translation.vector).norm();
            assert!(d > 50.0 - 1.5, "parts {} and {} overlap: centres {d:.1} mm apart", a.id + 1, b.id + 1);
        }
    }
}

#[test]
fn a_conveyors_bad_width_and_a_bins_size_are_reported_at_their_fields() {
    let text = std::fs::read_to_string(root().join("scenarios/pick_and_place.ron")).unwrap();
    // Line 1 is a comment that names the conveyor ("an infeed conveyor"): the error must not point there.
    let bad = text
        .replace("width_mm: 150", "width_mm: -150")
        .replace("size_mm: (300, 300, 150)", "size_mm: (30, 300, 150)")
        .replace("height_mm: 25, input: 1)", "height_mm: 25, input: 4097)");
    let sc = Scenario::parse("bad.ron", &bad).unwrap();
    let errs = sc.validate("bad.ron", &bad);
    // Where the fields are, found by hand in the text.
    let at = |needle: &str| {
        let (i, l) = bad.lines().enumerate().find(|(_, l)| l.contains(needle)).unwrap();
        (i as u32 + 1, l.find(needle).unwrap() as u32 + 1)
    };
    let width = errs.iter().find(|d| d.message.contains("width_mm -150 must be positive")).unwrap_or_else(|| panic!("{errs:?}"));
    assert_eq!((width.span.line, width.span.col), at("width_mm: -150"), "{width}");
    let bin = errs.iter().find(|d| d.message.contains("bin bin is too small")).unwrap_or_else(|| panic!("{errs:?}"));
    assert_eq!((bin.span.line, bin.span.col), at("size_mm: (30, 300, 150)"), "{bin}");
    let barrier = errs.iter().find(|d| d.message.contains("input 4097 is outside")).unwrap_or_else(|| panic!("{errs:?}"));
    assert_eq!((barrier.span.line, barrier.span.col), at("input: 4097"), "{barrier}");
}

#[test]
fn mistakes_in_unnamed_items_are_reported_at_their_own_item() {
    // Lesson 5 stacks three cubes: the third stack's count is the mistake, not the first's.
    let text = std::fs::read_to_string(root().join("lessons/05/scenario.ron")).unwrap();
    let bad = text.replacen(
        "(part_type: \"cube\", at: (x: 700, y: -300, z: 200), count: 1)",
        "(part_type: \"cube\", at: (x: 700, y: -300, z: 200), count: 0)",
        1,
    );
    assert_ne!(bad, text);
    let at = |text: &str, needle: &str| {
        let (i, l) = text.lines().enumerate().find(|(_, l)| l.contains(needle)).unwrap();
        (i as u32 + 1, l.find(needle).unwrap() as u32 + 1)
    };
    let errs = Scenario::parse("bad.ron", &bad).unwrap().validate("bad.ron", &bad);
    let stack = errs.iter().find(|d| d.message.contains("a stack holds")).unwrap_or_else(|| panic!("{errs:?}"));
    let (line, _) = at(&bad, "x: 700, y: -300, z: 200), count: 0");
    let col = bad.lines().nth(line as usize - 1).unwrap().find("count: 0").unwrap() as u32 + 1;
    assert_eq!((stack.span.line, stack.span.col), (line, col), "{stack}");
    // Lesson 12's second fault lasts -1 s; its spawner waits -5 s between parts.
    let text = std::fs::read_to_string(root().join("lessons/12/scenario.ron")).unwrap();
    let bad = text.replacen("for_s: Some(6.0)", "for_s: Some(-1.0)", 1).replacen("interval_s: 5.0,", "interval_s: -5.0,", 1);
    let errs = Scenario::parse("bad.ron", &bad).unwrap().validate("bad.ron", &bad);
    let fault = errs.iter().find(|d| d.message.contains("a fault needs")).unwrap_or_else(|| panic!("{errs:?}"));
    assert_eq!((fault.span.line, fault.span.col), at(&bad, "for_s: Some(-1.0)"), "{fault}");
    let spawner = errs.iter().find(|d| d.message.contains("interval_s must be positive")).unwrap_or_else(|| panic!("{errs:?}"));
    assert_eq!((spawner.span.line, spawner.span.col), at(&bad, "interval_s: -5.0"), "{spawner}");
}
