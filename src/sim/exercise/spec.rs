//! The exercise as the scenario file states it: objectives with points, and variants the grader
//! runs besides the public scenario.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::sim::math::Frame;
use crate::sim::scenario::{Point, Scenario};

/// One thing the program is graded on.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ObjectiveSpec {
    /// What a student reads: "Deliver 3 parts into the bin".
    pub title: String,
    pub points: f64,
    /// When this objective fails (in any run), the whole score is zero.
    #[serde(default)]
    pub gate: bool,
    pub kind: ObjectiveKind,
    /// What a student should look at when this objective fails (a lesson's hint); none when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum ObjectiveKind {
    /// `count` parts at rest in a bin (`bin`: that one; otherwise any).
    Deliver {
        count: u32,
        #[serde(default)]
        bin: Option<String>,
        /// Only parts of this type count.
        #[serde(default)]
        part_type: Option<String>,
    },
    /// Each part type into its bin: `count` parts sorted right earn full points; each part in a
    /// wrong bin costs `penalty` points (of this objective's points).
    Sort {
        /// Part type name -> bin name.
        bins: BTreeMap<String, String>,
        count: u32,
        #[serde(default)]
        penalty: f64,
    },
    /// Parts resting at given spots: each target is matched with the part nearest to it.
    Place {
        #[serde(default)]
        targets: Vec<PlaceTarget>,
        /// The targets are slots of this pallet: `slots` (all of them when empty), at the
        /// pallet's yaw.
        #[serde(default)]
        pallet: Option<String>,
        #[serde(default)]
        slots: Vec<String>,
        tolerance_mm: f64,
        #[serde(default = "default_angle_tol")]
        tolerance_deg: f64,
        /// The targets are filled in the order listed.
        #[serde(default)]
        in_order: bool,
        /// The targets are given in `BASE_DATA[n]` (so they move with the base); else the world.
        #[serde(default)]
        base: Option<usize>,
    },
    /// The TCP passes through `points` in order, or along `polyline`, or along the `arc` from
    /// its start through its via point to its end, within `tolerance_mm` (world frame).
    Path {
        tolerance_mm: f64,
        /// The points are given in `BASE_DATA[n]` (so they move with the base); else the world.
        #[serde(default)]
        base: Option<usize>,
        #[serde(default)]
        points: Vec<Point>,
        #[serde(default)]
        polyline: Vec<Point>,
        #[serde(default)]
        arc: Option<(Point, Point, Point)>,
    },
    /// The plant's production orders (`plant.orders`): each one filled exactly into `bin` and
    /// reported done; the share of orders filled.
    Orders { bin: String },
    /// The program's run time (start to END): full points at or under `full_s`, falling
    /// linearly to zero at `zero_s`. Counts only when every part objective (Deliver, Place, Sort) of
    /// the run passed.
    CycleTime { full_s: f64, zero_s: f64 },
    /// Each check that is on must hold for the whole run.
    Safety {
        #[serde(default = "yes")]
        no_collision: bool,
        /// In T1 the TCP and the flange stay at or under 250 mm/s.
        #[serde(default = "yes")]
        t1_speed: bool,
        /// No motion stopped at a software limit switch.
        #[serde(default = "yes")]
        no_limit_stop: bool,
        /// The program reaches its END with the robot at HOME (within 0.5 degrees per axis).
        #[serde(default)]
        ends_at_home: bool,
    },
    /// Constructs the program must use and may not use, checked on the parsed program.
    Program {
        #[serde(default)]
        require: Vec<Construct>,
        #[serde(default)]
        forbid: Vec<Construct>,
    },
}

fn default_angle_tol() -> f64 {
    10.0
}
fn yes() -> bool {
    true
}

/// A spot a part must rest on: the centre of the part's bottom face, and its yaw about Z.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlaceTarget {
    pub name: String,
    pub at: Point,
    #[serde(default)]
    pub yaw_deg: f64,
}

/// A KRL construct a program objective asks for or forbids.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum Construct {
    Ptp,
    Lin,
    Circ,
    /// An approximated motion (C_PTP, C_DIS, C_VEL, C_ORI).
    Approximation,
    /// An INTERRUPT declaration.
    Interrupt,
    Trigger,
    /// A subroutine (DEF other than the main routine) with parameters.
    SubroutineWithParams,
    /// A DEFFCT.
    Function,
    ForLoop,
    WhileLoop,
    RepeatLoop,
    /// LOOP ... ENDLOOP.
    EndlessLoop,
    Switch,
    /// An SPL segment (a SPLINE block's smooth path).
    Spline,
    /// WAIT FOR a condition.
    WaitFor,
    WaitSec,
    Goto,
    Halt,
    /// A pose or axis aggregate written in the `.src` (`PTP {X 100, ...}`) instead of a taught
    /// point in the `.dat`.
    LiteralPose,
}

