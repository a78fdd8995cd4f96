//! The KRL interpreter (advance run). Routines are compiled to a flat list of operations
//! so execution can stop at any motion or wait and resume at the same place next tick.
//! This file holds the interpreter's state and its interface; the work is split by concern:
//! `compile` (statements to operations), `exec` (operations), `expr` (expressions, values,
//! assignment), `builtins` (BAS, spline, string and math functions), `events` (timers,
//! interrupts, triggers) and `system` (the controller's own variables).

use std::collections::HashMap as StdHashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::ast::*;
use super::diag::Span;
use super::value::{ArrayVal, Scalar, StructVal, Value, is_open_struct, struct_members};
use crate::sim::math::Frame;

mod builtins;
mod compile;
mod events;
mod exec;
mod expr;
pub mod messages;
mod system;

use self::builtins::*;
use self::compile::*;
pub use self::expr::coerce_into;
use self::system::*;
pub use self::system::{ConfigGlobals, predefined_names};

/// FNV-1a: variable names are short, so this beats the default SipHash by far.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h = (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type HashMap<K, V> = StdHashMap<K, V, BuildHasherDefault<Fnv>>;

/// Library routines the controller provides.
pub const LIBRARY_ROUTINES: &[&str] =
    &["BAS", "SET_CD_PARAMS", "ERR_CLEAR", "MSGNOTIFY", "MSGQUIT", "MSGDIALOG", "CLEAR_KRLMSG", "SET_KRLMSG", "EXISTS_KRLMSG", "CONFIRM"];

/// Routines of KUKA technology packages this cell does not have (Ethernet KRL, RSI), by
/// package. A program that calls one lints with a warning and stops when it reaches the call.
pub const TECH_PACKAGES: &[(&str, &str, &[&str])] = &[
    (
        "KUKA.EthernetKRL",
        "EKI_",
        &[
            "INIT",
            "OPEN",
            "CLOSE",
            "CLEAR",
            "LOCK",
            "UNLOCK",
            "SEND",
            "ACK",
            "CHECKBUFFER",
            "CLEARBUFFER",
            "SETBOOL",
            "SETINT",
            "SETREAL",
            "SETSTRING",
            "SETFRAME",
            "SETPOS",
            "SETAXIS",
            "GETBOOL",
            "GETBOOLARRAY",
            "GETINT",
            "GETINTARRAY",
            "GETREAL",
            "GETREALARRAY",
            "GETSTRING",
            "GETFRAME",
            "GETFRAMEARRAY",
            "GETPOS",
            "GETPOSARRAY",
            "GETAXIS",
            "GETAXISARRAY",
        ],
    ),
    (
        "KUKA.RobotSensorInterface",
        "RSI_",
        &["CREATE", "DELETE", "ON", "OFF", "MOVECORR", "SETPUBLICPAR", "GETPUBLICPAR", "CHECKID", "ENABLE", "DISABLE", "RESET"],
    ),
];

/// The technology package a routine belongs to, if it is one of `TECH_PACKAGES`.
pub fn tech_package(name: &str) -> Option<&'static str> {
    TECH_PACKAGES
        .iter()
        .find(|(_, prefix, names)| name.strip_prefix(prefix).is_some_and(|rest| names.contains(&rest)))
        .map(|(package, _, _)| *package)
}

/// The stop when a program reaches a technology package's routine.
pub(super) fn tech_stop(name: &str, package: &str, sp: Span) -> RuntimeError {
    rt(sp, format!("{name}: {package} is not installed in this cell"))
}

/// The spline library's parameter functions (see `spline_fn`).
pub const SPLINE_FUNCS: &[&str] = &[
    "SVEL_JOINT",
    "SACC_JOINT",
    "SGEAR_JERK",
    "SAPO_PTP",
    "SAPO",
    "STOOL2",
    "SBASE",
    "SLOAD",
    "SIPO_MODE",
    "SVEL_CP",
    "SACC_CP",
    "SORI_TYP",
    "SJERK",
    "USE_CM_PRO_VALUES",
];

/// String functions on CHAR arrays (see `string_fn`).
pub const STRING_FUNCS: &[&str] = &["STRLEN", "STRDECLLEN", "STRCLEAR", "STRCOPY", "STRADD", "STRCOMP", "STRFIND"];

