//! Grading a class: finding each student's program, running every submission on the public
//! scenario and each variant in parallel, and the results the outputs (`outputs.rs`) are made
//! of. A submission that is missing, broken, hanging or faulting gets its score and its message;
//! the batch goes on.

pub mod outputs;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::sim::exercise::{self, Grade, ObjectiveResult, RunRecord};
use crate::sim::krl::Diagnostic;
use crate::sim::krl::source::read_text;
use crate::sim::scenario::{Loaded, Scenario};

/// An exercise read from its scenario file, ready to grade programs against.
#[derive(Clone, Debug)]
pub struct Exercise {
    pub path: PathBuf,
    pub text: String,
    pub scenario: Scenario,
}

impl Exercise {
    /// Reads and checks a scenario without its program (the grader brings the programs).
    pub fn load(path: &Path) -> Result<Exercise, Vec<Diagnostic>> {
        let path = &Scenario::resolve(path);
        let file = path.display().to_string();
        let text = Scenario::read(path)?;
        let scenario = Scenario::parse(&file, &text)?;
        let errors = scenario.validate(&file, &text);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Exercise { path: path.to_path_buf(), text, scenario })
    }

    /// The scenario with this program.
    pub fn with_program(&self, src: &Path) -> Result<Loaded, Vec<Diagnostic>> {
        let dat_path = src.with_extension("dat");
        let dat = read_text(&dat_path).ok().map(|t| (dat_path, t));
        let mut loaded = Scenario::from_texts(&self.path, &self.text, Some((src.to_path_buf(), read_text(src))), dat)?;
        // The student's other modules are loaded with the program, as on a controller.
        loaded.others = crate::sim::scenario::other_modules(src);
        Ok(loaded)
    }
}

/// One student's work: a name and the program found for it, or why none was.
#[derive(Clone, Debug, PartialEq)]
pub struct Submission {
    pub name: String,
    pub program: Result<PathBuf, String>,
}

fn is_src(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("src"))
}

/// Every `.src` under `dir` (down to `depth` folders), sorted.
fn src_files(dir: &Path, depth: u32) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return out };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() && depth > 0 {
            out.extend(src_files(&p, depth - 1));
        } else if p.is_file() && is_src(&p) {
            out.push(p);
        }
    }
    out
}

impl Submission {
    /// A student's folder (the `.src` named like the scenario's program, else its only `.src`)
    /// or a single `.src` file. The name is the folder's name or the file's stem.
    pub fn find(path: &Path, program_name: &str) -> Submission {
        let stem = |p: &Path| p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let name = if path.is_dir() {
            path.canonicalize().ok().as_deref().and_then(Path::file_name).map(|s| s.to_string_lossy().into_owned())
        } else {
            None
        }
        .unwrap_or_else(|| stem(path));
        let name = if name.is_empty() { path.display().to_string() } else { name };
        let program = if path.is_dir() {
            let want = Path::new(program_name).file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default();
            let found = src_files(path, 2);
            match found.iter().find(|p| stem(p).to_lowercase() == want) {
                Some(p) => Ok(p.clone()),
                None if found.len() == 1 => Ok(found[0].clone()),
                None if found.is_empty() => Err(format!("no .src file in {}", path.display())),
                None => {
                    Err(format!("{} .src files in {} and none is named {want}.src: which is the program?", found.len(), path.display()))
                }
            }
        } else if path.is_file() && is_src(path) {
            Ok(path.to_path_buf())
        } else if path.exists() {
            Err(format!("{} is neither a folder nor a .src file", path.display()))
        } else {
            Err(format!("{}: no such file or folder", path.display()))
        };
        Submission { name, program }
    }
}

/// A student's result: their grade, or why they could not be graded (with a zero grade).
#[derive(Clone, Debug)]
pub struct StudentResult {
    pub name: String,
    pub program: Option<PathBuf>,
    pub grade: Grade,
    /// Why the program was not run, or a run broke: shown to the student.
    pub error: Option<String>,
    /// Simulated seconds over all runs.
    pub sim_s: f64,
    /// The recordings of its runs (`robocell grade --record DIR`): (run, hidden, file).
    pub recordings: Vec<(String, bool, PathBuf)>,
}

/// A class graded.
#[derive(Clone, Debug)]
pub struct ClassResult {
    pub scenario: String,
    pub students: Vec<StudentResult>,
    pub wall_s: f64,
}

/// A zero grade listing every objective and run as not done, with the reason.
fn zero_grade(sc: &Scenario, why: &str) -> Grade {
    let mut objectives = Vec::new();
    let runs: Vec<(String, bool)> =
        std::iter::once(("public".to_string(), false)).chain(sc.variants.iter().map(|v| (v.name.clone(), v.hidden))).collect();
    for o in &sc.objectives {
        let runs: Vec<(String, bool)> = if o.is_static() { vec![("program".into(), false)] } else { runs.clone() };
        let share = o.points / runs.len() as f64;
        for (variant, hidden) in runs {
            objectives.push(ObjectiveResult {
                title: o.title.clone(),
                variant,
                hidden,
                points: 0.0,
                max_points: share,
                passed: false,
                gate: o.gate,
                explanation: format!("not graded: {why}"),
            });
        }
    }
    Grade {
        objectives,
        score: 0.0,
        max_score: sc.objectives.iter().map(|o| o.points).sum(),
        gate_failed: None,
        cycle_time_s: None,
        hints: Vec::new(),
    }
}

fn diagnostics_text(diags: &[Diagnostic]) -> String {
    let errors: Vec<String> = diags.iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
    format!("the program has {} error(s) and was not run:\n{}", errors.len(), errors.join(""))
}

/// What the grader is told as it goes: runs done of all.
pub trait Progress: Sync {
    fn update(&self, done: usize, total: usize);
}

