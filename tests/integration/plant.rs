//! The plant side of the cell, headless: inputs driven from outside, the order book's handshake
//! on the inputs, the Orders objective, selecting another program. (The network itself is
//! tested with real clients in `network.rs`.)

use std::collections::BTreeMap;

use robocell::sim::exercise::grade_program;
use robocell::sim::scenario::{Loaded, Scenario};
use robocell::sim::world::{Command, Event, OrderStage, ProgramState, World};

use super::root;

fn mes(src: &str) -> Loaded {
    let mut l = Scenario::load(&root().join("scenarios/mes_orders.ron")).unwrap_or_else(|d| panic!("{}", d[0]));
    l.src = src.to_string();
    l.src_path = root().join("scenarios/mes/test_orders.src");
    l.dat = None;
    l
}

fn world(l: Loaded) -> World {
    World::new(l).unwrap_or_else(|d| panic!("{}", d.iter().map(|d| d.to_string()).collect::<String>())).0
}

fn run_until(w: &mut World, t: f64) -> Vec<Event> {
    let mut ev = Vec::new();
    while w.time_s() < t - 1e-9 {
        ev.extend(w.step(&[]));
    }
    ev
}

/// `$IN[first..first+bits]` read as a number, lowest bit first.
fn group(w: &World, first: usize, bits: usize) -> u32 {
    (0..bits).map(|b| u32::from(w.io.inputs[first + b]) << b).sum()
}

#[test]
fn an_order_goes_on_the_inputs_and_the_next_waits_for_the_done_handshake() {
    // Reports each order done 0.5 s after it came, and takes the next one.
    let src = "DEF test_orders( )\n  LOOP\n    WAIT FOR $IN[41]\n    WAIT SEC 0.5\n    $OUT[5] = TRUE\n    WAIT FOR NOT $IN[41]\n    $OUT[5] = FALSE\n  ENDLOOP\nEND\n";
    let mut w = world(mes(src));
    let ev = w.step(&[Command::Start]);
    // The scenario's first order (2 red cubes, 1 blue cylinder) stands on the inputs at once.
    assert!(ev.contains(&Event::Order { id: 1, stage: OrderStage::Received }), "{ev:?}");
    assert!(ev.contains(&Event::Order { id: 1, stage: OrderStage::Placed }), "{ev:?}");
    assert_eq!((group(&w, 33, 4), group(&w, 37, 4), w.io.inputs[41]), (2, 1, true));
    // Bits by hand: 2 = 0b0010 on $IN[33..36], 1 = 0b0001 on $IN[37..40].
    assert_eq!([w.io.inputs[33], w.io.inputs[34], w.io.inputs[37]], [false, true, true]);
    let ev = run_until(&mut w, 1.0);
    assert!(ev.contains(&Event::Order { id: 1, stage: OrderStage::Done }), "{ev:?}");
    assert_eq!((group(&w, 33, 4), group(&w, 37, 4), w.io.inputs[41]), (0, 0, false));
    // The second order is due at 20 s: nothing stands until then.
    run_until(&mut w, 19.9);
    assert!(!w.io.inputs[41]);
    run_until(&mut w, 20.1);
    assert_eq!((group(&w, 33, 4), group(&w, 37, 4), w.io.inputs[41]), (1, 2, true));
    let o = w.orders();
    assert_eq!(o.len(), 2);
    assert!((o[0].done_s.unwrap() - 0.5).abs() < 0.05, "{:?}", o[0]);
    assert!((o[1].placed_s.unwrap() - 20.0).abs() < 0.01, "{:?}", o[1]);
}

#[test]
fn an_order_from_outside_waits_behind_the_one_on_the_inputs() {
    let src = "DEF test_orders( )\n  WAIT FOR $IN[41]\n  WAIT SEC 100\nEND\n";
    let mut w = world(mes(src));
    w.step(&[Command::Start]);
    let parts: BTreeMap<String, u32> = [("blue cylinder".to_string(), 3)].into();
    let ev = w.step(&[Command::PlaceOrder { parts }]);
    assert!(
        ev.contains(&Event::Order { id: 3, stage: OrderStage::Received })
            || w.orders().iter().any(|o| o.parts.get("blue cylinder") == Some(&3)),
        "{ev:?}"
    );
    // Still the first order on the inputs.
    assert_eq!(group(&w, 37, 4), 1);
    // A count that does not fit its 4 inputs, and an unknown part type, are refused in words.
    let too_many: BTreeMap<String, u32> = [("red cube".to_string(), 16)].into();
    let unknown: BTreeMap<String, u32> = [("green ball".to_string(), 1)].into();
    let ev = w.step(&[Command::PlaceOrder { parts: too_many }, Command::PlaceOrder { parts: unknown }]);
    let texts: Vec<String> = ev.iter().filter_map(|e| if let Event::Message(m) = e { Some(m.text.clone()) } else { None }).collect();
    assert!(texts.iter().any(|t| t.contains("does not fit its 4 input(s) (at most 15)")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("no part type `green ball`")), "{texts:?}");
}