/// A LOAD: mass in kg, centre of mass, inertia.
fn load_value(mass: f64) -> Value {
    let inertia = Value::Struct(Box::new(StructVal {
        ty: "INERTIA".into(),
        fields: ["X", "Y", "Z"].iter().map(|n| (n.to_string(), Value::Real(0.0))).collect(),
    }));
    Value::Struct(Box::new(StructVal {
        ty: "LOAD".into(),
        fields: vec![("M".into(), Value::Real(mass)), ("CM".into(), Value::frame(&Frame::NULL)), ("J".into(), inertia)],
    }))
}

/// What the interpreter needs from the cell. Implemented by the controller.
pub trait Env {
    fn input(&self, n: usize) -> bool;
    fn output(&self, n: usize) -> bool;
    /// `$ANIN[n]`, -1.0 ..= 1.0.
    fn analog_in(&self, _n: usize) -> f64 {
        0.0
    }
    /// `$ANOUT[n]`, -1.0 ..= 1.0, as the program last wrote it.
    fn analog_out(&self, _n: usize) -> f64 {
        0.0
    }
    fn set_analog_out(&mut self, _n: usize, _v: f64) {}
    /// A message of the program (message library) for the message window.
    fn message(&mut self, _kind: messages::MsgKind, _text: String, _line: u32) {}
    /// Switches `$OUT[n]`; `line` is the statement that did it.
    fn set_output(&mut self, n: usize, v: bool, line: u32);
    fn axis_act(&self) -> [f64; 6];
    /// Actual TCP pose in `base` with `tool`, and its S and T.
    fn pos_act(&self, base: &Frame, tool: &Frame) -> (Frame, u8, u8);
    /// Motions handed over and not finished (queued or running).
    fn motions_pending(&self) -> usize;
    fn time_s(&self) -> f64;
}

/// An environment without a cell: no inputs or outputs set, the robot at zero, time 0.
/// For data-list values, benchmarks and tools.
pub struct NullEnv;
impl Env for NullEnv {
    fn input(&self, _: usize) -> bool {
        false
    }
    fn output(&self, _: usize) -> bool {
        false
    }
    fn set_output(&mut self, _: usize, _: bool, _: u32) {}
    fn axis_act(&self) -> [f64; 6] {
        [0.0; 6]
    }
    fn pos_act(&self, _: &Frame, _: &Frame) -> (Frame, u8, u8) {
        (Frame::NULL, 0, 0)
    }
    fn motions_pending(&self) -> usize {
        0
    }
    fn time_s(&self) -> f64 {
        0.0
    }
}

/// A motion the advance run hands to the motion planner, with the modal parameters in force.
#[derive(Clone, Debug)]
pub struct MotionCmd {
    pub kind: MotionKind,
    pub target: Value,
    /// CIRC: the auxiliary point and the circular angle in degrees.
    pub aux: Option<Value>,
    pub ca_deg: Option<f64>,
    pub tool_relative: bool,
    pub approx: Vec<Approx>,
    pub span: Span,
    pub vel_cp_m_s: f64,
    pub acc_cp_m_s2: f64,
    pub vel_ori_deg_s: f64,
    pub vel_ori2_deg_s: f64,
    pub vel_axis_pct: [f64; 6],
    pub acc_axis_pct: [f64; 6],
    pub tool: Frame,
    pub base: Frame,
    /// `$APO`: CPTP %, CDIS mm, CORI deg, CVEL %.
    pub apo: [f64; 4],
    /// `$ORI_TYPE` as written (VAR, CONSTANT, JOINT).
    pub ori_type: String,
    /// TRIGGERs written before this motion: they switch on its path.
    pub triggers: Vec<TriggerCmd>,
    /// SPL segments: the points the spline passes through before `target`, and their lines.
    pub via: Vec<(Value, u32)>,
}

/// Where on its motion a trigger switches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TriggerAt {
    Start,
    End,
    /// mm along the TCP path after the start (ONSTART), or before (negative) the end.
    PathFromStart(f64),
    PathFromEnd(f64),
}

