//! The plant network: the cell served to OPC UA, MQTT and Modbus TCP clients, beside the window
//! as another client of the core. Clients' actions become `Command`s at a tick (so a served
//! session is recorded and replays exactly); what they read is a `Snapshot` of the world's
//! read-only state. The servers run on their own tokio runtime; the world steps on the calling
//! thread in real time (or at `speed`). Nothing here runs unless something is served.

pub mod load;
pub mod modbus;
pub mod mqtt;
pub mod opcua;
pub mod state;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use tokio::sync::{mpsc as tmpsc, watch};

use crate::sim::scenario::{Loaded, Scenario};
use crate::sim::world::{Command, World};
use state::{ProductionCounter, Snapshot, event_json};

/// Start from outside: the program starts as a PLC's external start would; the enabling switch
/// is held so the same works in T1 and T2 (as `check` does).
pub const START: [Command; 2] = [Command::EnablingSwitch(true), Command::Start];

/// How often the snapshot clients read is taken, wall time.
pub const PUBLISH_PERIOD: Duration = Duration::from_millis(50);

/// What `robocell serve` (or `run` with servers) is asked to serve.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    /// Simulated seconds per real second.
    pub speed: f64,
    /// OPC UA endpoint URL (`opc.tcp://127.0.0.1:4840`).
    pub opcua: Option<String>,
    /// OPC UA users (name, password) for the secured endpoints.
    pub opcua_users: Vec<(String, String)>,
    /// Where the OPC UA server keeps its certificate (made on first use).
    pub pki_dir: PathBuf,
    /// MQTT: Some(None) starts the embedded broker on 127.0.0.1:1883; Some(Some(url)) connects
    /// to that broker.
    pub mqtt: Option<Option<String>>,
    /// Modbus TCP address (`127.0.0.1:5020`).
    pub modbus: Option<String>,
    /// Record the session to this file when it ends.
    pub record: Option<PathBuf>,
    /// Stop after this many simulated seconds (else at Ctrl+C).
    pub duration_s: Option<f64>,
    /// Press Start when serving begins (enabling switch held).
    pub start: bool,
}

/// What every server knows of the cell and shares: the way in and the way out.
#[derive(Clone)]
pub struct Link {
    commands: mpsc::Sender<Command>,
    state: watch::Receiver<Arc<Snapshot>>,
    pub info: Arc<CellInfo>,
}

/// What does not change while serving.
pub struct CellInfo {
    /// The cell's name in topics.
    pub cell: String,
    pub scenario: Scenario,
    pub part_types: Vec<String>,
    /// The programs (`.src` modules) of the program's folder, for SelectProgram.
    pub programs: Vec<String>,
}

impl Link {
    /// A command for the next tick. False when the cell has stopped serving.
    pub fn send(&self, c: Command) -> bool {
        self.commands.send(c).is_ok()
    }
    /// The latest snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.state.borrow().clone()
    }
    /// A receiver that wakes on each new snapshot.
    pub fn watch(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.state.clone()
    }
}

/// How a served session went.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ServeReport {
    pub ticks: u64,
    pub sim_s: f64,
    pub wall_s: f64,
    /// Commands the clients sent.
    pub commands: u64,
    /// Events made while serving (all but the window's file writes).
    pub events: u64,
    /// The most the simulation fell behind the wall clock (x speed), s.
    pub max_lag_s: f64,
    /// Times it fell more than 0.25 s behind and gave the time up.
    pub slips: u64,
    pub opcua_endpoint: Option<String>,
    pub mqtt_broker: Option<String>,
    pub modbus_address: Option<String>,
    pub recording: Option<PathBuf>,
    /// The cell's name in topics.
    pub cell: String,
    /// Events handed to the MQTT broker (equal to `events` when none was lost), QoS 1
    /// publishes the broker acknowledged of those made, and reconnections to it.
    pub mqtt_events_published: u64,
    pub mqtt_qos1_acked: u64,
    pub mqtt_qos1_sent: u64,
    pub mqtt_reconnects: u64,
}

impl ServeReport {
    /// What is served where, for the terminal.
    pub fn print_endpoints(&self, scenario: &str) {
        println!("serving `{scenario}`");
        if let Some(e) = &self.opcua_endpoint {
            println!("  OPC UA:     {e}");
        }
        if let Some(b) = &self.mqtt_broker {
            println!("  MQTT:       broker {b}, topics robocell/{}/#", self.cell);
        }
        if let Some(m) = &self.modbus_address {
            println!("  Modbus TCP: {m}");
        }
    }
}

