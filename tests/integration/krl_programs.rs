//! Runs every program in tests/krl and checks the outcome its `; EXPECT` comments state (in the
//! `.src` or its `.dat`): `state S`, `var NAME = VALUE`, `out N = TRUE|FALSE`, `message TEXT`,
//! `error CODE at L:C`, `warning CODE at L:C`. The diagnostics of loading the program must be
//! exactly the expected ones (each at its file, line and column, none missing, none extra); an
//! EXPECT of an unknown kind, or a comment that looks like one but is not, fails the test.

use std::path::Path;

use robocell::sim::krl::Severity;
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

/// One `; EXPECT` line.
#[derive(Debug, PartialEq)]
enum Expect {
    State(String),
    Var(String, String),
    Out(usize, bool),
    Message(String),
    /// No controller message contains this text.
    NoMessage(String),
    /// The robot's axes at the end, degrees.
    Axes([f64; 6]),
    /// A diagnostic: severity, code, file name, line, column.
    Diag(Severity, String, String, u32, u32),
}

/// Parses the EXPECT lines of `file`; an unknown kind or a malformed line is an error.
fn parse_expects(file: &str, text: &str) -> Result<Vec<Expect>, Vec<String>> {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = format!("{file}:{}", i + 1);
        let t = line.trim();
        let Some(rest) = t.strip_prefix("; EXPECT ") else {
            // Anything that looks like an expectation but is not written exactly so is never read.
            if t.starts_with(';') && t.to_ascii_uppercase().contains("EXPECT") {
                bad.push(format!("{at}: `{t}` is not an EXPECT line (write `; EXPECT kind ...`)"));
            }
            continue;
        };
        let (kind, arg) = rest.split_once(' ').unwrap_or((rest, ""));
        let diag = |sev: Severity| -> Option<Expect> {
            let (code, pos) = arg.split_once(" at ")?;
            let (l, c) = pos.trim().split_once(':')?;
            Some(Expect::Diag(sev, code.trim().to_string(), file.to_string(), l.parse().ok()?, c.parse().ok()?))
        };
        let e = match kind {
            "state" if ["READY", "RUNNING", "STOPPED", "HALTED", "FINISHED", "FAULTED"].contains(&arg) => Some(Expect::State(arg.into())),
            "var" => arg.split_once(" = ").map(|(n, v)| Expect::Var(n.trim().into(), v.trim().into())),
            "out" => arg.split_once(" = ").and_then(|(n, v)| {
                let b = match v.trim() {
                    "TRUE" => true,
                    "FALSE" => false,
                    _ => return None,
                };
                Some(Expect::Out(n.trim().parse().ok()?, b))
            }),
            "message" if !arg.is_empty() => Some(Expect::Message(arg.into())),
            "nomessage" if !arg.is_empty() => Some(Expect::NoMessage(arg.into())),
            "axes" => {
                let v: Vec<f64> = arg.split_whitespace().filter_map(|x| x.parse().ok()).collect();
                (v.len() == 6 && arg.split_whitespace().count() == 6).then(|| Expect::Axes(std::array::from_fn(|i| v[i])))
            }
            "error" => diag(Severity::Error),
            "warning" => diag(Severity::Warning),
            _ => None,
        };
        match e {
            Some(e) => out.push(e),
            None => bad.push(format!(
                "{at}: cannot read `{t}` (kinds: state, var, out, message, nomessage, axes, error CODE at L:C, warning CODE at L:C)"
            )),
        }
    }
    if bad.is_empty() { Ok(out) } else { Err(bad) }
}

