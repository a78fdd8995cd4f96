//! The exercise: what the scenario grades (objectives with points, variants), what a run did
//! towards it (`Observations`), and the grade. The world feeds each tick's events in; the
//! objectives are judged when the run is over.

pub mod program;
pub mod score;
pub mod spec;

use nalgebra::Vector3;

use super::controller::{Level, Message, ProgramState};
use super::krl::Diagnostic;
use super::scenario::{Loaded, OperatingMode};
use super::world::{Event, World};
pub use score::{Grade, ObjectiveResult, RunRecord, grade};
pub use spec::{Construct, ObjectiveKind, ObjectiveSpec, Variant};

/// The fastest the TCP or the flange may move in T1, mm/s.
pub const T1_LIMIT_MM_S: f64 = 250.0;

/// What happened to one part, by its id.
#[derive(Clone, Debug, Default)]
pub struct PartLog {
    pub spawned_s: f64,
    /// Its type, an index into the cell's part types.
    pub kind: usize,
    pub picked_s: Vec<f64>,
    /// When it was let go, and the program line that switched the gripper.
    pub released: Vec<(f64, Option<u32>)>,
    /// The bin it came to rest in, and when.
    pub delivered: Option<(String, f64)>,
}

/// Something that went wrong, when, and the program line involved.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    pub what: String,
    pub time_s: f64,
    pub line: Option<u32>,
}

/// The record of a run, for the objectives.
#[derive(Clone, Debug, Default)]
pub struct Observations {
    pub parts: Vec<PartLog>,
    pub collisions: Vec<Incident>,
    /// The first moment the TCP or flange went faster than T1 allows while in T1.
    pub t1_overspeed: Option<Incident>,
    pub limit_stops: Vec<Incident>,
    /// Faults that stopped the program (red messages).
    pub faults: Vec<Incident>,
    /// TCP positions (world, mm) along the run, kept when a path objective needs them; with a
    /// pen, only where it drew.
    pub tcp: Vec<(f64, Vector3<f64>)>,
    /// Where in `tcp` each pen stroke begins (the pen was lifted before it).
    pub strokes: Vec<usize>,
    /// The program reached its END at this time.
    pub finished_s: Option<f64>,
}

/// Keeps the observations of a running world.
#[derive(Clone, Debug)]
pub struct Exercise {
    objectives: Vec<ObjectiveSpec>,
    keep_tcp: bool,
    obs: Observations,
    /// The line that last switched each gripper output.
    gripper_outputs: Vec<usize>,
    last_gripper_line: Option<u32>,
    prev: Option<(Vector3<f64>, Vector3<f64>)>,
    /// The pen was lifted since the last point kept.
    lifted: bool,
}

/// What the world tells the exercise after each tick.
pub struct Tick<'a> {
    pub time_s: f64,
    pub dt: f64,
    pub events: &'a [Event],
    pub mode: OperatingMode,
    pub tcp: Vector3<f64>,
    pub flange: Vector3<f64>,
    pub line: Option<u32>,
    /// With a pen: whether it touches a drawing table.
    pub pen_down: Option<bool>,
}

/// The start of every software-limit stop message the controller gives.
pub const LIMIT_STOP_TEXT: &str = "Software limit switch";

impl Exercise {
    pub fn new(objectives: Vec<ObjectiveSpec>, gripper_outputs: Vec<usize>) -> Self {
        let keep_tcp = objectives.iter().any(|o| matches!(o.kind, ObjectiveKind::Path { .. }));
        Exercise { objectives, keep_tcp, obs: Observations::default(), gripper_outputs, last_gripper_line: None, prev: None, lifted: false }
    }

    pub fn objectives(&self) -> &[ObjectiveSpec] {
        &self.objectives
    }
    pub fn observations(&self) -> &Observations {
        &self.obs
    }
    /// Parts at rest in a bin so far.
    pub fn delivered(&self) -> u32 {
        self.obs.parts.iter().filter(|p| p.delivered.is_some()).count() as u32
    }
    pub fn collisions(&self) -> &[Incident] {
        &self.obs.collisions
    }

    fn part(&mut self, id: usize) -> &mut PartLog {
        if self.obs.parts.len() <= id {
            self.obs.parts.resize(id + 1, PartLog::default());
        }
        &mut self.obs.parts[id]
    }