/// A TRIGGER attached to a motion, its point and delay evaluated by the advance run.
#[derive(Clone, Debug)]
pub struct TriggerCmd {
    pub at: TriggerAt,
    pub delay_s: f64,
    pub action: TriggerAction,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuntimeError {
    pub message: String,
    pub span: Span,
}

/// What stops a program from loading: errors in the routines (.src) and in the data list (.dat).
#[derive(Clone, Debug, Default)]
pub struct LoadErrors {
    pub src: Vec<RuntimeError>,
    pub dat: Vec<RuntimeError>,
}

impl LoadErrors {
    /// As diagnostics with file, position and source excerpt.
    pub fn diagnostics(&self, src: (&str, &str), dat: Option<(&str, &str)>) -> Vec<super::Diagnostic> {
        let mut out = Vec::new();
        let mut sink = super::diag::DiagSink::new(src.0, src.1);
        for e in &self.src {
            sink.error("KRL100", e.span, e.message.clone(), None);
        }
        out.append(&mut sink.out);
        let (dn, dt) = dat.unwrap_or((src.0, ""));
        let mut sink = super::diag::DiagSink::new(dn, dt);
        for e in &self.dat {
            sink.error("KRL101", e.span, e.message.clone(), None);
        }
        out.append(&mut sink.out);
        out
    }
}

#[derive(Debug)]
pub enum Yield {
    /// A motion statement was reached; plan it, then resume.
    Motion(Box<MotionCmd>),
    /// Waiting (WAIT, advance-run stop, full look-ahead): resume next tick.
    Blocked,
    /// The operation budget for this tick is spent.
    Budget,
    /// HALT: the program stops; Start resumes it.
    Halt,
    /// BRAKE (fast with `F`): stop the robot on its path and drop the planned motions;
    /// resume once it stands.
    Brake {
        fast: bool,
    },
    /// RESUME: the planned motions of the aborted routines are dropped (the robot brakes).
    Resume,
    /// The main routine returned.
    Finished,
    /// A breakpoint on this line of the program's own module: the statement has not run.
    Breakpoint(u32),
    Fault(RuntimeError),
}

#[derive(Clone, Debug)]
enum Op {
    Assign(Expr, Expr),
    JumpIfNot(Expr, usize),
    Jump(usize),
    ForInit(String, Expr),
    ForCheck {
        var: String,
        to: Expr,
        step: Option<Expr>,
        exit: usize,
    },
    ForStep {
        var: String,
        step: Option<Expr>,
        back: usize,
    },
    WaitFor(Expr),
    WaitSec(Expr),
    Continue,
    Halt,
    /// A statement for equipment the cell lacks: the program stops here.
    NotInCell(String),
    OnErrorProceed,
    Return(Option<Expr>),
    Motion {
        kind: MotionKind,
        target: Expr,
        aux: Option<Expr>,
        ca: Option<Expr>,
        tool_relative: bool,
        approx: Vec<Approx>,
        with: Vec<(Expr, Expr)>,
        /// A SPLINE block's run of SPL segments: the points before `target`, with their lines.
        via: Vec<(Expr, u32)>,
    },
    Call(String, Vec<Expr>),
    Pulse {
        target: Expr,
        value: Expr,
        seconds: Expr,
    },
    InterruptDecl {
        global: bool,
        prio: Expr,
        cond: Expr,
        handler: String,
        args: Vec<Expr>,
    },
    InterruptCtl(InterruptAction, Option<Expr>),
    Trigger(TriggerWhen, Expr, TriggerAction),
    Brake(bool),
    Resume,
    End,
}

/// An interrupt or trigger routine that is running.
#[derive(Clone, Debug)]
struct Handler {
    prio: i32,
    /// Call depth of the routine itself.
    depth: usize,
    /// Call depth of the routine that declared the interrupt (None for a trigger).
    declared_at: Option<usize>,
    /// The interrupted WAIT SEC's deadline and CONTINUE, restored when the routine ends.
    wait_until: Option<f64>,
    continue_next: bool,
    /// BRAKE has run: motions are allowed now.
    braked: bool,
}

/// A declared interrupt.
#[derive(Clone, Debug)]
struct Interrupt {
    prio: i32,
    cond: Expr,
    handler: String,
    args: Vec<Expr>,
    /// Valid only while the declaring routine (at this call depth) or its callees run, unless GLOBAL.
    depth: usize,
    global: bool,
    on: bool,
    enabled: bool,
    /// The condition's value when last checked: handlers run on its rise.
    last: bool,
    /// The condition rose while the interrupt was disabled: it runs at ENABLE.
    held: bool,
    span: Span,
}

#[derive(Clone, Debug)]
struct Instr {
    op: Op,
    span: Span,
    /// Executing this stops the advance run (I/O, position variables, waits, HALT).
    adv_stop: bool,
}

#[derive(Clone, Debug)]
struct CompiledRoutine {
    name: String,
    /// The module it belongs to: 0 the program's, 1.. the others loaded with it.
    module: usize,
    /// Other modules may call it: GLOBAL, or a module's main DEF.
    callable: bool,
    /// The result type of a DEFFCT, and its array sizes.
    returns: Option<String>,
    returns_dims: Vec<usize>,
    params: Vec<Param>,
    decls: Vec<Decl>,
    code: Arc<[Instr]>,
}

impl CompiledRoutine {
    /// A routine of module `module` (0: the program's), with its compile errors.
    fn compile(r: &Routine, signals: &[String], module: usize, callable: bool) -> (Self, Vec<RuntimeError>) {
        let mut c = Compiler::new(signals);
        c.block(&r.body);
        c.emit(Op::End, r.span);
        c.resolve_gotos();
        let compiled = CompiledRoutine {
            name: r.name.clone(),
            module,
            callable,
            returns: r.returns.clone(),
            returns_dims: r.returns_dims.clone(),
            params: r.params.clone(),
            decls: r.decls.clone(),
            code: c.code.into(),
        };
        (compiled, c.errors)
    }
}

#[derive(Clone)]
struct CallFrame {
    routine: usize,
    pc: usize,
    locals: HashMap<String, Value>,
    /// OUT parameters: (parameter name, the caller's variable) copied back on return.
    out_binds: Vec<(String, Expr)>,
}

/// The advance-run interpreter of one program.
#[derive(Clone)]
pub struct Interpreter {
    routines: Vec<CompiledRoutine>,
    /// STRUC and ENUM types of the module.
    types: HashMap<String, TypeDecl>,
    /// Names declared with a type robocell does not know (name -> type), for the stop.
    left_out: HashMap<String, String>,
    signals: HashMap<String, Signal>,
    globals: HashMap<String, Value>,
    initial_globals: HashMap<String, Value>,
    stack: Vec<CallFrame>,
    wait_until: Option<f64>,
    continue_next: bool,
    /// The value of the last RETURN of a function.
    ret_val: Option<Value>,
    /// Running PULSEs: output, value to restore, when, the PULSE's line.
    pulses: Vec<(usize, bool, f64, u32)>,
    interrupts: Vec<Interrupt>,
    /// TRIGGERs waiting for the next motion.
    pending_triggers: Vec<TriggerCmd>,
    /// Routines that triggers called, to start at the next resume: (priority, routine, arguments, position).
    trigger_calls: Vec<(i32, String, Vec<Expr>, Span)>,
    /// Interrupt and trigger routines running.
    in_handler: Vec<Handler>,
    /// A BRAKE was handed to the cell; the statement waits for the robot to stand.
    braking: bool,
    /// When timers were last advanced, and the part of a millisecond not yet counted.
    timers_at_s: f64,
    timer_frac_ms: f64,
    /// The line the advance run is on (for the editor).
    pub current: Span,
    /// Operations executed in total (for benchmarks and the watch panel).
    pub ops_executed: u64,
    /// ON_ERROR_PROCEED was executed: the next statement's error fills `$ERR` instead.
    proceed_line: Option<u32>,
    /// Message handles given out, and those still shown.
    msg_handles: i32,
    live_msgs: Vec<i32>,
    /// Each module's file name, and the data it keeps to itself (stored as `n::NAME`).
    module_files: Vec<String>,
    private: Vec<Vec<String>>,
    /// (module, line) the advance run stops before; module 0 is the program's own, the others
    /// index `module_files`.
    breakpoints: std::collections::BTreeSet<(usize, u32)>,
    /// The operation a breakpoint stopped at: it runs on the next resume.
    break_passed: Option<(usize, usize)>,
    /// The line of the operation run last.
    last_line: u32,
}

fn io_index(v: &Value, what: &str, span: Span) -> Result<usize, RuntimeError> {
    match v {
        Value::Int(i) if *i >= 1 && *i <= 4096 => Ok(*i as usize),
        Value::Int(i) => Err(rt(span, format!("{what}[{i}]: index out of range 1..4096"))),
        other => Err(rt(span, format!("{what} index must be INT, got {}", other.type_name()))),
    }
}

fn rt(span: Span, message: impl Into<String>) -> RuntimeError {
    RuntimeError { message: message.into(), span }
}

/// The source text of a variable reference, for messages.
pub fn expr_text(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Name(n) => n.clone(),
        ExprKind::Member(b, m) => format!("{}.{m}", expr_text(b)),
        ExprKind::Index(b, i) => format!("{}[{}]", expr_text(b), i.iter().map(expr_text).collect::<Vec<_>>().join(",")),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Real(r) => r.to_string(),
        ExprKind::Paren(i) => format!("({})", expr_text(i)),
        _ => "expression".into(),
    }
}

