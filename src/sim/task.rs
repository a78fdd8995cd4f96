//! The exercise: what the scenario asks of the program (deliver N parts within T seconds without
//! a collision), what happened towards it, and the verdict `robocell check` reports.

use super::controller::{Message, ProgramState};
use super::scenario::Objective;
use super::world::Event;

/// The record of a run towards its objective, and the verdict once it is decided.
#[derive(Clone, Debug)]
pub struct Exercise {
    objective: Objective,
    delivered: u32,
    collisions: Vec<String>,
    outcome: Option<Result<(), String>>,
}

impl Exercise {
    pub fn new(objective: Objective) -> Self {
        Exercise { objective, delivered: 0, collisions: Vec::new(), outcome: None }
    }

    pub fn objective(&self) -> &Objective {
        &self.objective
    }
    pub fn delivered(&self) -> u32 {
        self.delivered
    }
    pub fn collisions(&self) -> &[String] {
        &self.collisions
    }
    /// `Some(Ok)` once met, `Some(Err(reason))` once failed.
    pub fn outcome(&self) -> Option<&Result<(), String>> {
        self.outcome.as_ref()
    }

    /// A part came to rest in a bin; returns the count so far.
    pub fn part_delivered(&mut self) -> u32 {
        self.delivered += 1;
        self.delivered
    }

    pub fn collision(&mut self, link: &str, with: &str, time_s: f64) {
        self.collisions.push(format!("{link} touched {with} at {time_s:.2} s"));
    }

    /// Decides the objective once: failed by a collision or the time limit, met by the parts.
    pub fn judge(&mut self, time_s: f64, ev: &mut Vec<Event>) -> Option<Message> {
        if self.outcome.is_some() {
            return None;
        }
        let obj = &self.objective;
        if obj.no_collision && !self.collisions.is_empty() {
            let reason = format!("collision: {}", self.collisions[0]);
            self.outcome = Some(Err(reason.clone()));
            ev.push(Event::ObjectiveFailed { reason });
        } else if self.delivered >= obj.deliver {
            self.outcome = Some(Ok(()));
            ev.push(Event::ObjectiveMet);
            let text = format!("Objective met: {} part(s) delivered in {time_s:.1} s", self.delivered);
            return Some(Message { level: super::controller::Level::Notification, text, line: None, time_s });
        } else if time_s > obj.within_s {
            let reason = format!("time is up: {} of {} part(s) delivered in {:.0} s", self.delivered, obj.deliver, obj.within_s);
            self.outcome = Some(Err(reason.clone()));
            ev.push(Event::ObjectiveFailed { reason });
        }
        None
    }

    /// The report of a finished run.
    pub fn report(&self, scenario: &str, state: ProgramState, time_s: f64, ticks: u64, messages: &[Message]) -> Report {
        let obj = &self.objective;
        let (passed, reason) = match &self.outcome {
            Some(Ok(())) => (true, format!("{} of {} part(s) delivered", self.delivered, obj.deliver)),
            Some(Err(r)) => (false, r.clone()),
            None => (false, format!("program stopped ({state:?}) with {} of {} part(s) delivered", self.delivered, obj.deliver)),
        };
        Report {
            scenario: scenario.to_string(),
            passed,
            reason,
            delivered: self.delivered,
            required: obj.deliver,
            sim_time_s: time_s,
            collisions: self.collisions.clone(),
            messages: messages.to_vec(),
            final_state: state,
            ticks,
        }
    }
}

/// The outcome of a headless run, as `robocell check` prints it.
#[derive(Clone, Debug)]
pub struct Report {
    pub scenario: String,
    pub passed: bool,
    pub reason: String,
    pub delivered: u32,
    pub required: u32,
    pub sim_time_s: f64,
    pub collisions: Vec<String>,
    pub messages: Vec<Message>,
    pub final_state: ProgramState,
    pub ticks: u64,
}
