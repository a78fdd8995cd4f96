//! `robocell serve`: the cell on the plant network (OPC UA, MQTT, Modbus TCP), headless, in
//! real time or at `--speed`, until Ctrl+C; `--record` writes the session for `replay --check`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use robocell::sim::scenario::Scenario;

use super::print_diags;

/// What to serve; None everywhere serves all three on their default addresses.
#[cfg_attr(not(feature = "net"), allow(dead_code))]
pub struct ServeArgs {
    pub opcua: Option<String>,
    pub mqtt: Option<Option<String>>,
    pub modbus: Option<String>,
    pub opcua_user: Vec<String>,
    pub opcua_users: Option<PathBuf>,
    pub pki: Option<PathBuf>,
    pub speed: f64,
    pub record: Option<PathBuf>,
    pub duration: Option<f64>,
    pub start: bool,
}

pub const DEFAULT_OPCUA: &str = "opc.tcp://127.0.0.1:4840";
pub const DEFAULT_MODBUS: &str = "127.0.0.1:5020";

#[cfg(feature = "net")]
pub fn serve(path: &Path, a: ServeArgs) -> ExitCode {
    use robocell::net::ServeOptions;
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
    let users = match users(&a.opcua_user, a.opcua_users.as_deref()) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let all = a.opcua.is_none() && a.mqtt.is_none() && a.modbus.is_none();
    let o = ServeOptions {
        speed: a.speed,
        opcua: a.opcua.or(all.then(|| DEFAULT_OPCUA.to_string())),
        opcua_users: users,
        pki_dir: a.pki.unwrap_or_else(default_pki),
        mqtt: a.mqtt.or(all.then_some(None)),
        modbus: a.modbus.or(all.then(|| DEFAULT_MODBUS.to_string())),
        record: a.record,
        duration_s: a.duration,
        start: a.start,
    };
    let cell = loaded.scenario.plant.cell_name(&loaded.scenario.name);
    let name = loaded.scenario.name.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let res = robocell::net::serve_until(loaded, o, stop, |r| {
        println!("serving `{name}` (cell `{cell}`)");
        if let Some(e) = &r.opcua_endpoint {
            println!("  OPC UA:     {e}");
        }
        if let Some(b) = &r.mqtt_broker {
            println!("  MQTT:       broker {b}, topics robocell/{cell}/#");
        }
        if let Some(m) = &r.modbus_address {
            println!("  Modbus TCP: {m}");
        }
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
pub fn serve(path: &Path, _: ServeArgs) -> ExitCode {
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