/// Whether evaluating `e` touches I/O or the actual position (an advance-run stop).
/// `signals` are the SIGNAL names, which are I/O too.
fn uses_io(e: &Expr, signals: &[String]) -> bool {
    let u = |x: &Expr| uses_io(x, signals);
    match &e.kind {
        ExprKind::Name(n) => matches!(n.as_str(), "$IN" | "$OUT" | "$ANIN" | "$ANOUT" | "$POS_ACT" | "$AXIS_ACT") || signals.contains(n),
        ExprKind::Index(b, i) => u(b) || i.iter().any(u),
        ExprKind::Member(b, _) | ExprKind::Unary(_, b) | ExprKind::Paren(b) => u(b),
        ExprKind::Binary(_, l, r) => u(l) || u(r),
        ExprKind::Call(_, a) => a.iter().any(u),
        ExprKind::Aggregate { fields, .. } => fields.iter().any(|(_, v)| u(v)),
        _ => false,
    }
}

impl Interpreter {
    /// Compiles a parsed module. Errors found while compiling the routines and while evaluating
    /// the `.dat` initial values come back separately.
    pub fn new(module: &Module, cfg: &ConfigGlobals) -> Result<Self, LoadErrors> {
        Self::load(module, cfg, true, &[])
    }

    /// A program of several modules: `module` is the one selected (its first DEF runs); the
    /// others (each with its file name, for messages) offer their GLOBAL routines, their main
    /// DEF and their PUBLIC GLOBAL data, and keep their other data to themselves. Load the
    /// others' `$config.dat` first as a data list module among them (all its data is GLOBAL).
    pub fn with_modules(module: &Module, others: &[(Module, String)], cfg: &ConfigGlobals) -> Result<Self, LoadErrors> {
        Self::load(module, cfg, true, others)
    }

