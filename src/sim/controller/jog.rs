//! Jogging from the pendant: one axis, or the TCP along or about an axis of the World, Base or
//! Tool frame, continuously while the key is held or by one increment per press. Speeds come
//! from the robot's jog reductions and the jog override; the TCP and the flange never pass
//! 250 mm/s. A jog stops before a software limit, slows down where the axes cannot follow (near
//! a singularity) and stops there with a message naming the axis: the robot never jumps.

use nalgebra::{Isometry3, Translation3, Unit, UnitQuaternion, Vector3};
use serde::{Deserialize, Serialize};

use super::planner::T1_SPEED_MM_S;
use crate::sim::kinematics::{Singularity, fk, ik_near, singularities};
use crate::sim::robot::RobotModel;

/// The frame the jog keys move in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum JogFrame {
    /// One key pair per axis, A1..A6.
    #[default]
    Axes,
    /// X, Y, Z along the world's axes; A, B, C about its Z, Y, X through the TCP.
    World,
    /// As World, in the selected `BASE_DATA[n]`.
    Base,
    /// Along and about the selected tool's own axes (the frame moves with the robot).
    Tool,
}

/// Continuous jog, or one step per key press (Cartesian mm / degrees; axes in degrees).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum JogIncrement {
    #[default]
    Continuous,
    /// 100 mm / 10°.
    Mm100,
    /// 10 mm / 3°.
    Mm10,
    /// 1 mm / 1°.
    Mm1,
    /// 0.1 mm / 0.005°.
    Mm01,
}

impl JogIncrement {
    pub const ALL: [JogIncrement; 5] = [Self::Continuous, Self::Mm100, Self::Mm10, Self::Mm1, Self::Mm01];

    /// The step of one press: mm for a Cartesian translation, degrees otherwise.
    pub fn step(self, translation: bool) -> Option<f64> {
        let (mm, deg) = match self {
            JogIncrement::Continuous => return None,
            JogIncrement::Mm100 => (100.0, 10.0),
            JogIncrement::Mm10 => (10.0, 3.0),
            JogIncrement::Mm1 => (1.0, 1.0),
            JogIncrement::Mm01 => (0.1, 0.005),
        };
        Some(if translation { mm } else { deg })
    }

    pub fn label(self) -> &'static str {
        match self {
            JogIncrement::Continuous => "continuous",
            JogIncrement::Mm100 => "100 mm / 10°",
            JogIncrement::Mm10 => "10 mm / 3°",
            JogIncrement::Mm1 => "1 mm / 1°",
            JogIncrement::Mm01 => "0.1 mm / 0.005°",
        }
    }
}

/// `$RED_VEL_AXC` of the KR 6 R900 sixx: axis jog speed, fraction of each axis' maximum.
pub const RED_VEL_AXC: [f64; 6] = [0.17, 0.20, 0.17, 0.16, 0.15, 0.10];
/// `$RED_VEL_CPC`: Cartesian jog speed, fraction of `$VEL_MA.CP`.
pub const RED_VEL_CPC: f64 = 0.0733;
/// `$VEL_MA.ORI1`, deg/s: the orientation speed `$RED_VEL_CPC` reduces (not in the reference
/// data: an estimate).
pub const VEL_MA_ORI_DEG_S: f64 = 1000.0;
/// `$DEF_OV_JOG`: the jog override at start, percent.
pub const DEF_OV_JOG: f64 = 10.0;
/// A held key reaches its speed over this time, s; a released one stops within this time.
pub const JOG_RAMP_S: f64 = 0.1;
/// Below this share of its speed, a Cartesian jog near a singularity stops.
const SINGULAR_SHARE: f64 = 0.02;

/// What the pendant has set for jogging.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct JogSettings {
    pub frame: JogFrame,
    pub increment: JogIncrement,
    /// `$OV_JOG`, percent.
    pub override_pct: f64,
}

