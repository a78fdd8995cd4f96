//! What the instructor's plots show, taken from the world's state and events tick by tick:
//! axis positions and speeds with their limits, the TCP's speed, every input and output as a
//! lane of switches (an output with the program line that switched it), and the cycle time of
//! each delivered part. Bounded: a long session keeps the last `window_s` seconds of samples.

use std::collections::{BTreeMap, VecDeque};

use super::world::{Event, World};

/// One sample of the robot's motion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub time_s: f64,
    pub axes_deg: [f64; 6],
    /// Axis speeds, degrees per second, over the last sample period.
    pub speeds_deg_s: [f64; 6],
    /// The TCP's speed in the world, mm/s, over the last sample period.
    pub tcp_mm_s: f64,
    /// Where the TCP is (world, mm).
    pub tcp_mm: [f64; 3],
}

/// A switch of one signal: when, to what, and (for an output) the program line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Switch {
    pub time_s: f64,
    pub value: bool,
    pub line: Option<u32>,
}

/// An input or an output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Signal {
    In(usize),
    Out(usize),
}

impl Signal {
    pub fn name(self) -> String {
        match self {
            Signal::In(n) => format!("$IN[{n}]"),
            Signal::Out(n) => format!("$OUT[{n}]"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Trace {
    /// Seconds between samples.
    pub every_s: f64,
    /// Seconds of samples and switches kept.
    pub window_s: f64,
    pub samples: VecDeque<Sample>,
    pub lanes: BTreeMap<Signal, VecDeque<Switch>>,
    /// When each part was delivered (simulated seconds), oldest first, the last `window_s`.
    pub delivered_s: VecDeque<f64>,
    last: Option<(f64, [f64; 6], nalgebra::Vector3<f64>)>,
}

impl Trace {
    pub fn new(every_s: f64, window_s: f64) -> Trace {
        Trace { every_s, window_s, samples: VecDeque::new(), lanes: BTreeMap::new(), delivered_s: VecDeque::new(), last: None }
    }

    /// Takes in one tick: the world after it and the events it gave.
    pub fn record(&mut self, world: &World, events: &[Event]) {
        let now = world.time_s();
        for e in events {
            match e {
                Event::Output { n, value, line } => self.switch(Signal::Out(*n), now, *value, Some(*line)),
                Event::Input { n, value } => self.switch(Signal::In(*n), now, *value, None),
                Event::PartDelivered { .. } => self.delivered_s.push_back(now),
                Event::Message(m) if m.text == "Program reset" => self.clear(),
                _ => {}
            }
        }
        let axes = world.axes_deg();
        let tcp = world.tcp_world().translation.vector;
        match self.last {
            Some((t, _, _)) if now - t < self.every_s - 1e-9 && now >= t => {}
            Some((t, prev_axes, prev_tcp)) if now > t => {
                let dt = now - t;
                self.samples.push_back(Sample {
                    time_s: now,
                    axes_deg: axes,
                    speeds_deg_s: std::array::from_fn(|i| (axes[i] - prev_axes[i]) / dt),
                    tcp_mm_s: (tcp - prev_tcp).norm() / dt,
                    tcp_mm: tcp.into(),
                });
                self.last = Some((now, axes, tcp));
            }
            _ => {
                self.samples.push_back(Sample { time_s: now, axes_deg: axes, speeds_deg_s: [0.0; 6], tcp_mm_s: 0.0, tcp_mm: tcp.into() });
                self.last = Some((now, axes, tcp));
            }
        }
        self.forget_before(now - self.window_s);
    }

    fn switch(&mut self, s: Signal, time_s: f64, value: bool, line: Option<u32>) {
        self.lanes.entry(s).or_default().push_back(Switch { time_s, value, line });
    }

    /// A reset starts the plots over.
    pub fn clear(&mut self) {
        self.samples.clear();
        self.lanes.clear();
        self.delivered_s.clear();
        self.last = None;
    }

    fn forget_before(&mut self, t: f64) {
        while self.samples.front().is_some_and(|s| s.time_s < t) {
            self.samples.pop_front();
        }
        for lane in self.lanes.values_mut() {
            // The last switch before the window says the level at its start: keep it.
            while lane.len() > 1 && lane[1].time_s < t {
                lane.pop_front();
            }
        }
        while self.delivered_s.front().is_some_and(|d| *d < t) {
            self.delivered_s.pop_front();
        }
    }

    /// The time between one delivered part and the next (the first from the trace's first
    /// sample): (delivery time, seconds it took).
    pub fn cycle_times(&self) -> Vec<(f64, f64)> {
        let mut prev = self.samples.front().map_or(0.0, |s| s.time_s);
        self.delivered_s
            .iter()
            .map(|&t| {
                let c = (t, t - prev);
                prev = t;
                c
            })
            .collect()
    }
}
