//! The course: lessons in `lessons/NN/` (`lesson.md`, `scenario.ron`, `starter/`, `solution/`),
//! a student's copy of a starter in a work folder, and their best score per lesson.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

use crate::sim::scenario::FOLDER_SCENARIO;

/// Where the lessons live, relative to where robocell is started.
pub const LESSONS_DIR: &str = "lessons";
/// Where a student's copies of the starters go, by default.
pub const WORK_DIR: &str = "work";
/// The best score per lesson, in the work folder.
pub const PROGRESS_FILE: &str = "progress.ron";

/// One lesson of the course.
#[derive(Clone, Debug)]
pub struct Lesson {
    /// From the folder's name: `lessons/07` is lesson 7.
    pub number: u32,
    pub dir: PathBuf,
    /// The first heading of `lesson.md`.
    pub title: String,
    /// `lesson.md`.
    pub text: String,
}

impl Lesson {
    pub fn scenario(&self) -> PathBuf {
        self.dir.join(FOLDER_SCENARIO)
    }
    pub fn starter(&self) -> PathBuf {
        self.dir.join("starter")
    }
    pub fn solution(&self) -> PathBuf {
        self.dir.join("solution")
    }
    /// The program's file name, as the scenario's `program` gives it (`starter/pick.src` -> `pick.src`).
    pub fn program_file(&self) -> Result<String, String> {
        let text = std::fs::read_to_string(self.scenario()).map_err(|e| format!("{}: {e}", self.scenario().display()))?;
        let sc = crate::sim::scenario::Scenario::parse(&self.scenario().display().to_string(), &text)
            .map_err(|d| d.iter().map(|d| d.to_string()).collect::<String>())?;
        Path::new(&sc.program)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .ok_or_else(|| format!("{}: `program` names no file", self.scenario().display()))
    }
    /// This lesson's folder in a student's work folder: `work/07`.
    pub fn work_dir(&self, work: &Path) -> PathBuf {
        work.join(format!("{:02}", self.number))
    }
}

/// Every lesson under `root`, in order. A folder that is not a lesson (no number, no
/// `lesson.md`) is left out; an unreadable `lesson.md` is an error.
pub fn lessons(root: &Path) -> Result<Vec<Lesson>, String> {
    let rd =
        std::fs::read_dir(root).map_err(|e| format!("{}: {e} (the lessons are in the repository's `lessons` folder)", root.display()))?;
    let mut out = Vec::new();
    for dir in rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()) {
        let Some(number) = dir.file_name().and_then(|n| n.to_str()).and_then(|n| n.parse::<u32>().ok()) else { continue };
        let md = dir.join("lesson.md");
        if !md.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&md).map_err(|e| format!("{}: {e}", md.display()))?;
        let title = title(&text).unwrap_or_else(|| format!("Lesson {number}"));
        out.push(Lesson { number, dir, title, text });
    }
    out.sort_by_key(|l| l.number);
    Ok(out)
}

/// Lesson `n` under `root`.
pub fn find(root: &Path, n: u32) -> Result<Lesson, String> {
    let all = lessons(root)?;
    let known: Vec<String> = all.iter().map(|l| l.number.to_string()).collect();
    all.into_iter()
        .find(|l| l.number == n)
        .ok_or_else(|| format!("there is no lesson {n} in {} (lessons: {})", root.display(), known.join(", ")))
}

/// The text of the first heading of a Markdown text.
pub fn title(markdown: &str) -> Option<String> {
    let mut inside = false;
    let mut text = String::new();
    for ev in Parser::new(markdown) {
        match ev {
            Event::Start(Tag::Heading { level: HeadingLevel::H1, .. }) => inside = true,
            Event::End(TagEnd::Heading(_)) if inside => return Some(text.trim().to_string()),
            Event::Text(t) | Event::Code(t) if inside => text.push_str(&t),
            _ => {}
        }
    }
    None
}

/// The fenced code blocks of a Markdown text: (language, code, line the block starts on).
pub fn code_blocks(markdown: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String, usize)> = None;
    for (ev, range) in Parser::new(markdown).into_offset_iter() {
        match ev {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(l) => l.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                current = Some((lang, String::new(), markdown[..range.start].matches('\n').count() + 1));
            }
            Event::Text(t) => {
                if let Some(c) = &mut current {
                    c.1.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => out.extend(current.take()),
            _ => {}
        }
    }
    out
}

/// Copies the lesson's starter into its work folder, leaving every file already there as it is
/// (never over a student's work). Returns the program to open and the files copied.
pub fn start_work(lesson: &Lesson, work: &Path) -> Result<(PathBuf, Vec<PathBuf>), String> {
    let to = lesson.work_dir(work);
    std::fs::create_dir_all(&to).map_err(|e| format!("{}: {e}", to.display()))?;
    let from = lesson.starter();
    let rd = std::fs::read_dir(&from).map_err(|e| format!("{}: {e}", from.display()))?;
    let mut copied = Vec::new();
    let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    files.sort();
    for f in files {
        let target = to.join(f.file_name().expect("a file has a name"));
        if target.exists() {
            continue;
        }
        std::fs::copy(&f, &target).map_err(|e| format!("{}: {e}", target.display()))?;
        copied.push(target);
    }
    Ok((to.join(lesson.program_file()?), copied))
}

/// A student's best score per lesson, kept in `work/progress.ron`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Progress {
    /// Lesson number -> the best score and the most points.
    pub best: BTreeMap<u32, Best>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Best {
    pub score: f64,
    pub of: f64,
}

impl Progress {
    /// The progress in a work folder; none yet when the file is missing. A file that does not
    /// parse is an error (it is not overwritten).
    pub fn load(work: &Path) -> Result<Progress, String> {
        let path = work.join(PROGRESS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(t) => ron::from_str(&t).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Progress::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Notes a score; true when it is the lesson's best so far.
    pub fn record(&mut self, lesson: u32, score: f64, of: f64) -> bool {
        let best = self.best.entry(lesson).or_insert(Best { score: f64::NEG_INFINITY, of });
        let better = score > best.score;
        if better {
            *best = Best { score, of };
        }
        better
    }

    pub fn save(&self, work: &Path) -> Result<(), String> {
        std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
        let path = work.join(PROGRESS_FILE);
        let text = ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default()).map_err(|e| e.to_string())?;
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Records a score in the work folder's progress (read, keep the best, write).
pub fn record_score(work: &Path, lesson: u32, score: f64, of: f64) -> Result<bool, String> {
    let mut p = Progress::load(work)?;
    let better = p.record(lesson, score, of);
    p.save(work)?;
    Ok(better)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_and_code_blocks_come_from_the_markdown() {
        let md = "Intro\n\n# Lesson `7`: sort\n\ntext\n\n```krl\nPTP HOME\n```\n\n    indented\n";
        assert_eq!(title(md).as_deref(), Some("Lesson 7: sort"));
        let blocks = code_blocks(md);
        assert_eq!(blocks, vec![("krl".into(), "PTP HOME\n".into(), 7), ("".into(), "indented\n".into(), 11)]);
    }

    #[test]
    fn progress_keeps_the_best_score() {
        let mut p = Progress::default();
        assert!(p.record(3, 40.0, 100.0));
        assert!(!p.record(3, 20.0, 100.0));
        assert!(p.record(3, 90.0, 100.0));
        assert_eq!(p.best[&3], Best { score: 90.0, of: 100.0 });
        let back: Progress = ron::from_str(&ron::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}
