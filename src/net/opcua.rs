//! OPC UA server (async-opcua). The address space follows OPC UA for Robotics (OPC 40010)
//! where it fits: a `MotionDeviceSystem` with the robot's axes and the controller, plus what a
//! cell needs: I/O, conveyors, bins, faults, production figures and orders. The README has the
//! node tree. Values follow the world at 20 Hz; writes and method calls become commands.
//!
//! Security: on a loopback address the endpoints are None (anonymous) and Basic256Sha256
//! Sign / SignAndEncrypt; on any other address only the secured ones, with a user name and
//! password. The server's certificate is self-signed, made on first use in the PKI folder.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use opcua::crypto::SecurityPolicy;
use opcua::nodes::{MethodBuilder, ObjectBuilder, VariableBuilder};
use opcua::server::address_space::AddressSpace;
use opcua::server::diagnostics::NamespaceMetadata;
use opcua::server::node_manager::memory::{SimpleNodeManager, simple_node_manager};
use opcua::server::{ANONYMOUS_USER_TOKEN_ID, ServerBuilder, ServerEndpoint, ServerUserToken};
use opcua::types::{
    Argument, BuildInfo, DataTypeId, DataValue, DateTime, LocalizedText, MessageSecurityMode, NodeId, ObjectId, QualifiedName, StatusCode,
    UAString, Variant,
};

use super::Link;
use super::state::Snapshot;
use crate::sim::io::{ANIN_COUNT, IO_COUNT};
use crate::sim::world::Command;

/// The namespace of the cell's nodes.
pub const NAMESPACE: &str = "urn:robocell:cell";
/// Individual `IN_n` / `OUT_n` nodes for 1..=this (every one is in the `IN` / `OUT` arrays).
pub const SINGLE_IO: usize = 64;

type Reader = Box<dyn Fn(&Snapshot) -> Variant + Send + Sync>;

/// Starts the server at `url` (`opc.tcp://host:port`); returns the endpoint URL.
pub async fn start(link: Link, url: &str, users: &[(String, String)], pki: &Path) -> Result<String, String> {
    let (host, port) = parse_url(url)?;
    let loopback = is_loopback(&host);
    if !loopback && users.is_empty() {
        return Err(format!(
            "OPC UA on {host}: a server on the network needs a user (--opcua-user NAME:PASSWORD or --opcua-users FILE); \
             security policy None is offered on loopback addresses only"
        ));
    }
    // Tell a taken port now: the server's task would only log it.
    let bind_to = if host == "localhost" { "127.0.0.1".to_string() } else { host.clone() };
    drop(std::net::TcpListener::bind((bind_to.as_str(), port)).map_err(|e| format!("OPC UA: cannot listen on {host}:{port}: {e}"))?);

    let mut builder = ServerBuilder::new()
        .application_name("robocell")
        .application_uri("urn:robocell:server")
        .product_uri("urn:robocell")
        .build_info(BuildInfo {
            product_uri: "urn:robocell".into(),
            manufacturer_name: "robocell".into(),
            product_name: "robocell cell".into(),
            software_version: env!("CARGO_PKG_VERSION").into(),
            build_number: "1".into(),
            build_date: DateTime::now(),
        })
        .host(bind_to)
        .port(port)
        .pki_dir(pki)
        .certificate_path("own/cert.der")
        .private_key_path("private/private.pem")
        .create_sample_keypair(true)
        .trust_client_certs(true)
        .discovery_urls(vec!["/".into()])
        .max_sessions(200)
        .subscription_poll_interval_ms(10)
        .with_node_manager(simple_node_manager(NamespaceMetadata { namespace_uri: NAMESPACE.into(), ..Default::default() }, "robocell"));
    let mut secured_tokens: Vec<String> = Vec::new();
    for (i, (user, pass)) in users.iter().enumerate() {
        let id = format!("user{i}");
        builder = builder.add_user_token(&id, ServerUserToken::user_pass(user.as_str(), pass.as_str()));
        secured_tokens.push(id);
    }
    if loopback {
        secured_tokens.push(ANONYMOUS_USER_TOKEN_ID.into());
        builder = builder.add_endpoint("none", ServerEndpoint::new_none("/", &[ANONYMOUS_USER_TOKEN_ID.to_string()]));
    }
    builder = builder
        .add_endpoint(
            "basic256sha256_sign",
            ServerEndpoint::new("/", SecurityPolicy::Basic256Sha256, MessageSecurityMode::Sign, &secured_tokens),
        )
        .add_endpoint(
            "basic256sha256_sign_encrypt",
            ServerEndpoint::new("/", SecurityPolicy::Basic256Sha256, MessageSecurityMode::SignAndEncrypt, &secured_tokens),
        );
    let (server, handle) = builder.build().map_err(|e| format!("OPC UA: {e}"))?;
    let manager = handle.node_managers().get_of_type::<SimpleNodeManager>().ok_or("OPC UA: no node manager")?;
    let ns = handle.get_namespace_index(NAMESPACE).ok_or("OPC UA: no namespace")?;
    let readers = {
        let mut space = manager.address_space().write();
        build_tree(&mut space, &manager, ns, &link)
    };
    tokio::spawn(async move {
        if let Err(e) = server.run().await {
            eprintln!("OPC UA server stopped: {e}");
        }
    });
    // Values follow the snapshots; only changed ones are written (and notified).
    let subscriptions = handle.subscriptions().clone();
    let mut watch = link.watch();
    tokio::spawn(async move {
        let mut last: HashMap<NodeId, Variant> = HashMap::new();
        loop {
            let s = watch.borrow_and_update().clone();
            let now = DateTime::now();
            let changed: Vec<(NodeId, Variant)> = (readers.iter())
                .filter_map(|(id, read)| {
                    let v = read(&s);
                    (last.get(id) != Some(&v)).then(|| (id.clone(), v))
                })
                .collect();
            if !changed.is_empty() {
                let values = changed.iter().map(|(id, v)| (id, None, DataValue::new_at(v.clone(), now)));
                let _ = manager.set_values(&subscriptions, values);
                last.extend(changed);
            }
            if watch.changed().await.is_err() {
                break;
            }
        }
        handle.cancel();
    });
    Ok(format!("opc.tcp://{host}:{port}/"))
}

