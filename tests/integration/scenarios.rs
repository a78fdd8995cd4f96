use robocell::sim::cell::{Cell, ProgramState};
use robocell::sim::scenario::Scenario;

use super::{default_scenario, root};

#[test]
fn default_scenario_passes_headless() {
    let (mut cell, warnings) = Cell::new(default_scenario()).expect("builds");
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
    let (mut cell, _) = Cell::new(default_scenario()).unwrap();
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