#[test]
fn only_the_plants_inputs_can_be_set_from_outside() {
    let mut w = world(mes("DEF test_orders( )\n  WAIT SEC 10\nEND\n"));
    // $IN[1] is the light barrier's.
    let ev = w.step(&[Command::SetInput { n: 1, value: true }]);
    assert!(!w.io.inputs[1]);
    assert!(ev.iter().any(|e| matches!(e, Event::Message(m) if m.text.contains("$IN[1] is not driven from outside"))), "{ev:?}");
    // $IN[49] is the plant's: set, with its event, and kept over a Reset.
    let ev = w.step(&[Command::SetInput { n: 49, value: true }]);
    assert!(w.io.inputs[49] && ev.contains(&Event::Input { n: 49, value: true }), "{ev:?}");
    w.step(&[Command::Reset]);
    assert!(w.io.inputs[49], "a PLC's input keeps its value over a program reset");
    // The order inputs are the order book's, not a client's.
    w.step(&[Command::SetInput { n: 41, value: false }]);
    let ev = w.step(&[Command::SetInput { n: 41, value: true }]);
    assert!(ev.iter().any(|e| matches!(e, Event::Message(m) if m.text.contains("$IN[41] is not driven from outside"))), "{ev:?}");
}

#[test]
fn the_mes_solution_fills_every_order_on_every_variant() {
    let l = Scenario::load(&root().join("scenarios/mes_orders.ron")).unwrap_or_else(|d| panic!("{}", d[0]));
    let (grade, runs) = grade_program(&l, true).unwrap_or_else(|d| panic!("{}", d[0]));
    for r in &grade.objectives {
        assert!(r.passed, "{} ({}): {}", r.title, r.variant, r.explanation);
    }
    assert_eq!(grade.score, grade.max_score);
    for run in &runs {
        // Two scheduled orders: 3 parts each, all into the shipping bin.
        assert_eq!(run.orders.len(), 2, "{}", run.variant);
        for o in &run.orders {
            let shipped: u32 = o.parts.keys().map(|t| o.delivered_to(t, "shipping")).sum();
            assert_eq!(shipped, 3, "{}: {o:?}", run.variant);
        }
    }
}

#[test]
fn an_order_reported_done_without_its_parts_scores_nothing_and_says_why() {
    let src = "DEF test_orders( )\n  LOOP\n    WAIT FOR $IN[41]\n    $OUT[5] = TRUE\n    WAIT FOR NOT $IN[41]\n    $OUT[5] = FALSE\n  ENDLOOP\nEND\n";
    let mut l = mes(src);
    l.scenario.variants.clear();
    let (grade, _) = grade_program(&l, false).unwrap();
    let orders = grade.objectives.iter().find(|r| r.title.starts_with("Fill each order")).unwrap();
    assert_eq!(orders.points, 0.0, "{}", orders.explanation);
    assert!(orders.explanation.contains("0 of 2 order(s) filled"), "{}", orders.explanation);
    assert!(orders.explanation.contains("reported done at 0.0 s with 0 of 1 x blue cylinder, 0 of 2 x red cube"), "{}", orders.explanation);
}

#[test]
fn plant_mistakes_in_a_scenario_are_errors() {
    let text = std::fs::read_to_string(root().join("scenarios/mes_orders.ron")).unwrap();
    let bad = text
        .replace("inputs: [49, 50, 51, 52, 53, 54, 55, 56]", "inputs: [1, 49]")
        .replace("done_output: 5", "done_output: 2")
        .replace("(at_s: 20.0, parts: {\"red cube\": 1, \"blue cylinder\": 2})", "(at_s: 20.0, parts: {\"red cube\": 20})");
    let sc = Scenario::parse("bad.ron", &bad).unwrap();
    let diags = sc.validate("bad.ron", &bad);
    let errs: Vec<String> = diags.iter().map(|d| d.message.clone()).collect();
    assert!(errs.iter().any(|e| e.contains("$IN[1] is already driven by a sensor")), "{errs:?}");
    // At the plant's `inputs`, not the type sensor's `inputs` above it: found by hand in the text.
    let (line, text) = bad.lines().enumerate().find(|(_, l)| l.contains("inputs: [1, 49]")).unwrap();
    let d = diags.iter().find(|d| d.message.contains("$IN[1] is already driven")).unwrap();
    assert_eq!((d.span.line, d.span.col), (line as u32 + 1, text.find("inputs: [1, 49]").unwrap() as u32 + 1), "{d}");
    assert!(errs.iter().any(|e| e.contains("done_output $OUT[2]")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("20 x `red cube` does not fit")), "{errs:?}");
}

#[test]
fn select_program_takes_another_module_of_the_folder_when_none_is_active() {
    let l = Scenario::load(&root().join("tests/network/net_cell.ron")).unwrap_or_else(|d| panic!("{}", d[0]));
    let mut w = world(l);
    w.step(&[Command::Start]);
    run_until(&mut w, 0.5);
    let ev = w.step(&[Command::SelectProgram { name: "other".into() }]);
    assert!(ev.iter().any(|e| matches!(e, Event::Message(m) if m.text.contains("reset it before selecting another"))), "{ev:?}");
    w.step(&[Command::Reset]);
    let ev = w.step(&[Command::SelectProgram { name: "nothing".into() }]);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Message(m) if m.text.contains("No program `nothing`") && m.text.contains("net_cell, other"))),
        "{ev:?}"
    );
    let ev = w.step(&[Command::SelectProgram { name: "other".into() }]);
    assert!(ev.iter().any(|e| matches!(e, Event::Message(m) if m.text.contains("Program other selected"))), "{ev:?}");
    assert!(w.loaded().src_path.ends_with("other.src"));
    // It runs: PTP XHOME and END.
    w.step(&[Command::Start]);
    run_until(&mut w, 10.0);
    assert_eq!(w.state(), ProgramState::Finished);
}