/// `opc.tcp://host:port[/path]` -> (host, port).
fn parse_url(url: &str) -> Result<(String, u16), String> {
    let rest = url.strip_prefix("opc.tcp://").ok_or_else(|| format!("OPC UA: `{url}` is not an opc.tcp:// URL"))?;
    let hostport = rest.split('/').next().unwrap_or("");
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("OPC UA: `{p}` in `{url}` is not a port"))?),
        None => (hostport, 4840),
    };
    if host.is_empty() {
        return Err(format!("OPC UA: `{url}` names no host"));
    }
    Ok((host.trim_matches(['[', ']']).to_string(), port))
}

/// A loopback address (127.0.0.0/8, ::1, localhost): policy None is offered there only.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|a| a.is_loopback())
}

/// Builds the cell's nodes; returns each variable's node id with how to read it.
fn build_tree(space: &mut AddressSpace, manager: &Arc<SimpleNodeManager>, ns: u16, link: &Link) -> Vec<(NodeId, Reader)> {
    let mut t = Tree { space, manager, ns, readers: Vec::new(), first: link.snapshot() };
    let info = &link.info;
    let sc = &info.scenario;
    let root = t.object("Cell", &ObjectId::ObjectsFolder.into(), "Cell");
    t.prop(&root, "Cell.Name", "Name", DataTypeId::String, Box::new(|s| Variant::from(s.cell.clone())));
    t.prop(&root, "Cell.Time", "SimulatedTime", DataTypeId::Double, Box::new(|s| Variant::from(s.time_s)));

    // OPC 40010: MotionDeviceSystem / MotionDevices / <robot> / Axes, Controllers / <controller>.
    let mds = t.object("MotionDeviceSystem", &root, "MotionDeviceSystem");
    let devices = t.object("MotionDeviceSystem.MotionDevices", &mds, "MotionDevices");
    let robot = t.object("Robot", &devices, "KR 6 R900 sixx");
    t.prop(&robot, "Robot.Model", "Model", DataTypeId::String, Box::new(|_| Variant::from("KR 6 R900 sixx")));
    let axes = t.object("Robot.Axes", &robot, "Axes");
    for i in 0..6 {
        let axis = t.object(&format!("Robot.Axes.A{}", i + 1), &axes, &format!("A{}", i + 1));
        t.prop(
            &axis,
            &format!("Robot.Axes.A{}.ActualPosition", i + 1),
            "ActualPosition",
            DataTypeId::Double,
            Box::new(move |s| Variant::from(s.robot.axes_deg[i])),
        );
        t.prop(
            &axis,
            &format!("Robot.Axes.A{}.ActualSpeed", i + 1),
            "ActualSpeed",
            DataTypeId::Double,
            Box::new(move |s| Variant::from(s.robot.axis_speeds_deg_s[i])),
        );
    }
    let pose = |p: &super::state::Pose| Variant::from(vec![p.x, p.y, p.z, p.a, p.b, p.c]);
    t.array(&robot, "Robot.TcpWorld", "TcpWorld", DataTypeId::Double, 6, Box::new(move |s| pose(&s.robot.tcp_world)));
    t.array(&robot, "Robot.TcpBase", "TcpBase", DataTypeId::Double, 6, Box::new(move |s| pose(&s.robot.tcp_base)));

    let controllers = t.object("MotionDeviceSystem.Controllers", &mds, "Controllers");
    let krc = t.object("Controller", &controllers, "KR C");
    t.prop(&krc, "Controller.Mode", "Mode", DataTypeId::String, Box::new(|s| Variant::from(s.robot.mode.clone())));
    t.prop(&krc, "Controller.Override", "Override", DataTypeId::Double, Box::new(|s| Variant::from(s.robot.override_pct)));
    t.prop(&krc, "Controller.ProgramState", "ProgramState", DataTypeId::String, Box::new(|s| Variant::from(s.robot.program_state.clone())));
    t.prop(&krc, "Controller.Module", "Module", DataTypeId::String, Box::new(|s| Variant::from(s.robot.module.clone())));
    t.prop(&krc, "Controller.Line", "Line", DataTypeId::UInt32, Box::new(|s| Variant::from(s.robot.line)));
    t.array(&krc, "Controller.Messages", "Messages", DataTypeId::String, 0, Box::new(|s| Variant::from(s.robot.messages.clone())));
    let programs = info.programs.clone();
    t.array(&krc, "Controller.Programs", "Programs", DataTypeId::String, 0, Box::new(move |_| Variant::from(programs.clone())));
    let methods: [(&str, Vec<(&str, DataTypeId)>); 6] = [
        ("Start", vec![]),
        ("Stop", vec![]),
        ("Reset", vec![]),
        ("Acknowledge", vec![]),
        ("SetOverride", vec![("Percent", DataTypeId::Double)]),
        ("SelectProgram", vec![("Name", DataTypeId::String)]),
    ];
    for (name, args) in methods {
        let l = link.clone();
        t.method(&krc, &format!("Controller.{name}"), name, &args, move |a| controller_call(&l, name, a));
    }

    // I/O.
    let io = t.object("IO", &root, "IO");
    t.array(&io, "IO.IN", "IN", DataTypeId::Boolean, IO_COUNT as u32, Box::new(|s| Variant::from(s.io.inputs[1..].to_vec())));
    t.array(&io, "IO.OUT", "OUT", DataTypeId::Boolean, IO_COUNT as u32, Box::new(|s| Variant::from(s.io.outputs[1..].to_vec())));
    t.array(&io, "IO.ANIN", "ANIN", DataTypeId::Double, ANIN_COUNT as u32, Box::new(|s| Variant::from(s.io.analog_in.clone())));
    t.array(&io, "IO.ANOUT", "ANOUT", DataTypeId::Double, ANIN_COUNT as u32, Box::new(|s| Variant::from(s.io.analog_out.clone())));
    let plant = &sc.plant;
    let mut singles: Vec<usize> = (1..=SINGLE_IO).chain(plant.driven_inputs()).collect();
    singles.sort();
    singles.dedup();
    for n in singles {
        let id =
            t.prop(&io, &format!("IO.IN_{n}"), &format!("IN_{n}"), DataTypeId::Boolean, Box::new(move |s| Variant::from(s.io.inputs[n])));
        if plant.writable_input(n) {
            t.writable(&id);
            let l = link.clone();
            t.manager.inner().add_write_callback(id, move |v, _| match v.value {
                Some(Variant::Boolean(b)) => send(&l, Command::SetInput { n, value: b }),
                _ => StatusCode::BadTypeMismatch,
            });
        }
    }
    for n in 1..=SINGLE_IO {
        t.prop(&io, &format!("IO.OUT_{n}"), &format!("OUT_{n}"), DataTypeId::Boolean, Box::new(move |s| Variant::from(s.io.outputs[n])));
    }
    for &n in &plant.analog_inputs {
        let id = t.prop(
            &io,
            &format!("IO.ANIN_{n}"),
            &format!("ANIN_{n}"),
            DataTypeId::Double,
            Box::new(move |s| Variant::from(s.io.analog_in[n - 1])),
        );
        t.writable(&id);
        let l = link.clone();
        t.manager.inner().add_write_callback(id, move |v, _| match v.value {
            Some(Variant::Double(x)) if (-1.0..=1.0).contains(&x) => send(&l, Command::SetAnalogInput { n, value: x }),
            Some(Variant::Double(_)) => StatusCode::BadOutOfRange,
            _ => StatusCode::BadTypeMismatch,
        });
    }

    // The cell: conveyors, bins, faults.
    let cell = t.object("Cell.Equipment", &root, "Equipment");
    let conveyors = t.object("Conveyors", &cell, "Conveyors");
    for (i, c) in sc.conveyors.iter().enumerate() {
        let o = t.object(&format!("Conveyors.{}", c.name), &conveyors, &c.name);
        let p = format!("Conveyors.{}", c.name);
        t.prop(
            &o,
            &format!("{p}.Speed"),
            "SpeedMmS",
            DataTypeId::Double,
            Box::new(move |s| Variant::from(s.conveyors.get(i).map_or(0.0, |c| c.speed_mm_s))),
        );
        t.prop(
            &o,
            &format!("{p}.Running"),
            "Running",
            DataTypeId::Boolean,
            Box::new(move |s| Variant::from(s.conveyors.get(i).is_some_and(|c| c.running))),
        );
        t.prop(
            &o,
            &format!("{p}.Jammed"),
            "Jammed",
            DataTypeId::Boolean,
            Box::new(move |s| Variant::from(s.conveyors.get(i).is_some_and(|c| c.jammed))),
        );
    }
    let bins = t.object("Bins", &cell, "Bins");
    for (i, b) in sc.bins.iter().enumerate() {
        let o = t.object(&format!("Bins.{}", b.name), &bins, &b.name);
        let total = move |s: &Snapshot| s.bins.get(i).map_or(0, |b| b.parts.values().sum::<u32>());
        t.prop(&o, &format!("Bins.{}.Total", b.name), "Total", DataTypeId::UInt32, Box::new(move |s| Variant::from(total(s))));
        for ty in &info.part_types {
            let ty2 = ty.clone();
            let get = move |s: &Snapshot| s.bins.get(i).and_then(|b| b.parts.get(&ty2)).copied().unwrap_or(0);
            t.prop(&o, &format!("Bins.{}.{ty}", b.name), ty, DataTypeId::UInt32, Box::new(move |s| Variant::from(get(s))));
        }
    }
    t.array(&cell, "Cell.Faults", "Faults", DataTypeId::String, 0, Box::new(|s| Variant::from(s.faults.clone())));

    // Production figures (OEE).
    let prod = t.object("Production", &root, "Production");
    let opt = |v: Option<f64>| Variant::from(v.unwrap_or(f64::NAN));
    let figures: [(&str, Reader); 11] = [
        ("Delivered", Box::new(|s| Variant::from(s.production.delivered))),
        ("Good", Box::new(|s| Variant::from(s.production.good))),
        ("WrongBin", Box::new(|s| Variant::from(s.production.wrong_bin))),
        ("PartsPerHour", Box::new(|s| Variant::from(s.production.parts_per_hour))),
        ("LastCycleTime", Box::new(move |s| opt(s.production.last_cycle_s))),
        ("MeanCycleTime", Box::new(move |s| opt(s.production.mean_cycle_s))),
        ("RunTime", Box::new(|s| Variant::from(s.production.run_time_s))),
        ("StopTime", Box::new(|s| Variant::from(s.production.stop_time_s))),
        ("Availability", Box::new(move |s| opt(s.production.availability))),
        ("Performance", Box::new(move |s| opt(s.production.performance))),
        ("Quality", Box::new(move |s| opt(s.production.quality))),
    ];
    for (name, read) in figures {
        let ty = if matches!(name, "Delivered" | "Good" | "WrongBin") { DataTypeId::UInt32 } else { DataTypeId::Double };
        t.prop(&prod, &format!("Production.{name}"), name, ty, read);
    }

    // Orders from the MES.
    let orders = t.object("Orders", &root, "Orders");
    t.prop(
        &orders,
        "Orders.Done",
        "Done",
        DataTypeId::UInt32,
        Box::new(|s| Variant::from(s.orders.iter().filter(|o| o.done_s.is_some()).count() as u32)),
    );
    t.prop(
        &orders,
        "Orders.Open",
        "Open",
        DataTypeId::UInt32,
        Box::new(|s| Variant::from(s.orders.iter().filter(|o| o.done_s.is_none()).count() as u32)),
    );
    t.prop(
        &orders,
        "Orders.Json",
        "Json",
        DataTypeId::String,
        Box::new(|s| Variant::from(serde_json::to_string(&s.orders).unwrap_or_default())),
    );
    let l = link.clone();
    t.method(&orders, "Orders.PlaceOrder", "PlaceOrder", &[("Parts", DataTypeId::String)], move |a| match a {
        [Variant::String(s)] => match serde_json::from_str::<BTreeMap<String, u32>>(s.as_ref()) {
            Ok(parts) => match l.info.scenario.plant.orders.as_ref().map(|o| o.order_problems(&parts)) {
                None => Err(StatusCode::BadNotSupported),
                Some(p) if !p.is_empty() => Err(StatusCode::BadInvalidArgument),
                Some(_) => ok(l.send(Command::PlaceOrder { parts })),
            },
            Err(_) => Err(StatusCode::BadInvalidArgument),
        },
        [_] => Err(StatusCode::BadTypeMismatch),
        [] => Err(StatusCode::BadArgumentsMissing),
        _ => Err(StatusCode::BadTooManyArguments),
    });
    t.readers
}

