//! Motion planning for the main run: PTP with synchronised axes, LIN along a straight TCP line.
//! A plan is the axis positions at every tick, checked before the robot moves; a LIN that
//! reaches a software limit or a singularity on its way stops there with a message.

use nalgebra::{Isometry3, Rotation3, Unit, UnitQuaternion, Vector3};

use super::kinematics::{fk, ik_near, singularities};
use super::robot::RobotModel;

/// A time-optimal trapezoidal profile for s in [0, 1] with peak speed `v` and acceleration `a`
/// (both in 1/s and 1/s^2 of the normalised path).
#[derive(Clone, Copy, Debug)]
pub struct Trapezoid {
    v: f64,
    a: f64,
    t_acc: f64,
    pub duration_s: f64,
}

impl Trapezoid {
    pub fn new(v: f64, a: f64) -> Self {
        if 1.0 >= v * v / a {
            let t_acc = v / a;
            Trapezoid { v, a, t_acc, duration_s: 1.0 / v + t_acc }
        } else {
            let t_acc = (1.0 / a).sqrt();
            Trapezoid { v: a * t_acc, a, t_acc, duration_s: 2.0 * t_acc }
        }
    }

    pub fn s_at(&self, t: f64) -> f64 {
        let (a, v, ta, tt) = (self.a, self.v, self.t_acc, self.duration_s);
        if t <= 0.0 {
            0.0
        } else if t < ta {
            0.5 * a * t * t
        } else if t < tt - ta {
            0.5 * a * ta * ta + v * (t - ta)
        } else if t < tt {
            1.0 - 0.5 * a * (tt - t) * (tt - t)
        } else {
            1.0
        }
    }

    /// Samples s at every tick after the start; the last sample is exactly 1.
    fn samples(&self, dt: f64) -> impl Iterator<Item = f64> + '_ {
        let n = (self.duration_s / dt).ceil().max(1.0) as usize;
        (1..=n).map(move |k| if k == n { 1.0 } else { self.s_at(k as f64 * dt) })
    }
}

/// A planned motion: axis angles (degrees) for each tick, and where and why it must stop early.
#[derive(Clone, Debug, Default)]
pub struct Trajectory {
    pub samples: Vec<[f64; 6]>,
    /// The motion stops after `samples` with this message (limit, singularity, workspace).
    pub stop_message: Option<String>,
}

/// Parameters of a PTP motion, as the controller's variables give them.
#[derive(Clone, Copy, Debug)]
pub struct PtpParams {
    pub vel_axis_pct: [f64; 6],
    pub acc_axis_pct: [f64; 6],
    pub override_pct: f64,
}

/// Synchronised PTP: all axes start and stop together; the most constrained axis sets the time.
pub fn plan_ptp(model: &RobotModel, start: &[f64; 6], end: &[f64; 6], p: &PtpParams, dt: f64) -> Trajectory {
    plan_ptp_capped(model, start, end, p, None, dt)
}

/// PTP whose TCP (flange * `tool`) stays under a speed cap in mm/s (T1: 250 mm/s).
pub fn plan_ptp_capped(
    model: &RobotModel,
    start: &[f64; 6],
    end: &[f64; 6],
    p: &PtpParams,
    cap: Option<(&Isometry3<f64>, f64)>,
    dt: f64,
) -> Trajectory {
    let mut scale = 1.0;
    let mut t = plan_ptp_scaled(model, start, end, p, scale, dt);
    if let Some((tool, cap)) = cap {
        // The speed is not proportional to the scale (the acceleration scales with its
        // square): slow down until both the TCP and the flange keep the cap.
        for _ in 0..16 {
            let v = max_tcp_speed(model, tool, start, &t.samples, dt);
            if v <= cap {
                break;
            }
            scale *= cap / v * 0.98;
            t = plan_ptp_scaled(model, start, end, p, scale, dt);
        }
    }
    t
}

