//! The main run: moves the robot along the planned motions one tick at a time.
//!
//! Motions are planned at 100 % override as one axis position per tick. The interpolator walks
//! them with a path clock: `p` is the position along the front motion in planned ticks, `k` the
//! path speed (planned ticks per real tick). The program override, the operator's STOP 2 and
//! BRAKE only change `k`, so the robot always stays on the planned path (a LIN on its line, a
//! CIRC on its arc, a blend in its blend). `k` ramps, and each change is kept within every
//! axis' speed and acceleration; at a constant `k <= 1` the planned motion is time-scaled, which
//! keeps the limits by construction.

use std::collections::VecDeque;

use nalgebra::Isometry3;

use super::approximation::ApproxZone;
use crate::sim::krl::interp::{TriggerAt, TriggerCmd};
use crate::sim::motion::Trajectory;
use crate::sim::robot::RobotModel;

/// The fastest change of the path speed, in full speed per second (0 to 100 % in 0.2 s); the
/// axes' accelerations may make a ramp slower.
pub const RAMP_PER_S: f64 = 5.0;

/// A motion handed to the main run.
#[derive(Clone)]
pub struct Planned {
    pub traj: Trajectory,
    pub line: u32,
    /// The module file of the motion when it is not the program's own (for messages).
    pub file: Option<String>,
    /// Approximation asked for at the end of this motion.
    pub approx: Option<ApproxZone>,
    /// The next motion was blended into this one's end.
    pub blended: bool,
    /// The target (axes) the motion was planned to.
    pub end: [f64; 6],
    pub tool: Isometry3<f64>,
    /// TRIGGERs on this motion, by the sample at which they switch.
    pub triggers: Vec<(usize, TriggerCmd)>,
    /// The main run has begun this motion.
    pub started: bool,
}

/// What happened on the path in one tick, in order.
#[derive(Debug, PartialEq)]
pub enum PathEvent {
    Started { line: u32 },
    Done { line: u32, file: Option<String>, stop_message: Option<String>, approx_not_possible: bool },
}

#[derive(Clone)]
pub struct Interpolator {
    queue: VecDeque<Planned>,
    /// Where the front motion starts: the robot's position at `p = 0`.
    from: [f64; 6],
    /// Position along the front motion, in samples: `p = j` is `samples[j - 1]`.
    p: f64,
    /// Path speed: planned samples per tick.
    k: f64,
    q: [f64; 6],
    q_prev: [f64; 6],
    /// Triggers whose point was passed and whose DELAY runs: (time to switch, trigger).
    delayed_triggers: Vec<(f64, TriggerCmd)>,
}

impl Interpolator {
    pub fn new(q: [f64; 6]) -> Self {
        Interpolator { queue: VecDeque::new(), from: q, p: 0.0, k: 1.0, q, q_prev: q, delayed_triggers: Vec::new() }
    }

    /// The axis positions the robot stands at, degrees.
    pub fn q(&self) -> [f64; 6] {
        self.q
    }
    /// The path speed, 0..=1 of the planned speed.
    pub fn path_speed(&self) -> f64 {
        self.k
    }
    pub fn is_moving(&self) -> bool {
        self.q != self.q_prev
    }
    pub fn len(&self) -> usize {
        self.queue.len()
    }
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
    pub fn front_line(&self) -> Option<u32> {
        self.queue.front().map(|m| m.line)
    }
    /// The front motion's module file (None: the program's own) and line.
    pub fn front_pointer(&self) -> Option<(Option<String>, u32)> {
        self.queue.front().map(|m| (m.file.clone(), m.line))
    }
    /// The path still to go, as planned: every `every`-th axis sample of the front motion from
    /// where the robot is, then of each motion queued behind it (its last sample always), each
    /// with the tool it was planned with.
    pub fn ahead(&self, every: usize) -> Vec<([f64; 6], Isometry3<f64>)> {
        let mut out = Vec::new();
        for (i, m) in self.queue.iter().enumerate() {
            let s = &m.traj.samples;
            let from = if i == 0 { (self.p.floor() as usize).min(s.len()) } else { 0 };
            out.extend(s[from..].iter().step_by(every.max(1)).map(|q| (*q, m.tool)));
            if let Some(last) = s.last().filter(|_| from < s.len()) {
                out.push((*last, m.tool));
            }
        }
        out
    }
    pub fn has_delayed_triggers(&self) -> bool {
        !self.delayed_triggers.is_empty()
    }

    pub fn push(&mut self, m: Planned) {
        if self.queue.is_empty() {
            self.from = self.q;
            self.p = 0.0;
        }
        self.queue.push_back(m);
    }

    /// The last queued motion and how many of its samples the robot has already passed.
    pub fn back_mut(&mut self) -> Option<(&mut Planned, usize)> {
        let passed = if self.queue.len() == 1 { self.p.ceil() as usize } else { 0 };
        self.queue.back_mut().map(|m| (m, passed))
    }