impl Default for JogSettings {
    fn default() -> Self {
        JogSettings { frame: JogFrame::Axes, increment: JogIncrement::Continuous, override_pct: DEF_OV_JOG }
    }
}

/// Names of the jog keys in a frame: A1..A6, or X Y Z A B C.
pub fn key_name(frame: JogFrame, key: usize) -> &'static str {
    const AXES: [&str; 6] = ["A1", "A2", "A3", "A4", "A5", "A6"];
    const CART: [&str; 6] = ["X", "Y", "Z", "A", "B", "C"];
    if frame == JogFrame::Axes { AXES[key.min(5)] } else { CART[key.min(5)] }
}

/// A jog key held (or an increment under way).
#[derive(Clone, Debug, PartialEq)]
pub struct Jog {
    pub key: usize,
    pub sign: f64,
    /// How far it has moved, mm or degrees.
    pub travelled: f64,
    /// The speed reached, 0..=1 of the jog speed.
    ramp: f64,
    /// The key was let go: a continuous jog ramps down to a stop.
    pub released: bool,
}

impl Jog {
    pub fn new(key: usize, plus: bool) -> Self {
        Jog { key: key.min(5), sign: if plus { 1.0 } else { -1.0 }, travelled: 0.0, ramp: 0.0, released: false }
    }
}

/// What one tick of jogging did.
#[derive(Debug, PartialEq)]
pub enum JogStep {
    /// The robot moved (or is still ramping); the jog goes on.
    Moving([f64; 6]),
    /// The jog is over (increment done, key released): the robot stands at these axes.
    Done([f64; 6]),
    /// The jog stopped short: the message says why.
    Stopped([f64; 6], String),
}

/// The frames a Cartesian jog needs, in the world: the robot's base, the selected base and tool.
pub struct JogFrames {
    pub robroot: Isometry3<f64>,
    pub base: Isometry3<f64>,
    pub tool: Isometry3<f64>,
}