fn plan_ptp_scaled(model: &RobotModel, start: &[f64; 6], end: &[f64; 6], p: &PtpParams, scale: f64, dt: f64) -> Trajectory {
    let ov = (p.override_pct / 100.0).clamp(0.0, 1.0);
    let mut v_norm = f64::INFINITY;
    let mut a_norm = f64::INFINITY;
    for i in 0..6 {
        let d = (end[i] - start[i]).abs();
        if d < 1e-9 {
            continue;
        }
        let v = model.max_speed_deg_s[i] * (p.vel_axis_pct[i] / 100.0).clamp(0.001, 1.0) * ov;
        let a = model.max_acc_deg_s2[i] * (p.acc_axis_pct[i] / 100.0).clamp(0.001, 1.0) * ov.max(0.01);
        v_norm = v_norm.min(v / d);
        a_norm = a_norm.min(a / d);
    }
    if !v_norm.is_finite() || ov <= 0.0 {
        return Trajectory { samples: vec![*end], stop_message: None };
    }
    let prof = Trapezoid::new(v_norm * scale, a_norm * scale * scale);
    let samples = prof.samples(dt).map(|s| std::array::from_fn(|i| start[i] + (end[i] - start[i]) * s)).collect();
    Trajectory { samples, stop_message: None }
}

/// How the orientation is guided along a LIN or CIRC (`$ORI_TYPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OriType {
    /// Smooth change from start to end orientation.
    #[default]
    Var,
    /// The start orientation is kept.
    Constant,
    /// The wrist axes A4..A6 move linearly in axis space.
    Joint,
}

/// Parameters of a LIN or CIRC motion.
#[derive(Clone, Copy, Debug)]
pub struct CpParams {
    pub vel_m_s: f64,
    pub acc_m_s2: f64,
    /// `$VEL.ORI1`: swivel of the tool axis, deg/s.
    pub vel_ori_deg_s: f64,
    /// `$VEL.ORI2`: rotation about the tool axis, deg/s.
    pub vel_ori2_deg_s: f64,
    pub override_pct: f64,
    pub ori: OriType,
    /// A TCP speed cap in mm/s (T1: 250).
    pub tcp_cap_mm_s: Option<f64>,
    /// Share of the acceleration limits to use (0.5 where the motion blends with a neighbour).
    pub acc_scale: f64,
}

/// The geometric TCP path of a Cartesian motion, in the robot base (mm).
#[derive(Clone, Debug)]
pub enum CartPath {
    Line {
        from: Vector3<f64>,
        to: Vector3<f64>,
    },
    /// An arc about `center` in the plane with normal `normal`, starting at `from`, turning `angle_rad`.
    Arc {
        center: Vector3<f64>,
        normal: Vector3<f64>,
        from: Vector3<f64>,
        angle_rad: f64,
    },
    /// A smooth curve through points (a SPLINE block's run of SPL segments): a cubic piece
    /// between each two points, with tangents from the neighbours (as in Catmull-Rom, sized as
    /// for a circular arc, so points on a circle give that circle), tabulated by arc length (mm,
    /// point) so that `s` runs at an even speed.
    Spline {
        table: Vec<(f64, Vector3<f64>)>,
        /// `s` at each given point (the first 0, the last 1).
        knots: Vec<f64>,
    },
}

