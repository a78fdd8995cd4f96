//! The network under load, for `robocell bench`: a served cell in real time with 50 OPC UA
//! clients subscribed at 100 ms, 20 MQTT subscribers, and mid-run garbage bytes to every port,
//! requests cut off half-way, and (with the system's `mosquitto`) the broker restarted. The
//! report says whether the cell kept real time and its servers went on, and whether an event
//! was lost on the way to the broker.

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use opcua::client::{ClientBuilder, DataChangeCallback, IdentityToken, Session};
use opcua::types::{MessageSecurityMode, MonitoredItemCreateRequest, NodeId, ReadValueId, StatusCode, TimestampsToReturn, UserTokenPolicy};
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::{ServeOptions, ServeReport, serve_until};
use crate::sim::scenario::Scenario;

const OPCUA: (&str, u16) = ("127.0.0.1", 48460);
const MODBUS: (&str, u16) = ("127.0.0.1", 15060);
const MQTT: (&str, u16) = ("127.0.0.1", 18860);

#[derive(Clone, Debug, Default, Serialize)]
pub struct LoadReport {
    pub seconds: f64,
    pub opcua_clients: usize,
    /// Clients that got their subscription's notifications, and the fewest per second one got.
    pub opcua_clients_notified: usize,
    pub opcua_min_rate_hz: f64,
    pub mqtt_subscribers: usize,
    /// The fewest `/robot` messages per second a subscriber got.
    pub mqtt_min_rate_hz: f64,
    /// Connections that sent garbage, and that were cut off in the middle of a request.
    pub garbage_connections: usize,
    pub cut_requests: usize,
    /// The external broker (mosquitto) was restarted mid-run; false: the embedded broker served.
    pub broker_restarted: bool,
    /// Every server answered a request after all that.
    pub servers_alive: bool,
    pub real_time_factor: f64,
    pub max_lag_ms: f64,
    pub slips: u64,
    pub events: u64,
    pub events_published: u64,
    pub serve: ServeReport,
}

impl LoadReport {
    /// Real time held (within 10 %), nothing lost, every server alive.
    pub fn ok(&self) -> bool {
        self.servers_alive
            && self.slips == 0
            && self.real_time_factor > 0.9
            && self.events == self.events_published
            && self.opcua_clients_notified == self.opcua_clients
    }
}

