//! The course in `lessons/`: every starter loads and fails, every solution passes every public
//! and hidden variant and lints clean, every lesson text parses and its KRL is KRL robocell runs.

use std::path::Path;
use std::process::Command;

use robocell::course::{self, Lesson};
use robocell::sim::exercise;
use robocell::sim::scenario::Scenario;

use super::root;

fn all() -> Vec<Lesson> {
    let all = course::lessons(&root().join(course::LESSONS_DIR)).expect("the lessons folder reads");
    assert_eq!(all.iter().map(|l| l.number).collect::<Vec<_>>(), (1..=12).collect::<Vec<_>>(), "twelve lessons, 1 to 12");
    all
}

/// Grades `program` on the lesson's scenario with every variant, hidden ones too.
fn grade(l: &Lesson, program: &Path) -> exercise::Grade {
    let loaded = Scenario::load_with_program(&l.scenario(), Some(program)).unwrap_or_else(|d| panic!("lesson {}: {d:?}", l.number));
    let (g, _) = exercise::grade_program(&loaded, true).unwrap_or_else(|d| panic!("lesson {} {}: {d:?}", l.number, program.display()));
    g
}

fn program(l: &Lesson, folder: &Path) -> std::path::PathBuf {
    folder.join(l.program_file().expect("the scenario names its program"))
}

#[test]
fn every_lesson_has_its_parts_and_enough_variants() {
    for l in all() {
        let sc = Scenario::load(&l.scenario()).unwrap_or_else(|d| panic!("lesson {}: {d:?}", l.number)).scenario;
        let public = sc.variants.iter().filter(|v| !v.hidden).count();
        let hidden = sc.variants.len() - public;
        assert!(public >= 2 && hidden >= 2, "lesson {}: {public} public and {hidden} hidden variants", l.number);
        assert!(!sc.objectives.is_empty(), "lesson {} grades nothing", l.number);
        for o in &sc.objectives {
            assert!(!o.hint.is_empty(), "lesson {}: objective `{}` has no hint", l.number, o.title);
        }
        assert!(program(&l, &l.solution()).is_file() && program(&l, &l.starter()).is_file(), "lesson {}", l.number);
        for part in ["Goal", "What is graded"] {
            assert!(l.text.contains(part), "lesson {}: lesson.md says nothing under `{part}`", l.number);
        }
    }
}

#[test]
fn every_solution_gets_full_marks_on_every_variant() {
    for l in all() {
        let g = grade(&l, &program(&l, &l.solution()));
        let failed: Vec<String> =
            g.objectives.iter().filter(|o| !o.passed).map(|o| format!("{} [{}]: {}", o.title, o.variant, o.explanation)).collect();
        assert!(g.full_marks() && failed.is_empty(), "lesson {}: {} of {}\n{}", l.number, g.score, g.max_score, failed.join("\n"));
        assert!(g.hints.is_empty(), "lesson {}: hints for a full-marks run", l.number);
    }
}

#[test]
fn every_starter_loads_runs_and_fails_with_hints() {
    for l in all() {
        let starter = program(&l, &l.starter());
        let loaded = Scenario::load_with_program(&l.scenario(), Some(&starter)).expect("starter loads");
        let (mut world, _) = robocell::sim::world::World::new(loaded).unwrap_or_else(|d| panic!("lesson {} starter: {d:?}", l.number));
        let run = world.run_to_end();
        assert!(run.end_s > 0.5, "lesson {}: the starter did not run", l.number);
        let g = grade(&l, &starter);
        assert!(!g.full_marks(), "lesson {}: the starter already passes ({} of {})", l.number, g.score, g.max_score);
        assert!(!g.hints.is_empty(), "lesson {}: the starter fails without a hint", l.number);
    }
}

#[test]
fn every_solution_lints_clean() {
    for l in all() {
        let out = Command::new(env!("CARGO_BIN_EXE_robocell")).arg("lint").arg(l.solution()).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "lesson {}: {text}", l.number);
        assert!(text.contains(" 0 error(s), 0 warning(s)") || text.contains("no errors, 0 warning(s)"), "lesson {}: {text}", l.number);
    }
}

/// A lesson's KRL examples: each block parses, as a whole module or as statements of one.
#[test]
fn every_lesson_text_has_a_title_and_krl_that_parses() {
    for l in all() {
        assert!(l.title.starts_with(&format!("Lesson {}:", l.number)), "lesson {}: title `{}`", l.number, l.title);
        let blocks: Vec<_> = course::code_blocks(&l.text).into_iter().filter(|b| b.0 == "krl").collect();
        assert!(!blocks.is_empty(), "lesson {} shows no KRL", l.number);
        for (_, code, line) in blocks {
            let whole = code.trim_start().starts_with("DEF") || code.trim_start().starts_with('&');
            let src = if whole { code.clone() } else { format!("DEF snippet( )\n{code}END\n") };
            let name = if whole { format!("{}.src", super::def_name(&src)) } else { "snippet.src".into() };
            let (_, diags) = robocell::sim::krl::parse_module(&name, &src, None);
            // The examples use points and variables of the lesson's program: only those may be missing.
            let bad: Vec<String> = diags.iter().filter(|d| d.is_error() && d.code != "KRL080").map(|d| d.to_string()).collect();
            assert!(bad.is_empty(), "lesson {} lesson.md line {line}:\n{}", l.number, bad.join(""));
        }
    }
}

#[test]
fn a_lesson_folder_is_checked_and_graded_by_its_scenario() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_robocell")).args(args).current_dir(root()).output().unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).to_string())
    };
    let (code, out) = run(&["check", "lessons/02", "--program", "lessons/02/solution/square.src"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("score: 100 / 100 (full marks)"), "{out}");
    let (code, out) = run(&["check", "lessons/02"]);
    assert_eq!(code, 1, "the starter is not full marks: {out}");
    assert!(out.contains("hints:"), "{out}");
    let (code, out) = run(&["grade", "lessons/02", "lessons/02/solution", "lessons/02/starter"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("100") && out.contains("solution") && out.contains("starter"), "{out}");
    // A folder that is no lesson is bad input, said as such.
    let out = Command::new(env!("CARGO_BIN_EXE_robocell")).args(["check", "lessons"]).current_dir(root()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("lessons is a folder without a scenario.ron"), "{err}");
}

#[test]
fn starting_a_lesson_copies_the_starter_once_and_keeps_the_students_work() {
    let l = all().into_iter().find(|l| l.number == 3).unwrap();
    let work = std::env::temp_dir().join(format!("robocell-lesson-work-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let (src, copied) = course::start_work(&l, &work).unwrap();
    assert_eq!(src, work.join("03").join(l.program_file().unwrap()));
    assert_eq!(copied.len(), std::fs::read_dir(l.starter()).unwrap().count());
    std::fs::write(&src, "my work").unwrap();
    let (_, again) = course::start_work(&l, &work).unwrap();
    assert!(again.is_empty(), "nothing copied over the student's files");
    assert_eq!(std::fs::read_to_string(&src).unwrap(), "my work");
    assert!(course::record_score(&work, 3, 40.0, 100.0).unwrap());
    assert!(!course::record_score(&work, 3, 10.0, 100.0).unwrap());
    assert_eq!(course::Progress::load(&work).unwrap().best[&3].score, 40.0);
    std::fs::remove_dir_all(&work).unwrap();
}