    /// Compiles a module for its checks only: a library whose first routine is a DEFFCT is
    /// fine (it is not selected as a program).
    pub fn check(module: &Module, cfg: &ConfigGlobals) -> Result<(), LoadErrors> {
        Self::load(module, cfg, false, &[]).map(|_| ())
    }

    /// As `check`, with the types its context declares (`$config.dat`, GLOBAL types of other
    /// modules).
    pub fn check_with_types(module: &Module, cfg: &ConfigGlobals, types: &[TypeDecl]) -> Result<(), LoadErrors> {
        let context = Module { types: types.to_vec(), ..Module::default() };
        Self::load(module, cfg, false, &[(context, String::new())]).map(|_| ())
    }

    fn load(module: &Module, cfg: &ConfigGlobals, as_program: bool, others: &[(Module, String)]) -> Result<Self, LoadErrors> {
        let mut errors = Vec::new();
        let mut dat_errors = Vec::new();
        let mut routines = Vec::new();
        let signal_names: Vec<String> = module.signals.iter().map(|s| s.name.clone()).collect();
        for r in &module.routines {
            let (compiled, mut errs) = CompiledRoutine::compile(r, &signal_names, 0, true);
            errors.append(&mut errs);
            routines.push(compiled);
        }
        let mut globals = HashMap::default();
        system_defaults(&mut globals);
        globals.insert("XHOME".into(), Value::e6axis(&cfg.home_deg));
        globals.insert("$H_POS".into(), Value::e6axis(&cfg.home_deg));
        globals.insert("$TOOL".into(), Value::frame(&cfg.tool));
        globals.insert("$ROBROOT".into(), Value::frame(&cfg.robroot));
        if let Some(Value::Array(a)) = globals.get_mut("TOOL_DATA")
            && let Some(slot) = a.elems.get_mut(cfg.tool_number.max(1) - 1)
        {
            *slot = Value::frame(&cfg.tool);
        }
        if let Some(Value::Array(a)) = globals.get_mut("BASE_DATA") {
            for (slot, b) in a.elems.iter_mut().zip(&cfg.bases) {
                *slot = Value::frame(b);
            }
        }
        let mut it = Interpreter {
            routines,
            types: super::system_types::system_types().iter().chain(&module.types).map(|t| (t.name.clone(), t.clone())).collect(),
            signals: module.signals.iter().map(|x| (x.name.clone(), x.clone())).collect(),
            left_out: module.left_out.iter().chain(others.iter().flat_map(|(m, _)| &m.left_out)).cloned().collect(),
            globals,
            initial_globals: HashMap::default(),
            stack: Vec::new(),
            wait_until: None,
            continue_next: false,
            ret_val: None,
            pulses: Vec::new(),
            interrupts: Vec::new(),
            pending_triggers: Vec::new(),
            trigger_calls: Vec::new(),
            in_handler: Vec::new(),
            braking: false,
            timers_at_s: 0.0,
            timer_frac_ms: 0.0,
            current: Span::default(),
            ops_executed: 0,
            proceed_line: None,
            msg_handles: 0,
            live_msgs: Vec::new(),
            module_files: vec![String::new()],
            breakpoints: Default::default(),
            break_passed: None,
            last_line: 0,
            private: vec![Vec::new()],
        };
        // The other modules' types first: the data lists may use them. A declaration of
        // robocell's own types (`$config.dat` declares them) replaces robocell's.
        let mut replaced: Vec<&str> = Vec::new();
        for t in others.iter().flat_map(|(m, _)| &m.types) {
            let own = super::system_types::own_declaration(&t.name).is_some() && !module.types.iter().any(|x| x.name == t.name);
            if own && !replaced.contains(&t.name.as_str()) {
                replaced.push(&t.name);
                it.types.insert(t.name.clone(), t.clone());
            } else {
                it.types.entry(t.name.clone()).or_insert_with(|| t.clone());
            }
        }
        for d in &module.data {
            let mut v = it.fresh(&d.ty.name, &d.dims);
            if let Some(init) = &d.init {
                match it.eval(init, &mut NullEnv).and_then(|iv| coerce_into(&mut v, iv, init.span, &d.name)) {
                    Ok(()) => {}
                    Err(e) => dat_errors.push(e),
                }
            }
            it.globals.insert(d.name.clone(), v);
        }
        // Values the data list sets without a DECL (`TOOL_DATA[2]={X 0,...}`).
        for (target, value) in &module.assigns {
            if let Err(e) = it.eval(value, &mut NullEnv).and_then(|v| it.assign(target, v, &mut NullEnv)) {
                dat_errors.push(e);
            }
        }
        // The other modules of the program: their routines, types, signals and data.
        for (k, (m, file)) in others.iter().enumerate() {
            let idx = k + 1;
            it.module_files.push(file.clone());
            for sg in &m.signals {
                it.signals.entry(sg.name.clone()).or_insert_with(|| sg.clone());
            }
            let names: Vec<String> = it.signals.keys().cloned().collect();
            for (ri, r) in m.routines.iter().enumerate() {
                // Checked before loading (a module with errors is left out): its errors are none.
                it.routines.push(CompiledRoutine::compile(r, &names, idx, ri == 0 || r.global).0);
            }
            let mut private = Vec::new();
            for d in &m.data {
                let mut v = it.fresh(&d.ty.name, &d.dims);
                if let Some(init) = &d.init {
                    let _ = it.eval(init, &mut NullEnv).and_then(|iv| coerce_into(&mut v, iv, init.span, &d.name));
                }
                if m.public && d.global {
                    it.globals.entry(d.name.clone()).or_insert(v);
                } else {
                    it.globals.insert(format!("{idx}::{}", d.name), v);
                    private.push(d.name.clone());
                }
            }
            it.private.push(private);
            // Values a data list sets without a DECL (`TOOL_NAME[1,]="Gripper"` in $config.dat).
            for (target, value) in &m.assigns {
                let _ = it.eval(value, &mut NullEnv).and_then(|v| it.assign(target, v, &mut NullEnv));
            }
        }
        match it.routines.first() {
            None => errors.push(rt(Span::new(1, 1, 0), "no routine to run")),
            Some(r) if r.returns.is_some() && as_program => {
                let span = module.routines[0].span;
                errors.push(rt(span, format!("the first routine, {}, is a DEFFCT; a module starts with its main DEF", r.name)));
            }
            Some(_) => {}
        }
        if !errors.is_empty() || !dat_errors.is_empty() {
            return Err(LoadErrors { src: errors, dat: dat_errors });
        }
        it.initial_globals = it.globals.clone();
        it.reset();
        Ok(it)
    }