/// One tick of `jog` from axes `q`.
pub fn step(model: &RobotModel, frames: &JogFrames, s: &JogSettings, jog: &mut Jog, q: [f64; 6], dt: f64) -> JogStep {
    let cartesian = s.frame != JogFrame::Axes;
    let translation = cartesian && jog.key < 3;
    let increment = s.increment.step(translation);
    if jog.released && increment.is_some() {
        // Letting go of the key aborts a step.
        return JogStep::Done(q);
    }
    jog.ramp = if jog.released { (jog.ramp - dt / JOG_RAMP_S).max(0.0) } else { (jog.ramp + dt / JOG_RAMP_S).min(1.0) };
    if jog.ramp <= 0.0 {
        return JogStep::Done(q);
    }
    let full = match (cartesian, translation) {
        (false, _) => model.max_speed_deg_s[jog.key] * RED_VEL_AXC[jog.key],
        (true, true) => model.max_cp_speed_m_s * 1000.0 * RED_VEL_CPC,
        (true, false) => VEL_MA_ORI_DEG_S * RED_VEL_CPC,
    };
    let mut d = full * s.override_pct.clamp(0.0, 100.0) / 100.0 * jog.ramp * dt;
    if let Some(inc) = increment {
        d = d.min(inc - jog.travelled);
    }
    if d <= 1e-12 {
        return JogStep::Done(q);
    }
    let flange = |q: &[f64; 6]| frames.robroot * fk(model, q);
    let moved = |q0: &[f64; 6], q1: &[f64; 6]| {
        let (f0, f1) = (flange(q0), flange(q1));
        let tcp = ((f1 * frames.tool).translation.vector - (f0 * frames.tool).translation.vector).norm();
        tcp.max((f1.translation.vector - f0.translation.vector).norm())
    };
    let name = key_name(s.frame, jog.key);
    if !cartesian {
        let k = jog.key;
        let mut next = q;
        next[k] += jog.sign * d;
        // The TCP and the flange stay under 250 mm/s.
        let v = moved(&q, &next) / dt;
        if v > T1_SPEED_MM_S {
            d *= 0.999 * T1_SPEED_MM_S / v;
            next[k] = q[k] + jog.sign * d;
        }
        let (lo, hi) = (model.min_deg[k], model.max_deg[k]);
        if next[k] > hi || next[k] < lo {
            next[k] = next[k].clamp(lo, hi);
            let sign = if jog.sign > 0.0 { '+' } else { '-' };
            return JogStep::Stopped(next, format!("Software limit switch {sign}A{}: jog stopped at {:.1}°", k + 1, next[k]));
        }
        jog.travelled += d;
        return finish(next, jog, increment);
    }
    // Cartesian: the TCP's new pose, then the axes nearest to the current ones.
    let tcp = flange(&q) * frames.tool;
    let axis_in = |k: usize| -> Vector3<f64> {
        let e = Vector3::ith(k, 1.0);
        match s.frame {
            JogFrame::Tool => tcp.rotation * e,
            JogFrame::Base => frames.base.rotation * e,
            _ => e,
        }
    };
    let target = |d: f64| -> Isometry3<f64> {
        if translation {
            Translation3::from(axis_in(jog.key) * jog.sign * d) * tcp
        } else {
            // A, B, C turn about the frame's Z, Y, X through the TCP.
            let about = Unit::new_normalize(axis_in(5 - jog.key));
            let r = UnitQuaternion::from_axis_angle(&about, (jog.sign * d).to_radians());
            Isometry3::from_parts(tcp.translation, r * tcp.rotation)
        }
    };
    let solve = |d: f64| ik_near(model, &(frames.robroot.inverse() * target(d) * frames.tool.inverse()), &q);
    let Some(mut next) = solve(d) else {
        return JogStep::Stopped(q, format!("Jog {name} stopped: the point is out of the robot's reach"));
    };
    // Where the axes cannot follow (near a singularity), the jog slows down.
    let share = (0..6)
        .map(|i| {
            let dq = (next[i] - q[i]).abs();
            let cap = model.max_speed_deg_s[i] * RED_VEL_AXC[i] * dt;
            if dq > cap { cap / dq } else { 1.0 }
        })
        .fold(1.0, f64::min)
        .min(T1_SPEED_MM_S * dt / moved(&q, &next).max(1e-12));
    if share < SINGULAR_SHARE {
        return JogStep::Stopped(q, singular_message(model, &q, name));
    }
    if share < 1.0 {
        d *= share * 0.999;
        match solve(d) {
            Some(n) => next = n,
            None => return JogStep::Stopped(q, singular_message(model, &q, name)),
        }
    }
    if let Some((axis, sign)) = model.limit_violation(&next) {
        return JogStep::Stopped(q, format!("Software limit switch {sign}A{}: jog {name} stopped", axis + 1));
    }
    jog.travelled += d;
    finish(next, jog, increment)
}

fn finish(next: [f64; 6], jog: &Jog, increment: Option<f64>) -> JogStep {
    match increment {
        Some(inc) if jog.travelled >= inc - 1e-12 => JogStep::Done(next),
        _ => JogStep::Moving(next),
    }
}

/// The controller's message at a singularity, naming the axis concerned.
fn singular_message(model: &RobotModel, q: &[f64; 6], key: &str) -> String {
    let which = singularities(model, q, 5.0);
    let axis = match which.first() {
        Some(Singularity::Wrist) | None => format!("A5 = {:.2}°", q[4]),
        Some(Singularity::Overhead) => format!("A1 (wrist centre over the base), A1 = {:.2}°", q[0]),
        Some(Singularity::Elbow) => format!("A3 = {:.2}° (arm stretched)", q[2]),
    };
    let what = which.first().map_or("a singularity".to_string(), |s| s.to_string());
    format!("Jog {key} stopped near {what}: {axis}; jog the axes to leave it")
}