fn send(link: &Link, c: Command) -> StatusCode {
    if link.send(c) { StatusCode::Good } else { StatusCode::BadServerHalted }
}

fn ok(sent: bool) -> Result<Vec<Variant>, StatusCode> {
    if sent { Ok(vec![]) } else { Err(StatusCode::BadServerHalted) }
}

/// The controller's methods.
fn controller_call(link: &Link, name: &str, args: &[Variant]) -> Result<Vec<Variant>, StatusCode> {
    let want = match name {
        "SetOverride" | "SelectProgram" => 1,
        _ => 0,
    };
    if args.len() < want {
        return Err(StatusCode::BadArgumentsMissing);
    }
    if args.len() > want {
        return Err(StatusCode::BadTooManyArguments);
    }
    let cmds = match (name, args) {
        ("Start", _) => super::START.to_vec(),
        ("Stop", _) => vec![Command::Stop],
        ("Reset", _) => vec![Command::Reset],
        ("Acknowledge", _) => vec![Command::Acknowledge],
        ("SetOverride", [Variant::Double(p)]) if (0.0..=100.0).contains(p) => vec![Command::SetOverride(p.round() as u8)],
        ("SetOverride", [Variant::Double(_)]) => return Err(StatusCode::BadOutOfRange),
        ("SelectProgram", [Variant::String(s)]) => {
            let name = s.as_ref().to_string();
            if !link.info.programs.iter().any(|p| p.eq_ignore_ascii_case(name.trim_end_matches(".src"))) {
                return Err(StatusCode::BadInvalidArgument);
            }
            vec![Command::SelectProgram { name }]
        }
        _ => return Err(StatusCode::BadTypeMismatch),
    };
    let mut sent = true;
    for c in cmds {
        sent &= link.send(c);
    }
    ok(sent)
}