impl CartPath {
    /// The smooth curve through `pts` (the start first). It passes through each point; the
    /// direction at a point is parallel to the line from its neighbour before to its neighbour
    /// after, so the path has no corner there. None for fewer than two points or two equal
    /// points in a row.
    pub fn spline(pts: &[Vector3<f64>]) -> Option<CartPath> {
        if pts.len() < 2 || pts.windows(2).any(|w| (w[1] - w[0]).norm() <= 1e-6) {
            return None;
        }
        let n = pts.len();
        let d: Vec<f64> = (0..n - 1).map(|i| (pts[i + 1] - pts[i]).norm()).collect();
        // Unit tangents: inside, along the line from the neighbour before to the one after; at
        // the ends, the inner tangent mirrored about the chord (a circle's own tangent when the
        // points lie on one).
        let chord = |i: usize| (pts[i + 1] - pts[i]) / d[i];
        let inner = |i: usize| (pts[i + 1] - pts[i - 1]).normalize();
        let tangent = |i: usize| -> Vector3<f64> {
            if n == 2 {
                chord(0)
            } else if i == 0 {
                let (c, t) = (chord(0), inner(1));
                2.0 * t.dot(&c) * c - t
            } else if i == n - 1 {
                let (c, t) = (chord(n - 2), inner(n - 2));
                2.0 * t.dot(&c) * c - t
            } else {
                inner(i)
            }
        };
        let mut table = vec![(0.0, pts[0])];
        let mut at_point = vec![0.0];
        for i in 0..n - 1 {
            // Tangent lengths as for a circular arc: the chord / cos^2 of half the angle between
            // the tangent and the chord (the chord itself on a straight run).
            let length = |t: Vector3<f64>| {
                let half = t.angle(&chord(i)) / 2.0;
                t * (d[i] / half.cos().powi(2)).min(2.0 * d[i])
            };
            let (a, b, ma, mb) = (pts[i], pts[i + 1], length(tangent(i)), length(tangent(i + 1)));
            let steps = ((d[i] / 0.2).ceil() as usize).clamp(8, 20_000);
            for k in 1..=steps {
                let u = k as f64 / steps as f64;
                let (u2, u3) = (u * u, u * u * u);
                let p = a * (2.0 * u3 - 3.0 * u2 + 1.0) + ma * (u3 - 2.0 * u2 + u) + b * (-2.0 * u3 + 3.0 * u2) + mb * (u3 - u2);
                let (len, last) = *table.last().expect("starts with the first point");
                table.push((len + (p - last).norm(), p));
            }
            at_point.push(table.last().expect("not empty").0);
        }
        let total = table.last().expect("not empty").0;
        let knots = at_point.iter().map(|l| l / total).collect();
        Some(CartPath::Spline { table, knots })
    }

    pub fn point(&self, s: f64) -> Vector3<f64> {
        match self {
            CartPath::Line { from, to } => from + (to - from) * s,
            CartPath::Spline { table, .. } => {
                let total = table.last().map_or(0.0, |t| t.0);
                let want = s.clamp(0.0, 1.0) * total;
                let k = table.partition_point(|t| t.0 < want).clamp(1, table.len() - 1);
                let ((l0, p0), (l1, p1)) = (table[k - 1], table[k]);
                let f = if l1 > l0 { (want - l0) / (l1 - l0) } else { 0.0 };
                p0 + (p1 - p0) * f
            }
            CartPath::Arc { center, normal, from, angle_rad } => {
                let r = Rotation3::from_axis_angle(&Unit::new_normalize(*normal), angle_rad * s);
                center + r * (from - center)
            }
        }
    }
    pub fn length_mm(&self) -> f64 {
        match self {
            CartPath::Line { from, to } => (to - from).norm(),
            CartPath::Arc { center, from, angle_rad, .. } => (from - center).norm() * angle_rad.abs(),
            CartPath::Spline { table, .. } => table.last().map_or(0.0, |t| t.0),
        }
    }

    /// The circle through `p0`, `aux` and `p2`, from `p0` through `aux` to `p2`, or on to the
    /// circular angle `ca_deg` when given (its sign sets the direction). None if the points are on a line.
    pub fn arc(p0: Vector3<f64>, aux: Vector3<f64>, p2: Vector3<f64>, ca_deg: Option<f64>) -> Option<CartPath> {
        let (a, b) = (aux - p0, p2 - p0);
        let n = a.cross(&b);
        let nn = n.norm_squared();
        if nn < 1e-9 * a.norm_squared().max(1.0) * b.norm_squared().max(1.0) {
            return None;
        }
        let center = p0 + (b.norm_squared() * n.cross(&a) + a.norm_squared() * b.cross(&n)) / (2.0 * nn);
        let normal = n.normalize();
        let ang = |p: &Vector3<f64>| {
            let (u, v) = (p0 - center, p - center);
            let mut t = u.cross(&v).dot(&normal).atan2(u.dot(&v));
            if t < 0.0 {
                t += std::f64::consts::TAU;
            }
            t
        };
        let angle_rad = match ca_deg {
            Some(ca) => ca.to_radians(),
            None => ang(&p2),
        };
        Some(CartPath::Arc { center, normal, from: p0, angle_rad })
    }
}

