//! MQTT: the cell's telemetry as JSON topics and its command topics, through a broker: an
//! embedded one (rumqttd on 127.0.0.1:1883, or `embedded://host:port`) or an external one
//! (`mqtt://host:port`, e.g. mosquitto), reconnected with backoff when it goes away. Topics (`<cell>` from the scenario):
//!
//! - `robocell/<cell>/robot`: the robot's state, every 100 ms;
//! - `robocell/<cell>/io`: `$IN`/`$OUT` that are TRUE and the analog channels, on change;
//! - `robocell/<cell>/parts`: conveyors, bins (parts per type), faults, on change;
//! - `robocell/<cell>/production`: the production figures, every second;
//! - `robocell/<cell>/orders`: the orders and where each stands, on change;
//! - `robocell/<cell>/events`: every event as it happens, QoS 1, none lost while the broker is
//!   away (they wait and follow on reconnect);
//! - `robocell/<cell>/status`: `online`, or `offline` (retained; the last will);
//! - commands: `robocell/<cell>/cmd/start`, `stop`, `reset`, `acknowledge` (any payload),
//!   `override` (`50`), `order` (`{"red cube": 4, "blue cylinder": 2}`), `input`
//!   (`{"n": 33, "value": true}`), `analog` (`{"n": 1, "value": 0.5}`), `program` (`cell`).
//!   A command that cannot be read is answered on `/events` with `{"type": "refused", ...}`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rumqttc::{AsyncClient, Event as MqttEvent, LastWill, MqttOptions, Packet, QoS};
use serde_json::{Value as Json, json};
use tokio::sync::mpsc::UnboundedReceiver;

use super::Link;
use crate::sim::world::Command;

/// The embedded broker's address.
pub const EMBEDDED: (&str, u16) = ("127.0.0.1", 1883);
/// How often the robot's state is published.
pub const ROBOT_PERIOD: Duration = Duration::from_millis(100);
/// The most events kept while the broker is away.
const EVENT_BACKLOG: usize = 1_000_000;

/// What the bridge did, for the serve report and the bench.
#[derive(Debug, Default)]
pub struct MqttStats {
    /// Events handed to the broker's connection (QoS 1).
    pub events_published: AtomicU64,
    /// QoS 1 publishes made (events, status, refusals) and the broker's acknowledgements.
    pub qos1_sent: AtomicU64,
    pub qos1_acked: AtomicU64,
    /// Connections made after the first.
    pub reconnects: AtomicU64,
}