/// Builds nodes in the cell's namespace.
struct Tree<'a> {
    space: &'a mut AddressSpace,
    manager: &'a Arc<SimpleNodeManager>,
    ns: u16,
    readers: Vec<(NodeId, Reader)>,
    /// The snapshot the values start from.
    first: Arc<Snapshot>,
}

impl Tree<'_> {
    fn id(&self, path: &str) -> NodeId {
        NodeId::new(self.ns, path)
    }

    fn object(&mut self, path: &str, parent: &NodeId, name: &str) -> NodeId {
        let id = self.id(path);
        ObjectBuilder::new(&id, QualifiedName::new(self.ns, name), name).organized_by(parent.clone()).insert(self.space);
        id
    }

    /// A scalar variable read from the snapshot.
    fn prop(&mut self, parent: &NodeId, path: &str, name: &str, ty: DataTypeId, read: Reader) -> NodeId {
        self.array(parent, path, name, ty, u32::MAX, read)
    }

    /// A variable: scalar when `len` is u32::MAX, else an array of `len` (0: any length).
    fn array(&mut self, parent: &NodeId, path: &str, name: &str, ty: DataTypeId, len: u32, read: Reader) -> NodeId {
        let id = self.id(path);
        let mut b = VariableBuilder::new(&id, QualifiedName::new(self.ns, name), name)
            .data_type(ty)
            .value(read(&self.first))
            .component_of(parent.clone())
            .minimum_sampling_interval(50.0);
        if len != u32::MAX {
            b = b.value_rank(1);
            if len > 0 {
                b = b.array_dimensions(&[len]);
            }
        }
        b.insert(self.space);
        self.readers.push((id.clone(), read));
        id
    }

    fn writable(&mut self, id: &NodeId) {
        if let Some(opcua::nodes::NodeType::Variable(v)) = self.space.find_mut(id) {
            v.set_writable(true);
            v.set_user_access_level(v.user_access_level() | opcua::nodes::AccessLevel::CURRENT_WRITE);
        }
    }

    fn method(
        &mut self,
        parent: &NodeId,
        path: &str,
        name: &str,
        args: &[(&str, DataTypeId)],
        call: impl Fn(&[Variant]) -> Result<Vec<Variant>, StatusCode> + Send + Sync + 'static,
    ) {
        let id = self.id(path);
        let mut b = MethodBuilder::new(&id, QualifiedName::new(self.ns, name), name)
            .component_of(parent.clone())
            .executable(true)
            .user_executable(true);
        if !args.is_empty() {
            let args: Vec<Argument> = (args.iter())
                .map(|(n, ty)| Argument {
                    name: UAString::from(*n),
                    data_type: (*ty).into(),
                    value_rank: -1,
                    array_dimensions: None,
                    description: LocalizedText::from(*n),
                })
                .collect();
            b = b.input_args(self.space, &self.id(&format!("{path}.InputArguments")), &args);
        }
        b.insert(self.space);
        self.manager.inner().add_method_callback(id, call);
    }
}

#[cfg(test)]
mod tests {
    use super::{is_loopback, parse_url};

    #[test]
    fn endpoint_urls_and_loopback() {
        assert_eq!(parse_url("opc.tcp://127.0.0.1:4840"), Ok(("127.0.0.1".into(), 4840)));
        assert_eq!(parse_url("opc.tcp://cell.local/robocell"), Ok(("cell.local".into(), 4840)));
        assert_eq!(parse_url("opc.tcp://[::1]:4841/"), Ok(("::1".into(), 4841)));
        assert!(parse_url("http://x:1").is_err());
        // Policy None only here: 127.0.0.0/8, ::1 and localhost.
        assert!(is_loopback("127.0.0.1") && is_loopback("127.8.9.10") && is_loopback("::1") && is_loopback("localhost"));
        assert!(!is_loopback("0.0.0.0") && !is_loopback("192.168.1.20") && !is_loopback("cell.local"));
    }
}
