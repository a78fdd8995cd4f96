//! Scenario files (RON): the cell, its wiring, the exercise and the program to run.
//! Units: mm, degrees, seconds, KUKA frames (Z up).

mod faults;
mod fixtures;
mod locate;
mod parts;
mod plant;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use self::faults::{FaultKind, FaultSpec};
pub use self::fixtures::{PalletSpec, TableSpec, slot_name};
use self::locate::{field_of, line_of, path};
pub use self::parts::{PartShape, PartSource, PartSpec, colour_rgb};
pub use self::plant::{InputGroup, OrderSpec, PlantSpec, ScheduledOrder};
use super::exercise::{ObjectiveSpec, Variant};
use super::krl::{Diagnostic, Severity, Span};
use super::math::Frame;
use super::robot::RobotModel;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Seed of every random choice in the cell (part spacing, lateral offsets).
    #[serde(default)]
    pub seed: u64,
    /// Length of one simulation tick in ms.
    #[serde(default = "default_tick_ms")]
    pub tick_ms: u32,
    pub robot: RobotSpec,
    pub tool: ToolSpec,
    pub gripper: GripperSpec,
    #[serde(default)]
    pub conveyors: Vec<ConveyorSpec>,
    /// Part types spawners can mix by name.
    #[serde(default)]
    pub part_types: Vec<PartSpec>,
    #[serde(default)]
    pub spawners: Vec<SpawnerSpec>,
    #[serde(default)]
    pub light_barriers: Vec<LightBarrierSpec>,
    /// Sensors that report the type of the part in front of them on a group of inputs.
    #[serde(default)]
    pub type_sensors: Vec<TypeSensorSpec>,
    /// Diffuse presence sensors and distance sensors: a beam from a point in a direction.
    #[serde(default)]
    pub sensors: Vec<SensorSpec>,
    #[serde(default)]
    pub bins: Vec<BinSpec>,
    #[serde(default)]
    pub tables: Vec<TableSpec>,
    /// Pallets with named slots (A1, A2, ...), for place objectives.
    #[serde(default)]
    pub pallets: Vec<PalletSpec>,
    /// Parts stacked in the cell at the start.
    #[serde(default)]
    pub stacks: Vec<StackSpec>,
    /// `$IN[n]` that is TRUE while the E-STOP circuit is closed (no E-STOP pressed).
    #[serde(default)]
    pub estop_input: Option<usize>,
    /// A safety fence whose door switch is wired to `$IN[n]` (TRUE while the door is closed).
    /// Opening the door in AUT stops the robot (STOP 1).
    #[serde(default)]
    pub door_input: Option<usize>,
    /// Faults that happen during the run, for troubleshooting lessons.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// A run ends when the program ends or faults, or at the latest after this many seconds.
    pub time_limit_s: f64,
    /// What the program is graded on.
    #[serde(default)]
    pub objectives: Vec<ObjectiveSpec>,
    /// Runs the grader makes besides this one (other seeds, timing, layout).
    #[serde(default)]
    pub variants: Vec<Variant>,
    /// `BASE_DATA[1..32]` as `$config.dat` holds them: bases (a table, a bin) in the world frame.
    #[serde(default)]
    pub base_data: Vec<Frame>,
    /// The `.src` file, relative to the scenario file (its `.dat` sits beside it), or a folder
    /// of modules with `main` naming the one to run (like `R1/Program` of a backup).
    pub program: String,
    /// With `program` a folder: the module whose main DEF runs.
    #[serde(default)]
    pub main: Option<String>,
    /// Operating mode at start: T1 (TCP at most 250 mm/s), T2 or AUT.
    #[serde(default)]
    pub mode: OperatingMode,
    /// What a PLC or an MES drives from outside: inputs, the program number, orders.
    #[serde(default)]
    pub plant: PlantSpec,
}

/// `$MODE_OP`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperatingMode {
    /// Manual reduced velocity: the TCP moves at most 250 mm/s.
    T1,
    /// Manual high velocity.
    T2,
    /// Automatic.
    #[default]
    AUT,
}