/// Serves the cell until Ctrl+C (or `duration_s`). Err: why it could not (a port taken, a bad
/// address, a broken program), for the command line to print.
pub fn serve(loaded: Loaded, o: ServeOptions) -> Result<ServeReport, String> {
    let stop = Arc::new(AtomicBool::new(false));
    serve_until(loaded, o, stop, |_| {})
}

/// [`serve`] with a stop flag of the caller's, and `ready` called once every server listens.
pub fn serve_until(
    loaded: Loaded,
    o: ServeOptions,
    stop: Arc<AtomicBool>,
    ready: impl FnOnce(&ServeReport),
) -> Result<ServeReport, String> {
    let (mut world, _) = World::new(loaded).map_err(|d| {
        let n = d.iter().filter(|d| d.is_error()).count();
        let mut s = format!("the program has {n} error(s):\n");
        for d in &d {
            s.push_str(&d.to_string());
        }
        s
    })?;
    if o.record.is_some() {
        world.start_recording();
    }
    let mut bridge = Bridge::start(&world, &o, Some(stop.clone()))?;
    ready(&bridge.report);

    let speed = if o.speed > 0.0 { o.speed } else { 1.0 };
    let dt = world.dt();
    let started = Instant::now();
    let (mut base_tick, mut base_wall) = (0u64, started);
    while !stop.load(Ordering::SeqCst) && o.duration_s.is_none_or(|d| world.time_s() < d - 1e-9) {
        let now = Instant::now();
        let due = base_tick + ((now - base_wall).as_secs_f64() * speed / dt) as u64;
        if world.tick() >= due {
            let next = base_wall + Duration::from_secs_f64((world.tick() + 1 - base_tick) as f64 * dt / speed);
            std::thread::sleep(next.saturating_duration_since(now).min(Duration::from_millis(20)));
            continue;
        }
        let lag = (due - world.tick()) as f64 * dt;
        bridge.report.max_lag_s = bridge.report.max_lag_s.max(lag);
        if lag > 0.25 {
            // Too far behind to catch up without a jump: give the time up.
            bridge.report.slips += 1;
            (base_tick, base_wall) = (world.tick(), now);
        }
        let cmds = bridge.commands();
        let before = (world.axes_deg(), world.time_s());
        let ev = world.step(&cmds);
        bridge.stepped(&world, &ev, before);
    }
    let mut report = bridge.close(&world);
    report.wall_s = started.elapsed().as_secs_f64();
    if let (Some(path), Some(rec)) = (&o.record, world.recording()) {
        rec.save(path).map_err(|e| format!("{}: cannot write the recording: {e}", path.display()))?;
    }
    Ok(report)
}

/// The servers of a served world and their channels: whoever steps the world (`serve`, the
/// window) takes the clients' commands before a step and hands the step's events after it.
pub struct Bridge {
    rt: tokio::runtime::Runtime,
    /// In a mutex only so the window can keep the bridge as a resource (shared between threads).
    cmd_rx: std::sync::Mutex<mpsc::Receiver<Command>>,
    state_tx: watch::Sender<Arc<Snapshot>>,
    sinks: Vec<tmpsc::UnboundedSender<Arc<Vec<Json>>>>,
    production: ProductionCounter,
    last_publish: Instant,
    cell: String,
    /// Kept so the servers' receivers stay open.
    _link: Link,
    mqtt: Option<Arc<mqtt::MqttStats>>,
    pub report: ServeReport,
}

