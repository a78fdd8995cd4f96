//! Motion planning for the main run: PTP with synchronised axes, LIN along a straight TCP line.
//! A plan is the axis positions at every tick, checked before the robot moves; a LIN that
//! reaches a software limit or a singularity on its way stops there with a message.

use nalgebra::Isometry3;

use super::kinematics::{fk, ik_near};
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
    let prof = Trapezoid::new(v_norm, a_norm);
    let samples = prof.samples(dt).map(|s| std::array::from_fn(|i| start[i] + (end[i] - start[i]) * s)).collect();
    Trajectory { samples, stop_message: None }
}

/// Parameters of a LIN motion.
#[derive(Clone, Copy, Debug)]
pub struct LinParams {
    pub vel_m_s: f64,
    pub acc_m_s2: f64,
    pub vel_ori_deg_s: f64,
    pub override_pct: f64,
}

/// A straight TCP line from the current axes to `end_tcp` (robot base, mm), TCP = flange * `tool`.
pub fn plan_lin(
    model: &RobotModel,
    start_q: &[f64; 6],
    tool: &Isometry3<f64>,
    end_tcp: &Isometry3<f64>,
    p: &LinParams,
    dt: f64,
) -> Trajectory {
    let start_tcp = fk(model, start_q) * tool;
    let dp = end_tcp.translation.vector - start_tcp.translation.vector;
    let len = dp.norm();
    let ang = start_tcp.rotation.angle_to(&end_tcp.rotation).to_degrees();
    let ov = (p.override_pct / 100.0).clamp(0.0, 1.0);
    let v_mm = (p.vel_m_s * 1000.0).clamp(0.1, model.max_cp_speed_m_s * 1000.0) * ov;
    let a_mm = (p.acc_m_s2 * 1000.0).max(1.0);
    let v_ori = p.vel_ori_deg_s.max(1.0) * ov;
    let a_ori = 1000.0;
    let mut v_norm = f64::INFINITY;
    let mut a_norm = f64::INFINITY;
    if len > 1e-6 {
        v_norm = v_norm.min(v_mm / len);
        a_norm = a_norm.min(a_mm / len);
    }
    if ang > 1e-6 {
        v_norm = v_norm.min(v_ori / ang);
        a_norm = a_norm.min(a_ori / ang);
    }
    if !v_norm.is_finite() || ov <= 0.0 {
        return Trajectory { samples: vec![*start_q], stop_message: None };
    }
    let prof = Trapezoid::new(v_norm, a_norm);
    let tool_inv = tool.inverse();
    let mut samples = Vec::with_capacity((prof.duration_s / dt) as usize + 2);
    let mut prev = *start_q;
    for s in prof.samples(dt) {
        let pos = start_tcp.translation.vector + dp * s;
        let rot = start_tcp.rotation.slerp(&end_tcp.rotation, s);
        let tcp = Isometry3::from_parts(pos.into(), rot);
        let flange = tcp * tool_inv;
        let Some(q) = ik_near(model, &flange, &prev) else {
            return Trajectory { samples, stop_message: Some("Workspace error: the LIN path leaves the robot's reach".into()) };
        };
        if let Some((axis, sign)) = model.limit_violation(&q) {
            return Trajectory { samples, stop_message: Some(format!("Software limit switch {sign}A{}", axis + 1)) };
        }
        for i in 0..6 {
            if (q[i] - prev[i]).abs() > model.max_speed_deg_s[i] * dt * 1.05 {
                let near = if q[4].abs() < 5.0 || prev[4].abs() < 5.0 { " (wrist singularity, A5 near 0)" } else { "" };
                return Trajectory { samples, stop_message: Some(format!("Commanded speed A{} exceeded{near}", i + 1)) };
            }
        }
        samples.push(q);
        prev = q;
    }
    Trajectory { samples, stop_message: None }
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
        let mut prev = start;
        let mut prev_v = [0.0; 6];
        for q in &t.samples {
            for i in 0..6 {
                let v = (q[i] - prev[i]) / dt;
                assert!(v.abs() <= m.max_speed_deg_s[i] * 1.0001, "axis {i} speed {v}");
                assert!(((v - prev_v[i]) / dt).abs() <= m.max_acc_deg_s2[i] * 1.01 + 1e-6);
                prev_v[i] = v;
            }
            prev = *q;
        }
    }

    #[test]
    fn lin_keeps_the_tcp_on_the_line() {
        let m = RobotModel::kr6_r900_sixx();
        let start = [0.0, -80.0, 100.0, 0.0, 40.0, 0.0];
        let tool = Frame::new(0.0, 0.0, 100.0, 0.0, 0.0, 0.0).to_iso();
        let a = fk(&m, &start) * tool;
        let mut b = a;
        b.translation.vector += nalgebra::Vector3::new(0.0, 150.0, -100.0);
        let p = LinParams { vel_m_s: 0.5, acc_m_s2: 2.3, vel_ori_deg_s: 200.0, override_pct: 100.0 };
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