    /// Back to the first line of the main routine, with the initial data.
    pub fn reset(&mut self) {
        self.globals = self.initial_globals.clone();
        self.live_msgs.clear();
        self.stack.clear();
        self.wait_until = None;
        self.continue_next = false;
        self.ret_val = None;
        self.pulses.clear();
        self.interrupts.clear();
        self.pending_triggers.clear();
        self.trigger_calls.clear();
        self.in_handler.clear();
        self.braking = false;
        self.timers_at_s = 0.0;
        self.timer_frac_ms = 0.0;
        let locals = self.fresh_locals(0);
        self.stack.push(CallFrame { routine: 0, pc: 0, locals, out_binds: Vec::new() });
        self.current = self.routines[0].code[0].span;
    }

    /// A fresh (uninitialised) variable of type `ty` with array sizes `dims`.
    fn fresh(&self, ty: &str, dims: &[usize]) -> Value {
        if !dims.is_empty() {
            let n = dims.iter().product();
            return Value::Array(Box::new(ArrayVal { dims: dims.to_vec(), elems: vec![self.fresh(ty, &[]); n] }));
        }
        match self.types.get(ty).map(|t| &t.kind) {
            Some(TypeKind::Struc(members)) => Value::Struct(Box::new(StructVal {
                ty: ty.to_string(),
                fields: members.iter().map(|m| (m.name.clone(), self.fresh(&m.ty, &m.dims))).collect(),
            })),
            Some(TypeKind::Enum(_)) => Value::Uninit(Scalar::Enum),
            None if ty == "LOAD" => load_value(0.0),
            None => Value::default_of(ty),
        }
    }

