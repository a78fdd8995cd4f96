//! Runs every program in tests/krl and checks the outcome its `; EXPECT` comments state:
//! `state S`, `var NAME = VALUE`, `out N = TRUE|FALSE`, `message TEXT`, `error CODE`.

use robocell::sim::krl::value::Value;
use robocell::sim::world::{Command, ProgramState, World};

use super::{cell_with_program, root};

fn run(cell: &mut World, max_ticks: u64) {
    cell.step(&[Command::Start]);
    for _ in 0..max_ticks {
        if matches!(cell.state(), ProgramState::Finished | ProgramState::Faulted | ProgramState::Halted) {
            break;
        }
        cell.step(&[]);
    }
}

fn value_matches(v: &Value, want: &str) -> bool {
    match v {
        Value::Int(i) => want.parse::<i64>().is_ok_and(|w| w == *i as i64),
        Value::Real(r) => want.parse::<f64>().is_ok_and(|w| (w - r).abs() < 1e-3),
        Value::Bool(b) => want.eq_ignore_ascii_case(if *b { "TRUE" } else { "FALSE" }),
        other => other.to_string() == want,
    }
}

fn check_program(path: &std::path::Path) -> Vec<String> {
    let src = std::fs::read_to_string(path).unwrap();
    let expects: Vec<&str> = src.lines().filter_map(|l| l.trim().strip_prefix("; EXPECT ")).collect();
    assert!(!expects.is_empty(), "{} has no EXPECT lines", path.display());
    let mut failures = Vec::new();
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let wanted_errors: Vec<&str> = expects.iter().filter_map(|e| e.strip_prefix("error ")).collect();
    let mut cell = match cell_with_program(path) {
        Ok(c) => {
            if !wanted_errors.is_empty() {
                failures.push(format!("{name}: expected compile errors {wanted_errors:?}, got none"));
                return failures;
            }
            c
        }
        Err(diags) => {
            for code in &wanted_errors {
                if !diags.iter().any(|d| d.code == *code) {
                    failures
                        .push(format!("{name}: expected error {code}, got {:?}", diags.iter().map(|d| d.to_string()).collect::<Vec<_>>()));
                }
            }
            if wanted_errors.is_empty() {
                failures.push(format!("{name}: unexpected errors {:?}", diags.iter().map(|d| d.to_string()).collect::<Vec<_>>()));
            }
            for d in &diags {
                assert!(d.span.line >= 1 && d.span.col >= 1, "{name}: diagnostic without a position: {d}");
            }
            return failures;
        }
    };
    let busy = expects.contains(&"state RUNNING");
    run(&mut cell, if busy { 50 } else { 20_000 });
    for e in &expects {
        if let Some(s) = e.strip_prefix("state ") {
            let got = format!("{:?}", cell.state()).to_ascii_uppercase();
            if got != s {
                failures.push(format!(
                    "{name}: state {got}, expected {s}; messages {:?}",
                    cell.messages().iter().map(|m| &m.text).collect::<Vec<_>>()
                ));
            }
        } else if let Some(rest) = e.strip_prefix("var ") {
            let (var, want) = rest.split_once(" = ").expect("var NAME = VALUE");
            match cell.variable(var) {
                Some(v) if value_matches(v, want) => {}
                other => failures.push(format!("{name}: {var} is {other:?}, expected {want}")),
            }
        } else if let Some(rest) = e.strip_prefix("out ") {
            let (n, want) = rest.split_once(" = ").expect("out N = BOOL");
            let n: usize = n.parse().unwrap();
            if cell.io.outputs[n] != want.eq_ignore_ascii_case("TRUE") {
                failures.push(format!("{name}: $OUT[{n}] is {}, expected {want}", cell.io.outputs[n]));
            }
        } else if let Some(text) = e.strip_prefix("message ")
            && !cell.messages().iter().any(|m| m.text.contains(text))
        {
            failures.push(format!(
                "{name}: no message containing `{text}` in {:?}",
                cell.messages().iter().map(|m| &m.text).collect::<Vec<_>>()
            ));
        }
    }
    failures
}