/// Starts the bridge (and the embedded broker when `url` is None); returns the broker's address.
pub async fn start(link: Link, url: Option<&str>, events: UnboundedReceiver<Arc<Vec<Json>>>) -> Result<(String, Arc<MqttStats>), String> {
    let (host, port) = match url {
        None => {
            start_broker(EMBEDDED.0, EMBEDDED.1)?;
            (EMBEDDED.0.to_string(), EMBEDDED.1)
        }
        // The embedded broker on another address.
        Some(u) if u.starts_with("embedded://") => {
            let (h, p) = parse_url(&u["embedded://".len()..])?;
            start_broker(&h, p)?;
            (h, p)
        }
        Some(u) => parse_url(u)?,
    };
    let cell = link.info.cell.clone();
    let base = format!("robocell/{cell}");
    let mut opts = MqttOptions::new(format!("robocell-{cell}-{}", std::process::id()), host.clone(), port);
    opts.set_keep_alive(Duration::from_secs(5));
    opts.set_max_packet_size(1 << 20, 1 << 20);
    opts.set_last_will(LastWill::new(format!("{base}/status"), "offline", QoS::AtLeastOnce, true));
    let (client, mut eventloop) = AsyncClient::new(opts, 1024);
    let connected = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(MqttStats::default());

    // The connection: subscribe on every (re)connect, take commands, back off while the broker is away.
    {
        let (client, connected, link, base, stats) = (client.clone(), connected.clone(), link.clone(), base.clone(), stats.clone());
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(250);
            let mut first = true;
            loop {
                match eventloop.poll().await {
                    Ok(MqttEvent::Incoming(Packet::ConnAck(_))) => {
                        backoff = Duration::from_millis(250);
                        if !std::mem::take(&mut first) {
                            stats.reconnects.fetch_add(1, Ordering::Relaxed);
                        }
                        stats.qos1_sent.fetch_add(1, Ordering::Relaxed);
                        let _ = client.subscribe(format!("{base}/cmd/+"), QoS::AtLeastOnce).await;
                        let _ = client.publish(format!("{base}/status"), QoS::AtLeastOnce, true, "online").await;
                        connected.store(true, Ordering::SeqCst);
                    }
                    Ok(MqttEvent::Incoming(Packet::Publish(p))) => {
                        let verb = p.topic.rsplit('/').next().unwrap_or("").to_string();
                        let payload = String::from_utf8_lossy(&p.payload).into_owned();
                        if let Err(why) = command(&link, &verb, &payload) {
                            let refused = json!({"type": "refused", "command": verb, "payload": payload, "why": why});
                            stats.qos1_sent.fetch_add(1, Ordering::Relaxed);
                            let _ = client.try_publish(format!("{base}/events"), QoS::AtLeastOnce, false, refused.to_string());
                        }
                    }
                    Ok(MqttEvent::Incoming(Packet::PubAck(_))) => {
                        stats.qos1_acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(_) => {
                        connected.store(false, Ordering::SeqCst);
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(4));
                    }
                }
            }
        });
    }
    // Wait for the first connection, so a wrong address is told at once.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !connected.load(Ordering::SeqCst) {
        if tokio::time::Instant::now() > deadline {
            return Err(format!("MQTT: no broker answers at {host}:{port}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::spawn(telemetry(link, client, connected, base, events, stats.clone()));
    Ok((format!("{host}:{port}"), stats))
}

/// `mqtt://host:port`, `host:port` or `host` -> (host, port).
fn parse_url(u: &str) -> Result<(String, u16), String> {
    let rest = u.strip_prefix("mqtt://").or_else(|| u.strip_prefix("tcp://")).unwrap_or(u);
    if rest.contains("://") {
        return Err(format!("MQTT: `{u}`: only mqtt:// (plain TCP) brokers are supported"));
    }
    let rest = rest.trim_end_matches('/');
    match rest.rsplit_once(':') {
        Some((h, p)) => Ok((h.to_string(), p.parse().map_err(|_| format!("MQTT: `{p}` in `{u}` is not a port"))?)),
        None if !rest.is_empty() => Ok((rest.to_string(), 1883)),
        None => Err(format!("MQTT: `{u}` names no broker")),
    }
}

/// The embedded broker on `host:port`, in threads of its own.
fn start_broker(host: &str, port: u16) -> Result<(), String> {
    let addr: std::net::SocketAddr = format!("{host}:{port}").parse().map_err(|e| format!("{e}"))?;
    // Tell a taken port now: the broker's own threads would only log it.
    drop(std::net::TcpListener::bind(addr).map_err(|e| format!("MQTT: cannot start the broker on {addr}: {e}"))?);
    let connections = rumqttd::ConnectionSettings {
        connection_timeout_ms: 60_000,
        max_payload_size: 1 << 20,
        max_inflight_count: 500,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let server = rumqttd::ServerSettings { name: "v4".into(), listen: addr, tls: None, next_connection_delay_ms: 1, connections };
    let config = rumqttd::Config {
        router: rumqttd::RouterConfig {
            max_connections: 1000,
            max_outgoing_packet_count: 1000,
            max_segment_size: 16 << 20,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: Some([("1".to_string(), server)].into_iter().collect()),
        ..Default::default()
    };
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            let mut broker = rumqttd::Broker::new(config);
            if let Err(e) = broker.start() {
                eprintln!("MQTT broker stopped: {e}");
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// A command from `robocell/<cell>/cmd/<verb>`.
pub fn command(link: &Link, verb: &str, payload: &str) -> Result<(), String> {
    let p = payload.trim();
    let json = || serde_json::from_str::<Json>(p).map_err(|e| format!("not JSON: {e}"));
    let cmds = match verb {
        "start" => super::START.to_vec(),
        "stop" => vec![Command::Stop],
        "reset" => vec![Command::Reset],
        "acknowledge" => vec![Command::Acknowledge],
        "override" => {
            let v = match json()? {
                Json::Number(n) => n.as_f64(),
                Json::Object(o) => o.get("override").and_then(Json::as_f64),
                _ => None,
            };
            match v {
                Some(v) if (0.0..=100.0).contains(&v) => vec![Command::SetOverride(v.round() as u8)],
                _ => return Err("the override is a number 0..100".into()),
            }
        }
        "order" => {
            let parts: BTreeMap<String, u32> =
                serde_json::from_str(p).map_err(|e| format!("an order is {{\"part type\": count, ...}}: {e}"))?;
            vec![Command::PlaceOrder { parts }]
        }
        "input" => {
            let v = json()?;
            match (v["n"].as_u64(), v["value"].as_bool()) {
                (Some(n), Some(value)) => {
                    if !link.info.scenario.plant.writable_input(n as usize) {
                        return Err(format!("$IN[{n}] is not driven from outside"));
                    }
                    vec![Command::SetInput { n: n as usize, value }]
                }
                _ => return Err("an input is {\"n\": 33, \"value\": true}".into()),
            }
        }
        "analog" => {
            let v = json()?;
            match (v["n"].as_u64(), v["value"].as_f64()) {
                (Some(n), Some(value)) if (-1.0..=1.0).contains(&value) => vec![Command::SetAnalogInput { n: n as usize, value }],
                _ => return Err("an analog input is {\"n\": 1, \"value\": 0.5} with the value in -1..1".into()),
            }
        }
        "program" => vec![Command::SelectProgram { name: p.trim_matches('"').to_string() }],
        _ => return Err(format!("unknown command `{verb}`")),
    };
    for c in cmds {
        link.send(c);
    }
    Ok(())
}

/// Publishes the state topics and the events; when the events end (serving stops), the ones
/// still waiting go out first.
async fn telemetry(
    link: Link,
    client: AsyncClient,
    connected: Arc<AtomicBool>,
    base: String,
    mut events: UnboundedReceiver<Arc<Vec<Json>>>,
    stats: Arc<MqttStats>,
) {
    let mut tick = tokio::time::interval(ROBOT_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut backlog: VecDeque<String> = VecDeque::new();
    // The last /io, /parts and /orders sent.
    let mut last: [String; 3] = Default::default();
    let mut n = 0u64;
    loop {
        tokio::select! {
            batch = events.recv() => {
                let Some(batch) = batch else {
                    let until = tokio::time::Instant::now() + Duration::from_secs(3);
                    while !backlog.is_empty() && tokio::time::Instant::now() < until {
                        flush(&client, &connected, &base, &mut backlog, &stats).await;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    break;
                };
                for e in batch.iter() {
                    if backlog.len() < EVENT_BACKLOG {
                        backlog.push_back(e.to_string());
                    }
                }
            }
            _ = tick.tick() => {
                if !connected.load(Ordering::SeqCst) {
                    continue;
                }
                n += 1;
                let s = link.snapshot();
                let mut robot = serde_json::to_value(&s.robot).unwrap_or_default();
                robot["time_s"] = json!(s.time_s);
                let _ = client.try_publish(format!("{base}/robot"), QoS::AtMostOnce, false, robot.to_string());
                // These go out when they changed, and every second regardless.
                let changed = [
                    ("io", serde_json::to_string(&s.io).unwrap_or_default()),
                    ("parts", json!({"conveyors": s.conveyors, "bins": s.bins, "faults": s.faults}).to_string()),
                    ("orders", serde_json::to_string(&s.orders).unwrap_or_default()),
                ];
                for ((topic, text), last) in changed.into_iter().zip(last.iter_mut()) {
                    if text != *last || n.is_multiple_of(10) {
                        let _ = client.try_publish(format!("{base}/{topic}"), QoS::AtMostOnce, false, text.clone());
                        *last = text;
                    }
                }
                if n.is_multiple_of(10) {
                    let mut p = serde_json::to_value(&s.production).unwrap_or_default();
                    p["time_s"] = json!(s.time_s);
                    let _ = client.try_publish(format!("{base}/production"), QoS::AtMostOnce, false, p.to_string());
                }
            }
        }
        flush(&client, &connected, &base, &mut backlog, &stats).await;
    }
    stats.qos1_sent.fetch_add(1, Ordering::Relaxed);
    let _ = client.publish(format!("{base}/status"), QoS::AtLeastOnce, true, "offline").await;
}

/// Events go out while the broker is there; the rest wait for it.
async fn flush(client: &AsyncClient, connected: &AtomicBool, base: &str, backlog: &mut VecDeque<String>, stats: &MqttStats) {
    while connected.load(Ordering::SeqCst) {
        let Some(e) = backlog.pop_front() else { break };
        if client.publish(format!("{base}/events"), QoS::AtLeastOnce, false, e.clone()).await.is_err() {
            backlog.push_front(e);
            break;
        }
        stats.events_published.fetch_add(1, Ordering::Relaxed);
        stats.qos1_sent.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::parse_url;

    #[test]
    fn broker_urls() {
        assert_eq!(parse_url("mqtt://localhost:1884"), Ok(("localhost".into(), 1884)));
        assert_eq!(parse_url("10.0.0.5"), Ok(("10.0.0.5".into(), 1883)));
        assert!(parse_url("mqtts://host:8883").unwrap_err().contains("only mqtt://"));
        assert!(parse_url("mqtt://host:port").unwrap_err().contains("not a port"));
    }
}