/// Runs the load for `seconds` of wall time on `scenario` (the default cell).
pub fn network_load(scenario: &Path, seconds: f64, opcua_clients: usize, mqtt_subscribers: usize) -> Result<LoadReport, String> {
    let loaded = Scenario::load(scenario).map_err(|d| d.iter().map(|d| d.to_string()).collect::<String>())?;
    let cell = loaded.scenario.plant.cell_name(&loaded.scenario.name);
    let mut broker = start_mosquitto(MQTT.1);
    let o = ServeOptions {
        speed: 1.0,
        opcua: Some(format!("opc.tcp://{}:{}", OPCUA.0, OPCUA.1)),
        pki_dir: std::env::temp_dir().join(format!("robocell-bench-pki-{}", std::process::id())),
        mqtt: Some(Some(match broker {
            Some(_) => format!("mqtt://{}:{}", MQTT.0, MQTT.1),
            None => format!("embedded://{}:{}", MQTT.0, MQTT.1),
        })),
        modbus: Some(format!("{}:{}", MODBUS.0, MODBUS.1)),
        start: true,
        ..Default::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let server = {
        let stop = stop.clone();
        std::thread::spawn(move || serve_until(loaded, o, stop, |_| ready_tx.send(()).unwrap_or(())))
    };
    if ready_rx.recv_timeout(Duration::from_secs(60)).is_err() {
        stop.store(true, Ordering::SeqCst);
        return Err(server
            .join()
            .map_err(|_| "the server panicked".to_string())?
            .err()
            .unwrap_or_else(|| "the server did not start".into()));
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().map_err(|e| e.to_string())?;
    let mut report = LoadReport { seconds, opcua_clients, mqtt_subscribers, ..Default::default() };

    // The clients, and what each got.
    let opcua_counts: Vec<Arc<AtomicU64>> = (0..opcua_clients).map(|_| Arc::default()).collect();
    let mqtt_counts: Vec<Arc<AtomicU64>> = (0..mqtt_subscribers).map(|_| Arc::default()).collect();
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    for (i, n) in opcua_counts.iter().enumerate() {
        rt.spawn(opcua_client(i, n.clone(), end));
    }
    for (i, n) in mqtt_counts.iter().enumerate() {
        rt.spawn(mqtt_subscriber(i, cell.clone(), n.clone(), end));
    }
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(seconds * 0.3));
    // Garbage to every port, and requests cut off half-way.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for port in [OPCUA.1, MODBUS.1, MQTT.1] {
        for _ in 0..10 {
            let bytes: Vec<u8> = (0..4096).map(|_| rng.random()).collect();
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(&bytes);
                report.garbage_connections += 1;
            }
        }
    }
    // An OPC UA Hello that says 100 bytes and stops at 20; a Modbus frame that stops in its header.
    for (port, bytes) in
        [(OPCUA.1, b"HELF\x64\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00".to_vec()), (MODBUS.1, vec![0, 1, 0, 0, 0, 6, 1])]
    {
        for _ in 0..10 {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(&bytes);
                report.cut_requests += 1;
            }
        }
    }
    std::thread::sleep(Duration::from_secs_f64(seconds * 0.2));
    if let Some(b) = &mut broker {
        let _ = b.kill();
        let _ = b.wait();
        std::thread::sleep(Duration::from_secs(1));
        broker = start_mosquitto(MQTT.1);
        report.broker_restarted = broker.is_some();
    }
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    report.servers_alive = rt.block_on(servers_alive(&cell));
    let wall = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::SeqCst);
    let serve = server.join().map_err(|_| "the server panicked".to_string())??;
    if let Some(mut b) = broker {
        let _ = b.kill();
        let _ = b.wait();
    }
    // The clients subscribe within the first seconds; rates are over the rest.
    let window = (wall - 3.0).max(1.0);
    report.opcua_clients_notified = opcua_counts.iter().filter(|n| n.load(Ordering::Relaxed) > 0).count();
    report.opcua_min_rate_hz = opcua_counts.iter().map(|n| n.load(Ordering::Relaxed) as f64 / window).fold(f64::INFINITY, f64::min);
    report.mqtt_min_rate_hz = mqtt_counts.iter().map(|n| n.load(Ordering::Relaxed) as f64 / window).fold(f64::INFINITY, f64::min);
    report.real_time_factor = serve.sim_s / serve.wall_s.max(1e-9);
    report.max_lag_ms = serve.max_lag_s * 1000.0;
    report.slips = serve.slips;
    report.events = serve.events;
    report.events_published = serve.mqtt_events_published;
    report.serve = serve;
    Ok(report)
}