    fn fresh_locals(&self, r: usize) -> HashMap<String, Value> {
        self.routines[r].decls.iter().map(|d| (d.name.clone(), self.fresh(&d.ty.name, &d.dims))).collect()
    }

    /// The stop for a name nothing declares (or declares with a type robocell lacks).
    pub(super) fn not_declared(&self, name: &str, sp: Span) -> RuntimeError {
        match self.left_out.get(name) {
            Some(ty) => rt(sp, format!("{name} is of type {ty}, which robocell does not have")),
            None => rt(sp, format!("{name} is not declared")),
        }
    }

    /// The file of the routine running now (for messages).
    pub fn current_file(&self) -> Option<&str> {
        let m = self.stack.last().map(|f| self.routines[f.routine].module)?;
        (m > 0).then(|| self.module_files[m].as_str())
    }

    /// The key a global of this name has for the running routine: its module's own data first.
    pub(super) fn global_key(&self, name: &str) -> Option<String> {
        let m = self.stack.last().map(|f| self.routines[f.routine].module)?;
        (m > 0 && self.private[m].iter().any(|n| n == name)).then(|| format!("{m}::{name}"))
    }

    /// Reads a variable by name (locals of the running routine first), for the watch panel.
    pub fn variable(&self, name: &str) -> Option<&Value> {
        let up = name.to_ascii_uppercase();
        self.stack.last().and_then(|f| f.locals.get(&up)).or_else(|| self.globals.get(&up))
    }

    /// Sets a global (used for `$OV_PRO` from the pendant).
    pub fn set_global(&mut self, name: &str, v: Value) {
        self.globals.insert(name.to_ascii_uppercase(), v);
    }

    /// The module index of a file name (None: the program's own module); None when no module
    /// of this program has that name.
    fn module_index(&self, file: Option<&str>) -> Option<usize> {
        match file {
            None => Some(0),
            Some(f) => self.module_files.iter().skip(1).position(|m| m == f).map(|i| i + 1),
        }
    }

    /// Sets or clears a breakpoint on `line` of `file` (None: the program's own module). False
    /// when the program has no module of that name.
    pub fn set_breakpoint(&mut self, file: Option<&str>, line: u32, on: bool) -> bool {
        let Some(m) = self.module_index(file) else { return false };
        if on {
            self.breakpoints.insert((m, line));
        } else {
            self.breakpoints.remove(&(m, line));
        }
        true
    }

    /// The breakpoints: (file, None for the program's own; line).
    pub fn breakpoints(&self) -> Vec<(Option<String>, u32)> {
        self.breakpoints.iter().map(|(m, l)| ((*m > 0).then(|| self.module_files[*m].clone()), *l)).collect()
    }

    /// Takes over another program's breakpoints (a reloaded program) where its modules match.
    pub fn keep_breakpoints(&mut self, old: &Interpreter) {
        for (file, line) in old.breakpoints() {
            self.set_breakpoint(file.as_deref(), line, true);
        }
    }

