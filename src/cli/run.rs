//! `robocell run`: the window (the default verb).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use robocell::sim::scenario::Scenario;

use super::print_diags;

/// What the window is asked to do besides showing the cell.
#[cfg_attr(not(feature = "app"), allow(dead_code))]
pub struct RunOptions {
    pub start: bool,
    pub speed: f64,
    pub screenshot: Option<PathBuf>,
    pub at: f64,
    pub record: Option<PathBuf>,
    /// Window size in pixels.
    pub size: (u32, u32),
    /// The pendant's tab to open.
    pub tab: String,
    /// Servers on the plant network.
    pub net: super::serve::NetArgs,
    /// The program's `$config.dat`, given or assumed.
    pub config: super::ConfigArgs,
    /// Run this program instead of the scenario's (a lesson's work copy).
    pub program: Option<PathBuf>,
    /// The camera's view at the start: operator, front, side, top or follow.
    pub view: Option<String>,
    /// Draw the TCP's trail from the start.
    pub trail: bool,
    /// Draw the program's `$BASE` and `$TOOL`.
    pub frames: bool,
    /// The lesson the window teaches (`robocell lesson N`).
    #[cfg(feature = "app")]
    pub lesson: Option<robocell::app::lesson::LessonInfo>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            start: false,
            speed: 1.0,
            screenshot: None,
            at: 0.0,
            record: None,
            size: (1400, 860),
            tab: "program".into(),
            net: Default::default(),
            config: Default::default(),
            program: None,
            view: None,
            trail: false,
            frames: false,
            #[cfg(feature = "app")]
            lesson: None,
        }
    }
}

#[cfg(feature = "app")]
pub fn run(path: &Path, o: RunOptions) -> ExitCode {
    let mut loaded = match Scenario::load_with_program(path, o.program.as_deref()) {
        Ok(l) => l,
        Err(diags) => {
            print_diags(&diags);
            return ExitCode::from(2);
        }
    };
    if o.config.apply(&mut loaded).is_err() {
        return ExitCode::from(2);
    }
    #[cfg(feature = "net")]
    let serve = match o.net.options(false) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    #[cfg(not(feature = "net"))]
    if let Err(e) = o.net.refuse() {
        eprintln!("{e}");
        return ExitCode::from(2);
    }
    let script = robocell::app::Script {
        autostart: o.start,
        screenshot: o.screenshot.map(|p| (p, o.at)),
        speed: o.speed,
        record: o.record,
        size: o.size,
        tab: o.tab,
        lesson: o.lesson,
        view: o.view.as_deref().and_then(robocell::app::camera::View::by_name),
        trail: o.trail,
        frames: o.frames,
        #[cfg(feature = "net")]
        serve,
    };
    match robocell::app::run(loaded, script) {
        Ok(()) => ExitCode::SUCCESS,
        Err(robocell::app::RunError::Scenario(diags)) => {
            print_diags(&diags);
            ExitCode::from(2)
        }
        Err(robocell::app::RunError::Network(e)) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(feature = "app"))]
pub fn run(path: &Path, o: RunOptions) -> ExitCode {
    if let Err(diags) = Scenario::load_with_program(path, o.program.as_deref()) {
        print_diags(&diags);
    }
    eprintln!("this robocell was built without the window (feature `app`); try `robocell check`");
    ExitCode::from(2)
}
