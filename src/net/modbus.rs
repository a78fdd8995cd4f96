//! Modbus TCP server: a soft PLC runs the cell as a real PLC does. Addresses are 0-based as on
//! the wire; the README has the map as a table.
//!
//! - coils `a` = `$IN[a+1]`: read any; write the scenario's plant inputs only;
//! - discrete inputs `a` = `$OUT[a+1]`;
//! - holding registers: 0 override %, 1 program number (PGNO), 2 command (1 Start, 2 Stop,
//!   3 Reset, 4 Acknowledge; reads 0), 16..=47 `$ANIN[1..32]` x 10000 (signed);
//! - input registers: see [`input_register`].
//!
//! Anything else is answered with the Modbus exception for it (IllegalFunction,
//! IllegalDataAddress, IllegalDataValue); a frame that cannot be read closes that connection
//! only.

use std::future::{Ready, ready};

use tokio::net::TcpListener;
use tokio_modbus::server::Service;
use tokio_modbus::server::tcp::{Server, accept_tcp_connection};
use tokio_modbus::{ExceptionCode, Request, Response};

use super::Link;
use super::state::Snapshot;
use crate::sim::io::{ANIN_COUNT, IO_COUNT};
use crate::sim::world::Command;

/// Holding registers.
pub const HR_OVERRIDE: u16 = 0;
pub const HR_PROGRAM_NUMBER: u16 = 1;
pub const HR_COMMAND: u16 = 2;
pub const HR_ANIN: u16 = 16;
/// Input registers: bins from 32, part types from 64, none at or past 128.
pub const IR_BINS: u16 = 32;
pub const IR_TYPES: u16 = 64;
pub const IR_END: u16 = 128;

