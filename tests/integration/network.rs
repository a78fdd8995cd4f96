//! The cell on the network, tested with real clients and servers: Python `asyncua` (OPC UA),
//! `pymodbus` (Modbus TCP), the system's `mosquitto`, `mosquitto_sub` and `mosquitto_pub`
//! (MQTT). `.ci/run` installs them; a test says what to install when one is missing.
//! Each test serves on ports of its own, so they run side by side.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::root;

const CELL: &str = "tests/network/net_cell.ron";

/// `robocell serve ...`, running until interrupted or dropped.
struct Served {
    child: Child,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_robocell"))
            .arg("serve")
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("robocell runs");
        let (out, err) = (Arc::new(Mutex::new(String::new())), Arc::new(Mutex::new(String::new())));
        for (pipe, buf) in [
            (Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>, out.clone()),
            (Box::new(child.stderr.take().unwrap()), err.clone()),
        ] {
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut b = buf.lock().unwrap();
                    b.push_str(&line);
                    b.push('\n');
                }
            });
        }
        let mut s = Served { child, out, err };
        let start = Instant::now();
        while !s.stdout().contains("Ctrl+C stops") {
            if let Ok(Some(status)) = s.child.try_wait() {
                panic!("robocell serve {args:?} exited ({status}) before serving:\n{}\n{}", s.stdout(), s.stderr());
            }
            assert!(start.elapsed() < Duration::from_secs(60), "robocell serve did not get ready:\n{}\n{}", s.stdout(), s.stderr());
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    fn stdout(&self) -> String {
        self.out.lock().unwrap().clone()
    }
    fn stderr(&self) -> String {
        self.err.lock().unwrap().clone()
    }

    /// Ctrl+C; returns the exit code and what it printed.
    fn interrupt(mut self) -> (i32, String) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-INT", &pid]).status().expect("kill runs");
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "robocell did not stop on Ctrl+C:\n{}", self.stdout());
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(100));
        (status.code().unwrap_or(-1), format!("{}{}", self.stdout(), self.stderr()))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A program this test needs, or a failure that says how to get it.
fn need(tool: &str, hint: &str) {
    let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success());
    assert!(found, "`{tool}` is missing: {hint} (`.ci/run` installs it)");
}

fn need_python(module: &str, pip: &str) {
    let ok = Command::new("python3").args(["-c", &format!("import {module}")]).output().is_ok_and(|o| o.status.success());
    assert!(ok, "the Python module `{module}` is missing: pip install {pip} (`.ci/run` installs it)");
}

/// Runs a Python client script; panics with its output when it fails.
fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3").arg(root().join(script)).args(args).current_dir(root()).output().expect("python3 runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script} failed:\n{text}");
    text
}

/// `mosquitto_sub` for `count` messages on `topic` (with the topic before each), within `secs`.
fn subscribe(port: u16, topic: &str, count: usize, secs: u32) -> Child {
    Command::new("mosquitto_sub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-t", topic, "-v", "-q", "1", "-C", &count.to_string(), "-W", &secs.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mosquitto_sub runs")
}

fn collect(child: Child) -> Vec<(String, serde_json::Value)> {
    let out = child.wait_with_output().expect("mosquitto_sub ends");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(t, p)| (t.to_string(), serde_json::from_str(p).unwrap_or(serde_json::Value::String(p.to_string()))))
        .collect()
}

fn publish(port: u16, topic: &str, payload: &str) {
    let ok = Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-t", topic, "-m", payload, "-q", "1"])
        .status()
        .expect("mosquitto_pub runs");
    assert!(ok.success(), "mosquitto_pub {topic}");
}

