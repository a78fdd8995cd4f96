use robocell::sim::scenario::Scenario;
use robocell::sim::world::{ProgramState, World};

use super::{default_scenario, root};

#[test]
fn default_scenario_passes_headless() {
    let (mut cell, warnings) = World::new(default_scenario()).expect("builds");
    assert!(warnings.is_empty(), "{warnings:?}");
    let r = cell.run_to_end();
    assert!(r.passed, "{r:?}");
    assert_eq!(r.delivered, 3);
    assert!(r.collisions.is_empty());
    assert!(r.sim_time_s < 60.0);
}

#[test]
fn broken_scenario_lists_errors_with_position() {
    let text = std::fs::read_to_string(root().join("scenarios/pick_and_place.ron")).unwrap();
    // A syntax error: a missing comma.
    let broken = text.replace("seed: 42,", "seed: 42");
    let e = Scenario::parse("broken.ron", &broken).unwrap_err();
    assert_eq!(e.len(), 1);
    assert!(e[0].span.line > 1 && e[0].file == "broken.ron", "{}", e[0]);
    // Several semantic errors at once.
    let wrong = text.replace("KR6_R900_SIXX", "KR7").replace("conveyor: \"infeed\", at_mm", "conveyor: \"outfeed\", at_mm");
    let sc = Scenario::parse("wrong.ron", &wrong).unwrap();
    let errs = sc.validate("wrong.ron", &wrong);
    assert!(errs.len() >= 2, "{errs:?}");
    assert!(errs.iter().any(|d| d.message.contains("unknown robot model") && d.hint.as_deref().unwrap_or("").contains("KR6_R900_SIXX")));
    assert!(errs.iter().any(|d| d.message.contains("outfeed") && d.span.line > 1));
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
fn a_robot_can_be_given_as_data_in_the_scenario() {
    let text = std::fs::read_to_string(root().join("scenarios/pick_and_place.ron")).unwrap();
    let custom = r#"model: "MY_KR6",
        custom: Some((
            name: "KR 6 R900 sixx, as data",
            geometry: (a1: 25, a2: -35, b: 0, c1: 400, c2: 455, c3: 420, c4: 80,
                       offsets_deg: (0, -90, 0, 0, 0, 0), signs: (-1, 1, 1, -1, 1, -1)),
            min_deg: (-170, -190, -120, -185, -120, -350),
            max_deg: (170, 45, 156, 185, 120, 350),
            max_speed_deg_s: (360, 300, 360, 381, 388, 615),
            max_acc_deg_s2: (1500, 1300, 1500, 2000, 2000, 3000),
            max_cp_speed_m_s: 3.0,
            home_deg: (0, -90, 90, 0, 0, 0),
        )),"#;
    let dir = std::env::temp_dir().join(format!("robocell-custom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cell.ron"), text.replace("model: \"KR6_R900_SIXX\",", custom)).unwrap();
    for f in ["pick_place.src", "pick_place.dat"] {
        std::fs::copy(root().join("scenarios").join(f), dir.join(f)).unwrap();
    }
    let loaded = Scenario::load(&dir.join("cell.ron")).unwrap_or_else(|e| panic!("{}", e[0]));
    assert_eq!(loaded.model.name, "KR 6 R900 sixx, as data");
    let (mut cell, _) = World::new(loaded).unwrap();
    assert!(cell.run_to_end().passed);
}