#[test]
fn every_krl_program_behaves_as_its_comments_say() {
    let mut files: Vec<_> = std::fs::read_dir(root().join("tests/krl"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "src"))
        .collect();
    files.sort();
    assert!(files.len() >= 15);
    let failures: Vec<String> = files.iter().flat_map(|f| check_program(f)).collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn parser_reports_every_error_with_position() {
    let src = "DEF many( )\n  DECL INT a\n  a = = 1\n  IF a == 1 THEN\n  ELSEIF\n  a = 1 %\nEND\n";
    let (_, diags) = robocell::sim::krl::parse_module("many.src", src, None);
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    assert!(errors.len() >= 3, "{errors:?}");
    let text = errors[0].to_string();
    assert!(text.starts_with("many.src:3:"), "{text}");
    assert!(text.contains("3 |   a = = 1"), "{text}");
}

#[test]
fn random_input_never_panics_the_lexer_or_parser() {
    use rand::{Rng, SeedableRng, rngs::StdRng};
    let pieces = [
        "DEF",
        "END",
        "IF",
        "THEN",
        "ELSE",
        "ENDIF",
        "WHILE",
        "ENDWHILE",
        "FOR",
        "TO",
        "STEP",
        "ENDFOR",
        "LOOP",
        "ENDLOOP",
        "PTP",
        "LIN",
        "DECL",
        "INT",
        "E6POS",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ",",
        "=",
        "==",
        "<>",
        ":",
        ".",
        "X",
        "1.5",
        "'B101'",
        "'H1G'",
        "\"s",
        "#ENUM",
        ";c",
        "\n",
        "&ACCESS",
        "AND",
        "-",
        "*",
        "WAIT",
        "SEC",
        "FOR",
        "$OUT",
        "é",
        "\t",
        "DEFDAT",
        "ENDDAT",
        "%",
        "9999999999999",
    ];
    let mut rng = StdRng::seed_from_u64(1);
    for _ in 0..3000 {
        let n = rng.random_range(1..60);
        let s: String = (0..n).map(|_| pieces[rng.random_range(0..pieces.len())]).collect::<Vec<_>>().join(" ");
        let _ = robocell::sim::krl::parse_module("fuzz.src", &s, Some(("fuzz.dat", &s)));
    }
}

#[test]
fn a_program_as_the_smartpad_writes_it_runs_and_moves_the_robot() {
    use robocell::sim::world::{Event, World};
    let dir = root().join("tests/smartpad");
    let mut loaded = super::default_scenario();
    loaded.src_path = dir.join("inline_forms.src");
    loaded.src = std::fs::read_to_string(&loaded.src_path).unwrap();
    let dat = dir.join("inline_forms.dat");
    loaded.dat = Some((dat.clone(), std::fs::read_to_string(&dat).unwrap()));
    let (mut cell, warnings) = match World::new(loaded) {
        Ok(c) => c,
        Err(d) => panic!("{}", d.iter().map(|d| d.to_string()).collect::<String>()),
    };
    // The editor's LAST_BASIS record is skipped with a warning, nothing else is reported.
    assert_eq!(warnings.iter().map(|w| w.code).collect::<Vec<_>>(), vec!["KRL073"], "{warnings:?}");
    let mut events = cell.step(&[Command::Start]);
    for _ in 0..20_000 {
        if matches!(cell.state(), ProgramState::Finished | ProgramState::Faulted) {
            break;
        }
        events.extend(cell.step(&[]));
    }
    assert_eq!(cell.state(), ProgramState::Finished, "{:?}", cell.messages());
    // The four motions ran in order: PTP HOME, PTP P1, LIN P2, PTP HOME.
    let done: Vec<u32> = events.iter().filter_map(|e| if let Event::MotionDone { line } = e { Some(*line) } else { None }).collect();
    assert_eq!(done, vec![24, 32, 40, 49]);
    // BAS(#PTP_PARAMS,50) set 50 %, BAS(#CP_PARAMS,0.5) 0.5 m/s, PDAT1's #CDIS approximation distance.
    let var = |n: &str| cell.variable(n).cloned();
    assert!(matches!(var("$VEL_AXIS"), Some(Value::Array(a)) if a.elems[0] == Value::Int(100)), "back to 100 % for HOME");
    assert!(matches!(var("$VEL"), Some(Value::Struct(s)) if s.num("CP") == Some(0.5)));
    assert!(matches!(var("$APO"), Some(Value::Struct(s)) if s.num("CDIS") == Some(100.0)));
}

#[test]
fn lint_accepts_the_smartpad_program() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_robocell"))
        .args(["lint", "tests/smartpad/inline_forms.src"])
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("no errors, 1 warning"), "{text}");
}

fn lint(file: &str) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_robocell")).args(["lint", file]).current_dir(root()).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn lint_checks_a_module_with_the_modules_beside_it() {
    // GLOBAL routines and functions and PUBLIC data of gripper.src/.dat are known; a routine
    // nobody here defines (a technology package) is only a warning.
    let (ok, text) = lint("tests/modules/cell_main.src");
    assert!(ok, "{text}");
    assert!(text.contains("warning[KRL072]: routine GRIPPEROPEN is not defined here"), "{text}");
    assert!(text.contains("no errors, 1 warning"), "{text}");

    let (ok, text) = lint("tests/modules/bad_calls.src");
    assert!(!ok, "{text}");
    for want in [
        "bad_calls.src:3:3: error[KRL076]: PICK (in gripper.src) takes 1 parameter(s), 2 given",
        "bad_calls.src:4:7: error[KRL075]: HELPER is a local routine of gripper.src",
        "bad_calls.src:5:3: error[KRL075]",
        "bad_calls.src:6:3: error[KRL080]: PRIVATE_COUNT is not declared",
        "PRIVATE_COUNT is declared in gripper.dat",
        "bad_calls.src:7:3: error[KRL080]: COUNTER is not declared",
        "5 error(s)",
    ] {
        assert!(text.contains(want), "missing `{want}` in\n{text}");
    }
}