fn default_tick_ms() -> u32 {
    4
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RobotSpec {
    /// KR6_R900_SIXX, KR6_R700_SIXX or KR16_2, or any name when `custom` gives the data.
    pub model: String,
    /// A robot given as data: OPW geometry, limits, speeds (see `RobotModel`).
    #[serde(default)]
    pub custom: Option<RobotModel>,
    /// `$ROBROOT`: the robot base in the world.
    #[serde(default)]
    pub base: Frame,
    /// Axis angles at start, degrees (default: the model's home).
    #[serde(default)]
    pub start_deg: Option<[f64; 6]>,
    /// XHOME, degrees (default: the model's home).
    #[serde(default)]
    pub home_deg: Option<[f64; 6]>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    pub name: String,
    /// The TCP relative to the flange: `TOOL_DATA[number]`.
    pub tcp: Frame,
    /// Its number in `TOOL_DATA` (BAS(#INITMOV) selects tool 1).
    #[serde(default = "one")]
    pub number: usize,
    /// Radius of the tool body drawn and collided, mm.
    #[serde(default = "default_tool_radius")]
    pub radius_mm: f64,
}

fn one() -> usize {
    1
}

fn default_tool_radius() -> f64 {
    20.0
}

/// The tool on the flange and what it does.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum GripperSpec {
    /// A vacuum cup at the TCP, switched by an output.
    Vacuum {
        /// `$OUT[n]` that switches the vacuum on.
        output: usize,
        /// `$IN[n]` that reports a part held (vacuum switch), if wired.
        #[serde(default)]
        held_input: Option<usize>,
        /// How far below the cup (mm) a part's top may be and still be sucked on.
        #[serde(default = "default_grip_reach")]
        reach_mm: f64,
    },
    /// A parallel two-finger gripper. The fingers close along the tool's X towards the TCP,
    /// which lies between the fingertips' middles; `finger_mm` long, below the gripper body.
    Parallel {
        close_output: usize,
        open_output: usize,
        /// TRUE while the fingers are fully open.
        #[serde(default)]
        open_input: Option<usize>,
        /// TRUE while the fingers are fully closed (on nothing: a held part keeps them apart).
        #[serde(default)]
        closed_input: Option<usize>,
        /// The widest opening between the fingers, mm.
        stroke_mm: f64,
        /// Seconds from fully open to fully closed.
        #[serde(default = "default_stroke_s")]
        stroke_s: f64,
        #[serde(default = "default_finger_mm")]
        finger_mm: f64,
    },
    /// A pen: its tip (the TCP) leaves a trail on a drawing table where it touches (1 mm).
    Pen,
}

fn default_stroke_s() -> f64 {
    0.3
}
fn default_finger_mm() -> f64 {
    50.0
}

impl GripperSpec {
    /// The outputs that switch it.
    pub fn outputs(&self) -> Vec<(&'static str, usize)> {
        match self {
            GripperSpec::Vacuum { output, .. } => vec![("vacuum", *output)],
            GripperSpec::Parallel { close_output, open_output, .. } => {
                vec![("gripper close", *close_output), ("gripper open", *open_output)]
            }
            GripperSpec::Pen => Vec::new(),
        }
    }
    /// The inputs it reports on.
    pub fn inputs(&self) -> Vec<(&'static str, usize)> {
        match self {
            GripperSpec::Vacuum { held_input, .. } => held_input.iter().map(|n| ("part on gripper", *n)).collect(),
            GripperSpec::Parallel { open_input, closed_input, .. } => {
                open_input.iter().map(|n| ("gripper open", *n)).chain(closed_input.iter().map(|n| ("gripper closed", *n))).collect()
            }
            GripperSpec::Pen => Vec::new(),
        }
    }
}

