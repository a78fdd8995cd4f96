//! The cell's side of the plant network: the inputs a PLC or an MES drives from outside, the
//! program number of external automatic, and the production orders an MES sends.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the plant outside the cell drives. `robocell serve` offers these to OPC UA, MQTT and
/// Modbus clients; headless runs drive them from the scenario (scheduled orders) alone.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlantSpec {
    /// The cell's name in MQTT topics (`robocell/<cell>/...`); default: from the scenario's name.
    #[serde(default)]
    pub cell: Option<String>,
    /// `$IN[n]` a PLC or an MES writes (Modbus coils, OPC UA, MQTT). No sensor may drive them.
    #[serde(default)]
    pub inputs: Vec<usize>,
    /// `$ANIN[n]` (-1.0 ..= 1.0) written from outside.
    #[serde(default)]
    pub analog_inputs: Vec<usize>,
    /// External automatic: the program number a PLC selects (Modbus holding register 1) is put
    /// on `bits` inputs from `first` (lowest bit first), as a CELL program's `PGNO` reads it.
    #[serde(default)]
    pub program_number: Option<InputGroup>,
    /// Production orders: the MES's orders are put on input groups, one order at a time.
    #[serde(default)]
    pub orders: Option<OrderSpec>,
    /// The ideal time per part, s, for the OEE's performance (none: not reported).
    #[serde(default)]
    pub ideal_cycle_s: Option<f64>,
}

/// Inputs `first .. first + bits - 1`, read as an unsigned number (lowest bit first).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InputGroup {
    pub first: usize,
    pub bits: usize,
}

impl InputGroup {
    pub fn inputs(&self) -> std::ops::Range<usize> {
        self.first..self.first + self.bits
    }
    /// The largest number the group holds.
    pub fn max(&self) -> u64 {
        if self.bits >= 64 { u64::MAX } else { (1u64 << self.bits) - 1 }
    }
}

/// How orders reach the program: a count per part type on an input group, a valid input that
/// is TRUE while an order stands on them, and a done output the program sets when it filled
/// the order (the next one follows once the program resets it).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OrderSpec {
    /// Part type name -> the input group that carries its count.
    pub counts: BTreeMap<String, InputGroup>,
    pub valid_input: usize,
    pub done_output: usize,
    /// Orders the MES sends at given times (graded runs use these; `robocell serve` adds the
    /// ones its clients send).
    #[serde(default)]
    pub schedule: Vec<ScheduledOrder>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduledOrder {
    pub at_s: f64,
    /// Part type name -> how many.
    pub parts: BTreeMap<String, u32>,
}

impl PlantSpec {
    /// Every input the plant drives, the program number's and the orders' included.
    pub fn driven_inputs(&self) -> Vec<usize> {
        let mut out = self.inputs.clone();
        if let Some(g) = &self.program_number {
            out.extend(g.inputs());
        }
        if let Some(o) = &self.orders {
            out.extend(o.counts.values().flat_map(InputGroup::inputs));
            out.push(o.valid_input);
        }
        out
    }

    /// `$IN[n]` may be written by a client (the order inputs are the order book's).
    pub fn writable_input(&self, n: usize) -> bool {
        self.inputs.contains(&n) || self.program_number.is_some_and(|g| g.inputs().contains(&n))
    }

    /// The cell's name in topics: the given one, or the scenario's name in lower case with
    /// dashes (`Sort by type` -> `sort-by-type`).
    pub fn cell_name(&self, scenario_name: &str) -> String {
        let raw = self.cell.clone().unwrap_or_else(|| scenario_name.to_string());
        let mut out = String::new();
        for c in raw.chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') {
                out.push('-');
            }
        }
        let out = out.trim_matches('-').to_string();
        if out.is_empty() { "cell".into() } else { out }
    }

    /// What does not fit: (field to point at, message). `wired` holds the inputs the cell's
    /// sensors drive, `outputs` the outputs its actuators read, `types` the part types.
    pub fn problems(&self, wired: &[usize], outputs: &[usize], types: &[String]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut mine: Vec<usize> = Vec::new();
        let mut claim = |field: &str, n: usize, what: &str, out: &mut Vec<(String, String)>| {
            if !(1..=4096).contains(&n) {
                out.push((field.into(), format!("plant: {what} $IN[{n}] is outside 1..4096")));
            } else if wired.contains(&n) {
                out.push((field.into(), format!("plant: {what} $IN[{n}] is already driven by a sensor of the cell")));
            } else if mine.contains(&n) {
                out.push((field.into(), format!("plant: $IN[{n}] is named twice")));
            }
            mine.push(n);
        };
        for &n in &self.inputs {
            claim("inputs", n, "input", &mut out);
        }
        for &n in &self.analog_inputs {
            if !(1..=crate::sim::io::ANIN_COUNT).contains(&n) {
                out.push(("analog_inputs".into(), format!("plant: $ANIN[{n}] is outside 1..32")));
            }
        }
        if let Some(g) = &self.program_number {
            if !(1..=16).contains(&g.bits) {
                out.push(("program_number".into(), "plant: the program number has 1..16 bits".into()));
            } else {
                for n in g.inputs() {
                    claim("program_number", n, "program number input", &mut out);
                }
            }
        }
        if self.ideal_cycle_s.is_some_and(|t| t.is_nan() || t <= 0.0) {
            out.push(("ideal_cycle_s".into(), "plant: ideal_cycle_s must be positive".into()));
        }
        if let Some(o) = &self.orders {
            for (ty, g) in &o.counts {
                if !types.contains(ty) {
                    out.push((format!("\"{ty}\""), format!("plant orders: no part type named `{ty}`")));
                }
                if !(1..=16).contains(&g.bits) {
                    out.push((format!("\"{ty}\""), format!("plant orders: the count of `{ty}` needs 1..16 bits")));
                    continue;
                }
                for n in g.inputs() {
                    claim("counts", n, "order input", &mut out);
                }
            }
            claim("valid_input", o.valid_input, "order valid input", &mut out);
            if !(1..=4096).contains(&o.done_output) || outputs.contains(&o.done_output) {
                out.push((
                    "done_output".into(),
                    format!("plant orders: done_output $OUT[{}] is outside 1..4096 or drives an actuator", o.done_output),
                ));
            }
            for s in &o.schedule {
                if s.at_s.is_nan() || s.at_s < 0.0 {
                    out.push(("at_s".into(), "plant orders: an order's at_s must be >= 0".into()));
                }
                for (msg, field) in o.order_problems(&s.parts) {
                    out.push((field, msg));
                }
            }
        }
        out
    }
}

impl OrderSpec {
    /// Why an order cannot be placed: (message, field). Empty when it can.
    pub fn order_problems(&self, parts: &BTreeMap<String, u32>) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if parts.values().all(|n| *n == 0) {
            out.push(("an order needs at least one part".into(), "parts".into()));
        }
        for (ty, n) in parts {
            match self.counts.get(ty) {
                None => {
                    let known: Vec<&str> = self.counts.keys().map(String::as_str).collect();
                    out.push((format!("orders carry no part type `{ty}` (they carry: {})", known.join(", ")), format!("\"{ty}\"")));
                }
                Some(g) if u64::from(*n) > g.max() => {
                    out.push((format!("{n} x `{ty}` does not fit its {} input(s) (at most {})", g.bits, g.max()), format!("\"{ty}\"")));
                }
                _ => {}
            }
        }
        out
    }
}
