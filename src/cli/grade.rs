//! `robocell grade`: grades a class on a scenario and its variants; exit 0 when every submission
//! was graded (whatever its score), 2 for a bad scenario, bad arguments or an output not written.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use robocell::grading::{self, Exercise, Submission, outputs};

use super::print_diags;

pub struct GradeOptions {
    pub jobs: Option<usize>,
    pub csv: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub junit: Option<PathBuf>,
    pub gradescope: Option<PathBuf>,
    pub feedback: Option<PathBuf>,
    pub record: Option<PathBuf>,
}

pub fn grade(scenario: &Path, paths: &[PathBuf], o: GradeOptions) -> ExitCode {
    let ex = match Exercise::load(scenario) {
        Ok(e) => e,
        Err(d) => {
            print_diags(&d);
            eprintln!("{} problem(s) in the scenario: nothing was graded", d.len());
            return ExitCode::from(2);
        }
    };
    if ex.scenario.objectives.is_empty() {
        eprintln!("{}: the scenario has no objectives to grade", scenario.display());
        return ExitCode::from(2);
    }
    // `submissions/*` also lists each .dat beside its .src: the .src brings it along.
    let companion = |p: &PathBuf| {
        p.extension().is_some_and(|e| e.eq_ignore_ascii_case("dat"))
            && paths.iter().any(|q| q != p && q.with_extension("") == p.with_extension(""))
    };
    let mut subs: Vec<Submission> = paths.iter().filter(|p| !companion(p)).map(|p| Submission::find(p, &ex.scenario.program)).collect();
    grading::unique_names(&mut subs);
    if let Some(dir) = &o.record
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("--record {}: cannot make the folder: {e}", dir.display());
        return ExitCode::from(2);
    }
    let jobs = o.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let runs = 1 + ex.scenario.variants.len();
    eprintln!("grading {} submission(s) x {runs} run(s) on {jobs} thread(s)", subs.len());
    let tty = std::io::stderr().is_terminal();
    let bar = |done: usize, total: usize| {
        if tty {
            let w = 30;
            let filled = (done * w).checked_div(total).unwrap_or(w);
            eprint!("\r[{}{}] {done}/{total} runs", "#".repeat(filled), ".".repeat(w - filled));
            if done == total {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        }
    };
    let class = grading::grade_class_recorded(&ex, &subs, jobs, &bar, o.record.as_deref());
    if let Some(dir) = &o.record {
        let n: usize = class.students.iter().map(|s| s.recordings.len()).sum();
        eprintln!("{n} run recording(s) in {} (robocell replay FILE; a run that lost points: --at failure)", dir.display());
    }
    print!("{}", outputs::table(&class));
    let sim_s: f64 = class.students.iter().map(|s| s.sim_s).sum();
    let bad = class.students.iter().filter(|s| s.error.is_some()).count();
    println!(
        "{} graded ({} with an error or fault); {:.0} s simulated in {:.1} s on {jobs} thread(s): {:.0}x real time",
        class.students.len(),
        bad,
        sim_s,
        class.wall_s,
        sim_s / class.wall_s.max(1e-9)
    );
    // Every output is attempted, even when one cannot be written.
    let mut ok = true;
    let mut write = |path: &Path, text: &str| {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("{}: cannot write: {e}", path.display());
            ok = false;
        }
    };
    if let Some(p) = &o.json {
        write(p, &outputs::json(&class));
    }
    if let Some(p) = &o.csv {
        write(p, &outputs::csv(&class));
    }
    if let Some(p) = &o.junit {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        write(p, &outputs::junit(&class, now, &hostname()));
    }
    if let Some(p) = &o.gradescope {
        let per_student = class.wall_s / class.students.len().max(1) as f64;
        if let [one] = class.students.as_slice() {
            write(p, &outputs::gradescope(one, ex.scenario.time_limit_s, per_student));
        } else {
            for s in &class.students {
                write(
                    &p.join(format!("{}.json", outputs::file_stem(&s.name))),
                    &outputs::gradescope(s, ex.scenario.time_limit_s, per_student),
                );
            }
        }
    }
    if let Some(dir) = &o.feedback {
        for s in &class.students {
            write(&dir.join(format!("{}.md", outputs::file_stem(&s.name))), &outputs::feedback(s, &class.scenario));
        }
    }
    if ok { ExitCode::SUCCESS } else { ExitCode::from(2) }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}
