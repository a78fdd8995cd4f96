//! The planner: turns a motion statement from the advance run into axis positions per tick,
//! checked before the robot moves (BCO, software limits, reach, S and T). Motions are planned at
//! 100 % override; the interpolator applies the override as a path speed.

use nalgebra::Isometry3;

use crate::sim::kinematics::{self, fk, ik, ik_near, status_of};
use crate::sim::krl::MotionCmd;
use crate::sim::krl::ast::MotionKind;
use crate::sim::krl::value::{StructVal, Value};
use crate::sim::math::Frame;
use crate::sim::motion::{
    CartPath, CpParams, OriType, PtpParams, Trajectory, plan_cartesian, plan_cartesian_through, plan_lin, plan_ptp_capped,
};
use crate::sim::robot::RobotModel;

/// The TCP speed limit in T1, mm/s.
pub const T1_SPEED_MM_S: f64 = 250.0;

#[derive(Clone)]
pub struct Planner {
    pub model: RobotModel,
    /// `$ROBROOT`: the robot's base in the world.
    pub robroot: Isometry3<f64>,
    /// The BCO run is done: later motions may be relative or partial.
    pub bco_done: bool,
    pub dt: f64,
}

impl Planner {
    /// Plans `cmd` from `start` (axes, degrees); `t1` caps the TCP at 250 mm/s.
    pub fn plan(&mut self, cmd: &MotionCmd, start: [f64; 6], t1: bool) -> Result<Trajectory, String> {
        let Value::Struct(t) = &cmd.target else {
            return Err(format!("motion target must be a position, not {}", cmd.target.type_name()));
        };
        let relative = cmd.kind.is_relative();
        let dt = self.dt;
        if !self.bco_done {
            let complete =
                if t.has_axes() { ["A1", "A2", "A3", "A4", "A5", "A6"].iter().all(|n| t.num(n).is_some()) } else { t.to_frame().is_some() };
            if relative || !complete {
                return Err("BCO: the first motion must go to a fully specified point (e.g. PTP XHOME)".into());
            }
            self.bco_done = true;
        }
        let ptp = PtpParams { vel_axis_pct: cmd.vel_axis_pct, acc_axis_pct: cmd.acc_axis_pct, override_pct: 100.0 };
        let cap = t1.then_some(T1_SPEED_MM_S);
        let lin = CpParams {
            vel_m_s: cmd.vel_cp_m_s,
            acc_m_s2: cmd.acc_cp_m_s2,
            vel_ori_deg_s: cmd.vel_ori_deg_s,
            vel_ori2_deg_s: cmd.vel_ori2_deg_s,
            override_pct: 100.0,
            ori: match cmd.ori_type.as_str() {
                "CONSTANT" => OriType::Constant,
                "JOINT" => OriType::Joint,
                _ => OriType::Var,
            },
            tcp_cap_mm_s: cap,
            acc_scale: 1.0,
        };
        let base = cmd.base.to_iso();
        let tool = cmd.tool.to_iso();
        let ptp_cap = cap.map(|c| (&tool, c));
        // Axis targets.
        if t.has_axes() {
            let end: [f64; 6] = std::array::from_fn(|i| {
                let v = t.num(&format!("A{}", i + 1));
                if relative { start[i] + v.unwrap_or(0.0) } else { v.unwrap_or(start[i]) }
            });
            if let Some((axis, sign)) = self.model.limit_violation(&end) {
                return Err(format!(
                    "Software limit switch {sign}A{}: target {:.1} deg is beyond {:.0} deg",
                    axis + 1,
                    end[axis],
                    if sign == '+' { self.model.max_deg[axis] } else { self.model.min_deg[axis] }
                ));
            }
            return Ok(match cmd.kind {
                MotionKind::Ptp | MotionKind::PtpRel => plan_ptp_capped(&self.model, &start, &end, &ptp, ptp_cap, dt),
                MotionKind::Circ | MotionKind::CircRel => return Err("CIRC needs Cartesian points (X, Y, Z, A, B, C)".into()),
                _ => {
                    let end_tcp = fk(&self.model, &end) * tool;
                    plan_lin(&self.model, &start, &tool, &end_tcp, &lin, dt)
                }
            });
        }
        if !t.has_cartesian() {
            return Err("motion target has neither axis values (A1..A6) nor X, Y, Z, A, B, C".into());
        }
        // Cartesian targets, in the robot base: ROBROOT^-1 * BASE * P.
        let base_in_rb = self.robroot.inverse() * base;
        let cur_tcp_base = base_in_rb.inverse() * fk(&self.model, &start) * tool;
        let cur = Frame::from_iso(&cur_tcp_base);
        let resolve = |t: &StructVal| point_in_base(t, &cur, &cur_tcp_base, relative, cmd.tool_relative);
        let target_base = resolve(t);
        let tcp_rb = base_in_rb * target_base;
        let flange = tcp_rb * tool.inverse();
        match cmd.kind {
            MotionKind::Ptp | MotionKind::PtpRel => {
                let end = self.choose_ptp_solution(&flange, t, &start)?;
                Ok(plan_ptp_capped(&self.model, &start, &end, &ptp, ptp_cap, dt))
            }
            MotionKind::Circ | MotionKind::CircRel => {
                let Some(Value::Struct(aux)) = &cmd.aux else {
                    return Err("CIRC needs an auxiliary point".into());
                };
                let aux_rb = base_in_rb * resolve(aux);
                if ik_near(&self.model, &flange, &start).is_none() {
                    return Err(format!("Target not reachable: {}", describe_target(&target_base)));
                }
                let p0 = (fk(&self.model, &start) * tool).translation.vector;
                let path = CartPath::arc(p0, aux_rb.translation.vector, tcp_rb.translation.vector, cmd.ca_deg)
                    .ok_or("CIRC: start, auxiliary point and target lie on one line; no circle goes through them")?;
                // With CA the orientation at the end is the target's, reached at the end of the arc.
                Ok(plan_cartesian(&self.model, &start, &tool, &path, &tcp_rb.rotation, &lin, dt))
            }
            _ => {
                if ik_near(&self.model, &flange, &start).is_none() {
                    return Err(format!("Target not reachable: {}", describe_target(&target_base)));
                }
                if cmd.via.is_empty() {
                    return Ok(plan_lin(&self.model, &start, &tool, &tcp_rb, &lin, dt));
                }
                // A run of SPL segments: one smooth path through every point, each point's
                // orientation reached there.
                let mut poses = vec![fk(&self.model, &start) * tool];
                for (v, line) in &cmd.via {
                    let Value::Struct(p) = v else {
                        return Err(format!("SPL point of line {line} must be a position, not {}", v.type_name()));
                    };
                    let p_rb = base_in_rb * resolve(p);
                    if ik_near(&self.model, &(p_rb * tool.inverse()), &start).is_none() {
                        return Err(format!("Target not reachable: SPL point of line {line} {}", describe_target(&resolve(p))));
                    }
                    poses.push(p_rb);
                }
                poses.push(tcp_rb);
                poses.dedup_by(|b, a| (b.translation.vector - a.translation.vector).norm() <= 1e-6);
                let points: Vec<_> = poses.iter().map(|p| p.translation.vector).collect();
                let Some(path) = CartPath::spline(&points) else {
                    return Ok(plan_lin(&self.model, &start, &tool, &tcp_rb, &lin, dt));
                };
                let CartPath::Spline { knots, .. } = &path else { unreachable!("a spline") };
                let keys: Vec<_> = knots.iter().zip(&poses).skip(1).map(|(s, p)| (*s, p.rotation)).collect();
                Ok(plan_cartesian_through(&self.model, &start, &tool, &path, &keys, &lin, dt))
            }
        }
    }

