//! Approximation: a motion with C_PTP, C_DIS, C_ORI or C_VEL blends into the next one when the
//! next one is planned before the robot reaches the blend zone.

use super::interpolator::Planned;
use crate::sim::kinematics::{self, fk};
use crate::sim::krl::MotionCmd;
use crate::sim::krl::ast::Approx;
use crate::sim::krl::interp::TriggerAt;
use crate::sim::robot::RobotModel;

/// How close to its end a motion may start blending into the next one.
#[derive(Clone, Copy, Debug)]
pub struct ApproxZone {
    pub kind: Approx,
    /// C_PTP: axis degrees; C_DIS: mm; C_ORI: degrees; C_VEL: fraction of the top speed.
    pub size: f64,
}

/// The zone a motion's approximation suffix asks for, from `$APO`.
pub fn approx_zone(cmd: &MotionCmd) -> Option<ApproxZone> {
    let [cptp, cdis, cori, cvel] = cmd.apo;
    // A PTP blends by C_PTP unless only a Cartesian criterion is given (KSS 8 writes PTP P C_DIS).
    let kind = if cmd.kind.is_ptp() && cmd.approx.contains(&Approx::CPtp) { Approx::CPtp } else { *cmd.approx.first()? };
    let size = match kind {
        Approx::CPtp => cptp.clamp(1.0, 100.0) / 100.0 * 90.0,
        Approx::CDis => cdis.max(0.0),
        Approx::COri => cori.max(0.0),
        Approx::CVel => cvel.clamp(1.0, 100.0) / 100.0,
    };
    Some(ApproxZone { kind, size })
}

/// Blends the start of `next` into the end of `prev` (the last queued motion, of which the robot
/// has passed `passed` samples) when `prev` asked for approximation and the robot has not yet
/// reached its blend zone. The two motions overlap: their axis displacements add up, so position
/// and velocity stay continuous, and the overlap is shortened until every axis stays in its limits.
pub fn blend(prev: &mut Planned, passed: usize, next: &mut Planned, model: &RobotModel, dt: f64) {
    let Some(zone) = prev.approx else { return };
    if prev.blended || prev.traj.stop_message.is_some() || next.traj.samples.len() < 2 {
        return;
    }
    let b = prev.end;
    let n_prev = prev.traj.samples.len();
    let tool = prev.tool;
    let b_tcp = fk(model, &b) * tool;
    let start_tcp_prev = fk(model, prev.traj.samples.first().expect("non-empty")) * tool;
    let end_tcp_next = fk(model, next.traj.samples.last().expect("non-empty")) * tool;
    let k = match zone.kind {
        Approx::CPtp => {
            let half_prev = kinematics::max_delta(&prev.traj.samples[0], &b) / 2.0;
            let half_next = kinematics::max_delta(&next.end, &b) / 2.0;
            let r = zone.size.min(half_prev).min(half_next);
            prev.traj.samples.iter().position(|q| kinematics::max_delta(q, &b) <= r)
        }
        Approx::CDis => {
            let half_prev = (b_tcp.translation.vector - start_tcp_prev.translation.vector).norm() / 2.0;
            let half_next = (end_tcp_next.translation.vector - b_tcp.translation.vector).norm() / 2.0;
            let r = zone.size.min(half_prev).min(half_next);
            prev.traj.samples.iter().position(|q| ((fk(model, q) * tool).translation.vector - b_tcp.translation.vector).norm() <= r)
        }
        Approx::COri => {
            let half_prev = b_tcp.rotation.angle_to(&start_tcp_prev.rotation).to_degrees() / 2.0;
            let half_next = end_tcp_next.rotation.angle_to(&b_tcp.rotation).to_degrees() / 2.0;
            let r = zone.size.min(half_prev).min(half_next);
            prev.traj.samples.iter().position(|q| (fk(model, q) * tool).rotation.angle_to(&b_tcp.rotation).to_degrees() <= r)
        }
        Approx::CVel => {
            // In the braking phase, once the leading axis is below the given share of its top speed.
            let speed = |j: usize| kinematics::max_delta(&prev.traj.samples[j], &prev.traj.samples[j - 1]);
            let top = (1..n_prev).map(speed).fold(0.0, f64::max);
            (n_prev / 2..n_prev).find(|&j| j > 0 && speed(j) <= top * zone.size)
        }
    };
    let Some(k) = k else { return };
    let mut m = (n_prev - k).min(next.traj.samples.len() / 2);
    // The overlap must keep every axis within its limits; shorten it until it does.
    while m > 0 {
        let k = n_prev - m;
        if passed + 2 > k {
            return;
        }
        let mut window: Vec<[f64; 6]> = prev.traj.samples[k - 2..k].to_vec();
        for j in 0..m {
            let (a, add) = (prev.traj.samples[k + j], next.traj.samples[j]);
            window.push(std::array::from_fn(|i| a[i] + add[i] - b[i]));
        }
        window.extend(next.traj.samples.iter().skip(m).take(2));
        let first = window[0];
        let ok = crate::sim::motion::worst_limit_ratio(model, &first, &window[1..], dt, 1.0, false) <= 1.0 + 1e-9;
        if ok {
            prev.traj.samples.truncate(k);
            prev.traj.samples.extend_from_slice(&window[2..2 + m]);
            next.traj.samples.drain(..m);
            prev.blended = true;
            // DISTANCE=1 on an approximated point switches in the middle of the blend;
            // DISTANCE=0 of the next motion at the blend's end.
            for (i, t) in prev.triggers.iter_mut() {
                *i = if t.at == TriggerAt::End { k + m / 2 } else { (*i).min(k + m - 1) };
            }
            for (i, _) in next.triggers.iter_mut() {
                *i = i.saturating_sub(m);
            }
            return;
        }
        m /= 2;
    }
}