impl Bridge {
    /// Starts the servers `o` asks for around `world`; with `stop`, Ctrl+C sets it (else Ctrl+C
    /// is left as it was: the window's).
    pub fn start(world: &World, o: &ServeOptions, stop: Option<Arc<AtomicBool>>) -> Result<Bridge, String> {
        let sc = world.loaded().scenario.clone();
        let cell = sc.plant.cell_name(&sc.name);
        let programs = world.loaded().program_names();
        let info = Arc::new(CellInfo {
            cell: cell.clone(),
            part_types: world.part_types().iter().map(|t| t.name.clone()).collect(),
            scenario: sc,
            programs,
        });
        let production = ProductionCounter::new(world);
        let (cmd_tx, cmd_rx) = mpsc::channel::<Command>();
        let (state_tx, state_rx) = watch::channel(Arc::new(Snapshot::take(world, &cell, None, &production)));
        let link = Link { commands: cmd_tx, state: state_rx, info };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("robocell-net")
            .build()
            .map_err(|e| format!("cannot start the network runtime: {e}"))?;
        if let Some(stop) = stop {
            // Ctrl+C, or a service manager's SIGTERM.
            rt.spawn(async move {
                #[cfg(unix)]
                let term = async {
                    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                        Ok(mut s) => _ = s.recv().await,
                        Err(_) => std::future::pending::<()>().await,
                    }
                };
                #[cfg(not(unix))]
                let term = std::future::pending::<()>();
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term => {}
                }
                stop.store(true, Ordering::SeqCst);
            });
        }
        let mut report = ServeReport { recording: o.record.clone(), cell: cell.clone(), ..Default::default() };
        let mut sinks = Vec::new();
        let mut mqtt_stats = None;
        if let Some(addr) = &o.modbus {
            report.modbus_address = Some(rt.block_on(modbus::start(link.clone(), addr))?);
        }
        if let Some(url) = &o.opcua {
            report.opcua_endpoint = Some(rt.block_on(opcua::start(link.clone(), url, &o.opcua_users, &o.pki_dir))?);
        }
        if let Some(broker) = &o.mqtt {
            let (tx, rx) = tmpsc::unbounded_channel();
            sinks.push(tx);
            let (addr, stats) = rt.block_on(mqtt::start(link.clone(), broker.as_deref(), rx))?;
            report.mqtt_broker = Some(addr);
            mqtt_stats = Some(stats);
        }
        if o.start {
            START.into_iter().for_each(|c| _ = link.send(c));
        }
        Ok(Bridge {
            rt,
            cmd_rx: std::sync::Mutex::new(cmd_rx),
            state_tx,
            sinks,
            production,
            last_publish: Instant::now(),
            cell,
            _link: link,
            mqtt: mqtt_stats,
            report,
        })
    }

    /// The clients' commands since the last step, for the next one.
    pub fn commands(&mut self) -> Vec<Command> {
        let cmds: Vec<Command> = self.cmd_rx.get_mut().map(|rx| rx.try_iter().collect()).unwrap_or_default();
        self.report.commands += cmds.len() as u64;
        cmds
    }

    /// After a step: its events to the MQTT bridge, the production figures, and every 50 ms a
    /// new snapshot. `before` is the axes and time before the step (for the axis speeds).
    pub fn stepped(&mut self, world: &World, events: &[crate::sim::world::Event], before: ([f64; 6], f64)) {
        self.production.observe(world, events);
        // Every event but the window's file writes goes out (`event_json`).
        let shown = events.iter().filter(|e| !matches!(e, crate::sim::world::Event::WriteFile { .. })).count();
        self.report.events += shown as u64;
        if shown > 0 && !self.sinks.is_empty() {
            let js: Arc<Vec<Json>> = Arc::new(events.iter().filter_map(|e| event_json(e, world.time_s())).collect());
            self.sinks.retain(|s| s.send(js.clone()).is_ok());
        }
        let now = Instant::now();
        if now.duration_since(self.last_publish) >= PUBLISH_PERIOD {
            self.state_tx.send_replace(Arc::new(Snapshot::take(world, &self.cell, Some(before), &self.production)));
            self.last_publish = now;
        }
    }

    /// The last state, so clients see where it ended; then the servers close.
    pub fn close(self, world: &World) -> ServeReport {
        self.state_tx.send_replace(Arc::new(Snapshot::take(world, &self.cell, None, &self.production)));
        let Bridge { rt, sinks, mut report, mqtt, .. } = self;
        drop(sinks);
        // The events still on their way to the broker go out first (at most 3 s).
        let events = report.events;
        rt.block_on(async {
            let until = tokio::time::Instant::now() + Duration::from_secs(3);
            while let Some(m) = &mqtt
                && m.events_published.load(Ordering::Relaxed) < events
                && tokio::time::Instant::now() < until
            {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        });
        if let Some(m) = &mqtt {
            report.mqtt_events_published = m.events_published.load(Ordering::Relaxed);
            report.mqtt_qos1_sent = m.qos1_sent.load(Ordering::Relaxed);
            report.mqtt_qos1_acked = m.qos1_acked.load(Ordering::Relaxed);
            report.mqtt_reconnects = m.reconnects.load(Ordering::Relaxed);
        }
        rt.shutdown_timeout(Duration::from_secs(2));
        report.ticks = world.tick();
        report.sim_s = world.time_s();
        report
    }
}