    /// PTP to a Cartesian point: by S and T when given, else with the start's status, each axis the shortest way.
    fn choose_ptp_solution(&self, flange: &Isometry3<f64>, t: &StructVal, start: &[f64; 6]) -> Result<[f64; 6], String> {
        let sols = ik(&self.model, flange);
        let s_req = t.get("S").and_then(Value::as_f64).map(|v| v as u8);
        let t_req = t.get("T").and_then(Value::as_f64).map(|v| v as u8);
        let target = describe_target(&(self.robroot * flange));
        if sols.is_empty() {
            return Err(match ik_near(&self.model, flange, start).and_then(|q| self.model.limit_violation(&q)) {
                Some((axis, sign)) => format!("Software limit switch {sign}A{}: {target} needs A{} outside its range", axis + 1, axis + 1),
                None => format!("Target not reachable: {target} is outside the robot's reach"),
            });
        }
        let pick = match (s_req, t_req) {
            // An axis within 0.01 degree of zero may carry either sign after rounding: its T bit does not decide.
            (Some(s), Some(tt)) => sols
                .iter()
                .filter(|x| x.status == s && (0..6).all(|i| (x.turn ^ tt) & (1 << i) == 0 || x.axes_deg[i].abs() < 0.01))
                .min_by(|a, b| kinematics::max_delta(&a.axes_deg, start).total_cmp(&kinematics::max_delta(&b.axes_deg, start)))
                .map(|x| x.axes_deg),
            (Some(s), None) => kinematics::nearest(&sols, start, Some(s)).map(|x| x.axes_deg),
            _ => kinematics::nearest(&sols, start, Some(status_of(&self.model, start))).map(|x| x.axes_deg),
        };
        pick.ok_or_else(|| match (s_req, t_req) {
            (Some(s), Some(tt)) => format!("Target not reachable with S {s} T {tt} within the software limits: {target}"),
            (Some(s), None) => format!("Target not reachable with S {s}: {target}"),
            _ => format!("Target not reachable with the current status S {}: {target} (give S and T)", status_of(&self.model, start)),
        })
    }
}

/// A target or auxiliary point in `$BASE`: absolute with missing members from the start point,
/// or relative to the start (in BASE or TOOL directions).
fn point_in_base(t: &StructVal, cur: &Frame, cur_tcp: &Isometry3<f64>, relative: bool, tool_relative: bool) -> Isometry3<f64> {
    if relative {
        let n = |m: &str| t.num(m).unwrap_or(0.0);
        let d = Frame::new(n("X"), n("Y"), n("Z"), n("A"), n("B"), n("C")).to_iso();
        if tool_relative {
            cur_tcp * d
        } else {
            let mut p = d.rotation * cur_tcp;
            p.translation.vector = cur_tcp.translation.vector + d.translation.vector;
            p
        }
    } else {
        let n = |m: &str, d: f64| t.num(m).unwrap_or(d);
        Frame::new(n("X", cur.x), n("Y", cur.y), n("Z", cur.z), n("A", cur.a), n("B", cur.b), n("C", cur.c)).to_iso()
    }
}

fn describe_target(iso: &Isometry3<f64>) -> String {
    let f = Frame::from_iso(iso);
    format!("{{X {:.1}, Y {:.1}, Z {:.1}, A {:.1}, B {:.1}, C {:.1}}}", f.x, f.y, f.z, f.a, f.b, f.c)
}
