//! A recording laid out in time, for the replay viewer: its markers (collisions, faults,
//! messages, parts delivered, the operator's commands) and keyframes, copies of the world taken
//! as the recording is run once, so any moment is reached by stepping from the keyframe before
//! it (at most `every` steps). The step index counts from the world's creation, resets included,
//! as the recording's commands do.

use super::exercise::Grade;
use super::krl::Diagnostic;
use super::record::{Recording, TimedCommand};
use super::world::{Command, Event, Level, World};

/// At most this many keyframes: a long recording's are further apart.
const MAX_KEYFRAMES: u64 = 64;
/// Nor closer than this many steps.
const MIN_EVERY: u64 = 250;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    Collision,
    /// A message that stopped the robot (red), a software limit among them.
    Fault,
    /// The robot moved faster than T1 allows.
    Overspeed,
    /// Any other controller message.
    Message,
    Delivered,
    /// An operator's command (Start, Stop, a jog, an override ...).
    Command,
}

/// Something that happened at `step` (the step it happened in: the world after `step + 1` steps
/// shows it).
#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    pub step: u64,
    pub kind: MarkerKind,
    pub text: String,
    /// The program line, when the event names one.
    pub line: Option<u32>,
}

impl MarkerKind {
    /// Makes an objective fail when it happens.
    pub fn is_failure(self) -> bool {
        matches!(self, MarkerKind::Collision | MarkerKind::Fault | MarkerKind::Overspeed)
    }
}

pub struct Timeline {
    commands: Vec<TimedCommand>,
    /// Steps in the recording.
    pub steps: u64,
    /// Seconds per step.
    pub dt: f64,
    pub markers: Vec<Marker>,
    /// `keyframes[i]` is the world after `i * every` steps.
    keyframes: Vec<World>,
    every: u64,
    /// The run judged at its end against the scenario's objectives (the variant applied).
    pub grade: Grade,
}

impl Timeline {
    /// Runs the recording once, taking its markers and keyframes.
    pub fn build(rec: &Recording) -> Result<Timeline, Vec<Diagnostic>> {
        let (mut world, _) = World::new(rec.loaded()?)?;
        let every = rec.steps.div_ceil(MAX_KEYFRAMES).max(MIN_EVERY);
        let mut t = Timeline {
            commands: rec.commands.clone(),
            steps: rec.steps,
            dt: world.dt(),
            markers: Vec::new(),
            keyframes: Vec::new(),
            every,
            grade: Grade::default(),
        };
        let mut overspeed = false;
        t.keyframes.push(world.clone());
        for step in 0..rec.steps {
            if step > 0 && step % every == 0 {
                t.keyframes.push(world.clone());
            }
            let cmds = t.commands_at(step);
            for c in &cmds {
                t.markers.push(Marker { step, kind: MarkerKind::Command, text: command_text(c), line: None });
            }
            let events = world.step(&cmds);
            t.mark(step, &events);
            if !overspeed && let Some(i) = &world.exercise().observations().t1_overspeed {
                overspeed = true;
                t.markers.push(Marker { step, kind: MarkerKind::Overspeed, text: i.what.clone(), line: i.line });
            }
        }
        t.grade = world.grade_this_run();
        Ok(t)
    }

    fn mark(&mut self, step: u64, events: &[Event]) {
        for e in events {
            let (kind, text, line) = match e {
                Event::Collision { link, with } => (MarkerKind::Collision, format!("the robot's {link} touched {with}"), None),
                Event::Message(m) if m.level == Level::Acknowledgement => (MarkerKind::Fault, m.text.clone(), m.line),
                Event::Message(m) => (MarkerKind::Message, m.text.clone(), m.line),
                Event::PartDelivered { bin, total, .. } => (MarkerKind::Delivered, format!("part {total} delivered to {bin}"), None),
                _ => continue,
            };
            self.markers.push(Marker { step, kind, text, line });
        }
    }

    /// The recorded commands of `step`.
    pub fn commands_at(&self, step: u64) -> Vec<Command> {
        let from = self.commands.partition_point(|c| c.step < step);
        self.commands[from..].iter().take_while(|c| c.step == step).map(|c| c.command.clone()).collect()
    }

    /// Runs step `at` of the recording on `world` (which stands after `at` steps).
    pub fn step(&self, world: &mut World, at: u64) -> Vec<Event> {
        world.step(&self.commands_at(at))
    }

    /// Moves `world`, standing after `at` steps, to stand after `to` steps: on from where it is
    /// when that is nearer than the keyframe before `to`, else from that keyframe. `seen` gets
    /// each step run (the world after it and its events).
    pub fn seek(&self, world: &mut World, at: u64, to: u64, mut seen: impl FnMut(&World, &[Event])) {
        let to = to.min(self.steps);
        let k = ((to / self.every) as usize).min(self.keyframes.len().saturating_sub(1));
        let mut from = at;
        if at > to || (k as u64 * self.every) > at {
            *world = self.keyframes[k].clone();
            from = k as u64 * self.every;
        }
        for s in from..to {
            let ev = self.step(world, s);
            seen(world, &ev);
        }
    }

    /// The world after `to` steps.
    pub fn world_at(&self, to: u64) -> World {
        let mut w = self.keyframes[0].clone();
        self.seek(&mut w, 0, to, |_, _| {});
        w
    }

    /// Where the run went wrong: the first collision, fault or overspeed when an objective
    /// failed (the world after that step shows it), else the end when an objective failed; None
    /// when every objective passed.
    pub fn failure(&self) -> Option<u64> {
        if self.grade.objectives.iter().all(|o| o.passed) {
            return None;
        }
        let first = self.markers.iter().find(|m| m.kind.is_failure()).map(|m| m.step + 1);
        Some(first.unwrap_or(self.steps))
    }

    /// The step a time (s from the recording's start) falls on.
    pub fn step_of(&self, time_s: f64) -> u64 {
        ((time_s / self.dt).round().max(0.0) as u64).min(self.steps)
    }
}

/// A command as the timeline shows it.
fn command_text(c: &Command) -> String {
    match c {
        Command::Edit { file, .. } => format!("Edit {}", file.display()),
        Command::Reload { file, .. } => format!("Reload {}", file.display()),
        c => format!("{c:?}"),
    }
}
