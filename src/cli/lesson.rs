//! `robocell lessons` (the course and the student's best scores) and `robocell lesson N` (the
//! starter copied into the work folder, never over work, and the window opened on it).

use std::path::PathBuf;
use std::process::ExitCode;

use robocell::course::{self, Progress};

/// Where the lessons and the student's work are.
#[derive(clap::Args, Clone, Debug)]
pub struct CourseArgs {
    /// The student's work folder: a copy of each lesson's starter, and progress.ron.
    #[arg(long, default_value = course::WORK_DIR)]
    pub work: PathBuf,
    /// The folder of the lessons.
    #[arg(long, default_value = course::LESSONS_DIR)]
    pub lessons: PathBuf,
}

pub fn list(a: &CourseArgs) -> ExitCode {
    let all = match course::lessons(&a.lessons) {
        Ok(l) if l.is_empty() => {
            eprintln!("{}: no lessons (folders 01, 02, ... with a lesson.md)", a.lessons.display());
            return ExitCode::from(2);
        }
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let progress = Progress::load(&a.work).unwrap_or_else(|e| {
        eprintln!("{e}: scores not shown");
        Progress::default()
    });
    println!("{:>3}  {:<58} {:>9}  work", "", "lesson", "best");
    for l in &all {
        let best = progress.best.get(&l.number).map_or("-".into(), |b| format!("{}/{}", fmt(b.score), fmt(b.of)));
        let started = if l.work_dir(&a.work).is_dir() { l.work_dir(&a.work).display().to_string() } else { "not started".into() };
        let title = l.title.split_once(": ").map_or(l.title.as_str(), |(_, t)| t);
        println!("{:>3}  {:<58} {:>9}  {started}", l.number, title, best);
    }
    println!("\nopen one with `robocell lesson N` (your work goes to {})", a.work.display());
    ExitCode::SUCCESS
}

fn fmt(x: f64) -> String {
    robocell::grading::outputs::fmt(x)
}

/// Copies lesson `n`'s starter into the work folder (keeping what is there) and opens the window
/// on it, with the Lesson tab.
pub fn open(n: u32, a: &CourseArgs, mut o: super::run::RunOptions) -> ExitCode {
    let lesson = match course::find(&a.lessons, n) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let (program, copied) = match course::start_work(&lesson, &a.work) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("lesson {n}: cannot set up the work folder: {e}");
            return ExitCode::from(2);
        }
    };
    if copied.is_empty() {
        println!("lesson {n}: {} (your work, as you left it)", program.display());
    } else {
        println!("lesson {n}: the starter copied to {}", lesson.work_dir(&a.work).display());
    }
    o.program = Some(program);
    #[cfg(feature = "app")]
    {
        let all = course::lessons(&a.lessons).unwrap_or_default();
        let at = all.iter().position(|l| l.number == n);
        o.lesson = Some(robocell::app::lesson::LessonInfo {
            number: n,
            title: lesson.title.clone(),
            text: lesson.text.clone(),
            work: a.work.clone(),
            root: a.lessons.clone(),
            prev: at.and_then(|i| i.checked_sub(1)).map(|i| all[i].number),
            next: at.and_then(|i| all.get(i + 1)).map(|l| l.number),
        });
    }
    super::run::run(&lesson.scenario(), o)
}
