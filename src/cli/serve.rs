//! `robocell serve`: the cell on the plant network (OPC UA, MQTT, Modbus TCP), headless, in
//! real time or at `--speed`, until Ctrl+C; `--record` writes the session for `replay --check`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use robocell::sim::scenario::Scenario;

use super::print_diags;

/// The plant network's servers, for `serve` and `run`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct NetArgs {
    /// OPC UA server at this endpoint (default opc.tcp://127.0.0.1:4840).
    #[arg(long, num_args = 0..=1, default_missing_value = DEFAULT_OPCUA, value_name = "URL")]
    pub opcua: Option<String>,
    /// MQTT: without a URL an embedded broker on 127.0.0.1:1883 (embedded://HOST:PORT elsewhere);
    /// with mqtt://host:port that broker.
    #[arg(long, num_args = 0..=1, value_name = "URL")]
    pub mqtt: Option<Option<String>>,
    /// Modbus TCP server at this address (default 127.0.0.1:5020).
    #[arg(long, num_args = 0..=1, default_missing_value = DEFAULT_MODBUS, value_name = "ADDR")]
    pub modbus: Option<String>,
    /// An OPC UA user NAME:PASSWORD for the secured endpoints (repeat for more).
    #[arg(long, value_name = "NAME:PASSWORD")]
    pub opcua_user: Vec<String>,
    /// A file of OPC UA users, a NAME:PASSWORD a line.
    #[arg(long, value_name = "FILE")]
    pub opcua_users: Option<PathBuf>,
    /// Where the OPC UA server's certificate is kept (made on first use).
    #[arg(long, value_name = "DIR")]
    pub pki: Option<PathBuf>,
}

impl NetArgs {
    fn any(&self) -> bool {
        self.opcua.is_some() || self.mqtt.is_some() || self.modbus.is_some()
    }

    /// The servers to start (all three on their default addresses when `all` and none is named),
    /// with the run's speed, recording, duration and start; Err: bad users.
    #[cfg(feature = "net")]
    pub fn options(&self, all: bool) -> Result<Option<robocell::net::ServeOptions>, String> {
        if !self.any() && !all {
            return Ok(None);
        }
        // `--mqtt scenario.ron` takes the scenario as the flag's value.
        let values = [self.opcua.as_deref(), self.mqtt.as_ref().and_then(|m| m.as_deref()), self.modbus.as_deref()];
        if let Some(v) = values.into_iter().flatten().find(|v| v.ends_with(".ron")) {
            return Err(format!(
                "`{v}` was taken as a server's address: put the scenario first (`robocell serve {v} --mqtt`) or write --mqtt=URL"
            ));
        }
        let all = !self.any();
        Ok(Some(robocell::net::ServeOptions {
            speed: 1.0,
            opcua: self.opcua.clone().or(all.then(|| DEFAULT_OPCUA.to_string())),
            opcua_users: users(&self.opcua_user, self.opcua_users.as_deref())?,
            pki_dir: self.pki.clone().unwrap_or_else(default_pki),
            mqtt: self.mqtt.clone().or(all.then_some(None)),
            modbus: self.modbus.clone().or(all.then(|| DEFAULT_MODBUS.to_string())),
            ..Default::default()
        }))
    }

    /// Without the `net` feature, asking for a server is an error.
    #[cfg(not(feature = "net"))]
    pub fn refuse(&self) -> Result<(), String> {
        if self.any() { Err("this robocell was built without the plant network (feature `net`)".into()) } else { Ok(()) }
    }
}

/// `robocell serve`'s own options.
pub struct ServeArgs {
    pub net: NetArgs,
    pub speed: f64,
    pub record: Option<PathBuf>,
    pub duration: Option<f64>,
    pub start: bool,
}

pub const DEFAULT_OPCUA: &str = "opc.tcp://127.0.0.1:4840";
pub const DEFAULT_MODBUS: &str = "127.0.0.1:5020";

#[cfg(feature = "net")]
pub fn serve(path: &Path, a: ServeArgs) -> ExitCode {
    let loaded = match Scenario::load(path) {
        Ok(l) => l,
        Err(diags) => {
            print_diags(&diags);
            return ExitCode::from(2);
        }
    };
    if !(a.speed > 0.0 && a.speed <= 1000.0) {
        eprintln!("--speed {} is outside 0..1000", a.speed);
        return ExitCode::from(2);
    }
    let mut o = match a.net.options(true) {
        Ok(o) => o.expect("serve always serves"),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    o.speed = a.speed;
    o.record = a.record;
    o.duration_s = a.duration;
    o.start = a.start;
    let name = loaded.scenario.name.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let res = robocell::net::serve_until(loaded, o, stop, |r| {
        r.print_endpoints(&name);
        println!("Ctrl+C stops{}", if r.recording.is_some() { " and writes the recording" } else { "" });
    });
    match res {
        Ok(r) => {
            println!(
                "served {:.1} s simulated in {:.1} s ({:.2}x real time), {} commands, {} events; the most it fell behind: {:.0} ms",
                r.sim_s,
                r.wall_s,
                r.sim_s / r.wall_s.max(1e-9),
                r.commands,
                r.events,
                r.max_lag_s * 1000.0
            );
            if r.mqtt_broker.is_some() {
                println!(
                    "MQTT: {} of {} events published to the broker, {} of {} QoS 1 messages acknowledged, {} reconnection(s)",
                    r.mqtt_events_published, r.events, r.mqtt_qos1_acked, r.mqtt_qos1_sent, r.mqtt_reconnects
                );
            }
            if let Some(p) = &r.recording {
                println!("recording: {} (replay it with `robocell replay {} --check`)", p.display(), p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(feature = "net"))]
pub fn serve(path: &Path, a: ServeArgs) -> ExitCode {
    let _ = (a.speed, a.record, a.duration, a.start, a.net.refuse());
    if let Err(diags) = Scenario::load(path) {
        print_diags(&diags);
    }
    eprintln!("this robocell was built without the plant network (feature `net`)");
    ExitCode::from(2)
}

/// `NAME:PASSWORD` arguments and a file of such lines (`#` comments).
#[cfg_attr(not(feature = "net"), allow(dead_code))]
fn users(args: &[String], file: Option<&Path>) -> Result<Vec<(String, String)>, String> {
    let mut lines: Vec<(String, String)> = args.iter().map(|a| (a.clone(), "--opcua-user".to_string())).collect();
    if let Some(f) = file {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        for (i, l) in text.lines().enumerate() {
            let l = l.trim();
            if !l.is_empty() && !l.starts_with('#') {
                lines.push((l.to_string(), format!("{}:{}", f.display(), i + 1)));
            }
        }
    }
    lines
        .into_iter()
        .map(|(l, at)| match l.split_once(':') {
            Some((u, p)) if !u.is_empty() && !p.is_empty() => Ok((u.to_string(), p.to_string())),
            _ => Err(format!("{at}: a user is NAME:PASSWORD")),
        })
        .collect()
}

/// Where the OPC UA certificate lives: `$XDG_DATA_HOME/robocell/pki` or `~/.local/share/robocell/pki`.
#[cfg_attr(not(feature = "net"), allow(dead_code))]
fn default_pki() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("robocell").join("pki")
}