    /// Puts the robot at `q` outside any planned motion (jogging, the way back to the path).
    pub fn set_q(&mut self, q: [f64; 6]) {
        self.q_prev = self.q;
        self.q = q;
    }

    /// Drops every motion: the robot stands where it is (a fault).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.q_prev = self.q;
        self.p = 0.0;
    }

    /// BRAKE: drops every motion after the one the robot is on and brakes along that one with
    /// a linear speed ramp over `ramp_s` (slower where an axis cannot brake that hard). The
    /// ramp is laid out now, one point per tick, so the motion's new end is known at once.
    pub fn brake(&mut self, ramp_s: f64, model: &RobotModel, dt: f64) {
        self.queue.truncate(1);
        let Some(front) = self.queue.front() else { return };
        if !front.started {
            // Not begun: nothing to brake.
            self.queue.clear();
            return;
        }
        let n = front.traj.samples.len() as f64;
        let per_tick = (self.k * dt / ramp_s).max(1e-6);
        let (mut p, mut k, mut q, mut q_prev) = (self.p, self.k, self.q, self.q_prev);
        let mut ramp = Vec::new();
        while p < n {
            let wanted = (k - per_tick).max(0.0);
            k = self.bisect_speed(k, wanted, p, &q, &q_prev, model, dt);
            if k <= 0.0 {
                break;
            }
            p += k;
            let next = self.position_at(p);
            ramp.push(next);
            (q_prev, q) = (q, next);
        }
        let passed = (self.p.floor() as usize).min(front.traj.samples.len());
        let front = &mut self.queue[0];
        front.traj.samples.truncate(passed);
        if front.traj.samples.last() != Some(&self.q) {
            front.traj.samples.push(self.q);
        }
        self.p = front.traj.samples.len() as f64;
        front.traj.samples.extend(ramp);
        front.end = *front.traj.samples.last().expect("not empty");
        front.approx = None;
        front.blended = false;
        front.triggers.clear();
        front.traj.stop_message = None;
        // The ramp is one point per tick; an override or a stop still slows it further.
        self.k = 1.0;
    }

    /// Triggers whose DELAY ran out by `now`, in the order they were passed.
    pub fn take_due_triggers(&mut self, now: f64) -> Vec<TriggerCmd> {
        let mut due = Vec::new();
        while let Some(i) = self.delayed_triggers.iter().position(|(at, _)| *at <= now + 1e-9) {
            due.push(self.delayed_triggers.remove(i).1);
        }
        due
    }

    /// The `i`-th point of the front motion (0 = its start).
    fn point(&self, m: usize, i: usize) -> [f64; 6] {
        let motion = &self.queue[m];
        if i == 0 {
            if m == 0 { self.from } else { *self.queue[m - 1].traj.samples.last().expect("planned motions have samples") }
        } else {
            motion.traj.samples[(i - 1).min(motion.traj.samples.len() - 1)]
        }
    }

    /// The robot's position at path position `p` of the front motion; beyond the end of a blended
    /// motion, on the next queued one; else at the end.
    fn position_at(&self, mut p: f64) -> [f64; 6] {
        let mut m = 0;
        loop {
            let n = self.queue[m].traj.samples.len() as f64;
            if p <= n || m + 1 >= self.queue.len() || !self.queue[m].blended {
                let p = p.clamp(0.0, n);
                let i = p.floor() as usize;
                let f = p - i as f64;
                let a = self.point(m, i);
                if f == 0.0 {
                    return a;
                }
                let b = self.point(m, i + 1);
                return std::array::from_fn(|j| a[j] + (b[j] - a[j]) * f);
            }
            p -= n;
            m += 1;
        }
    }

    /// The path speed for this tick: towards `goal` by at most the ramp, and no further than
    /// every axis can follow. An unchanged speed is always allowed (it time-scales the plan).
    fn next_speed(&self, goal: f64, model: &RobotModel, dt: f64) -> f64 {
        // From standstill the plan's own ramp applies; the limit check still holds.
        let step = if self.is_moving() { RAMP_PER_S * dt } else { f64::INFINITY };
        let wanted = goal.clamp(self.k - step, self.k + step).clamp(0.0, 1.0);
        self.bisect_speed(self.k, wanted, self.p, &self.q, &self.q_prev, model, dt)
    }

    /// The speed nearest `wanted`, between `k` (allowed) and `wanted`, at which the robot moves on
    /// from path position `p` (standing at `q`, a tick after `q_prev`) within every axis' limits.
    #[allow(clippy::too_many_arguments)]
    fn bisect_speed(&self, k: f64, wanted: f64, p: f64, q: &[f64; 6], q_prev: &[f64; 6], model: &RobotModel, dt: f64) -> f64 {
        let ok = |k: f64| within_limits(&self.position_at(p + k), q, q_prev, model, dt);
        if wanted == k || ok(wanted) {
            return wanted;
        }
        let (mut good, mut bad) = (k, wanted);
        for _ in 0..16 {
            let mid = 0.5 * (good + bad);
            if ok(mid) { good = mid } else { bad = mid }
        }
        good
    }

    /// One tick of the main run at path speed goal `goal` (the override as a fraction; 0 when the
    /// robot must stop). Moves the robot, queues the triggers it passes and reports the motions
    /// it starts and finishes.
    pub fn advance(&mut self, goal: f64, model: &RobotModel, dt: f64, now: f64) -> Vec<PathEvent> {
        let mut out = Vec::new();
        if self.queue.is_empty() {
            self.q_prev = self.q;
            self.k = goal.clamp(0.0, 1.0);
            return out;
        }
        let goal = goal.clamp(0.0, 1.0);
        if !self.queue[0].started {
            self.queue[0].started = true;
            out.push(PathEvent::Started { line: self.queue[0].line });
        }
        self.k = self.next_speed(goal, model, dt);
        let q_new = self.position_at(self.p + self.k);
        self.p += self.k;
        self.q_prev = self.q;
        self.q = q_new;
        self.pass_triggers(now);
        // Finish the front motion; with path left over, carry on along the next one.
        while let Some(front) = self.queue.front() {
            let n = front.traj.samples.len() as f64;
            if self.p < n - 1e-9 {
                break;
            }
            let done = self.queue.pop_front().expect("front exists");
            let leftover = self.p - n;
            self.from = *done.traj.samples.last().expect("planned motions have samples");
            self.p = 0.0;
            // Only a blend flows on into the next motion; an exact stop ends on its point.
            let flows_on = done.blended && done.traj.stop_message.is_none();
            out.push(PathEvent::Done {
                line: done.line,
                file: done.file.clone(),
                approx_not_possible: done.approx.is_some() && !done.blended,
                stop_message: done.traj.stop_message,
            });
            if !flows_on || leftover <= 1e-9 || self.queue.is_empty() {
                break;
            }
            self.p = leftover;
            self.queue[0].started = true;
            out.push(PathEvent::Started { line: self.queue[0].line });
            self.pass_triggers(now);
        }
        out
    }

    /// Moves the triggers of the front motion whose sample the robot reached into the DELAY list.
    fn pass_triggers(&mut self, now: f64) {
        let Some(front) = self.queue.front_mut() else { return };
        let last = self.p >= front.traj.samples.len() as f64 - 1e-9;
        let reached = self.p + 1e-9;
        let (due, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut front.triggers).into_iter().partition(|(k, _)| (*k + 1) as f64 <= reached || last);
        front.triggers = later;
        for (_, t) in due {
            self.delayed_triggers.push((now + t.delay_s.max(0.0), t));
        }
    }
}

