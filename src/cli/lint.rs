//! `robocell lint`: KRL checks of a module with the modules beside it; exit 0 clean, 1 errors,
//! 2 unreadable.

use std::path::Path;
use std::process::ExitCode;

use robocell::sim::krl::interp::ConfigGlobals;
use robocell::sim::krl::source::read_text;
use robocell::sim::krl::{Diagnostic, Interpreter};
use robocell::sim::math::Frame;

use super::print_diags;

pub fn lint(path: &Path) -> ExitCode {
    // The module with its .dat, checked together with the modules beside it.
    let (module, mut diags) = match robocell::sim::krl::project::lint_file(path) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    // A `.dat` is checked with the `.src` beside it, or alone as a data list.
    let module_path = robocell::sim::krl::project::module_source(path);
    let path = module_path.as_deref().unwrap_or(path);
    let src = read_text(path).unwrap_or_default();
    let dat_path = path.with_extension("dat");
    let dat = read_text(&dat_path).ok();
    let dat_name = dat_path.display().to_string();
    let src_name = path.display().to_string();
    if module_path.is_some() && !diags.iter().any(Diagnostic::is_error) {
        // Compile too: labels and GOTOs, EXIT placement, data list values.
        let cfg = ConfigGlobals {
            home_deg: [0.0, -90.0, 90.0, 0.0, 0.0, 0.0],
            tool: Frame::NULL,
            tool_number: 1,
            robroot: Frame::NULL,
            bases: Vec::new(),
        };
        if let Err(e) = Interpreter::new(&module, &cfg) {
            diags.extend(e.diagnostics((&src_name, &src), dat.as_deref().map(|d| (dat_name.as_str(), d))));
        }
    }
    print_diags(&diags);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    if errors > 0 {
        eprintln!("{errors} error(s), {warnings} warning(s)");
        ExitCode::from(1)
    } else {
        println!("{}: no errors, {warnings} warning(s)", path.display());
        ExitCode::SUCCESS
    }
}
