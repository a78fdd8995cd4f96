//! Recordings: a world's scenario and program texts, its seed and every (step, command) it was
//! given, so that a session replays bit-identically after the files on disk changed. Each step
//! that produced events leaves a hash of them, so a replay can say where it first went another way.
//!
//! The file is RON; see the README ("Recordings") for its fields.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::krl::{Diagnostic, Severity, Span};
use super::scenario::{Loaded, Scenario};
use super::world::{Command, Event, World};

/// The format this robocell writes and reads.
pub const FORMAT: u32 = 1;

/// A command and the step (counted from the world's creation, resets included) it was given at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimedCommand {
    pub step: u64,
    pub command: Command,
}

/// A file's path as the session saw it, and its text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileText {
    pub path: String,
    pub text: String,
}

/// What a recording holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recording {
    pub format: u32,
    /// The robocell version that wrote it.
    pub robocell: String,
    pub scenario: FileText,
    /// The `.src`, then the `.dat` if there is one.
    pub programs: Vec<FileText>,
    /// The program's other modules and `$config.dat`, as loaded with it.
    #[serde(default)]
    pub modules: Vec<FileText>,
    pub seed: u64,
    /// The scenario's variant the run was made on (a graded run's `robocell grade --record`);
    /// None: the scenario as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    pub commands: Vec<TimedCommand>,
    /// Steps run in all.
    pub steps: u64,
    /// `World::fingerprint()` after the last step.
    pub fingerprint: u64,
    /// (step, hash of that step's events) for every step that had events.
    pub events: Vec<(u64, u64)>,
}

/// What a world records while it runs.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    /// The files as the recording began (the editor and the pendant may change them later).
    files: Option<Box<crate::sim::scenario::Loaded>>,
    steps: u64,
    commands: Vec<TimedCommand>,
    events: Vec<(u64, u64)>,
}

impl Recorder {
    /// A recorder of a world whose files are `loaded` now.
    pub fn new(loaded: &crate::sim::scenario::Loaded) -> Self {
        Recorder { files: Some(Box::new(loaded.clone())), ..Default::default() }
    }

    /// Notes one step: its commands and a hash of its events.
    pub fn step(&mut self, commands: &[Command], events: &[Event]) {
        self.commands.extend(commands.iter().map(|c| TimedCommand { step: self.steps, command: c.clone() }));
        if !events.is_empty() {
            self.events.push((self.steps, events_hash(events)));
        }
        self.steps += 1;
    }

    /// The recording of `world` so far.
    pub fn finish(&self, world: &World) -> Recording {
        let l = self.files.as_deref().unwrap_or(world.loaded());
        let mut programs = vec![FileText { path: l.src_path.display().to_string(), text: l.src.clone() }];
        if let Some((p, t)) = &l.dat {
            programs.push(FileText { path: p.display().to_string(), text: t.clone() });
        }
        Recording {
            format: FORMAT,
            robocell: env!("CARGO_PKG_VERSION").to_string(),
            scenario: FileText { path: l.path.display().to_string(), text: l.text.clone() },
            programs,
            modules: l.others.iter().map(|(p, t)| FileText { path: p.display().to_string(), text: t.clone() }).collect(),
            seed: l.scenario.seed,
            variant: None,
            commands: self.commands.clone(),
            steps: self.steps,
            fingerprint: world.fingerprint(),
            events: self.events.clone(),
        }
    }
}

/// A stable hash of a step's events (FNV-1a over their debug text).
pub fn events_hash(events: &[Event]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("{events:?}").bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// How a replay ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Replay {
    /// Every step's events and the final fingerprint match.
    Identical { steps: u64 },
    /// The first step whose events differ (or the end, when only the final state does).
    Diverged { step: u64, what: String },
}

fn diag(file: &str, text: &str, line: usize, col: usize, message: String, hint: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code: "REC001",
        file: file.to_string(),
        span: Span::new(line.max(1) as u32, col.max(1) as u32, 1),
        message,
        excerpt: text.lines().nth(line.saturating_sub(1)).unwrap_or("").trim_end().to_string(),
        hint: Some(hint.to_string()),
    }
}

