//! `robocell lint PATH...`: KRL checks of files, folders or a controller backup, each module
//! with the others and the `$config.dat` in reach; exit 0 clean, 1 errors, 2 unreadable.

use std::path::PathBuf;
use std::process::ExitCode;

use robocell::sim::krl::interp::ConfigGlobals;
use robocell::sim::krl::project::lint_paths;
use robocell::sim::krl::source::read_text;
use robocell::sim::krl::{Diagnostic, Interpreter};

use super::print_diags;

pub fn lint(paths: &[PathBuf]) -> ExitCode {
    for p in paths {
        if !p.exists() {
            eprintln!("{}: no such file or folder", p.display());
            return ExitCode::from(2);
        }
    }
    let (files, config) = lint_paths(paths);
    if files.is_empty() {
        eprintln!("no .src, .sub or .dat file in {}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
        return ExitCode::from(2);
    }
    let (mut errors, mut warnings) = (0, 0);
    let n = files.len();
    for f in files {
        let mut diags = f.diagnostics;
        if let Some(module) = f.module.filter(|_| !diags.iter().any(Diagnostic::is_error)) {
            // Compile too: labels and GOTOs, EXIT placement, data list values.
            let cfg = ConfigGlobals::for_checks();
            if let Err(e) = Interpreter::check_with_types(&module, &cfg, &f.context_types) {
                let src = read_text(&f.file).unwrap_or_default();
                let dat_path = f.file.with_extension("dat");
                let dat = read_text(&dat_path).ok();
                let (src_name, dat_name) = (f.file.display().to_string(), dat_path.display().to_string());
                diags.extend(e.diagnostics((&src_name, &src), dat.as_deref().map(|d| (dat_name.as_str(), d))));
            }
        }
        print_diags(&diags);
        let e = diags.iter().filter(|d| d.is_error()).count();
        errors += e;
        warnings += diags.len() - e;
        if n == 1 && e == 0 {
            println!("{}: no errors, {} warning(s)", f.file.display(), diags.len());
        }
    }
    if n > 1 || errors > 0 {
        let summary = format!("{n} file(s): {errors} error(s), {warnings} warning(s)");
        if errors > 0 { eprintln!("{summary}") } else { println!("{summary}") }
    }
    match &config {
        Some(c) => println!("with {}", c.display()),
        None if warnings > 0 => println!("no $config.dat in reach: names and types it would declare are warnings"),
        None => {}
    }
    if errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}