fn default_grip_reach() -> f64 {
    10.0
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConveyorSpec {
    pub name: String,
    /// Start of the belt's centre line on its top surface (world, mm). Parts travel from `from` to `to`.
    pub from: Point,
    pub to: Point,
    pub width_mm: f64,
    pub speed_mm_s: f64,
    /// `$OUT[n]` that runs the motor.
    pub motor_output: usize,
    /// `$OUT[n]` that, with the motor on, runs the belt backwards.
    #[serde(default)]
    pub reverse_output: Option<usize>,
    /// A stop plate at the `to` end that holds parts back.
    #[serde(default = "yes")]
    pub end_stop: bool,
    /// Guide rails along the belt, this far apart (mm): parts travel and queue in single file.
    #[serde(default)]
    pub guide_mm: Option<f64>,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Point {
    #[serde(default)]
    pub x: f64,
    #[serde(default)]
    pub y: f64,
    #[serde(default)]
    pub z: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpawnerSpec {
    pub conveyor: String,
    /// Seconds after start of the first part.
    #[serde(default)]
    pub first_s: f64,
    /// Seconds between parts.
    pub interval_s: f64,
    /// Random extra delay per part, up to this many seconds.
    #[serde(default)]
    pub interval_jitter_s: f64,
    /// How many parts in all.
    pub count: u32,
    /// Largest random sideways offset of a part on the belt, mm.
    #[serde(default)]
    pub lateral_jitter_mm: f64,
    /// One part type, a mix of `part_types` or a sequence of them.
    pub parts: PartSource,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LightBarrierSpec {
    pub name: String,
    pub conveyor: String,
    /// Distance of the beam from the conveyor's `from` end, mm.
    pub at_mm: f64,
    /// Height of the beam above the belt, mm.
    #[serde(default = "default_beam_height")]
    pub height_mm: f64,
    /// `$IN[n]` that is TRUE while the beam is interrupted.
    pub input: usize,
}

fn default_beam_height() -> f64 {
    20.0
}

/// A colour/type sensor looking across a conveyor: while a part is in its beam, the inputs
/// `first..=last` hold that part type's code (lowest bit on `first`), else 0. Read it in KRL
/// with `SIGNAL name $IN[first] TO $IN[last]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TypeSensorSpec {
    pub name: String,
    pub conveyor: String,
    /// Distance of the beam from the conveyor's `from` end, mm.
    pub at_mm: f64,
    /// Height of the beam above the belt, mm.
    #[serde(default = "default_beam_height")]
    pub height_mm: f64,
    /// `$IN[first]` to `$IN[last]`.
    pub inputs: (usize, usize),
    /// The code of each part type it knows; a type not listed reads as 0.
    pub codes: std::collections::BTreeMap<String, u32>,
}

/// A sensor looking along a beam from `at` in `direction` (world), up to `range_mm`; it sees
/// parts.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SensorSpec {
    pub name: String,
    pub kind: SensorKind,
    pub at: Point,
    pub direction: Point,
    pub range_mm: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum SensorKind {
    /// `$IN[input]` is TRUE while a part is within range.
    Presence { input: usize },
    /// `$ANIN[analog]` is the distance to the nearest part over the range: 0.0 at the sensor,
    /// 1.0 at the range or when it sees nothing.
    Distance { analog: usize },
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BinSpec {
    pub name: String,
    /// Centre of the bin floor (world, mm).
    pub center: Point,
    /// Outer size x, y, z in mm.
    pub size_mm: (f64, f64, f64),
    /// A drain: a part is taken out this many seconds after it came to rest in the bin and was
    /// counted, so an endless exercise keeps its speed.
    #[serde(default)]
    pub drain_s: Option<f64>,
    /// Drawn in this colour (as part types), e.g. the colour of the parts it takes.
    #[serde(default)]
    pub colour: Option<String>,
    /// At most this many parts count in it at a time (drained ones leave room); more are an
    /// overfull bin and do not count.
    #[serde(default)]
    pub capacity: Option<u32>,
    /// `$IN[n]` that is TRUE while the bin holds `capacity` parts.
    #[serde(default)]
    pub full_input: Option<usize>,
}

/// Parts stacked at the start of a run (a magazine to pick from): `count` parts of
/// `part_type`, one on the other, the lowest resting at `at` (the centre of its bottom face).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StackSpec {
    pub part_type: String,
    pub at: Point,
    pub count: u32,
    #[serde(default)]
    pub yaw_deg: f64,
}

/// A scenario with its program text, ready to build a cell from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub scenario: Scenario,
    pub model: RobotModel,
    pub path: PathBuf,
    /// The scenario file's text, as read.
    pub text: String,
    pub src_path: PathBuf,
    pub src: String,
    pub dat: Option<(PathBuf, String)>,
    /// The program's other modules, as the controller loads them: every other `.src`/`.sub`
    /// and `.dat` of its folder, and the `$config.dat` in reach (path, text).
    pub others: Vec<(PathBuf, String)>,
}

impl Loaded {
    /// The programs (`.src` modules) of the program's folder by name, sorted: what a
    /// SelectProgram may name.
    pub fn program_names(&self) -> Vec<String> {
        let mut out: Vec<String> = std::iter::once(&self.src_path)
            .chain(self.others.iter().map(|(p, _)| p))
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("src")))
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

fn diag(file: &str, src: &str, line: usize, col: usize, msg: String, hint: Option<&str>) -> Diagnostic {
    let excerpt = src.lines().nth(line.saturating_sub(1)).unwrap_or("").trim_end().to_string();
    Diagnostic {
        severity: Severity::Error,
        code: "SCN001",
        file: file.to_string(),
        span: Span::new(line as u32, col as u32, 1),
        message: msg,
        hint: hint.map(str::to_string),
        excerpt,
    }
}

/// The scenario of a folder (a lesson): `robocell check lessons/07` runs `lessons/07/scenario.ron`.
pub const FOLDER_SCENARIO: &str = "scenario.ron";

/// The largest magnitude of a decimal number in a scenario: 100 m in mm.
pub const MAX_NUMBER: f64 = 100_000.0;

/// Where `NaN` or `inf` is written as a value (not inside a word such as `infeed`): 1-based
/// line and column of each, in order.
fn non_finite_literals(text: &str) -> Vec<(usize, usize)> {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let code = l.split("//").next().unwrap_or("");
        for t in ["NaN", "inf"] {
            for (at, _) in code.match_indices(t) {
                if !word(code[..at].chars().next_back()) && !word(code[at + t.len()..].chars().next()) {
                    out.push((i + 1, code[..at].chars().count() + 1));
                }
            }
        }
    }
    out.sort();
    out
}

/// Wires input or output `n` to one more device: false when it lies outside 1..4096 or is
/// wired already.
fn claim(wired: &mut Vec<usize>, n: usize) -> bool {
    let free = (1..=4096).contains(&n) && !wired.contains(&n);
    wired.push(n);
    free
}

/// The files a controller loads with the program at `src`: the other modules of its folder (of
/// the whole `R1` tree in a controller backup) and the `$config.dat` in reach. Unreadable files
/// are left out.
pub fn other_modules(src: &Path) -> Vec<(PathBuf, String)> {
    let own_dat = src.with_extension("dat");
    let mut files = super::krl::project::module_context(src);
    files.retain(|p| {
        let beside = p.parent() == src.parent();
        p.is_file()
            && !super::krl::project::is_config(p)
            && !(beside && (p.file_name() == src.file_name() || p.file_name() == own_dat.file_name()))
    });
    files.extend(super::krl::project::find_config(src));
    files.into_iter().filter_map(|p| super::krl::source::read_text(&p).ok().map(|t| (p, t))).collect()
}

impl Scenario {
    /// Parses RON text. Syntax and shape errors carry line and column.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
        ron::from_str::<Scenario>(text).map_err(|e| {
            let hint = "see scenarios/pick_and_place.ron for a complete example";
            vec![diag(file, text, e.span.start.line, e.span.start.col, e.code.to_string(), Some(hint))]
        })
    }

    /// Checks what the format cannot: names that must match, I/O numbers, sizes. Lists every problem.
    pub fn validate(&self, file: &str, text: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut err = |needle: &str, msg: String, hint: Option<&str>| {
            let (l, c) = line_of(text, needle);
            out.push(diag(file, text, l, c, msg, hint));
        };
        if let Some(m) = &self.robot.custom {
            let bad = (0..6).any(|i| m.min_deg[i] >= m.max_deg[i] || m.max_speed_deg_s[i] <= 0.0 || m.max_acc_deg_s2[i] <= 0.0);
            if bad || m.geometry.c2 <= 0.0 || m.geometry.c3 <= 0.0 {
                err(
                    &path("robot.custom"),
                    format!("robot {}: each axis needs min < max and positive speed and acceleration; c2 and c3 must be positive", m.name),
                    None,
                );
            }
        } else if RobotModel::by_name(&self.robot.model).is_none() {
            err(
                &self.robot.model,
                format!("unknown robot model `{}`", self.robot.model),
                Some(&format!("known models: {}", RobotModel::KNOWN.join(", "))),
            );
        }
        if !(1..=50).contains(&self.tick_ms) {
            err(&path("tick_ms"), format!("tick_ms {} is outside 1..50", self.tick_ms), None);
        }
        let io_ok = |n: usize| (1..=4096).contains(&n);
        let mut outputs: Vec<(&str, usize)> = Vec::new();
        for (what, n) in self.gripper.outputs() {
            if !io_ok(n) || outputs.iter().any(|o| o.1 == n) {
                err(&path("gripper"), format!("{what} output {n} is outside 1..4096 or wired twice"), None);
            }
            outputs.push((what, n));
        }
        if let GripperSpec::Parallel { stroke_mm, stroke_s, finger_mm, .. } = &self.gripper
            && (*stroke_mm <= 0.0 || *stroke_s <= 0.0 || *finger_mm <= 0.0 || *finger_mm >= self.tool.tcp.pos().norm())
        {
            err(
                &path("gripper"),
                "parallel gripper: stroke, stroke time and fingers must be positive, the fingers shorter than the TCP's distance".into(),
                None,
            );
        }
        if !(1..=16).contains(&self.tool.number) {
            err(&path("tool.number"), format!("tool number {} is outside TOOL_DATA's 1..16", self.tool.number), None);
        }
        for c in &self.conveyors {
            if !io_ok(c.motor_output) {
                err(
                    &field_of(&c.name, "motor_output"),
                    format!("conveyor {}: motor_output {} is outside 1..4096", c.name, c.motor_output),
                    None,
                );
            }
            if let Some((who, _)) = outputs.iter().find(|(_, o)| *o == c.motor_output) {
                err(
                    &format!("motor_output: {}", c.motor_output),
                    format!("conveyor {} uses $OUT[{}], already wired to the {who}", c.name, c.motor_output),
                    None,
                );
            }
            outputs.push(("conveyor", c.motor_output));
            if let Some(r) = c.reverse_output {
                if !io_ok(r) || outputs.iter().any(|(_, o)| *o == r) {
                    err(
                        &format!("reverse_output: Some({r})"),
                        format!("conveyor {}: reverse output $OUT[{r}] is outside 1..4096 or wired twice", c.name),
                        None,
                    );
                }
                outputs.push(("conveyor reverse", r));
            }
            let len = ((c.to.x - c.from.x).powi(2) + (c.to.y - c.from.y).powi(2)).sqrt();
            if len < 100.0 {
                err(
                    &field_of(&c.name, "to"),
                    format!("conveyor {} is {len:.0} mm long; at least 100 mm is needed", c.name),
                    Some("`from` and `to` are the ends of the belt"),
                );
            }
            if (c.to.z - c.from.z).abs() > 1e-6 {
                err(&field_of(&c.name, "to"), format!("conveyor {} is not level (from.z != to.z)", c.name), None);
            }
            if c.width_mm <= 0.0 {
                err(&field_of(&c.name, "width_mm"), format!("conveyor {}: width_mm {} must be positive", c.name, c.width_mm), None);
            }
            if let Some(g) = c.guide_mm {
                if !(g > 0.0 && g <= c.width_mm) {
                    err(
                        &field_of(&c.name, "guide_mm"),
                        format!("conveyor {}: guide_mm {g} must be positive and at most the belt's width", c.name),
                        None,
                    );
                }
                let types = self.all_part_types();
                for s in self.spawners.iter().filter(|s| s.conveyor == c.name) {
                    let sizes = s.parts.names().into_iter().filter_map(|n| types.iter().find(|t| t.name == n).map(|t| t.size_mm));
                    let widest = sizes.map(|(x, y, _)| x.max(y)).fold(0.0, f64::max);
                    if widest + 2.0 * s.lateral_jitter_mm > g {
                        err(
                            &field_of(&c.name, "guide_mm"),
                            format!(
                                "conveyor {}: its guides are {g} mm apart, but parts {widest} mm wide arrive up to {} mm off the middle",
                                c.name, s.lateral_jitter_mm
                            ),
                            Some("widen guide_mm, or lower the spawner's lateral_jitter_mm"),
                        );
                    }
                }
            }
            if c.speed_mm_s < 0.0 {
                err(
                    &field_of(&c.name, "speed_mm_s"),
                    format!("conveyor {}: speed_mm_s {} must not be negative", c.name, c.speed_mm_s),
                    None,
                );
            }
        }
        for t in &self.part_types {
            for (needle, msg) in t.problems() {
                err(&field_of(&t.name, &needle), msg, None);
            }
            if self.part_types.iter().filter(|u| u.name == t.name).count() > 1 {
                err(&t.name, format!("part type `{}` is defined twice", t.name), None);
            }
        }
        let conv = |n: &str| self.conveyors.iter().any(|c| c.name == n);
        for (i, s) in self.spawners.iter().enumerate() {
            let at = |field: &str| path(&format!("spawners[{i}].{field}"));
            if !conv(&s.conveyor) {
                err(&at("conveyor"), format!("spawner: no conveyor named `{}`", s.conveyor), None);
            }
            if s.interval_s <= 0.0 {
                err(&at("interval_s"), "spawner interval_s must be positive".into(), None);
            }
            match &s.parts {
                PartSource::One(p) => {
                    for (needle, msg) in p.problems() {
                        err(&at(&format!("parts.{needle}")), msg, None);
                    }
                }
                PartSource::Mix(m) => {
                    for (name, w) in m {
                        self.check_type_name(name, &mut err);
                        if w.is_nan() || *w <= 0.0 {
                            err(name, format!("spawner: the weight of `{name}` must be positive"), None);
                        }
                    }
                    if m.is_empty() {
                        err(&at("parts"), "spawner: the mix names no part type".into(), None);
                    }
                }
                PartSource::Sequence(q) => {
                    q.iter().for_each(|name| self.check_type_name(name, &mut err));
                    if q.is_empty() {
                        err(&at("parts"), "spawner: the sequence names no part type".into(), None);
                    }
                }
            }
        }
        let mut inputs: Vec<usize> = Vec::new();
        for (what, n) in self.gripper.inputs() {
            if !claim(&mut inputs, n) {
                err(&path("gripper"), format!("{what} input {n} is outside 1..4096 or wired twice"), None);
            }
        }
        for b in &self.light_barriers {
            if !conv(&b.conveyor) {
                err(&field_of(&b.name, "conveyor"), format!("light barrier {}: no conveyor named `{}`", b.name, b.conveyor), None);
            }
            if !io_ok(b.input) {
                err(&field_of(&b.name, "input"), format!("light barrier {}: input {} is outside 1..4096", b.name, b.input), None);
            }
            if inputs.contains(&b.input) {
                err(&field_of(&b.name, "input"), format!("light barrier {}: $IN[{}] is wired twice", b.name, b.input), None);
            }
            inputs.push(b.input);
        }
        let type_names: Vec<String> = self.all_part_types().into_iter().map(|t| t.name).collect();
        for t in &self.type_sensors {
            if !conv(&t.conveyor) {
                err(&field_of(&t.name, "conveyor"), format!("type sensor {}: no conveyor named `{}`", t.name, t.conveyor), None);
            }
            let (a, b) = t.inputs;
            if !io_ok(a) || !io_ok(b) || a > b || b - a >= 16 {
                err(
                    &field_of(&t.name, "inputs"),
                    format!("type sensor {}: inputs ({a}, {b}) must lie in 1..4096, first <= last, at most 16", t.name),
                    None,
                );
                continue;
            }
            for n in a..=b {
                if inputs.contains(&n) {
                    err(&field_of(&t.name, "inputs"), format!("type sensor {}: $IN[{n}] is wired twice", t.name), None);
                }
                inputs.push(n);
            }
            for (ty, code) in &t.codes {
                if !type_names.contains(ty) {
                    err(
                        &format!("\"{ty}\": {code}"),
                        format!("type sensor {}: no part type named `{ty}`", t.name),
                        Some(&format!("part types: {}", type_names.join(", "))),
                    );
                }
                if *code == 0 || u64::from(*code) >= 1u64 << (b - a + 1) {
                    err(
                        &format!("\"{ty}\": {code}"),
                        format!(
                            "type sensor {}: code {code} of `{ty}` must be 1..{} for {} input(s)",
                            t.name,
                            (1u64 << (b - a + 1)) - 1,
                            b - a + 1
                        ),
                        None,
                    );
                }
            }
        }
        let mut analogs: Vec<usize> = Vec::new();
        for sn in &self.sensors {
            let d = &sn.direction;
            if (d.x * d.x + d.y * d.y + d.z * d.z).sqrt() < 1e-9 || sn.range_mm <= 0.0 {
                err(&field_of(&sn.name, "range_mm"), format!("sensor {}: needs a direction and a positive range", sn.name), None);
            }
            match sn.kind {
                SensorKind::Presence { input } => {
                    if !claim(&mut inputs, input) {
                        err(
                            &field_of(&sn.name, "input"),
                            format!("sensor {}: $IN[{input}] is outside 1..4096 or wired twice", sn.name),
                            None,
                        );
                    }
                }
                SensorKind::Distance { analog } => {
                    if !(1..=crate::sim::io::ANIN_COUNT).contains(&analog) || analogs.contains(&analog) {
                        err(
                            &field_of(&sn.name, "analog"),
                            format!("sensor {}: $ANIN[{analog}] is outside 1..32 or wired twice", sn.name),
                            None,
                        );
                    }
                    analogs.push(analog);
                }
            }
        }
        for b in &self.bins {
            let (x, y, z) = b.size_mm;
            if x < 50.0 || y < 50.0 || z < 20.0 {
                err(&field_of(&b.name, "size_mm"), format!("bin {} is too small", b.name), None);
            }
            if let Some(n) = b.full_input {
                if !claim(&mut inputs, n) {
                    err(&field_of(&b.name, "full_input"), format!("bin {}: $IN[{n}] is outside 1..4096 or wired twice", b.name), None);
                }
                if b.capacity.is_none() {
                    err(&field_of(&b.name, "full_input"), format!("bin {}: a full_input needs a capacity", b.name), None);
                }
            }
            if let Some(c) = &b.colour
                && colour_rgb(c).is_none()
            {
                err(
                    &field_of(&b.name, "colour"),
                    format!("bin {}: unknown colour `{c}`", b.name),
                    Some("red, green, blue, yellow, orange, white, grey, black or #rrggbb"),
                );
            }
            if b.drain_s.is_some_and(|d| d < 0.0) {
                err(&field_of(&b.name, "drain_s"), format!("bin {}: drain_s must not be negative", b.name), None);
            }
        }
        for o in &self.objectives {
            for (needle, msg) in o.problems(self) {
                err(&field_of(&o.title, &needle), msg, None);
            }
        }
        for v in &self.variants {
            for (needle, msg) in v.problems(self) {
                err(&field_of(&v.name, &needle), msg, None);
            }
            if self.variants.iter().filter(|w| w.name == v.name).count() > 1 || v.name == "public" || v.name == "program" {
                err(&v.name, format!("variant name `{}` is taken: give each variant its own name", v.name), None);
            }
        }
        if let Some(n) = self.door_input {
            if !io_ok(n) {
                err(&path("door_input"), format!("door_input {n} is outside 1..4096"), None);
            } else if inputs.contains(&n) {
                err(&path("door_input"), format!("door_input: $IN[{n}] is wired twice"), None);
            }
        }
        for (i, f) in self.faults.iter().enumerate() {
            for (_, msg) in self.fault_problems(&f.kind) {
                err(&path(&format!("faults[{i}].kind")), msg, None);
            }
            if f.at_s < 0.0 || f.for_s.is_some_and(|d| d <= 0.0) {
                let field = if f.at_s < 0.0 { "at_s" } else { "for_s" };
                err(&path(&format!("faults[{i}].{field}")), "a fault needs at_s >= 0 and a positive for_s".into(), None);
            }
        }
        for (i, st) in self.stacks.iter().enumerate() {
            if !self.all_part_types().iter().any(|t| t.name == st.part_type) {
                err(&path(&format!("stacks[{i}].part_type")), format!("stack: no part type named `{}`", st.part_type), None);
            }
            if st.count == 0 || st.count > 50 {
                err(&path(&format!("stacks[{i}].count")), "a stack holds 1..50 parts".into(), None);
            }
        }
        if let Some(n) = self.estop_input
            && !claim(&mut inputs, n)
        {
            err(&path("estop_input"), format!("estop_input: $IN[{n}] is outside 1..4096 or wired twice"), None);
        }
        let mut sensed = inputs.clone();
        sensed.extend(self.door_input);
        let actuated: Vec<usize> = outputs.iter().map(|o| o.1).collect();
        for (needle, msg) in self.plant.problems(&sensed, &actuated, &type_names) {
            err(&field_of("plant:", &needle), msg, None);
        }
        for p in &self.pallets {
            for (needle, msg) in p.problems() {
                err(&field_of(&p.name, &needle), msg, None);
            }
        }
        for t in &self.tables {
            let (x, y, z) = t.size_mm;
            if x <= 0.0 || y <= 0.0 || z <= 0.0 {
                err(&field_of(&t.name, "size_mm"), format!("table {}: its size must be positive", t.name), None);
            }
        }
        if self.base_data.len() > 32 {
            err(&path("base_data"), format!("base_data has {} entries; BASE_DATA holds 32", self.base_data.len()), None);
        }
        if !(self.time_limit_s > 0.0 && self.time_limit_s <= 3600.0) {
            err(&path("time_limit_s"), "time_limit_s must lie within 0..3600 seconds".into(), None);
        }
        // NaN and infinity parse as numbers in RON, but nothing in a cell can be either; nor can
        // a length beyond what the physics resolves (it runs in f32 metres).
        let mut literals = non_finite_literals(text).into_iter();
        for (at, v) in self.numbers_out_of_range() {
            let (msg, hint, (l, c)) = if v.is_finite() {
                let msg = format!("{at} = {v} is out of range");
                (
                    msg,
                    format!("numbers in a scenario lie within +-{MAX_NUMBER} (mm, degrees, seconds): a cell is at most 100 m across"),
                    line_of(text, &path(&at)),
                )
            } else {
                let pos = literals.next().unwrap_or_else(|| line_of(text, &path(&at)));
                (format!("{at} is not a finite number"), "write a number (mm, degrees, seconds); NaN and inf are not allowed".into(), pos)
            };
            out.push(diag(file, text, l, c, msg, Some(&hint)));
        }
        out
    }

    fn check_type_name(&self, name: &str, err: &mut impl FnMut(&str, String, Option<&str>)) {
        if !self.part_types.iter().any(|t| t.name == name) {
            let known: Vec<&str> = self.part_types.iter().map(|t| t.name.as_str()).collect();
            let hint = format!("part_types defines: {}", if known.is_empty() { "none".to_string() } else { known.join(", ") });
            err(&format!("\"{name}\""), format!("spawner: no part type named `{name}`"), Some(&hint));
        }
    }

    /// What in a fault does not fit this cell: (field to point at, message).
    pub fn fault_problems(&self, k: &FaultKind) -> Vec<(String, String)> {
        match k {
            FaultKind::SensorStuck { input, .. } if !(1..=4096).contains(input) => {
                vec![("SensorStuck".into(), format!("fault: input {input} is outside 1..4096"))]
            }
            FaultKind::ConveyorJam { conveyor } if !self.conveyors.iter().any(|c| &c.name == conveyor) => {
                vec![(conveyor.clone(), format!("fault: no conveyor named `{conveyor}`"))]
            }
            FaultKind::UnexpectedPart { part_type } if !self.all_part_types().iter().any(|t| &t.name == part_type) => {
                vec![(part_type.clone(), format!("fault: no part type named `{part_type}`"))]
            }
            _ => Vec::new(),
        }
    }

    /// `BASE_DATA[1..]` as the controller gets it: `base_data`, with the pallets' bases set.
    pub fn bases(&self) -> Vec<Frame> {
        let mut out = self.base_data.clone();
        for p in &self.pallets {
            if let Some(n) = p.base {
                if out.len() < n {
                    out.resize(n, Frame::default());
                }
                out[n - 1] = p.base_frame();
            }
        }
        out
    }

    /// Every part type the cell can spawn: `part_types`, then each spawner's `One` type.
    pub fn all_part_types(&self) -> Vec<PartSpec> {
        let mut out = self.part_types.clone();
        for s in &self.spawners {
            if let PartSource::One(p) = &s.parts
                && !out.contains(p)
            {
                out.push(p.clone());
            }
        }
        out
    }

    /// Every decimal number that is NaN, infinite or beyond +-`MAX_NUMBER`, as (path, field
    /// name, value): `conveyors[0].to.z`.
    /// (path, value) of each number out of range, the path as [`path`] takes it.
    fn numbers_out_of_range(&self) -> Vec<(String, f64)> {
        fn walk(v: &ron::Value, at: &str, out: &mut Vec<(String, f64)>) {
            match v {
                ron::Value::Number(n @ (ron::value::Number::F32(_) | ron::value::Number::F64(_)))
                    if n.into_f64().is_nan() || n.into_f64().abs() > MAX_NUMBER =>
                {
                    out.push((at.to_string(), n.into_f64()))
                }
                ron::Value::Map(m) => {
                    for (k, v) in m.iter() {
                        let k = match k {
                            ron::Value::String(k) => k.clone(),
                            other => format!("{other:?}"),
                        };
                        let p = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                        walk(v, &p, out);
                    }
                }
                ron::Value::Seq(items) => items.iter().enumerate().for_each(|(i, v)| walk(v, &format!("{at}[{i}]"), out)),
                ron::Value::Option(Some(v)) => walk(v, at, out),
                _ => {}
            }
        }
        let mut out = Vec::new();
        if let Ok(v) = ron::to_string(self).and_then(|t| ron::from_str::<ron::Value>(&t).map_err(Into::into)) {
            walk(&v, "", &mut out);
        }
        out
    }

    /// The text of a scenario file; a folder without a `scenario.ron`, or a file that cannot be
    /// read, is one diagnostic that says so.
    pub fn read(path: &Path) -> Result<String, Vec<Diagnostic>> {
        let file = path.display().to_string();
        if path.is_dir() {
            let msg = format!("{file} is a folder without a {FOLDER_SCENARIO}");
            return Err(vec![diag(&file, "", 1, 1, msg, Some("give a scenario file (.ron), or a lesson's folder such as lessons/07"))]);
        }
        std::fs::read_to_string(path)
            .map_err(|e| vec![diag(&file, "", 1, 1, format!("cannot read the scenario: {e}"), Some("check the path"))])
    }

    /// The scenario file a path names: itself, or a folder's `scenario.ron` (a lesson's).
    pub fn resolve(path: &Path) -> PathBuf {
        let in_folder = path.join(FOLDER_SCENARIO);
        if path.is_dir() && in_folder.is_file() { in_folder } else { path.to_path_buf() }
    }

    /// Reads, parses and validates a scenario and reads its program files.
    pub fn load(path: &Path) -> Result<Loaded, Vec<Diagnostic>> {
        Scenario::load_with_program(path, None)
    }

    /// As `load`, with another program than the scenario's (a `.src`; its `.dat` beside it).
    /// A folder holding a `scenario.ron` (a lesson's) stands for that file.
    pub fn load_with_program(path: &Path, program: Option<&Path>) -> Result<Loaded, Vec<Diagnostic>> {
        let path = &Scenario::resolve(path);
        let given_program = program;
        let text = Scenario::read(path)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        // The program's name is needed before the scenario is known to be valid: read it leniently.
        let program = match program {
            Some(p) => Some(p.to_path_buf()),
            None => ron::from_str::<Scenario>(&text).ok().map(|sc| {
                let p = dir.join(&sc.program);
                match (p.is_dir(), &sc.main) {
                    // A folder of modules: the one named `main`, in any case.
                    (true, Some(main)) => std::fs::read_dir(&p)
                        .ok()
                        .and_then(|rd| {
                            rd.filter_map(|e| e.ok().map(|e| e.path())).find(|f| {
                                f.extension().is_some_and(|e| e.eq_ignore_ascii_case("src"))
                                    && f.file_stem().is_some_and(|s| s.to_string_lossy().eq_ignore_ascii_case(main))
                            })
                        })
                        .unwrap_or_else(|| p.join(format!("{main}.src"))),
                    _ => p,
                }
            }),
        };
        let src = program.as_ref().map(|p| (p.clone(), super::krl::source::read_text(p)));
        // A program given besides the scenario (`check --program`): its own error, at its path.
        if let (Some(given), Some((_, Err(e)))) = (given_program, &src) {
            let hint = "the program to run instead of the scenario's: a .src file (its .dat beside it)";
            return Err(vec![diag(&given.display().to_string(), "", 1, 1, format!("cannot read the program: {e}"), Some(hint))]);
        }
        let dat = program.as_ref().and_then(|p| {
            let dat_path = p.with_extension("dat");
            super::krl::source::read_text(&dat_path).ok().map(|t| (dat_path, t))
        });
        let mut loaded = Scenario::from_texts(path, &text, src, dat)?;
        loaded.others = other_modules(&loaded.src_path);
        Ok(loaded)
    }

    /// Builds a loaded scenario from texts already read: the scenario's, and its program's
    /// (`.src` path and text or the error reading it, `.dat` if any).
    pub fn from_texts(
        path: &Path,
        text: &str,
        src: Option<(PathBuf, std::io::Result<String>)>,
        dat: Option<(PathBuf, String)>,
    ) -> Result<Loaded, Vec<Diagnostic>> {
        let file = path.display().to_string();
        let scenario = Scenario::parse(&file, text)?;
        let mut errors = scenario.validate(&file, text);
        let (src_path, src) = match src {
            Some((p, Ok(s))) => (p, Some(s)),
            Some((p, Err(e))) => {
                let (l, c) = line_of(text, &scenario.program);
                errors.push(diag(
                    &file,
                    text,
                    l,
                    c,
                    format!("cannot read the program {}: {e}", p.display()),
                    Some(if p.is_dir() {
                        "`program` names a folder: say which module runs with `main: Some(\"name\")`"
                    } else {
                        "`program` is relative to the scenario file (a folder of modules needs `main`)"
                    }),
                ));
                (p, None)
            }
            None => (PathBuf::from(&scenario.program), None),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let Some(src) = src else {
            let (l, c) = line_of(text, &scenario.program);
            return Err(vec![diag(&file, text, l, c, "the program's text is missing".into(), None)]);
        };
        let model = match &scenario.robot.custom {
            Some(m) => m.clone(),
            None => RobotModel::by_name(&scenario.robot.model).expect("validated"),
        };
        Ok(Loaded { scenario, model, path: path.to_path_buf(), text: text.to_string(), src_path, src, dat, others: Vec::new() })
    }
}