impl Construct {
    /// How a student would name it.
    pub fn describe(self) -> &'static str {
        match self {
            Construct::Ptp => "a PTP motion",
            Construct::Lin => "a LIN motion",
            Construct::Circ => "a CIRC motion",
            Construct::Approximation => "an approximated motion (C_PTP, C_DIS, ...)",
            Construct::Interrupt => "an INTERRUPT declaration",
            Construct::Trigger => "a TRIGGER",
            Construct::SubroutineWithParams => "a subroutine with parameters",
            Construct::Function => "a function (DEFFCT)",
            Construct::ForLoop => "a FOR loop",
            Construct::WhileLoop => "a WHILE loop",
            Construct::RepeatLoop => "a REPEAT loop",
            Construct::EndlessLoop => "a LOOP",
            Construct::Switch => "a SWITCH",
            Construct::Spline => "a SPLINE block with SPL points",
            Construct::WaitFor => "a WAIT FOR",
            Construct::WaitSec => "a WAIT SEC",
            Construct::Goto => "GOTO",
            Construct::Halt => "HALT",
            Construct::LiteralPose => "a pose written into the .src",
        }
    }
}

/// A run of the exercise besides the public scenario: another seed, belt speed, timing or
/// layout. It reaches the program only as a real cell would: through the parts, the inputs and
/// `BASE_DATA`, never through the student's files.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    /// Students see its results only after the grades are published.
    #[serde(default)]
    pub hidden: bool,
    #[serde(default)]
    pub seed: Option<u64>,
    /// Belt speed by conveyor name, mm/s.
    #[serde(default)]
    pub conveyor_speed: BTreeMap<String, f64>,
    /// Spawn timing and count, for every spawner.
    #[serde(default)]
    pub spawn: Option<SpawnChange>,
    /// Bins, tables or pallets moved, each with the base that is taught on it.
    #[serde(default)]
    pub shift: Vec<Shift>,
    /// Where the robot stands when the run starts (axis angles, degrees).
    #[serde(default)]
    pub start_deg: Option<[f64; 6]>,
    /// Faults of this run besides the scenario's own.
    #[serde(default)]
    pub faults: Vec<crate::sim::scenario::FaultSpec>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpawnChange {
    #[serde(default)]
    pub first_s: Option<f64>,
    #[serde(default)]
    pub interval_s: Option<f64>,
    #[serde(default)]
    pub interval_jitter_s: Option<f64>,
    #[serde(default)]
    pub lateral_jitter_mm: Option<f64>,
    #[serde(default)]
    pub count: Option<u32>,
    /// Other part types or another order.
    #[serde(default)]
    pub parts: Option<crate::sim::scenario::PartSource>,
}

/// Moves the bin, table or pallet named `bin` by `by` (world, mm) and `BASE_DATA[base]` with it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// A bin's, a table's or a pallet's name (`fixture:` says the same).
    #[serde(alias = "fixture")]
    pub bin: String,
    #[serde(default)]
    pub base: Option<usize>,
    pub by: Point,
}

impl Variant {
    /// The scenario as this variant builds it. Names were checked by `problems`.
    pub fn apply(&self, sc: &Scenario) -> Scenario {
        let mut sc = sc.clone();
        if let Some(s) = self.seed {
            sc.seed = s;
        }
        for c in &mut sc.conveyors {
            if let Some(v) = self.conveyor_speed.get(&c.name) {
                c.speed_mm_s = *v;
            }
        }
        if let Some(ch) = &self.spawn {
            for s in &mut sc.spawners {
                s.first_s = ch.first_s.unwrap_or(s.first_s);
                s.interval_s = ch.interval_s.unwrap_or(s.interval_s);
                s.interval_jitter_s = ch.interval_jitter_s.unwrap_or(s.interval_jitter_s);
                s.lateral_jitter_mm = ch.lateral_jitter_mm.unwrap_or(s.lateral_jitter_mm);
                s.count = ch.count.unwrap_or(s.count);
                if let Some(p) = &ch.parts {
                    s.parts = p.clone();
                }
            }
        }
        for sh in &self.shift {
            let centres = sc.bins.iter_mut().filter(|b| b.name == sh.bin).map(|b| &mut b.center);
            let centres = centres.chain(sc.tables.iter_mut().filter(|t| t.name == sh.bin).map(|t| &mut t.center));
            for c in centres.chain(sc.pallets.iter_mut().filter(|p| p.name == sh.bin).map(|p| &mut p.origin)) {
                c.x += sh.by.x;
                c.y += sh.by.y;
                c.z += sh.by.z;
            }
            if let Some(n) = sh.base {
                while sc.base_data.len() < n {
                    sc.base_data.push(Frame::default());
                }
                let f = &mut sc.base_data[n - 1];
                f.x += sh.by.x;
                f.y += sh.by.y;
                f.z += sh.by.z;
            }
        }
        if let Some(a) = self.start_deg {
            sc.robot.start_deg = Some(a);
        }
        sc.faults.extend(self.faults.iter().cloned());
        sc
    }

