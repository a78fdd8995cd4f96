//! Grading: each objective kind passing and failing with points and explanations worked out by
//! hand, variants that catch a program tuned to the public run, a batch with bad submissions,
//! and the output formats checked field by field.

use std::path::{Path, PathBuf};

use robocell::grading::outputs;
use robocell::grading::{ClassResult, Exercise, StudentResult, Submission, grade_class};
use robocell::sim::exercise::spec::{PlaceTarget, Shift};
use robocell::sim::exercise::{self, Construct, Grade, ObjectiveKind, ObjectiveResult, ObjectiveSpec, Variant};
use robocell::sim::scenario::{Loaded, OperatingMode, Point};

use super::{default_scenario, root, strip_cell};

fn objective(title: &str, points: f64, kind: ObjectiveKind) -> ObjectiveSpec {
    ObjectiveSpec { title: title.into(), points, gate: false, kind, hint: String::new() }
}

/// The scenario with these objectives, no variants, and program `src` (with the default .dat).
fn exercise_with(src: Option<&str>, objectives: Vec<ObjectiveSpec>) -> Loaded {
    let mut l = default_scenario();
    l.scenario.objectives = objectives;
    l.scenario.variants.clear();
    if let Some(s) = src {
        l.src = s.to_string();
    }
    l
}

fn grade(l: &Loaded) -> Grade {
    exercise::grade_program(l, true).unwrap_or_else(|d| panic!("{}", d[0])).0
}

fn only(g: &Grade) -> &ObjectiveResult {
    assert_eq!(g.objectives.len(), 1, "{g:#?}");
    &g.objectives[0]
}

fn p(x: f64, y: f64, z: f64) -> Point {
    Point { x, y, z }
}

#[test]
fn deliver_counts_parts_at_rest_in_the_named_bin() {
    // The default program delivers 3 parts; asked for 4, it earns 3/4 of 40 points.
    let three =
        exercise_with(None, vec![objective("three", 40.0, ObjectiveKind::Deliver { count: 3, bin: Some("bin".into()), part_type: None })]);
    let r = grade(&three);
    assert_eq!((only(&r).points, only(&r).passed), (40.0, true), "{r:#?}");
    let four = exercise_with(None, vec![objective("four", 40.0, ObjectiveKind::Deliver { count: 4, bin: None, part_type: None })]);
    let r = grade(&four);
    let o = only(&r);
    assert_eq!((o.points, o.passed), (30.0, false));
    assert!(o.explanation.contains("4 part(s) required in a bin: 3 came to rest there by the end"), "{}", o.explanation);
    assert!(o.explanation.contains("the program ended at"), "{}", o.explanation);
    // The fourth part was never picked: it waits at the end of the belt.
    assert!(o.explanation.contains("Part 4 was never picked and is on conveyor `infeed`"), "{}", o.explanation);
}