impl<F: Fn(usize, usize) + Sync> Progress for F {
    fn update(&self, done: usize, total: usize) {
        self(done, total)
    }
}

/// Grades every submission on the public scenario and every variant (hidden ones too), on
/// `jobs` threads. Never fails as a whole: each student gets a result.
pub fn grade_class(ex: &Exercise, submissions: &[Submission], jobs: usize, progress: &dyn Progress) -> ClassResult {
    grade_class_recorded(ex, submissions, jobs, progress, None)
}

/// As `grade_class`; with `record`, each run's recording is written to `record/<student>/<run>.ron`
/// (a file that cannot be written is reported in the student's error, the grade stands).
pub fn grade_class_recorded(
    ex: &Exercise,
    submissions: &[Submission],
    jobs: usize,
    progress: &dyn Progress,
    record: Option<&Path>,
) -> ClassResult {
    let t0 = std::time::Instant::now();
    // Load every program first (quick): what does not load is graded at once.
    let mut students: Vec<StudentResult> = Vec::new();
    let mut work: Vec<(usize, usize, String, bool, Loaded)> = Vec::new();
    let mut loaded_of: Vec<Option<Loaded>> = Vec::new();
    let mut runs_of: Vec<usize> = Vec::new();
    for sub in submissions {
        let (grade, error, loaded, program) = match &sub.program {
            Err(e) => (zero_grade(&ex.scenario, e), Some(e.clone()), None, None),
            Ok(p) => match ex.with_program(p) {
                Err(d) => {
                    let why = diagnostics_text(&d);
                    (zero_grade(&ex.scenario, "the program has errors (see the messages)"), Some(why), None, Some(p.clone()))
                }
                Ok(l) => (Grade::default(), None, Some(l), Some(p.clone())),
            },
        };
        let si = students.len();
        if let Some(l) = &loaded {
            let runs = exercise::runs_of(l, true);
            runs_of.push(runs.len());
            for (ri, (name, hidden, l)) in runs.into_iter().enumerate() {
                work.push((si, ri, name, hidden, l));
            }
        } else {
            runs_of.push(0);
        }
        loaded_of.push(loaded);
        students.push(StudentResult { name: sub.name.clone(), program, grade, error, sim_s: 0.0, recordings: Vec::new() });
    }
    // Run everything in parallel: threads take the next (student, run) as they finish one.
    let total = work.len();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    type Run = Result<(RunRecord, Option<crate::sim::record::Recording>), String>;
    let results: Mutex<Vec<Option<Run>>> = Mutex::new(vec![None; total]);
    progress.update(0, total);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1).min(total.max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((_, _, name, hidden, l)) = work.get(i) else { break };
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        if record.is_some() {
                            exercise::run_one_recorded(l.clone(), name, *hidden).map(|(r, rec)| (r, Some(rec)))
                        } else {
                            exercise::run_one(l.clone(), name, *hidden).map(|r| (r, None))
                        }
                    }));
                    let r = match r {
                        Ok(Ok(rec)) => Ok(rec),
                        Ok(Err(d)) => Err(diagnostics_text(&d)),
                        Err(_) => Err(format!("robocell failed on the run `{name}` (an internal error; please report it)")),
                    };
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                    progress.update(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter();
    for (si, st) in students.iter_mut().enumerate() {
        let Some(l) = &loaded_of[si] else { continue };
        let mut runs = Vec::new();
        let mut broken = None;
        let mut unwritten = Vec::new();
        for _ in 0..runs_of[si] {
            match results.next().flatten() {
                Some(Ok((r, rec))) => {
                    if let (Some(dir), Some(rec)) = (record, rec) {
                        let folder = dir.join(outputs::file_stem(&st.name));
                        let file = folder.join(format!("{}.ron", outputs::file_stem(&r.variant)));
                        match std::fs::create_dir_all(&folder).and_then(|_| rec.save(&file)) {
                            Ok(()) => st.recordings.push((r.variant.clone(), r.hidden, file)),
                            Err(e) => unwritten.push(format!("{}: {e}", file.display())),
                        }
                    }
                    runs.push(r)
                }
                Some(Err(e)) => broken = broken.or(Some(e)),
                None => broken = broken.or(Some("the run did not finish".into())),
            }
        }
        match broken {
            Some(e) => {
                st.grade = zero_grade(&ex.scenario, &e);
                st.error = Some(e);
            }
            None => {
                st.sim_s = runs.iter().map(|r| r.end_s).sum();
                st.grade = exercise::grade(&l.scenario.objectives, exercise::program_results(l), &runs);
                // A fault stops the robot: the student reads why in the explanations, and here.
                let faults: Vec<String> = runs
                    .iter()
                    .filter_map(|r| r.obs.faults.first().map(|f| format!("run `{}`: {} at {:.1} s", r.variant, f.what, f.time_s)))
                    .collect();
                if !faults.is_empty() {
                    st.error = Some(format!("the program stopped with a fault: {}", faults.join("; ")));
                }
            }
        }
        if !unwritten.is_empty() {
            let note = format!("recordings not written: {}", unwritten.join("; "));
            st.error = Some(st.error.take().map_or(note.clone(), |e| format!("{e}; {note}")));
        }
    }
    ClassResult { scenario: ex.scenario.name.clone(), students, wall_s: t0.elapsed().as_secs_f64() }
}

/// Names made unique: a second "anna" becomes "anna-2".
pub fn unique_names(subs: &mut [Submission]) {
    let mut seen: Vec<String> = Vec::new();
    for s in subs.iter_mut() {
        let base = s.name.clone();
        let mut k = 1;
        while seen.contains(&s.name) {
            k += 1;
            s.name = format!("{base}-{k}");
        }
        seen.push(s.name.clone());
    }
}
