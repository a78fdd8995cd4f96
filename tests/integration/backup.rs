//! A miniature controller backup (KRC/R1/System/$config.dat, KRC/R1/Program/...), written here:
//! linted as a tree, its modules see $config.dat's globals, signals and types; without it
//! such names are warnings that say where they must come from.

use std::path::Path;
use std::process::Command;

use super::root;

fn lint(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_robocell")).arg("lint").args(args).current_dir(root()).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn a_backup_lints_clean_with_its_config_dat() {
    // $config.dat: user globals, SIGNALs, a STRUC and an ENUM, and BASE_DATA/TOOL_DATA set
    // without DECL; cell_main (Windows-1252, CRLF) uses them, a system type, and lib's function.
    let (code, out) = lint(&["tests/backup"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 file(s): 0 error(s), 0 warning(s)"), "{out}");
    assert!(out.contains("with tests/backup/KRC/R1/System/$config.dat"), "{out}");
    // One module given alone finds the same $config.dat up the tree.
    let (code, out) = lint(&["tests/backup/KRC/R1/Program/cell_main.src"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 error(s), 0 warning(s)"), "{out}");
}

#[test]
fn with_config_dat_in_reach_an_undeclared_name_is_an_error_and_without_it_a_warning() {
    let dir = std::env::temp_dir().join(format!("robocell-backup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root().join("tests/backup"), &dir);
    let main = dir.join("KRC/R1/Program/cell_main.src");
    let text = std::fs::read(&main).unwrap();
    let typo = String::from_utf8_lossy(&text).replace("gi_parts_done + 1", "gi_part_done + 1");
    std::fs::write(&main, typo.as_bytes()).unwrap();
    let (code, out) = lint(&[dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[KRL080]: GI_PART_DONE is not declared"), "{out}");
    assert!(out.contains("3 file(s): 1 error(s)"), "{out}");
    // The Program folder copied out of the backup: no $config.dat in reach (inside the backup
    // it is found up the tree). Its names are warnings that say so.
    let alone = dir.with_extension("program");
    let _ = std::fs::remove_dir_all(&alone);
    copy_dir(&dir.join("KRC/R1/Program"), &alone);
    let (code, out) = lint(&[alone.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warning[KRL080]: GO_CONVEYOR is not declared here; on a controller it must come from $config.dat"), "{out}");
    assert!(out.contains("warning[KRL019]: type COLOUR_T is not declared here"), "{out}");
    assert!(out.contains("no $config.dat in reach"), "{out}");
}

#[test]
fn lint_takes_several_paths_and_refuses_a_missing_one() {
    let (code, out) = lint(&["tests/krl/elseif.src", "scenarios/pick_place.src"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("2 file(s): 1 error(s)"), "{out}");
    let (code, out) = lint(&["scenarios", "no/such/dir"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no/such/dir: no such file or folder"), "{out}");
}

#[test]
fn a_library_whose_first_routine_is_a_deffct_lints_clean() {
    // It cannot be selected as a program (the run refuses it, see tests/krl/deffct_first.src),
    // but as a module of functions it is fine.
    let (code, out) = lint(&["tests/krl/deffct_first.src"]);
    assert_eq!(code, 0, "{out}");
}
