use std::process::Command;

use super::root;

fn robocell(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_robocell")).args(args).current_dir(root()).output().expect("runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn check_passes_the_default_scenario() {
    let (code, out, err) = robocell(&["check"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("score: 100 / 100 (full marks)"), "{out}");
    // The public run and the public variant are run; the hidden ones are only counted.
    assert!(out.contains("run `public`: the program ended") && out.contains("run `another seed`"), "{out}");
    assert!(!out.contains("run `slower belt`") && out.contains("2 hidden variant(s)"), "{out}");
}

#[test]
fn check_exits_2_on_bad_input() {
    let dir = std::env::temp_dir().join(format!("robocell-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.ron");
    std::fs::write(&bad, "(name: \"x\", robot: (model: 5))").unwrap();
    let (code, _, err) = robocell(&["check", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.ron:1:"), "{err}");
    let (code, _, _) = robocell(&["check", "no/such/file.ron"]);
    assert_eq!(code, 2);
}

#[test]
fn check_exits_1_when_the_program_fails() {
    let dir = std::env::temp_dir().join(format!("robocell-fail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(root().join("scenarios/pick_and_place.ron")).unwrap();
    std::fs::write(dir.join("cell.ron"), text.replace("time_limit_s: 60", "time_limit_s: 3")).unwrap();
    std::fs::copy(root().join("scenarios/pick_place.src"), dir.join("pick_place.src")).unwrap();
    std::fs::copy(root().join("scenarios/pick_place.dat"), dir.join("pick_place.dat")).unwrap();
    let (code, out, err) = robocell(&["check", dir.join("cell.ron").to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("FAIL") && out.contains("when the time limit (3 s) passed"), "{out}");
    assert!(out.contains("score: 20 / 100 (not full marks)"), "{out}");
}

#[test]
fn lint_points_at_the_error() {
    let (code, _, err) = robocell(&["lint", "tests/krl/elseif.src"]);
    assert_eq!(code, 1);
    assert!(err.contains("tests/krl/elseif.src:7:3: error[KRL043]"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    let (code, out, _) = robocell(&["lint", "scenarios/pick_place.src"]);
    assert_eq!(code, 0, "{out}");
    // Errors found when compiling, not parsing, are reported too.
    let (code, _, err) = robocell(&["lint", "tests/krl/goto_into_block.src"]);
    assert_eq!(code, 1);
    assert!(err.contains("goto_into_block.src:5:3: error[KRL100]: GOTO INSIDE jumps into a block"), "{err}");
}

#[test]
fn check_records_and_replay_checks_the_recording() {
    let dir = std::env::temp_dir().join(format!("robocell-cli-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rec = dir.join("run.ron");
    let (code, out, err) = robocell(&["check", "--record", rec.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("recording:") && rec.exists(), "{out}");
    let (code, out, err) = robocell(&["replay", rec.to_str().unwrap(), "--check"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("identical"), "{out}");
    // The final fingerprint changed by hand: diverged, exit 1.
    let text = std::fs::read_to_string(&rec).unwrap();
    let fp_line = text.lines().find(|l| l.trim_start().starts_with("fingerprint:")).unwrap();
    let changed = text.replace(fp_line, "    fingerprint: 12345,");
    let bad = dir.join("changed.ron");
    std::fs::write(&bad, changed).unwrap();
    let (code, out, _) = robocell(&["replay", bad.to_str().unwrap(), "--check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DIVERGED"), "{out}");
    // Truncated: exit 2 with file:line:col.
    let cut = dir.join("cut.ron");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let (code, _, err) = robocell(&["replay", cut.to_str().unwrap(), "--check"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cut.ron:") && err.contains("not a valid recording"), "{err}");
}

#[test]
fn check_exits_2_on_a_bad_program_and_lint_on_an_unreadable_file() {
    // The default scenario beside a program with a syntax error on line 3, column 7.
    let dir = std::env::temp_dir().join(format!("robocell-cli-badprog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(super::root().join("scenarios/pick_and_place.ron"), dir.join("cell.ron")).unwrap();
    std::fs::write(dir.join("pick_place.src"), "DEF pick_place( )\n  PTP XHOME\n  a = = 1\nEND\n").unwrap();
    let (code, out, err) = robocell(&["check", dir.join("cell.ron").to_str().unwrap()]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(err.contains("pick_place.src:3:7"), "{err}");
    assert!(err.contains("nothing was run"), "{err}");
    let (code, _, err) = robocell(&["lint", "no/such/program.src"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no/such/program.src: no such file or folder"), "{err}");
}

#[test]
fn lint_reads_a_windows_1252_file_with_crlf() {
    let (code, out, err) = robocell(&["lint", "tests/krl/encoding_cp1252.src"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("no errors, 0 warning(s)"), "{out}");
}

#[test]
fn lint_of_a_dat_checks_it_with_its_src_or_alone_as_a_data_list() {
    // Beside its .src: the module is checked, as `lint pick_place.src` would.
    let (code, out, err) = robocell(&["lint", "scenarios/pick_place.dat"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("pick_place.src: no errors"), "{out}");
    // Alone: a data list, with its own errors at their places, and no complaint about a missing DEF.
    let dir = std::env::temp_dir().join(format!("robocell-cli-dat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("alone.dat"), "DEFDAT alone\n  DECL INT n = 1\n  DECL E6POS p = {X 1, Y 2\nENDDAT\n").unwrap();
    let (code, out, err) = robocell(&["lint", dir.join("alone.dat").to_str().unwrap()]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("alone.dat:3:"), "{err}");
    assert!(!err.contains("no DEF") && !err.contains("ENDDAT"), "{err}");
    std::fs::write(dir.join("fine.dat"), "DEFDAT fine PUBLIC\n  DECL GLOBAL INT n = 1\nENDDAT\n").unwrap();
    let (code, out, err) = robocell(&["lint", dir.join("fine.dat").to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}");
}

#[test]
fn check_with_a_program_that_is_not_there_names_that_file() {
    let (code, _, err) = robocell(&["check", "scenarios/pick_and_place.ron", "--program", "no/such.src"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no/such.src:1:1: error[SCN001]: cannot read the program"), "{err}");
}