fn mosquitto(port: u16) -> Child {
    let child = Command::new("mosquitto")
        .args(["-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto runs");
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(10), "mosquitto did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("robocell-net-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn opcua_clients_browse_read_subscribe_start_write_and_get_bad_status_codes() {
    need("python3", "apt-get install python3");
    need_python("asyncua", "asyncua");
    let pki = temp("pki-opcua");
    let served = Served::start(&[CELL, "--opcua", "opc.tcp://127.0.0.1:48401", "--pki", pki.to_str().unwrap()]);
    let out = python("tests/network/opcua_client.py", &["opc.tcp://127.0.0.1:48401/"]);
    assert!(out.contains("opcua: all checks passed"), "{out}");
    // The certificate was made on first use.
    assert!(pki.join("own/cert.der").exists(), "no certificate in {}", pki.display());
    let (code, text) = served.interrupt();
    assert_eq!(code, 0, "{text}");
}

#[test]
fn opcua_basic256sha256_sign_and_encrypt_with_a_user_and_password() {
    need_python("asyncua", "asyncua");
    let work = temp("opcua-secure");
    std::fs::create_dir_all(&work).unwrap();
    let served = Served::start(&[
        CELL,
        "--opcua",
        "opc.tcp://127.0.0.1:48402",
        "--opcua-user",
        "teacher:secret",
        "--pki",
        work.join("pki").to_str().unwrap(),
    ]);
    let out = python("tests/network/opcua_secure.py", &["opc.tcp://127.0.0.1:48402/", "teacher", "secret", work.to_str().unwrap()]);
    assert!(out.contains("opcua security: all checks passed") && out.contains("wrong password refused"), "{out}");
    let (code, text) = served.interrupt();
    assert_eq!(code, 0, "{text}");
}

#[test]
fn opcua_refuses_policy_none_off_loopback_without_users() {
    // A server on the network must have users: no anonymous, unencrypted endpoint there.
    let out = Command::new(env!("CARGO_BIN_EXE_robocell"))
        .args(["serve", CELL, "--opcua", "opc.tcp://0.0.0.0:48409", "--duration", "1"])
        .current_dir(root())
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("needs a user") && err.contains("loopback"), "{err}");
}

#[test]
fn modbus_plc_writes_coils_reads_outputs_and_gets_exceptions() {
    need_python("pymodbus", "pymodbus");
    let served = Served::start(&[CELL, "--modbus", "127.0.0.1:15021"]);
    let out = python("tests/network/modbus_client.py", &["127.0.0.1", "15021"]);
    assert!(out.contains("modbus: all checks passed"), "{out}");
    let (code, text) = served.interrupt();
    assert_eq!(code, 0, "{text}");
}

#[test]
fn mqtt_telemetry_and_commands_through_mosquitto_survive_a_broker_restart() {
    need("mosquitto", "apt-get install mosquitto");
    need("mosquitto_sub", "apt-get install mosquitto-clients");
    let port = 18831;
    let mut broker = mosquitto(port);
    let served = Served::start(&[CELL, "--mqtt", &format!("mqtt://127.0.0.1:{port}"), "--start", "--speed", "2"]);

    // The robot's state arrives (every 100 ms; the rate is `robocell bench`'s to measure).
    let robot = collect(subscribe(port, "robocell/test/robot", 10, 20));
    assert_eq!(robot.len(), 10, "{robot:?}");
    assert!(robot.iter().all(|(_, v)| v["axes_deg"].as_array().is_some_and(|a| a.len() == 6)), "{robot:?}");
    assert!(robot.iter().any(|(_, v)| v["program_state"] == "Running"), "{robot:?}");

    // A command: the override.
    publish(port, "robocell/test/cmd/override", "30");
    let robot = collect(subscribe(port, "robocell/test/robot", 10, 10));
    assert!(robot.iter().any(|(_, v)| v["override_pct"] == 30.0), "{robot:?}");

    // A command that cannot be read is refused on /events.
    let events = subscribe(port, "robocell/test/events", 200, 10);
    std::thread::sleep(Duration::from_millis(300));
    publish(port, "robocell/test/cmd/override", "fast");
    publish(port, "robocell/test/cmd/input", r#"{"n": 1, "value": true}"#);
    let events = collect(events);
    let refused: Vec<_> = events.iter().filter(|(_, v)| v["type"] == "refused").collect();
    assert_eq!(refused.len(), 2, "{events:?}");
    assert!(events.iter().any(|(_, v)| v["type"] == "motion_started"), "{events:?}");

    // The broker goes away for 2 s and comes back: robocell reconnects, events flow again, and
    // none made meanwhile is lost on the way to the broker (robocell's own count at the end).
    broker.kill().unwrap();
    broker.wait().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let mut broker = mosquitto(port);
    let after = collect(subscribe(port, "robocell/test/events", 5, 20));
    assert_eq!(after.len(), 5, "events after the broker came back: {after:?}");
    let status = collect(subscribe(port, "robocell/test/status", 1, 10));
    assert_eq!(status[0].1, serde_json::Value::String("online".into()));

    let (code, text) = served.interrupt();
    assert_eq!(code, 0, "{text}");
    let _ = broker.kill();
    let _ = broker.wait();
    // "MQTT: P of E events published to the broker, ..., R reconnection(s)"
    let line = text.lines().find(|l| l.starts_with("MQTT: ")).unwrap_or_else(|| panic!("{text}"));
    let n: Vec<u64> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|w| w.parse().ok()).collect();
    assert!(n[1] > 0 && n[0] == n[1], "every event published: {line}");
    assert!(n[4] >= 1, "it reconnected: {line}");
}

#[test]
fn mqtt_embedded_broker_serves_telemetry_alone() {
    need("mosquitto_sub", "apt-get install mosquitto-clients");
    let port = 18832;
    let served = Served::start(&[CELL, "--mqtt", &format!("embedded://127.0.0.1:{port}")]);
    let robot = collect(subscribe(port, "robocell/test/robot", 3, 10));
    assert_eq!(robot.len(), 3, "{robot:?}");
    assert_eq!(robot[0].1["program_state"], "Ready");
    publish(port, "robocell/test/cmd/start", "");
    let robot = collect(subscribe(port, "robocell/test/robot", 20, 10));
    assert!(robot.iter().any(|(_, v)| v["program_state"] == "Running"), "{robot:?}");
    let (code, text) = served.interrupt();
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_served_session_replays_bit_identically() {
    need_python("pymodbus", "pymodbus");
    need("mosquitto_pub", "apt-get install mosquitto-clients");
    let rec = temp("served.ron");
    let served =
        Served::start(&[CELL, "--modbus", "127.0.0.1:15022", "--mqtt", "embedded://127.0.0.1:18833", "--record", rec.to_str().unwrap()]);
    // A PLC over Modbus and an MES over MQTT, at whatever ticks their commands arrive.
    python("tests/network/modbus_client.py", &["127.0.0.1", "15022"]);
    publish(18833, "robocell/test/cmd/override", "70");
    publish(18833, "robocell/test/cmd/start", "");
    std::thread::sleep(Duration::from_millis(500));
    let (code, text) = served.interrupt();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("recording:"), "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_robocell"))
        .args(["replay", rec.to_str().unwrap(), "--check"])
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    // Every client command is in it: Modbus writes and the MQTT ones.
    assert!(text.contains("SetInput") && text.contains("SetOverride(70)") && text.contains("SetAnalogInput"), "{text}");
}