    /// Notes what one tick did.
    pub fn observe(&mut self, t: &Tick) {
        let now = t.time_s;
        for e in t.events {
            match e {
                Event::Output { n, line, .. } if self.gripper_outputs.contains(n) => self.last_gripper_line = Some(*line),
                Event::PartSpawned { id, kind } => {
                    let p = self.part(*id);
                    p.spawned_s = now;
                    p.kind = *kind;
                }
                Event::PartPicked { id } => self.part(*id).picked_s.push(now),
                Event::PartReleased { id } => {
                    let line = self.last_gripper_line;
                    self.part(*id).released.push((now, line));
                }
                Event::PartDelivered { id, bin, .. } => self.part(*id).delivered = Some((bin.clone(), now)),
                Event::Collision { link, with } => {
                    self.obs.collisions.push(Incident { what: format!("the robot's {link} touched {with}"), time_s: now, line: t.line })
                }
                Event::State(ProgramState::Finished) => self.obs.finished_s = Some(now),
                Event::Message(Message { level: Level::Acknowledgement, text, line, .. }) => {
                    let inc = Incident { what: text.clone(), time_s: now, line: *line };
                    if text.contains(LIMIT_STOP_TEXT) {
                        self.obs.limit_stops.push(inc.clone());
                    }
                    self.obs.faults.push(inc);
                }
                _ => {}
            }
        }
        if let Some((tcp0, fl0)) = self.prev
            && t.mode == OperatingMode::T1
            && self.obs.t1_overspeed.is_none()
        {
            let v = ((t.tcp - tcp0).norm() / t.dt).max((t.flange - fl0).norm() / t.dt);
            // 1 % for the sampling of a path that is planned to the limit.
            if v > T1_LIMIT_MM_S * 1.01 {
                let what = format!("the robot moved at {v:.0} mm/s in T1 (at most {T1_LIMIT_MM_S:.0} mm/s)");
                self.obs.t1_overspeed = Some(Incident { what, time_s: now, line: t.line });
            }
        }
        self.prev = Some((t.tcp, t.flange));
        match t.pen_down {
            Some(false) => self.lifted = true,
            _ if !self.keep_tcp => {}
            _ => {
                if self.lifted {
                    self.obs.strokes.push(self.obs.tcp.len());
                    self.lifted = false;
                }
                if self.obs.tcp.last().is_none_or(|(_, p)| (p - t.tcp).norm() > 0.25) {
                    self.obs.tcp.push((now, t.tcp));
                }
            }
        }
    }
}

/// The runs an exercise grades: the public scenario first, then each variant (the hidden ones
/// only when asked), as (variant name, hidden, loaded scenario).
pub fn runs_of(loaded: &Loaded, with_hidden: bool) -> Vec<(String, bool, Loaded)> {
    let mut out = vec![("public".to_string(), false, loaded.clone())];
    for v in loaded.scenario.variants.iter().filter(|v| with_hidden || !v.hidden) {
        let mut l = loaded.clone();
        l.scenario = v.apply(&loaded.scenario);
        out.push((v.name.clone(), v.hidden, l));
    }
    out
}

/// Runs one graded run: the program from Start to its end, a fault or the time limit.
pub fn run_one(loaded: Loaded, variant: &str, hidden: bool) -> Result<RunRecord, Vec<Diagnostic>> {
    let (mut world, _) = World::new(loaded)?;
    world.run_to_end();
    Ok(world.run_record(variant, hidden))
}

/// As `run_one`, recorded: the run and its recording (which names the variant).
pub fn run_one_recorded(
    loaded: Loaded,
    variant: &str,
    hidden: bool,
) -> Result<(RunRecord, crate::sim::record::Recording), Vec<Diagnostic>> {
    let is_variant = loaded.scenario.variants.iter().any(|v| v.name == variant);
    let (mut world, _) = World::new(loaded)?;
    world.start_recording();
    world.run_to_end();
    let mut rec = world.recording().expect("recording from the start");
    rec.variant = is_variant.then(|| variant.to_string());
    Ok((world.run_record(variant, hidden), rec))
}

/// Judges the program objectives on the parsed program.
pub fn program_results(loaded: &Loaded) -> Vec<ObjectiveResult> {
    let src_name = loaded.src_path.display().to_string();
    let dat = loaded.dat.as_ref().map(|(p, t)| (p.display().to_string(), t.as_str()));
    let (module, _) = crate::sim::krl::parse_module(&src_name, &loaded.src, dat.as_ref().map(|(n, t)| (n.as_str(), *t)));
    let file = loaded.src_path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or(src_name.clone());
    loaded.scenario.objectives.iter().filter(|o| o.is_static()).map(|o| program::judge_program(o, &module, &file)).collect()
}

/// Runs and grades a program on the public scenario and its variants, one after the other.
pub fn grade_program(loaded: &Loaded, with_hidden: bool) -> Result<(Grade, Vec<RunRecord>), Vec<Diagnostic>> {
    let mut runs = Vec::new();
    for (name, hidden, l) in runs_of(loaded, with_hidden) {
        runs.push(run_one(l, &name, hidden)?);
    }
    Ok((grade(&loaded.scenario.objectives, program_results(loaded), &runs), runs))
}