    /// Block selection: the main routine goes on at the first operation of `line` (with its
    /// locals as they are); waits, triggers and handlers are dropped. False when no statement
    /// of the main routine is on that line.
    pub fn select_line(&mut self, line: u32) -> bool {
        let Some(pc) = self.routines[0].code.iter().position(|i| i.span.line == line) else { return false };
        self.stack.truncate(1);
        if self.stack.is_empty() {
            let locals = self.fresh_locals(0);
            self.stack.push(CallFrame { routine: 0, pc, locals, out_binds: Vec::new() });
        }
        self.stack[0].pc = pc;
        self.wait_until = None;
        self.continue_next = false;
        self.pending_triggers.clear();
        self.trigger_calls.clear();
        self.in_handler.clear();
        self.braking = false;
        self.last_line = 0;
        self.break_passed = Some((0, pc));
        self.current = self.routines[0].code[pc].span;
        true
    }

    /// The call stack, outermost first: (routine, module file or None for the program's own, line).
    pub fn call_stack(&self) -> Vec<(String, Option<String>, u32)> {
        self.stack
            .iter()
            .map(|f| {
                let r = &self.routines[f.routine];
                let file = (r.module > 0).then(|| self.module_files[r.module].clone());
                (r.name.clone(), file, r.code[f.pc.min(r.code.len() - 1)].span.line)
            })
            .collect()
    }

    /// Sets the value a data-list variable starts with and has now (touch-up).
    pub fn set_data(&mut self, name: &str, v: Value) {
        let key = name.to_ascii_uppercase();
        self.initial_globals.insert(key.clone(), v.clone());
        self.globals.insert(key, v);
    }

    pub fn routine_names(&self) -> Vec<&str> {
        self.routines.iter().map(|r| r.name.as_str()).collect()
    }

    /// Runs until the program must wait, hands over a motion, or `budget` operations are spent.
    pub fn resume(&mut self, env: &mut dyn Env, budget: u32) -> Yield {
        self.tick_clock(env);
        if let Err(e) = self.check_interrupts(env).and_then(|_| self.start_trigger_calls(env)) {
            return Yield::Fault(e);
        }
        let mut left = budget;
        // Breakpoints cost nothing while there are none.
        let watch = !self.breakpoints.is_empty();
        loop {
            let Some(frame) = self.stack.last() else { return Yield::Finished };
            let code = Arc::clone(&self.routines[frame.routine].code);
            let instr = &code[frame.pc];
            self.current = instr.span;
            let at = (frame.routine, frame.pc);
            let line = instr.span.line;
            if watch
                && self.breakpoints.contains(&(self.routines[frame.routine].module, line))
                && self.last_line != line
                && self.break_passed != Some(at)
                && self.in_handler.is_empty()
            {
                self.break_passed = Some(at);
                return Yield::Breakpoint(line);
            }
            if instr.adv_stop && !self.continue_next && env.motions_pending() > 0 {
                return Yield::Blocked;
            }
            if left == 0 {
                return Yield::Budget;
            }
            left -= 1;
            self.ops_executed += 1;
            if watch {
                self.last_line = line;
                self.break_passed = None;
            }
            let was_continue = self.continue_next;
            // ON_ERROR_PROCEED covers the statement on the next line (all its operations).
            let proceed = match self.proceed_line {
                Some(l) if instr.span.line != l && !matches!(instr.op, Op::OnErrorProceed) => {
                    self.proceed_line = None;
                    Some(instr.span.line)
                }
                _ => None,
            };
            match self.exec(instr, env) {
                Ok(Some(y)) => {
                    if !matches!(y, Yield::Blocked) {
                        self.continue_next = false;
                    }
                    return y;
                }
                Ok(None) => {
                    if was_continue && !matches!(instr.op, Op::Continue) {
                        self.continue_next = false;
                    }
                }
                Err(_) if let Some(line) = proceed => self.proceed_after_error(line),
                Err(e) => return Yield::Fault(e),
            }
        }
    }

    /// A statement after ON_ERROR_PROCEED failed: `$ERR` records it, and the program goes on
    /// with the first operation of a later line.
    fn proceed_after_error(&mut self, line: u32) {
        self.globals.insert(
            "$ERR".into(),
            Value::Struct(Box::new(StructVal {
                ty: "ERR_T".into(),
                fields: vec![("NUMBER".into(), Value::Int(1)), ("LINE".into(), Value::Int(line as i32))],
            })),
        );
        if let Some(f) = self.stack.last_mut() {
            let code = &self.routines[f.routine].code;
            while f.pc < code.len() - 1 && code[f.pc].span.line == line {
                f.pc += 1;
            }
        }
    }
}