/// Starts the server on `addr`; returns the address it listens on.
pub async fn start(link: Link, addr: &str) -> Result<String, String> {
    let listener = TcpListener::bind(addr).await.map_err(|e| format!("Modbus TCP: cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let server = Server::new(listener);
    tokio::spawn(async move {
        let on_connected = |stream, socket_addr| {
            let link = link.clone();
            async move { accept_tcp_connection(stream, socket_addr, move |_| Ok(Some(Plc { link: link.clone() }))) }
        };
        // A client that sends what cannot be read loses its connection; the server goes on.
        let _ = server.serve(&on_connected, |_err| {}).await;
    });
    Ok(local.to_string())
}

/// One PLC connection.
struct Plc {
    link: Link,
}

impl Service for Plc {
    type Request = Request<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Response, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        ready(self.answer(req))
    }
}

/// `len` items from `start` lie within `0..count`, and a request may carry that many.
fn span(start: u16, len: usize, count: usize, max_len: usize) -> Result<std::ops::Range<usize>, ExceptionCode> {
    if len == 0 || len > max_len {
        return Err(ExceptionCode::IllegalDataValue);
    }
    let (a, b) = (start as usize, start as usize + len);
    if b > count {
        return Err(ExceptionCode::IllegalDataAddress);
    }
    Ok(a..b)
}

impl Plc {
    fn answer(&self, req: Request<'static>) -> Result<Response, ExceptionCode> {
        let s = self.link.snapshot();
        match req {
            Request::ReadCoils(a, n) => {
                let r = span(a, n as usize, IO_COUNT, 2000)?;
                Ok(Response::ReadCoils(r.map(|i| s.io.inputs[i + 1]).collect()))
            }
            Request::ReadDiscreteInputs(a, n) => {
                let r = span(a, n as usize, IO_COUNT, 2000)?;
                Ok(Response::ReadDiscreteInputs(r.map(|i| s.io.outputs[i + 1]).collect()))
            }
            Request::WriteSingleCoil(a, v) => {
                self.write_coils(a, &[v])?;
                Ok(Response::WriteSingleCoil(a, v))
            }
            Request::WriteMultipleCoils(a, v) => {
                self.write_coils(a, &v)?;
                Ok(Response::WriteMultipleCoils(a, v.len() as u16))
            }
            Request::ReadInputRegisters(a, n) => {
                let r = span(a, n as usize, IR_END as usize, 125)?;
                Ok(Response::ReadInputRegisters(r.map(|i| input_register(&s, &self.link, i as u16)).collect()))
            }
            Request::ReadHoldingRegisters(a, n) => {
                let r = span(a, n as usize, (HR_ANIN as usize) + ANIN_COUNT, 125)?;
                let v: Result<Vec<u16>, _> = r.map(|i| self.holding_register(&s, i as u16)).collect();
                Ok(Response::ReadHoldingRegisters(v?))
            }
            Request::WriteSingleRegister(a, v) => {
                self.write_registers(a, &[v])?;
                Ok(Response::WriteSingleRegister(a, v))
            }
            Request::WriteMultipleRegisters(a, v) => {
                self.write_registers(a, &v)?;
                Ok(Response::WriteMultipleRegisters(a, v.len() as u16))
            }
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }

    fn write_coils(&self, a: u16, v: &[bool]) -> Result<(), ExceptionCode> {
        let r = span(a, v.len(), IO_COUNT, 1968)?;
        let plant = &self.link.info.scenario.plant;
        if !r.clone().all(|i| plant.writable_input(i + 1)) {
            return Err(ExceptionCode::IllegalDataAddress);
        }
        for (i, value) in r.zip(v) {
            self.link.send(Command::SetInput { n: i + 1, value: *value });
        }
        Ok(())
    }

    fn holding_register(&self, s: &Snapshot, a: u16) -> Result<u16, ExceptionCode> {
        Ok(match a {
            HR_OVERRIDE => s.robot.override_pct.round() as u16,
            HR_PROGRAM_NUMBER => match self.link.info.scenario.plant.program_number {
                Some(g) => g.inputs().enumerate().map(|(bit, n)| u16::from(s.io.inputs[n]) << bit).sum(),
                None => return Err(ExceptionCode::IllegalDataAddress),
            },
            HR_COMMAND => 0,
            a if (HR_ANIN..HR_ANIN + ANIN_COUNT as u16).contains(&a) => {
                let v = s.io.analog_in[(a - HR_ANIN) as usize];
                ((v * 10000.0).round() as i16) as u16
            }
            _ => return Err(ExceptionCode::IllegalDataAddress),
        })
    }

    fn write_registers(&self, a: u16, v: &[u16]) -> Result<(), ExceptionCode> {
        let r = span(a, v.len(), (HR_ANIN as usize) + ANIN_COUNT, 123)?;
        // Check them all before any takes effect.
        let mut cmds = Vec::new();
        let plant = &self.link.info.scenario.plant;
        for (addr, &w) in r.zip(v) {
            match addr as u16 {
                HR_OVERRIDE if w <= 100 => cmds.push(Command::SetOverride(w as u8)),
                HR_PROGRAM_NUMBER => {
                    let Some(g) = plant.program_number else { return Err(ExceptionCode::IllegalDataAddress) };
                    if u64::from(w) > g.max() {
                        return Err(ExceptionCode::IllegalDataValue);
                    }
                    cmds.extend(g.inputs().enumerate().map(|(bit, n)| Command::SetInput { n, value: (w >> bit) & 1 == 1 }));
                }
                HR_COMMAND => match w {
                    0 => {}
                    1 => cmds.extend(super::START),
                    2 => cmds.push(Command::Stop),
                    3 => cmds.push(Command::Reset),
                    4 => cmds.push(Command::Acknowledge),
                    _ => return Err(ExceptionCode::IllegalDataValue),
                },
                a if (HR_ANIN..HR_ANIN + ANIN_COUNT as u16).contains(&a) => {
                    let n = (a - HR_ANIN) as usize + 1;
                    if !plant.analog_inputs.contains(&n) {
                        return Err(ExceptionCode::IllegalDataAddress);
                    }
                    let value = f64::from(w as i16) / 10000.0;
                    if !(-1.0..=1.0).contains(&value) {
                        return Err(ExceptionCode::IllegalDataValue);
                    }
                    cmds.push(Command::SetAnalogInput { n, value });
                }
                HR_OVERRIDE => return Err(ExceptionCode::IllegalDataValue),
                _ => return Err(ExceptionCode::IllegalDataAddress),
            }
        }
        for c in cmds {
            self.link.send(c);
        }
        Ok(())
    }
}

/// Program state as a number: 0 Ready, 1 Running, 2 Stopped, 3 Halted, 4 Finished, 5 Faulted.
pub fn state_code(state: &str) -> u16 {
    ["Ready", "Running", "Stopped", "Halted", "Finished", "Faulted"].iter().position(|s| *s == state).unwrap_or(0) as u16
}

/// Input register `a`:
/// 0 program state ([`state_code`]), 1 mode (1 T1, 2 T2, 3 AUT), 2 override %, 3 the main
/// run's line, 4..=9 A1..A6 in 0.01 degrees (signed), 10..=12 TCP x, y, z in the world in
/// 0.1 mm (signed), 13 parts delivered, 14 good, 15 in a wrong bin, 16 parts per hour, 17 the
/// last cycle in 0.1 s, 18 messages waiting, 19 faults in force, 20 orders done, 21 orders
/// waiting or on the inputs; 32 + i parts delivered into bin i (scenario order); 64 + k parts of
/// part type k delivered.
pub fn input_register(s: &Snapshot, link: &Link, a: u16) -> u16 {
    let signed = |v: f64| (v.round().clamp(-32768.0, 32767.0) as i16) as u16;
    let sat = |v: f64| v.round().clamp(0.0, 65535.0) as u16;
    let p = &s.production;
    let r = &s.robot;
    match a {
        0 => state_code(&r.program_state),
        1 => match r.mode.as_str() {
            "T1" => 1,
            "T2" => 2,
            _ => 3,
        },
        2 => sat(r.override_pct),
        3 => sat(r.line as f64),
        4..=9 => signed(r.axes_deg[(a - 4) as usize] * 100.0),
        10 => signed(r.tcp_world.x * 10.0),
        11 => signed(r.tcp_world.y * 10.0),
        12 => signed(r.tcp_world.z * 10.0),
        13 => sat(p.delivered as f64),
        14 => sat(p.good as f64),
        15 => sat(p.wrong_bin as f64),
        16 => sat(p.parts_per_hour),
        17 => sat(p.last_cycle_s.unwrap_or(0.0) * 10.0),
        18 => sat(r.messages.len() as f64),
        19 => sat(s.faults.len() as f64),
        20 => sat(s.orders.iter().filter(|o| o.done_s.is_some()).count() as f64),
        21 => sat(s.orders.iter().filter(|o| o.done_s.is_none()).count() as f64),
        a if (IR_BINS..IR_TYPES).contains(&a) => {
            s.bins.get((a - IR_BINS) as usize).map_or(0, |b| sat(b.parts.values().sum::<u32>() as f64))
        }
        a if (IR_TYPES..IR_END).contains(&a) => match link.info.part_types.get((a - IR_TYPES) as usize) {
            Some(t) => sat(s.bins.iter().filter_map(|b| b.parts.get(t)).sum::<u32>() as f64),
            None => 0,
        },
        _ => 0,
    }
}