impl Default for CpParams {
    /// The values `BAS(#INITMOV,0)` sets: 2 m/s, 2.3 m/s^2, 200 deg/s, `#VAR`.
    fn default() -> Self {
        CpParams {
            vel_m_s: 2.0,
            acc_m_s2: 2.3,
            vel_ori_deg_s: 200.0,
            vel_ori2_deg_s: 200.0,
            override_pct: 100.0,
            ori: OriType::Var,
            tcp_cap_mm_s: None,
            acc_scale: 1.0,
        }
    }
}

/// A straight TCP line from the current axes to `end_tcp` (robot base, mm), TCP = flange * `tool`.
pub fn plan_lin(
    model: &RobotModel,
    start_q: &[f64; 6],
    tool: &Isometry3<f64>,
    end_tcp: &Isometry3<f64>,
    p: &CpParams,
    dt: f64,
) -> Trajectory {
    let start_tcp = fk(model, start_q) * tool;
    let path = CartPath::Line { from: start_tcp.translation.vector, to: end_tcp.translation.vector };
    plan_cartesian(model, start_q, tool, &path, &end_tcp.rotation, p, dt)
}

/// Samples of the path: normalised parameter, axes.
struct Dense {
    s: Vec<f64>,
    q: Vec<[f64; 6]>,
    stop: Option<String>,
}

/// A TCP path with its orientation guidance, solved to axes at any parameter s in [0, 1].
struct Guided<'a> {
    model: &'a RobotModel,
    tool: Isometry3<f64>,
    tool_inv: Isometry3<f64>,
    path: &'a CartPath,
    /// The orientation at `s`: (s, orientation) from (0, start) to (1, end), slerped between.
    keys: Vec<(f64, UnitQuaternion<f64>)>,
    ori: OriType,
    wrist0: [f64; 3],
    wrist1: [f64; 3],
}

impl Guided<'_> {
    fn rot(&self, s: f64) -> UnitQuaternion<f64> {
        let k = self.keys.partition_point(|(ks, _)| *ks < s).clamp(1, self.keys.len() - 1);
        let ((s0, r0), (s1, r1)) = (self.keys[k - 1], self.keys[k]);
        let f = if s1 > s0 { ((s - s0) / (s1 - s0)).clamp(0.0, 1.0) } else { 1.0 };
        r0.slerp(&r1, f)
    }

    /// Axes for parameter `s`, continuing from `prev`. Err with a message where the path cannot go on.
    fn axes(&self, s: f64, prev: &[f64; 6]) -> Result<[f64; 6], String> {
        let pos = self.path.point(s);
        let q = match self.ori {
            OriType::Var | OriType::Constant => {
                let rot = if self.ori == OriType::Var { self.rot(s) } else { self.keys[0].1 };
                let flange = Isometry3::from_parts(pos.into(), rot) * self.tool_inv;
                ik_near(self.model, &flange, prev).ok_or("Workspace error: the path leaves the robot's reach")?
            }
            OriType::Joint => {
                // Wrist axes interpolated; the main axes found so that the TCP is on the path.
                let w: [f64; 3] = std::array::from_fn(|i| self.wrist0[i] + (self.wrist1[i] - self.wrist0[i]) * s);
                let mut q = *prev;
                for _ in 0..4 {
                    q[3..6].copy_from_slice(&w);
                    let rot = (fk(self.model, &q) * self.tool).rotation;
                    let flange = Isometry3::from_parts(pos.into(), rot) * self.tool_inv;
                    q = ik_near(self.model, &flange, &q).ok_or("Workspace error: the path leaves the robot's reach")?;
                }
                q
            }
        };
        if let Some((axis, sign)) = self.model.limit_violation(&q) {
            return Err(format!("Software limit switch {sign}A{}", axis + 1));
        }
        Ok(q)
    }
}

