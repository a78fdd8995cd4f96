//! The order book: production orders from the MES, put on the program's inputs one at a time
//! (as the PLC side of a cell does), and what was delivered while each one stood.
//!
//! Handshake: an order's counts go on their input groups with the valid input TRUE; the program
//! sets the done output when it filled the order; the valid input and the counts drop; once
//! the program has reset the done output, the next order is put on the inputs.

use std::collections::BTreeMap;

use serde::Serialize;

use super::io::Io;
use super::scenario::OrderSpec;
use super::world::{Event, OrderStage};

/// One order, from its arrival on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderRecord {
    pub id: u32,
    /// Part type -> how many were ordered.
    pub parts: BTreeMap<String, u32>,
    pub received_s: f64,
    /// Put on the program's inputs.
    pub placed_s: Option<f64>,
    /// The program reported it filled.
    pub done_s: Option<f64>,
    /// Part type -> bin -> parts delivered there while the order stood on the inputs.
    pub delivered: BTreeMap<String, BTreeMap<String, u32>>,
}

impl OrderRecord {
    /// How many parts of type `ty` went into `bin` for this order.
    pub fn delivered_to(&self, ty: &str, bin: &str) -> u32 {
        self.delivered.get(ty).and_then(|b| b.get(bin)).copied().unwrap_or(0)
    }

    /// "4 x red cube, 2 x blue cylinder".
    pub fn describe(parts: &BTreeMap<String, u32>) -> String {
        let v: Vec<String> = parts.iter().filter(|(_, n)| **n > 0).map(|(t, n)| format!("{n} x {t}")).collect();
        v.join(", ")
    }
}

#[derive(Clone, Debug, Default)]
pub struct OrderBook {
    spec: Option<OrderSpec>,
    records: Vec<OrderRecord>,
    /// Index into `records` of the order on the inputs.
    active: Option<usize>,
    done_before: bool,
}

impl OrderBook {
    pub fn new(spec: Option<OrderSpec>) -> OrderBook {
        OrderBook { spec, ..Default::default() }
    }

    /// Every order so far, oldest first: done, on the inputs, waiting.
    pub fn records(&self) -> &[OrderRecord] {
        &self.records
    }

    /// The order on the program's inputs.
    pub fn active(&self) -> Option<&OrderRecord> {
        self.active.map(|i| &self.records[i])
    }

    /// An order arrives from the MES. Err: why it cannot be taken (the cell has no orders, an
    /// unknown part type, a count too large for its inputs).
    pub fn receive(&mut self, parts: &BTreeMap<String, u32>, now: f64, ev: &mut Vec<Event>) -> Result<u32, String> {
        let Some(spec) = &self.spec else {
            return Err("this cell takes no orders (the scenario has no plant orders)".into());
        };
        if let Some((msg, _)) = spec.order_problems(parts).into_iter().next() {
            return Err(msg);
        }
        let id = self.records.len() as u32 + 1;
        let parts: BTreeMap<String, u32> = parts.iter().filter(|(_, n)| **n > 0).map(|(t, n)| (t.clone(), *n)).collect();
        self.records.push(OrderRecord { id, parts, received_s: now, placed_s: None, done_s: None, delivered: BTreeMap::new() });
        ev.push(Event::Order { id, stage: OrderStage::Received });
        Ok(id)
    }

    /// The handshake, once a tick before the program runs: a done output that rose ends the
    /// order on the inputs; with the done output low, the next order waiting is put on them.
    pub fn update(&mut self, io: &mut Io, now: f64, ev: &mut Vec<Event>) {
        let Some(spec) = &self.spec else { return };
        let done = io.outputs[spec.done_output];
        if let Some(i) = self.active
            && done
            && !self.done_before
        {
            self.records[i].done_s = Some(now);
            self.active = None;
            put(io, spec, None, ev);
            ev.push(Event::Order { id: self.records[i].id, stage: OrderStage::Done });
        }
        self.done_before = done;
        if self.active.is_none()
            && !done
            && let Some(i) = self.records.iter().position(|r| r.placed_s.is_none())
        {
            self.records[i].placed_s = Some(now);
            self.active = Some(i);
            put(io, spec, Some(&self.records[i].parts), ev);
            ev.push(Event::Order { id: self.records[i].id, stage: OrderStage::Placed });
        }
    }

    /// A part of type `ty` came to rest in `bin`: it counts for the order on the inputs.
    pub fn delivered(&mut self, ty: &str, bin: &str) {
        if let Some(i) = self.active {
            *self.records[i].delivered.entry(ty.to_string()).or_default().entry(bin.to_string()).or_default() += 1;
        }
    }
}

/// Puts an order's counts on the inputs with the valid input TRUE, or clears them (None).
fn put(io: &mut Io, spec: &OrderSpec, parts: Option<&BTreeMap<String, u32>>, ev: &mut Vec<Event>) {
    let mut set = |n: usize, v: bool| {
        if io.inputs[n] != v {
            io.inputs[n] = v;
            ev.push(Event::Input { n, value: v });
        }
    };
    for (ty, g) in &spec.counts {
        let count = parts.and_then(|p| p.get(ty)).copied().unwrap_or(0);
        for (bit, n) in g.inputs().enumerate() {
            set(n, (count >> bit) & 1 == 1);
        }
    }
    set(spec.valid_input, parts.is_some());
}