    /// What in this variant does not fit the scenario: (field to point at, message).
    pub fn problems(&self, sc: &Scenario) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for name in self.conveyor_speed.keys() {
            if !sc.conveyors.iter().any(|c| &c.name == name) {
                out.push((name.clone(), format!("variant {}: no conveyor named `{name}`", self.name)));
            }
        }
        if self.conveyor_speed.values().any(|v| *v < 0.0) {
            out.push(("conveyor_speed".into(), format!("variant {}: a belt speed must not be negative", self.name)));
        }
        if let Some(ch) = &self.spawn
            && ch.interval_s.is_some_and(|v| v <= 0.0)
        {
            out.push(("interval_s".into(), format!("variant {}: interval_s must be positive", self.name)));
        }
        for sh in &self.shift {
            let fixture = |n: &str| {
                sc.bins.iter().any(|b| b.name == n) || sc.tables.iter().any(|t| t.name == n) || sc.pallets.iter().any(|p| p.name == n)
            };
            if !fixture(&sh.bin) {
                out.push((sh.bin.clone(), format!("variant {}: no bin, table or pallet named `{}`", self.name, sh.bin)));
            }
            if sh.base.is_some_and(|n| !(1..=32).contains(&n)) {
                out.push(("base".into(), format!("variant {}: BASE_DATA has entries 1..32", self.name)));
            }
        }
        out
    }
}

/// The targets of a place objective in the world: (name, bottom-centre spot, yaw in degrees).
pub fn place_targets(
    sc: &Scenario,
    targets: &[PlaceTarget],
    pallet: Option<&str>,
    slots: &[String],
    base: Option<usize>,
) -> Vec<(String, nalgebra::Vector3<f64>, f64)> {
    if let Some(p) = pallet.and_then(|n| sc.pallets.iter().find(|p| p.name == n)) {
        return p.slots().into_iter().filter(|(n, _)| slots.is_empty() || slots.contains(n)).map(|(n, at)| (n, at, p.yaw_deg)).collect();
    }
    let bases = sc.bases();
    let frame = base.and_then(|n| bases.get(n - 1)).map(Frame::to_iso).unwrap_or_else(nalgebra::Isometry3::identity);
    let x = frame.rotation * nalgebra::Vector3::x();
    let turn = x.y.atan2(x.x).to_degrees();
    targets.iter().map(|t| (t.name.clone(), (frame * nalgebra::Point3::new(t.at.x, t.at.y, t.at.z)).coords, t.yaw_deg + turn)).collect()
}