/// A LIN or CIRC: the path is sampled densely, each stretch gets the highest speed that keeps every
/// axis within its speed and acceleration limits, and the motion slows down where the arm needs
/// fast axis motion (near singularities). Where it would have to crawl, or where it meets a software
/// limit or the edge of the workspace, the robot stops there with a message.
pub fn plan_cartesian(
    model: &RobotModel,
    start_q: &[f64; 6],
    tool: &Isometry3<f64>,
    path: &CartPath,
    end_rot: &UnitQuaternion<f64>,
    p: &CpParams,
    dt: f64,
) -> Trajectory {
    plan_cartesian_through(model, start_q, tool, path, &[(1.0, *end_rot)], p, dt)
}

/// As [`plan_cartesian`], the orientation reaching each of `keys` (s, orientation) in turn (a
/// spline's points; the last at s = 1).
pub fn plan_cartesian_through(
    model: &RobotModel,
    start_q: &[f64; 6],
    tool: &Isometry3<f64>,
    path: &CartPath,
    keys: &[(f64, UnitQuaternion<f64>)],
    p: &CpParams,
    dt: f64,
) -> Trajectory {
    let start_tcp = fk(model, start_q) * tool;
    let r0 = start_tcp.rotation;
    let mut keys: Vec<(f64, UnitQuaternion<f64>)> =
        std::iter::once((0.0, r0)).chain(keys.iter().map(|(s, r)| (*s, if p.ori == OriType::Constant { r0 } else { *r }))).collect();
    keys.dedup_by(|b, a| (b.0 - a.0).abs() < 1e-12 && a.0 > 0.0);
    let r1 = keys.last().expect("at least the start").1;
    let len = path.length_mm();
    // Orientation: the total turn, and the fastest turn per unit of s over the pieces.
    let (mut ang, mut swivel, mut twist, mut ang_rate) = (0.0, 0.0f64, 0.0f64, 0.0f64);
    for w in keys.windows(2) {
        let ds = (w[1].0 - w[0].0).max(1e-9);
        let a = w[0].1.angle_to(&w[1].1).to_degrees();
        let (sw, tw) = swing_twist_deg(&w[0].1, &w[1].1);
        ang += a;
        ang_rate = ang_rate.max(a / ds);
        swivel = swivel.max(sw / ds);
        twist = twist.max(tw / ds);
    }
    let ov = (p.override_pct / 100.0).clamp(0.0, 1.0);
    let mut v_mm = (p.vel_m_s * 1000.0).clamp(0.1, model.max_cp_speed_m_s * 1000.0) * ov;
    if let Some(cap) = p.tcp_cap_mm_s {
        v_mm = v_mm.min(cap);
    }
    let acc_scale = p.acc_scale.clamp(0.05, 1.0);
    let a_mm = (p.acc_m_s2 * 1000.0).max(1.0) * acc_scale;
    let v_ori = p.vel_ori_deg_s.max(1.0) * ov;
    let a_ori = 1000.0 * acc_scale;
    let mut v_norm = f64::INFINITY;
    let mut a_norm = f64::INFINITY;
    if len > 1e-6 {
        v_norm = v_norm.min(v_mm / len);
        a_norm = a_norm.min(a_mm / len);
    }
    if ang > 1e-6 {
        // The swivel of the tool axis runs at $VEL.ORI1, the turn about it at $VEL.ORI2.
        let v_ori2 = p.vel_ori2_deg_s.max(1.0) * ov;
        if swivel > 1e-6 {
            v_norm = v_norm.min(v_ori / swivel);
        }
        if twist > 1e-6 {
            v_norm = v_norm.min(v_ori2 / twist);
        }
        a_norm = a_norm.min(a_ori / ang_rate.max(1e-9));
    }
    // The end configuration for #JOINT: the solution nearest to the start.
    let (mut wrist0, mut wrist1) = ([0.0; 3], [0.0; 3]);
    wrist0.copy_from_slice(&start_q[3..6]);
    if p.ori == OriType::Joint {
        let end_flange = Isometry3::from_parts(path.point(1.0).into(), r1) * tool.inverse();
        if let Some(qe) = ik_near(model, &end_flange, start_q) {
            wrist1.copy_from_slice(&qe[3..6]);
        } else {
            wrist1 = wrist0;
        }
    }
    let g = Guided { model, tool: *tool, tool_inv: tool.inverse(), path, keys, ori: p.ori, wrist0, wrist1 };
    if !v_norm.is_finite() || ov <= 0.0 {
        return Trajectory { samples: vec![*start_q], stop_message: None };
    }

    // Dense samples: at most 1 mm or 0.5 degree apart.
    let n = ((len / 1.0).max(ang / 0.5).ceil() as usize).clamp(2, 50_000);
    let mut dense = Dense { s: vec![0.0], q: vec![*start_q], stop: None };
    for k in 1..=n {
        let s = k as f64 / n as f64;
        match g.axes(s, dense.q.last().expect("non-empty")) {
            Ok(q) => {
                dense.s.push(s);
                dense.q.push(q);
            }
            Err(m) => {
                dense.stop = Some(m);
                break;
            }
        }
    }
    // Speed and acceleration caps per stretch, from how fast the axes turn per unit of s.
    let m = dense.q.len() - 1;
    let mut v_cap = vec![v_norm; m];
    let mut a_cap = vec![a_norm; m];
    for k in 0..m {
        let ds = dense.s[k + 1] - dense.s[k];
        for i in 0..6 {
            let rate = (dense.q[k + 1][i] - dense.q[k][i]).abs() / ds;
            if rate > 1e-12 {
                v_cap[k] = v_cap[k].min(model.max_speed_deg_s[i] * 0.98 / rate);
                a_cap[k] = a_cap[k].min(model.max_acc_deg_s2[i] * 0.9 * acc_scale / rate);
            }
        }
        if v_cap[k] < v_norm * 0.02 {
            // It would have to crawl: stop before this stretch.
            let near = singularities(model, &dense.q[k + 1], 3.0);
            let why = match near.first() {
                Some(s) => format!("{s}"),
                None => "an axis would exceed its speed".into(),
            };
            let axis = (0..6).max_by(|&a, &b| {
                let ra = (dense.q[k + 1][a] - dense.q[k][a]).abs() / model.max_speed_deg_s[a];
                let rb = (dense.q[k + 1][b] - dense.q[k][b]).abs() / model.max_speed_deg_s[b];
                ra.total_cmp(&rb)
            });
            dense.stop = Some(format!("Commanded speed A{} too high near {why}: the robot stops before it", axis.unwrap_or(0) + 1));
            dense.s.truncate(k + 1);
            dense.q.truncate(k + 1);
            v_cap.truncate(k);
            a_cap.truncate(k);
            break;
        }
    }
    if dense.q.len() < 2 {
        return Trajectory { samples: vec![*start_q], stop_message: dense.stop };
    }
    // Time the path; where the path's curvature asks more of an axis than the caps foresaw,
    // slow down as a whole until every axis keeps its speed and acceleration.
    let mut slow = 1.0;
    let mut samples = time_path(&g, &dense, &v_cap, &a_cap, slow, dt);
    for _ in 0..4 {
        let worst = worst_limit_ratio(model, start_q, &samples, dt, acc_scale, true);
        if worst <= 1.0 {
            break;
        }
        slow *= 1.0 / worst.sqrt() * 0.97;
        samples = time_path(&g, &dense, &v_cap, &a_cap, slow, dt);
    }
    Trajectory { samples, stop_message: dense.stop }
}

