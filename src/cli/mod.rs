//! The command line's verbs, one file each; `main.rs` parses the arguments.

pub mod bench;
pub mod check;
pub mod grade;
pub mod lesson;
pub mod lint;
pub mod replay;
pub mod run;
pub mod serve;

use std::path::PathBuf;

use robocell::sim::krl::Diagnostic;
use robocell::sim::scenario::Loaded;

/// Where the program's `$config.dat` comes from, when not from beside it or its backup.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ConfigArgs {
    /// The controller's $config.dat to load with the program (instead of the one in reach).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// With no $config.dat in reach: declare the names only one would declare, as the program
    /// uses them (a name assigned TRUE is BOOL, a motion target E6POS, ...), with a warning each.
    #[arg(long)]
    pub assume_config: bool,
}

impl ConfigArgs {
    /// Puts the given or assumed `$config.dat` into the program's files; Err (diagnostics
    /// printed) when it cannot.
    pub fn apply(&self, loaded: &mut Loaded) -> Result<(), ()> {
        if let Some(path) = &self.config {
            if !robocell::sim::krl::project::is_config(path) {
                eprintln!("--config {}: give the controller's $config.dat (a file of that name)", path.display());
                return Err(());
            }
            let text = robocell::sim::krl::source::read_text(path).map_err(|e| eprintln!("--config {}: {e}", path.display()))?;
            loaded.others.retain(|(p, _)| !robocell::sim::krl::project::is_config(p));
            loaded.others.push((path.clone(), text));
        }
        if self.assume_config {
            let warnings = robocell::sim::controller::assume_config(loaded).map_err(|d| {
                print_diags(&d);
                eprintln!("--assume-config: {} name(s) could not be declared", d.len());
            })?;
            print_diags(&warnings);
        }
        Ok(())
    }
}

/// The scenario the window opens and `check` runs when none is given.
pub const DEFAULT_SCENARIO: &str = "scenarios/pick_and_place.ron";

pub fn print_diags(diags: &[Diagnostic]) {
    for d in diags {
        eprint!("{d}");
    }
}
