//! The command line's verbs, one file each; `main.rs` parses the arguments.

pub mod bench;
pub mod check;
pub mod grade;
pub mod lint;
pub mod replay;
pub mod run;
pub mod serve;

use robocell::sim::krl::Diagnostic;

/// The scenario the window opens and `check` runs when none is given.
pub const DEFAULT_SCENARIO: &str = "scenarios/pick_and_place.ron";

pub fn print_diags(diags: &[Diagnostic]) {
    for d in diags {
        eprint!("{d}");
    }
}