/// Splits the rotation from `r0` to `r1` into the swivel of the tool (z) axis and the turn
/// about it, both in degrees.
pub fn swing_twist_deg(r0: &UnitQuaternion<f64>, r1: &UnitQuaternion<f64>) -> (f64, f64) {
    let rel = r0.inverse() * r1;
    let z = Vector3::z();
    let swivel = (rel * z).dot(&z).clamp(-1.0, 1.0).acos().to_degrees();
    let q = rel.quaternion();
    let twist = (2.0 * q.k.atan2(q.w)).to_degrees();
    let twist = crate::sim::math::norm_deg(twist).abs();
    (swivel, twist)
}

/// The largest share of an axis's speed or (scaled) acceleration limit used by `samples`, which
/// follow `start` one tick apart. With `at_rest` the motion starts and ends standing still.
pub fn worst_limit_ratio(model: &RobotModel, start: &[f64; 6], samples: &[[f64; 6]], dt: f64, acc_scale: f64, at_rest: bool) -> f64 {
    let mut all: Vec<[f64; 6]> = Vec::with_capacity(samples.len() + 2);
    all.push(*start);
    all.extend_from_slice(samples);
    if at_rest && let Some(last) = samples.last() {
        all.push(*last);
    }
    let v: Vec<[f64; 6]> = all.windows(2).map(|w| std::array::from_fn(|i| (w[1][i] - w[0][i]) / dt)).collect();
    let mut worst: f64 = 0.0;
    for (k, vk) in v.iter().enumerate() {
        for i in 0..6 {
            worst = worst.max(vk[i].abs() / model.max_speed_deg_s[i]);
            let prev_v = if k > 0 {
                v[k - 1][i]
            } else if at_rest {
                0.0
            } else {
                continue;
            };
            worst = worst.max(((vk[i] - prev_v) / dt).abs() / (model.max_acc_deg_s2[i] * acc_scale));
        }
    }
    worst
}