#[test]
fn the_mes_example_sends_an_order_over_opcua_and_sees_it_filled() {
    need_python("asyncua", "asyncua");
    let pki = temp("pki-mes");
    let served = Served::start(&[
        "scenarios/mes_orders.ron",
        "--opcua",
        "opc.tcp://127.0.0.1:48403",
        "--pki",
        pki.to_str().unwrap(),
        "--speed",
        "2",
        // Started with the server, not when the client gets round to it: under load that could
        // be tens of simulated seconds later, when parts may already queue two abreast.
        "--start",
    ]);
    let out =
        python("examples/mes_client.py", &["--url", "opc.tcp://127.0.0.1:48403/", "--order", "red cube=1,blue cylinder=1", "--wait", "90"]);
    assert!(out.contains("all orders sent were filled"), "{out}");
    // Orders are filled first come, first served: the scheduled one of 0 s, then this one (sent
    // within the first seconds), before the scheduled one of 20 s.
    assert!(out.contains("orders done 2/3\nall orders sent were filled"), "{out}");
    let (code, text) = served.interrupt();
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_scenario_after_a_server_flag_is_not_taken_for_its_address() {
    let out = Command::new(env!("CARGO_BIN_EXE_robocell")).args(["serve", "--mqtt", CELL]).current_dir(root()).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("was taken as a server's address: put the scenario first"), "{err}");
}