/// The sample of `samples` at which trigger `t` switches: its point on the path, moved earlier
/// by a negative DELAY (a positive one counts from there in time).
pub fn trigger_sample(model: &RobotModel, samples: &[[f64; 6]], tool: &Isometry3<f64>, t: &TriggerCmd, dt: f64) -> usize {
    use crate::sim::kinematics::fk;
    let n = samples.len();
    if n == 0 {
        return 0;
    }
    let along = |target_mm: f64| -> usize {
        // Cumulative TCP path length up to each sample.
        let mut s = 0.0;
        let mut prev = (fk(model, &samples[0]) * tool).translation.vector;
        let mut cum = vec![0.0];
        for q in &samples[1..] {
            let p = (fk(model, q) * tool).translation.vector;
            s += (p - prev).norm();
            cum.push(s);
            prev = p;
        }
        let goal = if target_mm < 0.0 { s + target_mm } else { target_mm };
        cum.iter().position(|c| *c >= goal.clamp(0.0, s) - 1e-9).unwrap_or(n - 1)
    };
    let k = match t.at {
        TriggerAt::Start => 0,
        TriggerAt::End => n - 1,
        TriggerAt::PathFromStart(mm) => along(mm.max(0.0)),
        // A positive PATH lies beyond the end point; it switches at the end.
        TriggerAt::PathFromEnd(mm) if mm >= 0.0 => n - 1,
        TriggerAt::PathFromEnd(mm) => along(mm),
    };
    let early = if t.delay_s < 0.0 { (-t.delay_s / dt).round() as usize } else { 0 };
    k.saturating_sub(early)
}

/// Whether stepping from `q` (reached a tick after `q_prev`) to `next` keeps every axis within its
/// speed and acceleration.
fn within_limits(next: &[f64; 6], q: &[f64; 6], q_prev: &[f64; 6], model: &RobotModel, dt: f64) -> bool {
    (0..6).all(|i| {
        let v = (next[i] - q[i]) / dt;
        let a = (next[i] - 2.0 * q[i] + q_prev[i]) / (dt * dt);
        v.abs() <= model.max_speed_deg_s[i] * (1.0 + 1e-9) && a.abs() <= model.max_acc_deg_s2[i] * (1.0 + 1e-9)
    })
}