/// Axis samples per tick for a densely sampled path, with speeds capped per stretch and scaled by `slow`.
fn time_path(g: &Guided, dense: &Dense, v_cap: &[f64], a_cap: &[f64], slow: f64, dt: f64) -> Vec<[f64; 6]> {
    let m = dense.q.len() - 1;
    let a_cap: Vec<f64> = a_cap.iter().map(|a| a * slow * slow).collect();
    let v_cap: Vec<f64> = v_cap.iter().map(|v| v * slow).collect();
    // Forward and backward passes: the fastest profile within the caps, at rest at both ends.
    let mut v = vec![0.0; m + 1];
    for k in 0..m {
        let ds = dense.s[k + 1] - dense.s[k];
        let node = if k + 1 < m { v_cap[k].min(v_cap[k + 1]) } else { 0.0 };
        v[k + 1] = node.min((v[k] * v[k] + 2.0 * a_cap[k] * ds).sqrt());
    }
    for k in (0..m).rev() {
        let ds = dense.s[k + 1] - dense.s[k];
        v[k] = v[k].min((v[k + 1] * v[k + 1] + 2.0 * a_cap[k] * ds).sqrt());
    }
    // Time along the samples, then one pose per tick.
    let mut samples = Vec::new();
    let mut t = 0.0;
    let mut next_tick = dt;
    let mut prev = dense.q[0];
    for k in 0..m {
        let ds = dense.s[k + 1] - dense.s[k];
        let (v0, v1) = (v[k], v[k + 1]);
        let seg_t = 2.0 * ds / (v0 + v1).max(1e-12);
        let acc = (v1 * v1 - v0 * v0) / (2.0 * ds);
        while next_tick < t + seg_t - 1e-12 {
            let tau = next_tick - t;
            let s = dense.s[k] + v0 * tau + 0.5 * acc * tau * tau;
            let q = g.axes(s.min(dense.s[k + 1]), &prev).unwrap_or(dense.q[k + 1]);
            samples.push(q);
            prev = q;
            next_tick += dt;
        }
        t += seg_t;
    }
    samples.push(dense.q[m]);
    samples
}