impl ObjectiveSpec {
    /// What in this objective does not fit the scenario: (field to point at, message).
    pub fn problems(&self, sc: &Scenario) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let t = &self.title;
        if self.points.is_nan() || self.points < 0.0 {
            out.push(("points".into(), format!("objective `{t}`: points must not be negative")));
        }
        match &self.kind {
            ObjectiveKind::Sort { bins, count, penalty } => {
                let types: Vec<String> = sc.all_part_types().into_iter().map(|p| p.name).collect();
                for (ty, bin) in bins {
                    if !types.contains(ty) {
                        out.push((ty.clone(), format!("objective `{t}`: no part type named `{ty}`")));
                    }
                    if !sc.bins.iter().any(|x| &x.name == bin) {
                        out.push((bin.clone(), format!("objective `{t}`: no bin named `{bin}`")));
                    }
                }
                if bins.is_empty() || *count == 0 || *penalty < 0.0 {
                    out.push(("Sort".into(), format!("objective `{t}`: needs bins, a count of at least 1 and a penalty >= 0")));
                }
            }
            ObjectiveKind::Deliver { count, bin, part_type } => {
                if let Some(ty) = part_type
                    && !sc.all_part_types().iter().any(|p| &p.name == ty)
                {
                    out.push((ty.clone(), format!("objective `{t}`: no part type named `{ty}`")));
                }
                if sc.bins.is_empty() {
                    out.push(("Deliver".into(), format!("objective `{t}` delivers parts, but the cell has no bin")));
                }
                if let Some(b) = bin
                    && !sc.bins.iter().any(|x| &x.name == b)
                {
                    out.push((b.clone(), format!("objective `{t}`: no bin named `{b}`")));
                }
                if *count == 0 {
                    out.push(("count".into(), format!("objective `{t}`: count must be at least 1")));
                }
            }
            ObjectiveKind::Place { targets, pallet, slots, tolerance_mm, tolerance_deg, base, .. } => {
                match pallet {
                    Some(name) => match sc.pallets.iter().find(|p| &p.name == name) {
                        None => out.push((name.clone(), format!("objective `{t}`: no pallet named `{name}`"))),
                        Some(p) => {
                            let known: Vec<String> = p.slots().into_iter().map(|s| s.0).collect();
                            for s in slots.iter().filter(|s| !known.contains(s)) {
                                out.push((
                                    s.clone(),
                                    format!("objective `{t}`: pallet {name} has no slot {s} (it has {})", known.join(", ")),
                                ));
                            }
                            if !targets.is_empty() {
                                out.push(("targets".into(), format!("objective `{t}`: give targets or a pallet, not both")));
                            }
                        }
                    },
                    None if targets.is_empty() => out.push(("targets".into(), format!("objective `{t}`: no targets"))),
                    None => {}
                }
                if *tolerance_mm <= 0.0 || *tolerance_deg <= 0.0 {
                    out.push(("tolerance".into(), format!("objective `{t}`: tolerances must be positive")));
                }
                if let Some(n) = base
                    && !(1..=sc.base_data.len()).contains(n)
                {
                    out.push(("base".into(), format!("objective `{t}`: BASE_DATA[{n}] is not given in base_data")));
                }
            }
            ObjectiveKind::Path { tolerance_mm, points, polyline, arc, base } => {
                if let Some(n) = base
                    && !(1..=sc.base_data.len()).contains(n)
                {
                    out.push(("base".into(), format!("objective `{t}`: BASE_DATA[{n}] is not given in base_data")));
                }
                let given = [!points.is_empty(), !polyline.is_empty(), arc.is_some()].iter().filter(|x| **x).count();
                if given != 1 {
                    out.push(("Path".into(), format!("objective `{t}`: give exactly one of points, polyline or arc")));
                }
                if polyline.len() == 1 {
                    out.push(("polyline".into(), format!("objective `{t}`: a polyline needs at least 2 points")));
                }
                if let Some((a, v, b)) = arc
                    && super::score::circle_through(a, v, b).is_none()
                {
                    out.push(("arc".into(), format!("objective `{t}`: the arc's three points lie on a line")));
                }
                if *tolerance_mm <= 0.0 {
                    out.push(("tolerance_mm".into(), format!("objective `{t}`: tolerance_mm must be positive")));
                }
            }
            ObjectiveKind::CycleTime { full_s, zero_s } => {
                if !(*full_s > 0.0 && zero_s > full_s) {
                    out.push(("full_s".into(), format!("objective `{t}`: needs 0 < full_s < zero_s")));
                }
            }
            ObjectiveKind::Orders { bin } => {
                if !sc.bins.iter().any(|b| &b.name == bin) {
                    out.push((format!("\"{bin}\""), format!("objective `{t}`: no bin named `{bin}`")));
                }
                if sc.plant.orders.is_none() {
                    out.push(("Orders".into(), format!("objective `{t}`: the scenario's plant takes no orders (plant: (orders: ...))")));
                }
            }
            ObjectiveKind::Safety { .. } => {}
            ObjectiveKind::Program { require, forbid } => {
                if require.is_empty() && forbid.is_empty() {
                    out.push(("Program".into(), format!("objective `{t}`: nothing required or forbidden")));
                }
            }
        }
        out
    }

    /// A program objective is judged once on the text, not per run.
    pub fn is_static(&self) -> bool {
        matches!(self.kind, ObjectiveKind::Program { .. })
    }
}