impl Recording {
    pub fn to_ron(&self) -> String {
        let cfg = ron::ser::PrettyConfig::new().depth_limit(3).struct_names(false).escape_strings(false);
        ron::ser::to_string_pretty(self, cfg).expect("a recording serialises")
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_ron())
    }

    /// Reads a recording; a damaged, truncated or newer file is an error with line and column.
    pub fn load(path: &Path) -> Result<Recording, Vec<Diagnostic>> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| vec![diag(&file, "", 1, 1, format!("cannot read the recording: {e}"), "check the path")])?;
        Self::parse(&file, &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<Recording, Vec<Diagnostic>> {
        #[derive(Deserialize)]
        struct Header {
            format: u32,
            #[serde(default)]
            robocell: String,
        }
        // The format first, so a newer file is named as such rather than as damaged.
        if let Ok(h) = ron::from_str::<Header>(text)
            && h.format != FORMAT
        {
            let (l, c) = text.lines().enumerate().find_map(|(i, l)| l.find("format").map(|c| (i + 1, c + 1))).unwrap_or((1, 1));
            let msg = format!("recording format {} (written by robocell {}); this robocell reads format {FORMAT}", h.format, h.robocell);
            return Err(vec![diag(file, text, l, c, msg, "replay it with the robocell version that wrote it")]);
        }
        ron::from_str::<Recording>(text).map_err(|e| {
            let hint =
                "a recording is what `robocell check --record` or `run --record` writes; a damaged or truncated one must be recorded again";
            vec![diag(file, text, e.span.start.line, e.span.start.col, format!("not a valid recording: {}", e.code), hint)]
        })
    }

    /// The scenario and program as they were recorded, with the recorded seed.
    pub fn loaded(&self) -> Result<Loaded, Vec<Diagnostic>> {
        let src = self.programs.first().map(|f| (PathBuf::from(&f.path), Ok(f.text.clone())));
        let dat = self.programs.get(1).map(|f| (PathBuf::from(&f.path), f.text.clone()));
        let mut loaded = Scenario::from_texts(Path::new(&self.scenario.path), &self.scenario.text, src, dat)?;
        if let Some(name) = &self.variant {
            let Some(v) = loaded.scenario.variants.iter().find(|v| v.name == *name) else {
                let msg = format!("the recording was made on the variant `{name}`, which its scenario does not have");
                return Err(vec![diag(&self.scenario.path, "", 1, 1, msg, "the recording's scenario text is damaged")]);
            };
            loaded.scenario = v.apply(&loaded.scenario);
        }
        loaded.scenario.seed = self.seed;
        loaded.others = self.modules.iter().map(|f| (PathBuf::from(&f.path), f.text.clone())).collect();
        Ok(loaded)
    }

    /// Runs the recorded session again, headless, and compares it step by step.
    pub fn replay(&self) -> Result<Replay, Vec<Diagnostic>> {
        let (mut world, _) = World::new(self.loaded()?)?;
        let mut commands = self.commands.iter().peekable();
        let mut expected = self.events.iter().peekable();
        for step in 0..self.steps {
            let mut now = Vec::new();
            while let Some(c) = commands.next_if(|c| c.step == step) {
                now.push(c.command.clone());
            }
            let events = world.step(&now);
            let want = expected.next_if(|(s, _)| *s == step).map(|(_, h)| *h);
            let got = (!events.is_empty()).then(|| events_hash(&events));
            if want != got {
                let what = match (want, got) {
                    (Some(_), None) => "the recording has events here; the replay has none".to_string(),
                    _ => format!("the replay's events here: {events:?}"),
                };
                return Ok(Replay::Diverged { step, what });
            }
        }
        if world.fingerprint() != self.fingerprint {
            let what = format!("final state differs (fingerprint {:#018x}, recorded {:#018x})", world.fingerprint(), self.fingerprint);
            return Ok(Replay::Diverged { step: self.steps, what });
        }
        Ok(Replay::Identical { steps: self.steps })
    }
}