/// Picks the first part and sets it down on the floor with its bottom 1 mm up at (500, 300).
const PLACE_ON_FLOOR: &str = "DEF pick_place( )
  BAS(#INITMOV, 0)
  $BASE = $NULLFRAME
  PTP XHOME
  $OUT[1] = TRUE
  WAIT FOR $IN[1]
  PTP XABOVE_PICK
  LIN XPICK
  $OUT[2] = TRUE
  WAIT SEC 0.2
  LIN XABOVE_PICK
  PTP {X 500, Y 300, Z 250, A 164, B 0, C 180, S 2}
  LIN {X 500, Y 300, Z 51, A 164, B 0, C 180}
  $OUT[2] = FALSE
  WAIT SEC 0.5
  LIN {X 500, Y 300, Z 250, A 164, B 0, C 180}
  PTP XHOME
END
";

#[test]
fn place_measures_how_far_a_part_rests_from_its_target() {
    let place = |x: f64, tol: f64| {
        let t = PlaceTarget { name: "spot".into(), at: p(x, 300.0, 0.0), yaw_deg: 0.0 };
        let kind = ObjectiveKind::Place {
            targets: vec![t],
            pallet: None,
            slots: vec![],
            tolerance_mm: tol,
            tolerance_deg: 10.0,
            in_order: false,
            base: None,
        };
        let mut l = exercise_with(Some(PLACE_ON_FLOOR), vec![objective("place", 20.0, kind)]);
        // One part, on the belt's centre line.
        l.scenario.spawners[0].lateral_jitter_mm = 0.0;
        l.scenario.spawners[0].count = 1;
        grade(&l)
    };
    // The part's bottom centre is set down under the TCP: at (500, 300, 0).
    let r = place(500.0, 3.0);
    assert!(only(&r).passed, "{r:#?}");
    // A target 14 mm further along X: the part is 14 mm from it, outside a 5 mm tolerance.
    let r = place(514.0, 5.0);
    let o = only(&r);
    assert_eq!((o.points, o.passed), (0.0, false));
    let mm: f64 =
        o.explanation.split("placed ").nth(1).and_then(|s| s.split(" mm").next()).and_then(|s| s.parse().ok()).expect(&o.explanation);
    assert!((mm - 14.0).abs() < 2.0, "{}", o.explanation);
    // It names the line that opened the gripper: line 14 of the program above.
    assert!(o.explanation.contains("(tolerance 5 mm)") && o.explanation.contains("pick_place.src line 14"), "{}", o.explanation);
}

/// In the world frame (robot at the origin): a LIN along Y at X 500, Z 500, back to Y -100, and
/// a CIRC through (600, 0) to (500, 100): the circle about (500, 0, 500) with radius 100.
const PATH_PROGRAM: &str = "DEF generated( )
  $BASE = $NULLFRAME
  PTP {X 500, Y -200, Z 500, A 0, B 0, C 180, S 2}
  LIN {X 500, Y 200, Z 500, A 0, B 0, C 180}
  LIN {X 500, Y -100, Z 500, A 0, B 0, C 180}
  CIRC {X 600, Y 0, Z 500, A 0, B 0, C 180}, {X 500, Y 100, Z 500, A 0, B 0, C 180}
END
";

fn path_grade(kind: ObjectiveKind) -> ObjectiveResult {
    let mut l = default_scenario();
    strip_cell(&mut l);
    l.scenario.objectives = vec![objective("path", 10.0, kind)];
    l.src = PATH_PROGRAM.into();
    l.src_path = PathBuf::from("generated.src");
    l.dat = None;
    only(&grade(&l)).clone()
}

#[test]
fn path_follows_points_lines_and_arcs_within_the_tolerance() {
    let path = |points: Vec<Point>, polyline: Vec<Point>, arc: Option<(Point, Point, Point)>| ObjectiveKind::Path {
        tolerance_mm: 1.0,
        points,
        polyline,
        arc,
        base: None,
    };
    // On the first LIN, in order.
    let o = path_grade(path(vec![p(500.0, -100.0, 500.0), p(500.0, 100.0, 500.0)], vec![], None));
    assert!(o.passed, "{o:?}");
    // Out of order: (500, 100) comes after (500, -100) on the first LIN, and (500, -100) again
    // only on the way back; so both orders pass. A point 10 mm above the line is missed by 10 mm.
    let o = path_grade(path(vec![p(500.0, 0.0, 510.0)], vec![], None));
    assert!(!o.passed && o.points == 0.0, "{o:?}");
    assert!(o.explanation.contains("missed point 1 (500, 0, 510) (closest 10.0 mm"), "{}", o.explanation);
    // The polyline's first leg (400 mm) is driven, its second (100 mm, to X 600) is not: 80 %.
    let o = path_grade(path(vec![], vec![p(500.0, -200.0, 500.0), p(500.0, 200.0, 500.0), p(600.0, 200.0, 500.0)], None));
    assert!(!o.passed && (o.points - 8.0).abs() < 0.15, "{o:?}");
    // The CIRC's arc, and one through a via point 50 mm further out, which it does not follow.
    let o = path_grade(path(vec![], vec![], Some((p(500.0, -100.0, 500.0), p(600.0, 0.0, 500.0), p(500.0, 100.0, 500.0)))));
    assert!(o.passed, "{o:?}");
    let o = path_grade(path(vec![], vec![], Some((p(500.0, -100.0, 500.0), p(650.0, 0.0, 500.0), p(500.0, 100.0, 500.0)))));
    assert!(!o.passed && o.explanation.contains("of the arc within 1 mm"), "{o:?}");
}

#[test]
fn cycle_time_falls_linearly_and_needs_the_task_done() {
    let kinds = vec![
        objective("deliver", 0.0, ObjectiveKind::Deliver { count: 3, bin: None, part_type: None }),
        objective("fast", 10.0, ObjectiveKind::CycleTime { full_s: 10.0, zero_s: 30.0 }),
    ];
    let l = exercise_with(None, kinds.clone());
    let (g, runs) = exercise::grade_program(&l, true).unwrap();
    // The run's end as the controller reports it, in its message.
    let end = runs[0].messages.iter().find(|m| m.text.contains("Program end reached")).expect("ends").time_s;
    let o = &g.objectives[1];
    let want = 10.0 * (30.0 - end) / 20.0;
    assert!((o.points - want).abs() < 0.011, "{} vs {want} ({end} s)", o.points);
    assert!(o.explanation.contains(&format!("cycle time {end:.1} s")), "{}", o.explanation);
    // With the task not done (4 parts asked), the fast end earns nothing.
    let mut l = exercise_with(None, kinds);
    l.scenario.objectives[0].kind = ObjectiveKind::Deliver { count: 4, bin: None, part_type: None };
    let g = grade(&l);
    assert_eq!(g.objectives[1].points, 0.0);
    assert!(g.objectives[1].explanation.contains("counts only when the task is done (`deliver` was not)"), "{:?}", g.objectives[1]);
}

fn program_at(path: &str, objectives: Vec<ObjectiveSpec>) -> Loaded {
    let mut l = exercise_with(None, objectives);
    let file = root().join(path);
    l.src = std::fs::read_to_string(&file).unwrap();
    l.src_path = file;
    l.dat = None;
    l
}

fn safety(home: bool) -> ObjectiveKind {
    ObjectiveKind::Safety { no_collision: true, t1_speed: true, no_limit_stop: true, ends_at_home: home }
}

#[test]
fn a_failed_gate_zeroes_the_score_and_safety_names_the_incident() {
    let mut gate = objective("safe", 10.0, safety(false));
    gate.gate = true;
    let other = objective("program", 5.0, ObjectiveKind::Program { require: vec![Construct::Lin], forbid: vec![] });
    let g = grade(&program_at("tests/krl/collision.src", vec![gate.clone(), other.clone()]));
    // The program objective alone would give 5 points; the collision zeroes them.
    assert_eq!((g.objectives[1].points, g.score), (5.0, 0.0), "{g:#?}");
    assert!(g.gate_failed.as_deref().is_some_and(|s| s.starts_with("safe")));
    let e = &g.objectives[0].explanation;
    assert!(e.contains("collision: the robot's tool touched conveyor infeed at") && e.contains("collision.src line 12"), "{e}");
    // The same without a collision scores the 5 (the default program, which uses LIN).
    let g = grade(&exercise_with(None, vec![gate, other]));
    assert_eq!(g.score, 15.0, "{g:#?}");
    // A stop at a software limit.
    let g = grade(&program_at("tests/krl/software_limit.src", vec![objective("limits", 10.0, safety(false))]));
    assert!(only(&g).explanation.starts_with("stop at a limit: software_limit.src line 10: Software limit switch +A1"), "{g:#?}");
}

#[test]
fn ends_at_home_checks_the_last_pose() {
    // The default program without its last PTP XHOME ends above the bin: A1 far from HOME's 0.
    let mut l = exercise_with(None, vec![objective("home", 10.0, safety(true))]);
    let last = l.src.rfind("PTP XHOME").unwrap();
    l.src.replace_range(last..last + "PTP XHOME".len(), "");
    let g = grade(&l);
    assert!(!only(&g).passed, "{g:#?}");
    assert!(only(&g).explanation.contains("the program ended away from HOME: A1 at"), "{}", only(&g).explanation);
    assert!(grade(&exercise_with(None, vec![objective("home", 10.0, safety(true))])).full_marks());
}

#[test]
fn the_t1_check_catches_a_tcp_faster_than_250_mm_s() {
    use nalgebra::Vector3;
    use robocell::sim::exercise::{Exercise, Tick};
    // Fed by hand: 1.2 mm per 4 ms tick is 300 mm/s; 0.96 mm is 240 mm/s.
    let mut ex = Exercise::new(vec![], vec![]);
    let mut x = 0.0;
    for (step, mode) in [(0.96, OperatingMode::T1), (1.2, OperatingMode::AUT), (0.96, OperatingMode::T1)] {
        for _ in 0..10 {
            x += step;
            let at = Vector3::new(x, 0.0, 0.0);
            ex.observe(&Tick { time_s: 0.0, dt: 0.004, events: &[], mode, tcp: at, flange: at, line: Some(3), pen_down: None });
        }
    }
    assert!(ex.observations().t1_overspeed.is_none(), "240 mm/s in T1 and 300 mm/s in AUT are allowed");
    for _ in 0..2 {
        x += 1.2;
        let at = Vector3::new(x, 0.0, 0.0);
        ex.observe(&Tick {
            time_s: 1.0,
            dt: 0.004,
            events: &[],
            mode: OperatingMode::T1,
            tcp: at,
            flange: at,
            line: Some(7),
            pen_down: None,
        });
    }
    let i = ex.observations().t1_overspeed.clone().expect("caught");
    assert!(i.what.contains("300 mm/s in T1") && i.line == Some(7), "{i:?}");
}

#[test]
fn the_t1_check_holds_for_a_real_run_in_t1() {
    let mut l = exercise_with(None, vec![objective("safe", 10.0, safety(false))]);
    l.scenario.mode = OperatingMode::T1;
    l.scenario.time_limit_s = 20.0;
    assert!(grade(&l).full_marks());
}

const STRUCTURED: &str = "DEF pick_place( )
  DECL INT i
  INTERRUPT DECL 3 WHEN $IN[5] DO stop_all( )
  FOR i = 1 TO 2
    move_to(i)
  ENDFOR
  CIRC XABOVE_PICK, XPICK
END
DEF move_to(n :IN)
  DECL INT n
  PTP XHOME
END
DEF stop_all( )
END
";

const UNSTRUCTURED: &str = "DEF pick_place( )
  ; No CIRC here, and GOTO only in this comment: neither counts.
  DECL CHAR s[20]
  s[] = \"CIRC GOTO FOR\"
  PTP {A1 10}
  again:
  GOTO again
END
";

#[test]
fn program_objectives_look_at_the_parsed_program_not_its_text() {
    let rule = || {
        objective(
            "structure",
            12.0,
            ObjectiveKind::Program {
                require: vec![Construct::Circ, Construct::ForLoop, Construct::SubroutineWithParams, Construct::Interrupt],
                forbid: vec![Construct::Goto, Construct::LiteralPose],
            },
        )
    };
    let mut l = exercise_with(Some(STRUCTURED), vec![rule()]);
    l.scenario.time_limit_s = 1.0;
    let g = grade(&l);
    assert!(only(&g).passed, "{g:#?}");
    assert!(only(&g).explanation.contains("a CIRC motion (line 7)"), "{}", only(&g).explanation);
    let mut l = exercise_with(Some(UNSTRUCTURED), vec![rule()]);
    l.scenario.time_limit_s = 1.0;
    let g = grade(&l);
    let o = only(&g);
    // 6 rules, none of the 4 required constructs, both forbidden ones: 0 of 12.
    assert_eq!(o.points, 0.0, "{o:?}");
    assert!(o.explanation.contains("a CIRC motion is required, and the program has none"), "{}", o.explanation);
    assert!(o.explanation.contains("GOTO is not allowed: pick_place.src line 7"), "{}", o.explanation);
    assert!(o.explanation.contains("a pose written into the .src is not allowed: pick_place.src line 5"), "{}", o.explanation);
    // Without the literal pose and the GOTO: 2 of 6 rules met, 4 of 12 points.
    let mut l = exercise_with(Some(&UNSTRUCTURED.replace("PTP {A1 10}", "PTP XHOME").replace("GOTO again", "")), vec![rule()]);
    l.scenario.time_limit_s = 1.0;
    assert_eq!(only(&grade(&l)).points, 4.0);
}

/// The default exercise's drop point taught in BASE_DATA[1] (the bin's corner at (0, 470, 150)):
/// world (150, 620, 450) is (150, 150, 300) in the base.
const BASE_PROGRAM: &str = "DEF pick_place( )
  DECL INT parts
  BAS(#INITMOV, 0)
  parts = 0
  PTP XHOME
  $OUT[1] = TRUE
  WHILE parts < 3
    WAIT FOR $IN[1]
    $BASE = $NULLFRAME
    PTP XABOVE_PICK
    LIN XPICK
    $OUT[2] = TRUE
    WAIT SEC 0.2
    LIN XABOVE_PICK
    $BASE = BASE_DATA[1]
    PTP {X 150, Y 150, Z 300, A -104, B 0, C 180, S 2}
    $OUT[2] = FALSE
    WAIT SEC 0.3
    parts = parts + 1
  ENDWHILE
  $BASE = $NULLFRAME
  PTP XHOME
END
";

#[test]
fn a_program_tuned_to_the_public_layout_fails_a_moved_bin() {
    let deliver = objective("deliver", 30.0, ObjectiveKind::Deliver { count: 3, bin: Some("bin".into()), part_type: None });
    let moved = Variant {
        name: "moved".into(),
        hidden: true,
        shift: vec![Shift { bin: "bin".into(), base: Some(1), by: p(170.0, 0.0, 0.0) }],
        ..Variant::default()
    };
    let with = |src: Option<&str>| {
        let mut l = exercise_with(src, vec![deliver.clone()]);
        l.scenario.variants = vec![moved.clone()];
        grade(&l)
    };
    // The default program drops at world X 150: the moved bin spans X 170..470, so it misses.
    let g = with(None);
    assert_eq!(g.objectives.len(), 2);
    assert!(g.objectives[0].passed && !g.objectives[1].passed, "{g:#?}");
    assert_eq!((g.objectives[1].variant.as_str(), g.objectives[1].hidden, g.objectives[1].points), ("moved", true, 0.0));
    assert_eq!(g.score, 15.0);
    // Taught in the bin's base, the drop moves with it.
    let g = with(Some(BASE_PROGRAM));
    assert!(g.full_marks(), "{g:#?}");
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn a_batch_grades_missing_broken_hanging_and_correct_submissions() {
    let dir = std::env::temp_dir().join(format!("robocell-batch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let src = std::fs::read_to_string(root().join("scenarios/pick_place.src")).unwrap();
    let dat = std::fs::read_to_string(root().join("scenarios/pick_place.dat")).unwrap();
    write(&dir.join("good"), "pick_place.src", &src);
    write(&dir.join("good"), "pick_place.dat", &dat);
    write(&dir.join("broken"), "pick_place.src", &src.replace("ENDWHILE", "ENDWHIL"));
    write(&dir.join("broken"), "pick_place.dat", &dat);
    // Waits for an input nothing drives: it hangs until the time limit.
    write(&dir.join("hanging"), "mine.src", &src.replace("WAIT FOR $IN[1]", "WAIT FOR $IN[9]").replace("DEF pick_place", "DEF mine"));
    write(&dir.join("hanging"), "mine.dat", &dat.replace("DEFDAT pick_place", "DEFDAT mine"));
    let scenario = root().join("scenarios/pick_and_place.ron");
    let ex = Exercise::load(&scenario).unwrap();
    let subs: Vec<Submission> =
        ["good", "broken", "hanging", "missing"].iter().map(|n| Submission::find(&dir.join(n), &ex.scenario.program)).collect();
    assert_eq!(subs[2].program.as_ref().unwrap().file_name().unwrap(), "mine.src");
    let class = grade_class(&ex, &subs, 2, &|_: usize, _: usize| {});
    let by = |n: &str| class.students.iter().find(|s| s.name == n).unwrap();
    assert!(by("good").grade.full_marks() && by("good").error.is_none(), "{:#?}", by("good"));
    let broken = by("broken");
    assert_eq!(broken.grade.score, 0.0);
    assert!(broken.error.as_deref().unwrap().contains("pick_place.src:16:3: error[KRL041]: WHILE without ENDWHILE"), "{broken:?}");
    // Hanging: the gate (no collision) and the program objective hold: 10 + 10 of 100.
    let hanging = by("hanging");
    assert_eq!(hanging.grade.score, 20.0, "{:#?}", hanging.grade);
    let deliver = &hanging.grade.objectives[0].explanation;
    assert!(deliver.contains("still running at mine.src line 17 when the time limit (60 s) passed"), "{deliver}");
    let missing = by("missing");
    assert!(missing.error.as_deref().unwrap().contains("no such file or folder") && missing.grade.score == 0.0);
    // On one thread the results are the same, to the last character.
    let one = grade_class(&ex, &subs, 1, &|_: usize, _: usize| {});
    assert_eq!(outputs::json(&one), outputs::json(&class));
    // Every student has a line per objective and run: 4 objectives x 4 runs + 1 program objective.
    assert!(
        class.students.iter().all(|s| s.grade.objectives.len() == 17),
        "{:?}",
        class.students.iter().map(|s| s.grade.objectives.len()).collect::<Vec<_>>()
    );
}

/// A class made by hand: "ada" with 7.5 of 10 on two objectives (one hidden), "bob" not run.
fn hand_class() -> ClassResult {
    let r = |title: &str, variant: &str, hidden: bool, points: f64, max: f64, text: &str| ObjectiveResult {
        title: title.into(),
        variant: variant.into(),
        hidden,
        points,
        max_points: max,
        passed: points == max,
        gate: false,
        explanation: text.into(),
    };
    let ada = StudentResult {
        name: "ada".into(),
        program: None,
        grade: Grade {
            objectives: vec![
                r("Deliver", "public", false, 5.0, 5.0, "3 parts"),
                r("Deliver", "night shift", true, 2.5, 5.0, "part 2 on the floor <x & y>"),
            ],
            score: 7.5,
            max_score: 10.0,
            gate_failed: None,
            cycle_time_s: Some(19.42),
            hints: vec![("Deliver".into(), "Look under the belt.".into())],
        },
        error: None,
        sim_s: 40.0,
        recordings: Vec::new(),
    };
    let bob = StudentResult {
        name: "bob".into(),
        program: None,
        grade: Grade {
            objectives: vec![
                r("Deliver", "public", false, 0.0, 5.0, "not graded: broken"),
                r("Deliver", "night shift", true, 0.0, 5.0, "not graded: broken"),
            ],
            score: 0.0,
            max_score: 10.0,
            gate_failed: None,
            cycle_time_s: None,
            hints: Vec::new(),
        },
        error: Some("the program has 1 error(s) and was not run:\nx.src:3:1: error[KRL041]: WHILE without ENDWHILE\n".into()),
        sim_s: 0.0,
        recordings: Vec::new(),
    };
    ClassResult { scenario: "Cell, \"A\"".into(), students: vec![ada, bob], wall_s: 2.0 }
}

#[test]
fn json_output_has_every_field() {
    let v: serde_json::Value = serde_json::from_str(&outputs::json(&hand_class())).unwrap();
    assert_eq!(v["scenario"], "Cell, \"A\"");
    let ada = &v["students"][0];
    assert_eq!((ada["name"].as_str(), ada["score"].as_f64(), ada["max_score"].as_f64()), (Some("ada"), Some(7.5), Some(10.0)));
    assert_eq!((ada["cycle_time_s"].as_f64(), ada["error"].is_null()), (Some(19.42), true));
    let o = &ada["objectives"][1];
    assert_eq!(o["title"], "Deliver");
    assert_eq!(o["variant"], "night shift");
    assert_eq!((o["points"].as_f64(), o["max_points"].as_f64(), o["passed"].as_bool()), (Some(2.5), Some(5.0), Some(false)));
    assert_eq!(o["explanation"], "part 2 on the floor <x & y>");
    let bob = &v["students"][1];
    assert!(bob["cycle_time_s"].is_null() && bob["error"].as_str().unwrap().contains("KRL041"));
}

#[test]
fn csv_output_has_a_header_and_a_row_per_student() {
    let text = outputs::csv(&hand_class());
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "name,score,max_score,cycle_time_s,error,Deliver");
    assert_eq!(lines[1], "ada,7.5,10,19.42,,7.5");
    // The error's first two lines in one field; it holds a colon but no comma, so no quotes.
    assert_eq!(lines[2], "bob,0,10,,the program has 1 error(s) and was not run: x.src:3:1: error[KRL041]: WHILE without ENDWHILE,0");
    assert_eq!(lines.len(), 3);
}

#[test]
fn junit_output_has_a_suite_per_student_and_a_case_per_objective_and_run() {
    let x = outputs::junit(&hand_class(), 1_764_325_800, "lab-pc");
    // 2025-11-28 10:30:00 UTC is 1764325800 s after 1970 (worked out: 20420 days + 37800 s).
    assert!(x.contains("timestamp=\"2025-11-28T10:30:00\""), "{x}");
    assert!(
        x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"Cell, &quot;A&quot;\" tests=\"4\" failures=\"3\""),
        "{x}"
    );
    assert!(
        x.contains(
            "<testsuite name=\"ada\" package=\"Cell, &quot;A&quot;\" id=\"0\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\""
        ),
        "{x}"
    );
    assert!(x.contains("<testsuite name=\"bob\" package=\"Cell, &quot;A&quot;\" id=\"1\" tests=\"2\" failures=\"0\" errors=\"2\""), "{x}");
    assert!(x.contains("<testcase name=\"Deliver [night shift]\" classname=\"ada\" time=\"0.500\">"), "{x}");
    assert!(x.contains("<failure message=\"2.5 of 5 points\" type=\"objective\">part 2 on the floor &lt;x &amp; y&gt;</failure>"), "{x}");
    assert!(x.contains("<error message=\"the program has 1 error(s) and was not run:\" type=\"not graded\">"), "{x}");
    assert_eq!(x.matches("<testcase ").count(), 4);
    assert_eq!(x.matches("<testsuite ").count(), 2);
    assert!(x.ends_with("</testsuites>\n") && !x.contains('\u{1b}'));
}

#[test]
fn gradescope_output_follows_its_spec() {
    let c = hand_class();
    let v: serde_json::Value = serde_json::from_str(&outputs::gradescope(&c.students[0], 60.0, 1.25)).unwrap();
    assert_eq!((v["score"].as_f64(), v["execution_time"].as_f64()), (Some(7.5), Some(1.25)));
    let t = &v["tests"][1];
    assert_eq!(t["name"], "Deliver [night shift]");
    assert_eq!((t["score"].as_f64(), t["max_score"].as_f64()), (Some(2.5), Some(5.0)));
    assert_eq!((t["status"].as_str(), t["visibility"].as_str()), (Some("failed"), Some("after_published")));
    assert_eq!((v["tests"][0]["status"].as_str(), v["tests"][0]["visibility"].as_str()), (Some("passed"), Some("visible")));
    assert_eq!(t["output"], "part 2 on the floor <x & y>");
    assert!(v["output"].as_str().unwrap().contains("Hint for `Deliver`: Look under the belt."), "{v}");
    let lb = &v["leaderboard"][0];
    assert_eq!((lb["name"].as_str(), lb["value"].as_f64(), lb["order"].as_str()), (Some("Cycle time (s)"), Some(19.42), Some("asc")));
    // Not run: the compile errors are in the output a student reads; ranks at the time limit.
    let v: serde_json::Value = serde_json::from_str(&outputs::gradescope(&c.students[1], 60.0, 0.0)).unwrap();
    assert!(v["output"].as_str().unwrap().contains("error[KRL041]"));
    assert_eq!(v["leaderboard"][0]["value"].as_f64(), Some(60.0));
}

#[test]
fn grade_cli_writes_every_output_and_goes_on_after_bad_submissions() {
    let dir = std::env::temp_dir().join(format!("robocell-grade-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let src = std::fs::read_to_string(root().join("scenarios/pick_place.src")).unwrap();
    let dat = std::fs::read_to_string(root().join("scenarios/pick_place.dat")).unwrap();
    // A student's single .src with its .dat beside it (the shell lists both).
    write(&dir.join("class"), "zoe.src", &src.replace("DEF pick_place", "DEF zoe"));
    write(&dir.join("class"), "zoe.dat", &dat.replace("DEFDAT pick_place", "DEFDAT zoe"));
    write(&dir.join("class/empty"), "notes.txt", "no program");
    let out = dir.join("out");
    let arg = |p: &str| out.join(p).display().to_string();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_robocell"))
        .current_dir(root())
        .args(["grade", "scenarios/pick_and_place.ron"])
        .args([dir.join("class/zoe.src"), dir.join("class/zoe.dat"), dir.join("class/empty")])
        .args(["--jobs", "2", "--json", &arg("g.json"), "--csv", &arg("g.csv"), "--junit", &arg("g.xml")])
        .args(["--gradescope", &arg("gs"), "--feedback", &arg("fb")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert_eq!(status.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&status.stderr));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("g.json")).unwrap()).unwrap();
    let names: Vec<&str> = v["students"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["zoe", "empty"]);
    assert_eq!(v["students"][0]["score"].as_f64(), Some(100.0));
    for f in ["g.csv", "g.xml", "gs/zoe.json", "gs/empty.json", "fb/zoe.md", "fb/empty.md"] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    assert!(std::fs::read_to_string(out.join("fb/empty.md")).unwrap().contains("no .src file in"));
    // A bad scenario: exit 2, nothing graded.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_robocell")).args(["grade", "no/such.ron", "x"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// `robocell grade --record DIR`: every run of every student who ran is recorded, each recording
/// replays the graded run identically (the variants' too, named in the file), and the feedback
/// names the recordings of the runs the student may see.
#[test]
fn grading_with_record_writes_each_run_and_the_feedback_names_the_visible_ones() {
    use robocell::grading::grade_class_recorded;
    use robocell::sim::record::{Recording, Replay};
    let dir = std::env::temp_dir().join(format!("robocell-graderec-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let src = std::fs::read_to_string(root().join("scenarios/pick_place.src")).unwrap();
    let dat = std::fs::read_to_string(root().join("scenarios/pick_place.dat")).unwrap();
    write(&dir.join("class/ada"), "pick_place.src", &src);
    write(&dir.join("class/ada"), "pick_place.dat", &dat);
    write(&dir.join("class/bob"), "pick_place.src", &src.replace("ENDWHILE", "ENDWHIL"));
    // cy drives the tool into the belt.
    let crash = std::fs::read_to_string(root().join("tests/krl/collision.src")).unwrap().replace("DEF collision", "DEF pick_place");
    write(&dir.join("class/cy"), "pick_place.src", &crash);
    let ex = Exercise::load(&root().join("scenarios/pick_and_place.ron")).unwrap();
    let subs: Vec<Submission> =
        ["ada", "bob", "cy"].iter().map(|n| Submission::find(&dir.join("class").join(n), &ex.scenario.program)).collect();
    let out = dir.join("recordings");
    let class = grade_class_recorded(&ex, &subs, 2, &|_: usize, _: usize| {}, Some(&out));
    let ada = &class.students[0];
    // The public run and the scenario's three variants (one public, two hidden).
    let runs: Vec<(&str, bool)> = ada.recordings.iter().map(|(r, h, _)| (r.as_str(), *h)).collect();
    assert_eq!(runs, [("public", false), ("another seed", false), ("slower belt", true), ("bin moved", true)]);
    assert_eq!(ada.recordings[0].2, out.join("ada/public.ron"));
    assert_eq!(ada.recordings[3].2, out.join("ada/bin_moved.ron"));
    for (run, _, file) in &ada.recordings {
        let rec = Recording::load(file).unwrap();
        assert_eq!(rec.variant.as_deref(), (run != "public").then_some(run.as_str()), "{run}");
        assert!(matches!(rec.replay().unwrap(), Replay::Identical { .. }), "{run} replays as graded");
    }
    // Each recording is the run that was graded: its simulated time is the run's.
    let total: f64 = ada.recordings.iter().map(|(_, _, f)| Recording::load(f).unwrap().steps as f64 * 0.004).sum();
    assert!((total - ada.sim_s).abs() < 0.05, "{total} vs {}", ada.sim_s);
    // bob's program does not load: nothing to record.
    assert!(class.students[1].recordings.is_empty());
    assert!(!out.join("bob").exists());
    let fb = robocell::grading::outputs::feedback(ada, "Infeed to bin");
    assert!(fb.contains(&format!("- public: `robocell replay {}`", out.join("ada/public.ron").display())), "{fb}");
    assert!(fb.contains("another_seed.ron"), "{fb}");
    assert!(!fb.contains("slower_belt.ron") && !fb.contains("bin_moved.ron"), "hidden runs stay the instructor's: {fb}");
    assert!(!fb.contains("--at failure"), "ada lost no points: {fb}");
    // cy's feedback opens the failed run where it failed: the step after the collision.
    let cy = &class.students[2];
    let fb = robocell::grading::outputs::feedback(cy, "Infeed to bin");
    let public = out.join("cy/public.ron");
    assert!(fb.contains(&format!("- public: `robocell replay {} --at failure`", public.display())), "{fb}");
    let rec = Recording::load(&public).unwrap();
    let (mut w, _) = robocell::sim::world::World::new(rec.loaded().unwrap()).unwrap();
    let mut hit = None;
    for step in 0..rec.steps {
        let cmds: Vec<_> = rec.commands.iter().filter(|c| c.step == step).map(|c| c.command.clone()).collect();
        if w.step(&cmds).iter().any(|e| matches!(e, robocell::sim::world::Event::Collision { .. })) {
            hit = Some(step);
            break;
        }
    }
    let tl = robocell::sim::timeline::Timeline::build(&rec).unwrap();
    assert_eq!(tl.failure(), Some(hit.expect("cy's run hits the belt") + 1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn grade_refuses_a_record_folder_it_cannot_make_before_grading() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_robocell"))
        .args(["grade", "scenarios/pick_and_place.ron", "scenarios/pick_place.src", "--record", "Cargo.toml/runs"])
        .current_dir(root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--record Cargo.toml/runs: cannot make the folder"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("score"), "nothing was graded");
}

#[test]
fn feedback_gives_the_hints_of_the_failed_objectives() {
    let c = hand_class();
    let fb = robocell::grading::outputs::feedback(&c.students[0], "Cell");
    assert!(fb.contains("## Hints\n\n- *Deliver*: Look under the belt.\n"), "{fb}");
    // Not run: its hints would not help (and it has none).
    assert!(!robocell::grading::outputs::feedback(&c.students[1], "Cell").contains("## Hints"));
}

#[test]
fn an_objective_passed_in_every_run_earns_its_points_not_the_sum_of_rounded_shares() {
    let third = |variant: &str, passed: bool| ObjectiveResult {
        title: "Deliver".into(),
        variant: variant.into(),
        hidden: false,
        points: if passed { 3.33 } else { 0.0 },
        max_points: 10.0 / 3.0,
        passed,
        gate: false,
        explanation: String::new(),
    };
    let all = Grade { objectives: vec![third("a", true), third("b", true), third("c", true)], max_score: 10.0, ..Grade::default() };
    assert_eq!(all.totals("Deliver"), (10.0, 10.0));
    let two = Grade { objectives: vec![third("a", true), third("b", true), third("c", false)], max_score: 10.0, ..Grade::default() };
    assert_eq!(two.totals("Deliver"), (6.66, 10.0));
}