fn check_program(path: &Path) -> Vec<String> {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let mut expects = Vec::new();
    let mut failures = Vec::new();
    let dat = path.with_extension("dat");
    for f in [path, dat.as_path()] {
        let Ok(text) = robocell::sim::krl::source::read_text(f) else { continue };
        match parse_expects(&f.file_name().unwrap().to_string_lossy(), &text) {
            Ok(mut e) => expects.append(&mut e),
            Err(mut e) => failures.append(&mut e),
        }
    }
    if expects.is_empty() {
        failures.push(format!("{name} has no EXPECT lines"));
    }
    let (cell, diags) = match cell_with_program(path) {
        Ok((c, warnings)) => (Some(c), warnings),
        Err(diags) => (None, diags),
    };
    // The diagnostics, exactly.
    let got: Vec<Expect> = diags
        .iter()
        .map(|d| {
            let file = Path::new(&d.file).file_name().unwrap().to_string_lossy().to_string();
            Expect::Diag(d.severity, d.code.to_string(), file, d.span.line, d.span.col)
        })
        .collect();
    let wanted: Vec<&Expect> = expects.iter().filter(|e| matches!(e, Expect::Diag(..))).collect();
    for w in &wanted {
        if !got.contains(w) {
            failures.push(format!("{name}: expected {w:?}, got {:?}", diags.iter().map(|d| d.to_string()).collect::<Vec<_>>()));
        }
    }
    for (g, d) in got.iter().zip(&diags) {
        if !wanted.contains(&g) {
            failures.push(format!("{name}: unexpected diagnostic {d}"));
        }
    }
    let Some(mut cell) = cell else {
        if expects.iter().any(|e| !matches!(e, Expect::Diag(..))) {
            failures.push(format!("{name}: the program does not load, so its state, var, out and message EXPECTs cannot be checked"));
        }
        return failures;
    };
    let busy = expects.contains(&Expect::State("RUNNING".into()));
    run(&mut cell, if busy { 50 } else { 20_000 });
    let messages = || cell.messages().iter().map(|m| m.text.clone()).collect::<Vec<_>>();
    for e in &expects {
        match e {
            Expect::State(s) => {
                let got = format!("{:?}", cell.state()).to_ascii_uppercase();
                if got != *s {
                    failures.push(format!("{name}: state {got}, expected {s}; messages {:?}", messages()));
                }
            }
            Expect::Var(var, want) => match cell.variable(var) {
                Some(v) if value_matches(v, want) => {}
                other => failures.push(format!("{name}: {var} is {other:?}, expected {want}")),
            },
            Expect::Out(n, want) => {
                if cell.io.outputs[*n] != *want {
                    failures.push(format!("{name}: $OUT[{n}] is {}, expected {want}", cell.io.outputs[*n]));
                }
            }
            Expect::Message(text) => {
                if !cell.messages().iter().any(|m| m.text.contains(text.as_str())) {
                    failures.push(format!("{name}: no message containing `{text}` in {:?}", messages()));
                }
            }
            Expect::NoMessage(text) => {
                if let Some(m) = cell.messages().iter().find(|m| m.text.contains(text.as_str())) {
                    failures.push(format!("{name}: message `{}` contains `{text}`", m.text));
                }
            }
            Expect::Axes(want) => {
                let got = cell.axes_deg();
                if (0..6).any(|i| (got[i] - want[i]).abs() > 1e-6) {
                    failures.push(format!("{name}: the robot stands at {got:?}, expected {want:?}"));
                }
            }
            Expect::Diag(..) => {}
        }
    }
    failures
}

#[test]
fn the_harness_refuses_expectations_it_cannot_read() {
    let bad = [
        "; EXPECT mesage Program end",
        "; EXPECT warning KRL072",
        "; EXPECT error KRL012 at 3",
        "; EXPECT state DONE",
        "; EXPECT out 3 = yes",
        "; EXPECT axes 0 -90 90 0 0",
        ";EXPECT state FINISHED",
        "; expect state FINISHED",
    ];
    for line in bad {
        assert!(parse_expects("t.src", line).is_err(), "`{line}` was accepted");
    }
    let good = "; EXPECT error KRL012 at 3:7\n; EXPECT warning KRL073 at 2:1\n; EXPECT out 4 = TRUE\n; EXPECT var X = 2.5";
    let got = parse_expects("t.src", good).unwrap();
    assert_eq!(got[0], Expect::Diag(Severity::Error, "KRL012".into(), "t.src".into(), 3, 7));
    assert_eq!(got[1], Expect::Diag(Severity::Warning, "KRL073".into(), "t.src".into(), 2, 1));
    assert_eq!(got[2], Expect::Out(4, true));
    assert_eq!(got[3], Expect::Var("X".into(), "2.5".into()));
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
    // Nothing is reported; the editor's LAST_BASIS record is read as the smartPAD's BASIS_SUGG_T.
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(matches!(cell.variable("LAST_BASIS"), Some(Value::Struct(s)) if s.ty == "BASIS_SUGG_T"), "{:?}", cell.variable("LAST_BASIS"));
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
    assert!(text.contains("no errors, 0 warning"), "{text}");
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
        // No $config.dat in reach: COUNTER may be declared there, so it is only a warning.
        "bad_calls.src:7:3: warning[KRL080]: COUNTER is not declared here; on a controller it must come from $config.dat",
        "4 error(s)",
    ] {
        assert!(text.contains(want), "missing `{want}` in\n{text}");
    }
}