/// The largest TCP speed (mm/s) along axis samples taken `dt` apart.
/// The fastest the TCP or the flange moves along `samples` (mm/s): T1 watches both.
pub fn max_tcp_speed(model: &RobotModel, tool: &Isometry3<f64>, start: &[f64; 6], samples: &[[f64; 6]], dt: f64) -> f64 {
    let points = |q: &[f64; 6]| {
        let flange = fk(model, q);
        ((flange * tool).translation.vector, flange.translation.vector)
    };
    let mut prev = points(start);
    let mut best: f64 = 0.0;
    for q in samples {
        let p = points(q);
        best = best.max((p.0 - prev.0).norm() / dt).max((p.1 - prev.1).norm() / dt);
        prev = p;
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::math::Frame;

    #[test]
    fn ptp_axes_start_and_stop_together_within_limits() {
        let m = RobotModel::kr6_r900_sixx();
        let start = m.home_deg;
        let end = [90.0, -60.0, 100.0, 30.0, -40.0, 120.0];
        let p = PtpParams { vel_axis_pct: [100.0; 6], acc_axis_pct: [100.0; 6], override_pct: 100.0 };
        let dt = 0.004;
        let t = plan_ptp(&m, &start, &end, &p, dt);
        assert_eq!(*t.samples.last().unwrap(), end);
        let worst = worst_limit_ratio(&m, &start, &t.samples, dt, 1.0, true);
        assert!(worst <= 1.0001 && worst > 0.9, "the leading axis uses its limit, none exceeds it: {worst}");
        // Synchronised: at every tick each axis has covered the same share of its own move.
        for q in &t.samples {
            let share: Vec<f64> = (0..6).map(|i| (q[i] - start[i]) / (end[i] - start[i])).collect();
            assert!(share.iter().all(|f| (f - share[0]).abs() < 1e-12), "{share:?}");
        }
        // Axis 1 moves 90 degrees at most 360 deg/s: the move lasts at least 0.25 s, and the
        // first and last samples are the slow ones of a ramp, not a jump.
        assert!(t.samples.len() as f64 * dt >= 0.25);
        let first = (t.samples[0][0] - start[0]).abs() / dt;
        assert!(first < 360.0 * 0.1, "starts from rest: {first} deg/s after one tick");
    }

    #[test]
    fn orientation_splits_into_swivel_and_twist() {
        let r0 = Frame::new(0.0, 0.0, 0.0, 0.0, 0.0, 0.0).to_iso().rotation;
        let turn = Frame::new(0.0, 0.0, 0.0, 30.0, 0.0, 0.0).to_iso().rotation;
        let tilt = Frame::new(0.0, 0.0, 0.0, 0.0, 20.0, 0.0).to_iso().rotation;
        let (s, t) = swing_twist_deg(&r0, &turn);
        assert!(s.abs() < 1e-9 && (t - 30.0).abs() < 1e-9, "{s} {t}");
        let (s, t) = swing_twist_deg(&r0, &tilt);
        assert!((s - 20.0).abs() < 1e-9 && t.abs() < 1e-9, "{s} {t}");
    }

    #[test]
    fn lin_keeps_the_tcp_on_the_line() {
        let m = RobotModel::kr6_r900_sixx();
        let start = [0.0, -80.0, 100.0, 0.0, 40.0, 0.0];
        let tool = Frame::new(0.0, 0.0, 100.0, 0.0, 0.0, 0.0).to_iso();
        let a = fk(&m, &start) * tool;
        let mut b = a;
        b.translation.vector += nalgebra::Vector3::new(0.0, 150.0, -100.0);
        let p = CpParams { vel_m_s: 0.5, ..CpParams::default() };
        let t = plan_lin(&m, &start, &tool, &b, &p, 0.004);
        assert!(t.stop_message.is_none(), "{:?}", t.stop_message);
        let dir = (b.translation.vector - a.translation.vector).normalize();
        for q in &t.samples {
            let p = (fk(&m, q) * tool).translation.vector - a.translation.vector;
            let off = (p - dir * p.dot(&dir)).norm();
            assert!(off < 1e-6, "{off}");
        }
        let end = (fk(&m, t.samples.last().unwrap()) * tool).translation.vector;
        assert!((end - b.translation.vector).norm() < 1e-6);
    }
}