/// `mosquitto` on `port`, when the system has it.
fn start_mosquitto(port: u16) -> Option<Child> {
    let child = Command::new("mosquitto").args(["-p", &port.to_string()]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().ok()?;
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > Duration::from_secs(5) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(child)
}

/// An anonymous session on the served endpoint, its event loop's task and the cell's namespace.
async fn connect(name: &str, retries: i32) -> Option<(Arc<Session>, tokio::task::JoinHandle<StatusCode>, u16)> {
    let mut client = ClientBuilder::new()
        .application_name(format!("robocell bench {name}"))
        .application_uri(format!("urn:robocell:bench:{name}"))
        .pki_dir(std::env::temp_dir().join(format!("robocell-bench-client-pki-{}", std::process::id())))
        .create_sample_keypair(false)
        .trust_server_certs(true)
        .session_retry_limit(retries)
        .client()
        .ok()?;
    let url = format!("opc.tcp://{}:{}/", OPCUA.0, OPCUA.1);
    let endpoint = (url.as_str(), "None", MessageSecurityMode::None, UserTokenPolicy::anonymous());
    let (session, event_loop) = client.connect_to_matching_endpoint(endpoint, IdentityToken::Anonymous).await.ok()?;
    let handle = event_loop.spawn();
    if !session.wait_for_connection().await {
        return None;
    }
    let ns = session.get_namespace_index(super::opcua::NAMESPACE).await.ok()?;
    Some((session, handle, ns))
}

/// One OPC UA client subscribed to A1..A6 and the time at 100 ms, counting notifications.
async fn opcua_client(i: usize, count: Arc<AtomicU64>, end: Instant) {
    let Some((session, handle, ns)) = connect(&format!("client {i}"), 3).await else { return };
    let callback = DataChangeCallback::new(move |_, _| {
        count.fetch_add(1, Ordering::Relaxed);
    });
    if let Ok(sub) = session.create_subscription(Duration::from_millis(100), 100, 20, 0, 0, true, callback).await {
        let items: Vec<MonitoredItemCreateRequest> = std::iter::once("Cell.Time".to_string())
            .chain((1..=6).map(|a| format!("Robot.Axes.A{a}.ActualPosition")))
            .map(|p| NodeId::new(ns, p).into())
            .collect();
        let _ = session.create_monitored_items(sub, TimestampsToReturn::Both, items).await;
    }
    tokio::time::sleep_until(end.into()).await;
    let _ = session.disconnect().await;
    let _ = handle.await;
}

/// One MQTT subscriber to `/robot`, counting messages.
async fn mqtt_subscriber(i: usize, cell: String, count: Arc<AtomicU64>, end: Instant) {
    let mut opts = rumqttc::MqttOptions::new(format!("bench-sub-{i}-{}", std::process::id()), MQTT.0, MQTT.1);
    opts.set_keep_alive(Duration::from_secs(5));
    opts.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = rumqttc::AsyncClient::new(opts, 64);
    let topic = format!("robocell/{cell}/robot");
    while Instant::now() < end {
        match tokio::time::timeout_at(end.into(), eventloop.poll()).await {
            Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::ConnAck(_)))) => {
                let _ = client.subscribe(topic.clone(), rumqttc::QoS::AtMostOnce).await;
            }
            Ok(Ok(rumqttc::Event::Incoming(rumqttc::Packet::Publish(_)))) => {
                count.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Ok(_)) => {}
            Ok(Err(_)) => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(_) => break,
        }
    }
}

/// Each server answers: an OPC UA read, a Modbus read, a message on MQTT.
async fn servers_alive(cell: &str) -> bool {
    let modbus = async {
        let Ok(stream) = tokio::net::TcpStream::connect(MODBUS).await else { return false };
        let mut ctx = tokio_modbus::client::tcp::attach(stream);
        use tokio_modbus::client::Reader;
        matches!(ctx.read_input_registers(0, 4).await, Ok(Ok(r)) if r.len() == 4)
    };
    let opcua = async {
        let Some((session, handle, ns)) = connect("probe", 1).await else { return false };
        let id: ReadValueId = NodeId::new(ns, "Cell.Time").into();
        let ok = session.read(&[id], TimestampsToReturn::Neither, 0.0).await.is_ok_and(|v| v.first().is_some_and(|d| d.value.is_some()));
        let _ = session.disconnect().await;
        let _ = handle.await;
        ok
    };
    let mqtt = async {
        let count = Arc::new(AtomicU64::new(0));
        mqtt_subscriber(99, cell.to_string(), count.clone(), Instant::now() + Duration::from_secs(3)).await;
        count.load(Ordering::Relaxed) > 0
    };
    let (a, b, c) = tokio::join!(modbus, opcua, mqtt);
    a && b && c
}
