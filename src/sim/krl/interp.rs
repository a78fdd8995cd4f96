//! The KRL interpreter (advance run). Routines are compiled to a flat list of operations
//! so execution can stop at any motion or wait and resume at the same place next tick.

use std::collections::HashMap as StdHashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::ast::*;
use super::diag::Span;
use super::value::{ArrayVal, Scalar, StructVal, Value, is_open_struct, struct_members};
use crate::sim::math::Frame;

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
pub const LIBRARY_ROUTINES: &[&str] = &["BAS", "SET_CD_PARAMS"];

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
    fn set_output(&mut self, n: usize, v: bool);
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
    fn set_output(&mut self, _: usize, _: bool) {}
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
    Return(Option<Expr>),
    Motion {
        kind: MotionKind,
        target: Expr,
        aux: Option<Expr>,
        ca: Option<Expr>,
        tool_relative: bool,
        approx: Vec<Approx>,
        with: Vec<(Expr, Expr)>,
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
    span: Span,
}

#[derive(Clone, Debug)]
struct Instr {
    op: Op,
    span: Span,
    /// Executing this stops the advance run (I/O, position variables, waits, HALT).
    adv_stop: bool,
}

#[derive(Debug)]
struct CompiledRoutine {
    name: String,
    /// The result type of a DEFFCT.
    returns: Option<String>,
    params: Vec<Param>,
    decls: Vec<Decl>,
    code: Arc<[Instr]>,
}

struct CallFrame {
    routine: usize,
    pc: usize,
    locals: HashMap<String, Value>,
    /// OUT parameters: (parameter name, the caller's variable) copied back on return.
    out_binds: Vec<(String, Expr)>,
}

/// The advance-run interpreter of one program.
pub struct Interpreter {
    routines: Vec<CompiledRoutine>,
    /// STRUC and ENUM types of the module.
    types: HashMap<String, TypeDecl>,
    signals: HashMap<String, Signal>,
    globals: HashMap<String, Value>,
    initial_globals: HashMap<String, Value>,
    stack: Vec<CallFrame>,
    wait_until: Option<f64>,
    continue_next: bool,
    /// The value of the last RETURN of a function.
    ret_val: Option<Value>,
    /// Outputs to switch back after a PULSE: (output, value, time).
    pulses: Vec<(usize, bool, f64)>,
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
        ExprKind::Name(n) => matches!(n.as_str(), "$IN" | "$OUT" | "$POS_ACT" | "$AXIS_ACT") || signals.contains(n),
        ExprKind::Index(b, i) => u(b) || i.iter().any(u),
        ExprKind::Member(b, _) | ExprKind::Unary(_, b) | ExprKind::Paren(b) => u(b),
        ExprKind::Binary(_, l, r) => u(l) || u(r),
        ExprKind::Call(_, a) => a.iter().any(u),
        ExprKind::Aggregate { fields, .. } => fields.iter().any(|(_, v)| u(v)),
        _ => false,
    }
}

struct Compiler<'a> {
    signals: &'a [String],
    code: Vec<Instr>,
    exits: Vec<Vec<usize>>,
    errors: Vec<RuntimeError>,
    /// The blocks we are in, as ids, to tell whether a GOTO jumps into a block.
    blocks: Vec<usize>,
    next_block: usize,
    labels: Vec<(String, usize, Vec<usize>, Span)>,
    gotos: Vec<(String, usize, Vec<usize>, Span)>,
}

impl Compiler<'_> {
    fn emit(&mut self, op: Op, span: Span) -> usize {
        let u = |e: &Expr| uses_io(e, self.signals);
        let adv_stop = match &op {
            Op::WaitFor(_) | Op::WaitSec(_) | Op::Halt => true,
            Op::Assign(t, v) => u(t) || u(v),
            Op::JumpIfNot(c, _) => u(c),
            Op::ForInit(_, e) => u(e),
            Op::Call(_, a) => a.iter().any(u),
            Op::Motion { target, aux, with, .. } => u(target) || aux.as_ref().is_some_and(u) || with.iter().any(|(_, v)| u(v)),
            Op::Pulse { .. } | Op::InterruptDecl { .. } => true,
            _ => false,
        };
        self.code.push(Instr { op, span, adv_stop });
        self.code.len() - 1
    }
    fn patch(&mut self, at: usize, to: usize) {
        match &mut self.code[at].op {
            Op::JumpIfNot(_, t) | Op::Jump(t) => *t = to,
            Op::ForCheck { exit, .. } => *exit = to,
            _ => {}
        }
    }
    fn block(&mut self, body: &[Stmt]) {
        self.next_block += 1;
        self.blocks.push(self.next_block);
        for s in body {
            self.stmt(s);
        }
        self.blocks.pop();
    }

    /// Points every GOTO at its label; a label must exist and not sit in a block the GOTO is outside of.
    fn resolve_gotos(&mut self) {
        for (name, at, path, span) in std::mem::take(&mut self.gotos) {
            match self.labels.iter().find(|l| l.0 == name) {
                Some((_, target, lpath, _)) if path.starts_with(lpath) => {
                    let t = *target;
                    self.patch(at, t);
                }
                Some(_) => self.errors.push(rt(span, format!("GOTO {name} jumps into a block; that is not allowed"))),
                None => self.errors.push(rt(span, format!("label {name} is not defined in this routine"))),
            }
        }
        let mut seen: Vec<&str> = Vec::new();
        for (name, _, _, span) in &self.labels {
            if seen.contains(&name.as_str()) {
                self.errors.push(rt(*span, format!("label {name} is defined twice")));
            }
            seen.push(name);
        }
    }
    fn loop_body(&mut self, body: &[Stmt]) -> Vec<usize> {
        self.exits.push(Vec::new());
        self.block(body);
        self.exits.pop().unwrap_or_default()
    }
    fn stmt(&mut self, s: &Stmt) {
        let sp = s.span;
        match &s.kind {
            StmtKind::Assign(t, v) => {
                self.emit(Op::Assign(t.clone(), v.clone()), sp);
            }
            StmtKind::If { cond, then_body, else_body } => {
                let j = self.emit(Op::JumpIfNot(cond.clone(), 0), sp);
                self.block(then_body);
                if else_body.is_empty() {
                    let end = self.code.len();
                    self.patch(j, end);
                } else {
                    let skip = self.emit(Op::Jump(0), sp);
                    let else_at = self.code.len();
                    self.patch(j, else_at);
                    self.block(else_body);
                    let end = self.code.len();
                    self.patch(skip, end);
                }
            }
            StmtKind::While { cond, body } => {
                let top = self.code.len();
                let j = self.emit(Op::JumpIfNot(cond.clone(), 0), sp);
                let exits = self.loop_body(body);
                self.emit(Op::Jump(top), sp);
                let end = self.code.len();
                self.patch(j, end);
                exits.into_iter().for_each(|e| self.patch(e, end));
            }
            StmtKind::Repeat { body, cond } => {
                let top = self.code.len();
                let exits = self.loop_body(body);
                self.emit(Op::JumpIfNot(cond.clone(), top), cond.span);
                let end = self.code.len();
                exits.into_iter().for_each(|e| self.patch(e, end));
            }
            StmtKind::Loop(body) => {
                let top = self.code.len();
                let exits = self.loop_body(body);
                self.emit(Op::Jump(top), sp);
                let end = self.code.len();
                exits.into_iter().for_each(|e| self.patch(e, end));
            }
            StmtKind::For { var, from, to, step, body } => {
                self.emit(Op::ForInit(var.clone(), from.clone()), sp);
                let check = self.emit(Op::ForCheck { var: var.clone(), to: to.clone(), step: step.clone(), exit: 0 }, sp);
                let exits = self.loop_body(body);
                self.emit(Op::ForStep { var: var.clone(), step: step.clone(), back: check }, sp);
                let end = self.code.len();
                self.patch(check, end);
                exits.into_iter().for_each(|e| self.patch(e, end));
            }
            StmtKind::Exit => {
                let j = self.emit(Op::Jump(0), sp);
                match self.exits.last_mut() {
                    Some(v) => v.push(j),
                    None => self.errors.push(rt(sp, "EXIT outside FOR, WHILE, REPEAT or LOOP")),
                }
            }
            StmtKind::Halt => {
                self.emit(Op::Halt, sp);
            }
            StmtKind::Continue => {
                self.emit(Op::Continue, sp);
            }
            StmtKind::Return(e) => {
                self.emit(Op::Return(e.clone()), sp);
            }
            StmtKind::WaitFor(c) => {
                self.emit(Op::WaitFor(c.clone()), sp);
            }
            StmtKind::WaitSec(e) => {
                self.emit(Op::WaitSec(e.clone()), sp);
            }
            StmtKind::Motion { kind, target, aux, ca, tool_relative, approx, with } => {
                let op = Op::Motion {
                    kind: *kind,
                    target: target.clone(),
                    aux: aux.clone(),
                    ca: ca.clone(),
                    tool_relative: *tool_relative,
                    approx: approx.clone(),
                    with: with.clone(),
                };
                self.emit(op, sp);
            }
            StmtKind::Call { name, args } => {
                self.emit(Op::Call(name.clone(), args.clone()), sp);
            }
            StmtKind::Switch { selector, cases, default } => {
                let mut ends = Vec::new();
                for (values, body) in cases {
                    let cond = values
                        .iter()
                        .map(|v| Expr { kind: ExprKind::Binary(BinOp::Eq, Box::new(selector.clone()), Box::new(v.clone())), span: v.span })
                        .reduce(|a, b| Expr { span: a.span, kind: ExprKind::Binary(BinOp::Or, Box::new(a), Box::new(b)) })
                        .expect("a CASE has values");
                    let j = self.emit(Op::JumpIfNot(cond, 0), sp);
                    self.block(body);
                    ends.push(self.emit(Op::Jump(0), sp));
                    let next = self.code.len();
                    self.patch(j, next);
                }
                if let Some(d) = default {
                    self.block(d);
                }
                let end = self.code.len();
                ends.into_iter().for_each(|e| self.patch(e, end));
            }
            StmtKind::Label(name) => {
                self.labels.push((name.clone(), self.code.len(), self.blocks.clone(), sp));
            }
            StmtKind::Goto(name) => {
                let at = self.emit(Op::Jump(0), sp);
                self.gotos.push((name.clone(), at, self.blocks.clone(), sp));
            }
            StmtKind::Pulse { target, value, seconds } => {
                self.emit(Op::Pulse { target: target.clone(), value: value.clone(), seconds: seconds.clone() }, sp);
            }
            StmtKind::InterruptDecl { global, prio, cond, handler, args } => {
                let op = Op::InterruptDecl {
                    global: *global,
                    prio: prio.clone(),
                    cond: cond.clone(),
                    handler: handler.clone(),
                    args: args.clone(),
                };
                self.emit(op, sp);
            }
            StmtKind::InterruptCtl { action, prio } => {
                self.emit(Op::InterruptCtl(*action, prio.clone()), sp);
            }
            StmtKind::Trigger { when, delay, action } => {
                self.emit(Op::Trigger(when.clone(), delay.clone(), action.clone()), sp);
            }
            StmtKind::Brake(fast) => {
                self.emit(Op::Brake(*fast), sp);
            }
            StmtKind::Resume => {
                self.emit(Op::Resume, sp);
            }
        }
    }
}

/// System variables with their values after `BAS(#INITMOV,0)` on a KR 6 R900 sixx.
fn system_defaults(g: &mut HashMap<String, Value>) {
    let st = |ty: &str, f: &[(&str, Value)]| {
        Value::Struct(Box::new(StructVal { ty: ty.into(), fields: f.iter().map(|(n, v)| (n.to_string(), v.clone())).collect() }))
    };
    g.insert("$VEL".into(), st("VEL_STRUC", &[("CP", Value::Real(2.0)), ("ORI1", Value::Real(200.0)), ("ORI2", Value::Real(200.0))]));
    g.insert("$ACC".into(), st("ACC_STRUC", &[("CP", Value::Real(2.3)), ("ORI1", Value::Real(100.0)), ("ORI2", Value::Real(100.0))]));
    g.insert(
        "$APO".into(),
        st("APO_STRUC", &[("CPTP", Value::Int(50)), ("CDIS", Value::Real(3.0)), ("CORI", Value::Real(5.0)), ("CVEL", Value::Int(100))]),
    );
    let ints = |v: i32| Value::Array(Box::new(ArrayVal { dims: vec![6], elems: vec![Value::Int(v); 6] }));
    g.insert("$VEL_AXIS".into(), ints(100));
    g.insert("$ACC_AXIS".into(), ints(50));
    g.insert("$OV_PRO".into(), Value::Int(100));
    g.insert("$ADVANCE".into(), Value::Int(3));
    g.insert("$ORI_TYPE".into(), Value::Enum("VAR".into()));
    g.insert("$CIRC_TYPE".into(), Value::Enum("BASE".into()));
    g.insert("$NULLFRAME".into(), Value::frame(&Frame::NULL));
    g.insert("$WORLD".into(), Value::frame(&Frame::NULL));
    g.insert("$BASE".into(), Value::frame(&Frame::NULL));
    g.insert("$TOOL".into(), Value::frame(&Frame::NULL));
    g.insert("$ACT_TOOL".into(), Value::Int(1));
    g.insert("$ACT_BASE".into(), Value::Int(0));
    let frames = |n: usize| Value::Array(Box::new(ArrayVal { dims: vec![n], elems: vec![Value::frame(&Frame::NULL); n] }));
    g.insert("TOOL_DATA".into(), frames(16));
    // $config.dat defaults the inline forms use.
    let pdat = st(
        "PDAT",
        &[
            ("VEL", Value::Real(100.0)),
            ("ACC", Value::Real(100.0)),
            ("APO_DIST", Value::Real(100.0)),
            ("APO_MODE", Value::Enum("CPTP".into())),
            ("GEAR_JERK", Value::Real(50.0)),
            ("EXAX_IGN", Value::Int(0)),
        ],
    );
    let ldat = st(
        "LDAT",
        &[
            ("VEL", Value::Real(2.0)),
            ("ACC", Value::Real(100.0)),
            ("APO_DIST", Value::Real(100.0)),
            ("APO_FAC", Value::Real(50.0)),
            ("AXIS_VEL", Value::Real(100.0)),
            ("AXIS_ACC", Value::Real(100.0)),
            ("ORI_TYP", Value::Enum("VAR".into())),
            ("CIRC_TYP", Value::Enum("BASE".into())),
            ("JERK_FAC", Value::Real(50.0)),
            ("GEAR_JERK", Value::Real(50.0)),
            ("EXAX_IGN", Value::Int(0)),
            ("CB", Value::Enum("AUTO".into())),
        ],
    );
    let fdat = st(
        "FDAT",
        &[
            ("TOOL_NO", Value::Int(1)),
            ("BASE_NO", Value::Int(0)),
            ("IPO_FRAME", Value::Enum("BASE".into())),
            ("POINT2", Value::Str(" ".into())),
            ("TQ_STATE", Value::Bool(false)),
        ],
    );
    for (n, v) in
        [("PDAT_ACT", &pdat), ("PDEFAULT", &pdat), ("LDAT_ACT", &ldat), ("LDEFAULT", &ldat), ("FDAT_ACT", &fdat), ("FHOME", &fdat)]
    {
        g.insert(n.into(), v.clone());
    }
    g.insert("$BWDSTART".into(), Value::Bool(false));
    g.insert("$STOPMESS".into(), Value::Bool(false));
    g.insert("$TIMER".into(), Value::Array(Box::new(ArrayVal { dims: vec![32], elems: vec![Value::Int(0); 32] })));
    g.insert("$TIMER_STOP".into(), Value::Array(Box::new(ArrayVal { dims: vec![32], elems: vec![Value::Bool(true); 32] })));
    g.insert("$FLAG".into(), Value::Array(Box::new(ArrayVal { dims: vec![1024], elems: vec![Value::Bool(false); 1024] })));
    g.insert("BASE_DATA".into(), frames(32));
    g.insert("$IPO_MODE".into(), Value::Enum("BASE".into()));
    g.insert("$LOAD".into(), load_value(0.0));
    g.insert("LOAD_DATA".into(), Value::Array(Box::new(ArrayVal { dims: vec![16], elems: vec![load_value(0.0); 16] })));
    let reals = |n: usize, v: f64| Value::Array(Box::new(ArrayVal { dims: vec![n], elems: vec![Value::Real(v); n] }));
    g.insert("$GEAR_JERK".into(), reals(12, 50.0));
    g.insert("$COLLMON_TOL_PRO".into(), reals(12, 0.0));
    g.insert("$JERK".into(), st("JERK_STRUC", &[("CP", Value::Real(500.0)), ("ORI", Value::Real(50000.0))]));
}

/// The variables every program sees without declaring them, apart from system variables ($...).
pub fn predefined_names() -> Vec<String> {
    let mut g = HashMap::default();
    system_defaults(&mut g);
    let mut v: Vec<String> = g.into_keys().filter(|k| !k.starts_with('$')).collect();
    v.push("XHOME".into());
    v
}

/// Cell-specific globals a program sees, as `$config.dat` would give them.
#[derive(Clone, Debug)]
pub struct ConfigGlobals {
    pub home_deg: [f64; 6],
    pub tool: Frame,
    pub robroot: Frame,
    /// BASE_DATA[1..]; the rest stay $NULLFRAME.
    pub bases: Vec<Frame>,
}

const READ_ONLY: &[&str] = &["$IN", "$POS_ACT", "$AXIS_ACT", "$NULLFRAME", "$WORLD", "$ROBROOT"];

impl Interpreter {
    /// Compiles a parsed module. Errors found while compiling the routines and while evaluating
    /// the `.dat` initial values come back separately.
    pub fn new(module: &Module, cfg: &ConfigGlobals) -> Result<Self, LoadErrors> {
        let mut errors = Vec::new();
        let mut dat_errors = Vec::new();
        let mut routines = Vec::new();
        let signal_names: Vec<String> = module.signals.iter().map(|s| s.name.clone()).collect();
        for r in &module.routines {
            let mut c = Compiler {
                signals: &signal_names,
                code: Vec::new(),
                exits: Vec::new(),
                errors: Vec::new(),
                blocks: Vec::new(),
                next_block: 0,
                labels: Vec::new(),
                gotos: Vec::new(),
            };
            c.block(&r.body);
            c.emit(Op::End, r.span);
            c.resolve_gotos();
            errors.append(&mut c.errors);
            routines.push(CompiledRoutine {
                name: r.name.clone(),
                returns: r.returns.clone(),
                params: r.params.clone(),
                decls: r.decls.clone(),
                code: c.code.into(),
            });
        }
        let mut globals = HashMap::default();
        system_defaults(&mut globals);
        globals.insert("XHOME".into(), Value::e6axis(&cfg.home_deg));
        globals.insert("$H_POS".into(), Value::e6axis(&cfg.home_deg));
        globals.insert("$TOOL".into(), Value::frame(&cfg.tool));
        globals.insert("$ROBROOT".into(), Value::frame(&cfg.robroot));
        if let Some(Value::Array(a)) = globals.get_mut("TOOL_DATA") {
            a.elems[0] = Value::frame(&cfg.tool);
        }
        if let Some(Value::Array(a)) = globals.get_mut("BASE_DATA") {
            for (slot, b) in a.elems.iter_mut().zip(&cfg.bases) {
                *slot = Value::frame(b);
            }
        }
        let mut it = Interpreter {
            routines,
            types: module.types.iter().map(|t| (t.name.clone(), t.clone())).collect(),
            signals: module.signals.iter().map(|x| (x.name.clone(), x.clone())).collect(),
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
        };
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
        match it.routines.first() {
            None => errors.push(rt(Span::new(1, 1, 0), "no routine to run")),
            Some(r) if r.returns.is_some() => {
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

    /// Reads a variable by name (locals of the running routine first), for the watch panel.
    pub fn variable(&self, name: &str) -> Option<&Value> {
        let up = name.to_ascii_uppercase();
        self.stack.last().and_then(|f| f.locals.get(&up)).or_else(|| self.globals.get(&up))
    }

    /// Sets a global (used for `$OV_PRO` from the pendant).
    pub fn set_global(&mut self, name: &str, v: Value) {
        self.globals.insert(name.to_ascii_uppercase(), v);
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
        loop {
            let Some(frame) = self.stack.last() else { return Yield::Finished };
            let code = Arc::clone(&self.routines[frame.routine].code);
            let instr = &code[frame.pc];
            self.current = instr.span;
            if instr.adv_stop && !self.continue_next && env.motions_pending() > 0 {
                return Yield::Blocked;
            }
            if left == 0 {
                return Yield::Budget;
            }
            left -= 1;
            self.ops_executed += 1;
            let was_continue = self.continue_next;
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
                Err(e) => return Yield::Fault(e),
            }
        }
    }

    /// Advances running `$TIMER`s and switches back outputs whose PULSE has ended.
    fn tick_clock(&mut self, env: &mut dyn Env) {
        let now = env.time_s();
        let ms = (now - self.timers_at_s) * 1000.0 + self.timer_frac_ms;
        self.timers_at_s = now;
        let whole = ms.floor();
        self.timer_frac_ms = ms - whole;
        if whole > 0.0 {
            let mut running = [false; 32];
            if let Some(Value::Array(stop)) = self.globals.get("$TIMER_STOP") {
                for (r, v) in running.iter_mut().zip(&stop.elems) {
                    *r = matches!(v, Value::Bool(false));
                }
            }
            if let Some(Value::Array(t)) = self.globals.get_mut("$TIMER") {
                for (v, run) in t.elems.iter_mut().zip(running) {
                    if let (Value::Int(x), true) = (v, run) {
                        *x = x.saturating_add(whole as i32);
                    }
                }
            }
        }
        let (due, later): (Vec<_>, Vec<_>) = self.pulses.drain(..).partition(|p| p.2 <= now + 1e-9);
        self.pulses = later;
        for (n, v, _) in due {
            env.set_output(n, v);
        }
    }

    /// Evaluates the conditions of active interrupts; on a rise, calls the handler of the
    /// highest priority (lowest number) right where the program is, unless a handler of the
    /// same or higher priority is running. The robot keeps moving.
    fn check_interrupts(&mut self, env: &mut dyn Env) -> Result<(), RuntimeError> {
        if self.interrupts.is_empty() || self.stack.is_empty() {
            return Ok(());
        }
        let depth = self.stack.len();
        let mut fire: Option<usize> = None;
        for i in 0..self.interrupts.len() {
            let ir = &self.interrupts[i];
            if !ir.on || !(ir.global || ir.depth <= depth) {
                continue;
            }
            let cond = ir.cond.clone();
            let now = match self.eval(&cond, env)? {
                Value::Bool(b) => b,
                other => return Err(rt(cond.span, format!("an interrupt condition must be BOOL, not {}", other.type_name()))),
            };
            let ir = &mut self.interrupts[i];
            let rose = now && !ir.last;
            ir.last = now;
            if rose && ir.enabled && fire.is_none_or(|f| self.interrupts[f].prio > self.interrupts[i].prio) {
                fire = Some(i);
            }
        }
        let Some(i) = fire else { return Ok(()) };
        let ir = self.interrupts[i].clone();
        if self.in_handler.iter().any(|h| h.prio <= ir.prio) {
            return Ok(());
        }
        if !self.routines.iter().any(|r| r.name == ir.handler && r.returns.is_none()) {
            return Err(rt(ir.span, format!("interrupt {}: routine {} is not available in this cell", ir.prio, ir.handler)));
        }
        // Where the robot was when the interrupt came.
        let base = self.global_frame("$BASE");
        let tool = self.global_frame("$TOOL");
        let (f, st, tu) = env.pos_act(&base, &tool);
        self.globals.insert("$POS_INT".into(), Value::e6pos(&f, st, tu));
        self.globals.insert("$AXIS_INT".into(), Value::e6axis(&env.axis_act()));
        self.start_handler(ir.prio, &ir.handler, &ir.args, ir.span, env)?;
        if let Some(h) = self.in_handler.last_mut() {
            h.declared_at = Some(ir.depth);
        }
        Ok(())
    }

    /// Calls an interrupt or trigger routine without moving past the statement the program is at.
    fn start_handler(&mut self, prio: i32, name: &str, args: &[Expr], span: Span, env: &mut dyn Env) -> Result<(), RuntimeError> {
        let depth = self.stack.len();
        self.call(name, args, span, env)?;
        self.stack[depth - 1].pc -= 1;
        let continue_next = std::mem::take(&mut self.continue_next);
        let wait_until = self.wait_until.take();
        self.in_handler.push(Handler { prio, depth: self.stack.len(), declared_at: None, wait_until, continue_next, braked: false });
        Ok(())
    }

    /// A trigger's point on the path is reached (called by the main run): an assignment
    /// happens now, a routine starts at the next resume like an interrupt routine.
    pub fn fire_trigger(&mut self, t: &TriggerCmd, env: &mut dyn Env) -> Result<(), RuntimeError> {
        match &t.action {
            TriggerAction::Assign(target, v) => {
                let val = self.eval(v, env)?;
                self.assign(target, val, env)
            }
            TriggerAction::Call { name, args, prio } => {
                let p = self.eval_int(prio, env)?;
                // PRIO=-1: the controller picks a free priority.
                let p = if p == -1 { 100 } else { p };
                if !(1..=128).contains(&p) {
                    return Err(rt(prio.span, format!("TRIGGER priority {p} is outside 1..128 (or -1)")));
                }
                if !self.routines.iter().any(|r| r.name == *name && r.returns.is_none()) {
                    return Err(rt(t.span, format!("TRIGGER: routine {name} is not available in this cell")));
                }
                self.trigger_calls.push((p, name.clone(), args.clone(), t.span));
                Ok(())
            }
        }
    }

    /// Starts the routines triggers called, highest priority first.
    fn start_trigger_calls(&mut self, env: &mut dyn Env) -> Result<(), RuntimeError> {
        if self.trigger_calls.is_empty() || self.stack.is_empty() {
            return Ok(());
        }
        self.trigger_calls.sort_by_key(|c| -c.0);
        let (prio, name, args, span) = self.trigger_calls.last().cloned().expect("not empty");
        if self.in_handler.iter().any(|h| h.prio <= prio) {
            return Ok(());
        }
        self.trigger_calls.pop();
        self.start_handler(prio, &name, &args, span, env)
    }

    fn pc_mut(&mut self) -> &mut usize {
        &mut self.stack.last_mut().expect("running").pc
    }

    fn advance(&mut self) {
        *self.pc_mut() += 1;
    }

    fn exec(&mut self, instr: &Instr, env: &mut dyn Env) -> Result<Option<Yield>, RuntimeError> {
        let sp = instr.span;
        match &instr.op {
            Op::Assign(t, v) => {
                let val = self.eval(v, env)?;
                self.assign(t, val, env)?;
                self.advance();
            }
            Op::JumpIfNot(c, to) => {
                if self.eval_bool(c, env)? {
                    self.advance();
                } else {
                    *self.pc_mut() = *to;
                }
            }
            Op::Jump(to) => *self.pc_mut() = *to,
            Op::ForInit(var, from) => {
                let v = self.eval(from, env)?;
                let target = Expr { kind: ExprKind::Name(var.clone()), span: sp };
                if !matches!(self.read_name(var, sp, env)?, Value::Int(_) | Value::Uninit(Scalar::Int)) {
                    return Err(rt(sp, format!("FOR counter {var} must be INT")));
                }
                self.assign(&target, v, env)?;
                self.advance();
            }
            Op::ForCheck { var, to, step, exit } => {
                let i = self.int_of_name(var, sp, env)?;
                let to = self.eval_int(to, env)?;
                let step = match step {
                    Some(s) => self.eval_int(s, env)?,
                    None => 1,
                };
                if step == 0 {
                    return Err(rt(sp, "FOR ... STEP 0 never ends"));
                }
                let done = if step > 0 { i > to } else { i < to };
                if done {
                    *self.pc_mut() = *exit;
                } else {
                    self.advance();
                }
            }
            Op::ForStep { var, step, back } => {
                let i = self.int_of_name(var, sp, env)?;
                let step = match step {
                    Some(s) => self.eval_int(s, env)?,
                    None => 1,
                };
                let target = Expr { kind: ExprKind::Name(var.clone()), span: sp };
                self.assign(&target, Value::Int(i.wrapping_add(step)), env)?;
                *self.pc_mut() = *back;
            }
            Op::WaitFor(c) => {
                if self.eval_bool(c, env)? {
                    self.advance();
                } else {
                    return Ok(Some(Yield::Blocked));
                }
            }
            Op::WaitSec(e) => {
                let now = env.time_s();
                let until = match self.wait_until {
                    Some(u) => u,
                    None => {
                        let t = self.eval(e, env)?.as_f64().ok_or_else(|| rt(e.span, "WAIT SEC needs a number of seconds"))?;
                        let u = now + t.max(0.0);
                        self.wait_until = Some(u);
                        u
                    }
                };
                if now + 1e-9 >= until {
                    self.wait_until = None;
                    self.advance();
                } else {
                    return Ok(Some(Yield::Blocked));
                }
            }
            Op::Continue => {
                self.continue_next = true;
                self.advance();
            }
            Op::Halt => {
                self.advance();
                return Ok(Some(Yield::Halt));
            }
            Op::Return(e) => {
                let frame = self.stack.last().expect("running");
                let returns = self.routines[frame.routine].returns.clone();
                match (e, returns) {
                    (Some(e), Some(ty)) => {
                        let v = self.eval(e, env)?;
                        let mut slot = self.fresh(&ty, &[]);
                        coerce_into(&mut slot, v, e.span, "the function result")?;
                        self.ret_val = Some(slot);
                    }
                    (Some(_), None) => return Err(rt(sp, "RETURN with a value is only allowed in a DEFFCT")),
                    (None, Some(_)) => return Err(rt(sp, "a DEFFCT must RETURN a value")),
                    (None, None) => {}
                }
                return self.ret(env);
            }
            Op::End => {
                let frame = self.stack.last().expect("running");
                let r = &self.routines[frame.routine];
                if r.returns.is_some() {
                    return Err(rt(sp, format!("function {} reached ENDFCT without RETURN", r.name)));
                }
                return self.ret(env);
            }
            Op::InterruptDecl { global, prio, cond, handler, args } => {
                let p = self.eval_int(prio, env)?;
                if !(1..=128).contains(&p) {
                    return Err(rt(prio.span, format!("interrupt priority {p} is outside 1..128")));
                }
                let decl = Interrupt {
                    prio: p,
                    cond: cond.clone(),
                    handler: handler.clone(),
                    args: args.clone(),
                    depth: self.stack.len(),
                    global: *global,
                    on: false,
                    enabled: true,
                    last: false,
                    span: sp,
                };
                match self.interrupts.iter_mut().find(|i| i.prio == p) {
                    Some(old) => *old = decl,
                    None => {
                        if self.interrupts.len() >= 32 {
                            return Err(rt(sp, "more than 32 interrupts declared"));
                        }
                        self.interrupts.push(decl);
                    }
                }
                self.advance();
            }
            Op::InterruptCtl(action, prio) => {
                let p = prio.as_ref().map(|e| self.eval_int(e, env)).transpose()?;
                let mut found = false;
                for ir in self.interrupts.iter_mut().filter(|i| p.is_none_or(|p| i.prio == p)) {
                    found = true;
                    match action {
                        InterruptAction::On => {
                            ir.on = true;
                            ir.last = false;
                        }
                        InterruptAction::Off => ir.on = false,
                        InterruptAction::Enable => ir.enabled = true,
                        InterruptAction::Disable => ir.enabled = false,
                    }
                }
                if !found && let Some(p) = p {
                    return Err(rt(sp, format!("interrupt {p} is not declared")));
                }
                if self.interrupts.iter().filter(|i| i.on).count() > 16 {
                    return Err(rt(sp, "more than 16 interrupts switched on"));
                }
                self.advance();
            }
            Op::Trigger(when, delay, action) => {
                let num = |me: &mut Self, e: &Expr, env: &mut dyn Env, what: &str| -> Result<f64, RuntimeError> {
                    me.eval(e, env)?.as_f64().ok_or_else(|| rt(e.span, format!("TRIGGER: {what} must be a number")))
                };
                let at = match when {
                    TriggerWhen::Distance(d) => match num(self, d, env, "DISTANCE")? {
                        0.0 => TriggerAt::Start,
                        1.0 => TriggerAt::End,
                        x => return Err(rt(d.span, format!("TRIGGER WHEN DISTANCE={x}: DISTANCE is 0 (start point) or 1 (end point)"))),
                    },
                    TriggerWhen::Path { mm, onstart: true } => TriggerAt::PathFromStart(num(self, mm, env, "PATH")?),
                    TriggerWhen::Path { mm, onstart: false } => TriggerAt::PathFromEnd(num(self, mm, env, "PATH")?),
                };
                let delay_s = num(self, delay, env, "DELAY")? / 1000.0;
                if self.pending_triggers.len() >= 8 {
                    return Err(rt(sp, "more than 8 TRIGGERs for one motion"));
                }
                self.pending_triggers.push(TriggerCmd { at, delay_s, action: action.clone(), span: sp });
                self.advance();
            }
            Op::Brake(fast) => {
                if self.in_handler.is_empty() {
                    return Err(rt(sp, "BRAKE is allowed only in an interrupt routine"));
                }
                if !self.braking {
                    self.braking = true;
                    return Ok(Some(Yield::Brake { fast: *fast }));
                }
                if env.motions_pending() > 0 {
                    return Ok(Some(Yield::Blocked));
                }
                self.braking = false;
                if let Some(h) = self.in_handler.last_mut() {
                    h.braked = true;
                }
                self.advance();
            }
            Op::Resume => {
                let Some(h) = self.in_handler.last().cloned() else {
                    return Err(rt(sp, "RESUME is allowed only in an interrupt routine"));
                };
                let Some(level) = h.declared_at else {
                    return Err(rt(sp, "RESUME is allowed only in an interrupt routine, not in a TRIGGER's routine"));
                };
                // After BRAKE, the routine's own motions finish first.
                if h.braked && env.motions_pending() > 0 {
                    return Ok(Some(Yield::Blocked));
                }
                // The handler runs above the interrupted routine; that one must lie below the declaring level.
                if h.depth <= level + 1 {
                    return Err(rt(
                        sp,
                        "RESUME: the interrupt came in the routine that declared it, so there is nothing to abort; declare the interrupt in the caller of the routine RESUME should end",
                    ));
                }
                self.stack.truncate(level);
                self.in_handler.retain(|x| x.depth <= level);
                self.wait_until = None;
                self.continue_next = false;
                self.pending_triggers.clear();
                return Ok(Some(Yield::Resume));
            }
            Op::Pulse { target, value, seconds } => {
                let (ExprKind::Index(b, idx), Value::Bool(v)) = (&target.kind, self.eval(value, env)?) else {
                    return Err(rt(sp, "PULSE needs an output and a BOOL: PULSE($OUT[2], TRUE, 0.5)"));
                };
                if !matches!(&b.kind, ExprKind::Name(n) if n == "$OUT") || idx.len() != 1 {
                    return Err(rt(sp, "PULSE switches an output: PULSE($OUT[2], TRUE, 0.5)"));
                }
                let iv = self.eval(&idx[0], env)?;
                let n = io_index(&iv, "$OUT", sp)?;
                let t = self.eval(seconds, env)?.as_f64().ok_or_else(|| rt(seconds.span, "PULSE time must be a number of seconds"))?;
                let before = env.output(n);
                env.set_output(n, v);
                self.pulses.retain(|p| p.0 != n);
                self.pulses.push((n, before, env.time_s() + t.max(0.0)));
                self.advance();
            }
            Op::Motion { kind, target, aux, ca, tool_relative, approx, with } => {
                if self.in_handler.last().is_some_and(|h| !h.braked) {
                    return Err(rt(sp, "a motion in an interrupt routine needs BRAKE first: the robot is still on its way"));
                }
                let adv = match self.globals.get("$ADVANCE") {
                    Some(Value::Int(a)) => (*a).clamp(0, 5) as usize,
                    _ => 3,
                };
                if env.motions_pending() > adv {
                    return Ok(Some(Yield::Blocked));
                }
                let target = self.eval(target, env)?;
                // WITH: set the variables for this motion, take its parameters, put them back.
                let mut saved: Vec<(String, Value)> = Vec::new();
                for (t, v) in with {
                    let root = t.root_name();
                    if !root.starts_with('$') {
                        return Err(rt(t.span, format!("WITH sets system variables such as $VEL or $APO, not {root}")));
                    }
                    if !saved.iter().any(|(n, _)| n == root) {
                        let Some(old) = self.lookup(root).cloned() else { return Err(rt(t.span, format!("{root} is not declared"))) };
                        saved.push((root.to_string(), old));
                    }
                    let val = self.eval(v, env)?;
                    self.assign_with(t, val, env)?;
                }
                let cmd = self.motion_cmd(*kind, target, *tool_relative, approx.clone(), sp);
                for (n, v) in saved {
                    self.globals.insert(n, v);
                }
                let mut cmd = cmd?;
                cmd.triggers = std::mem::take(&mut self.pending_triggers);
                cmd.aux = aux.as_ref().map(|a| self.eval(a, env)).transpose()?;
                cmd.ca_deg = match ca {
                    Some(c) => Some(self.eval(c, env)?.as_f64().ok_or_else(|| rt(c.span, "CA needs an angle in degrees"))?),
                    None => None,
                };
                self.advance();
                return Ok(Some(Yield::Motion(Box::new(cmd))));
            }
            Op::Call(name, args) => {
                if name == "BAS" {
                    self.bas(args, sp, env)?;
                    self.advance();
                } else {
                    self.call(name, args, sp, env)?;
                }
            }
        }
        Ok(None)
    }

    /// A motion with the modal parameters in force now.
    fn motion_cmd(
        &self,
        kind: MotionKind,
        target: Value,
        tool_relative: bool,
        approx: Vec<Approx>,
        span: Span,
    ) -> Result<MotionCmd, RuntimeError> {
        let g = |me: &Self, n: &str, m: &str| -> f64 {
            match me.globals.get(n) {
                Some(Value::Struct(s)) => s.num(m).unwrap_or(0.0),
                _ => 0.0,
            }
        };
        let arr = |me: &Self, n: &str| -> [f64; 6] {
            match me.globals.get(n) {
                Some(Value::Array(a)) => std::array::from_fn(|i| a.elems.get(i).and_then(Value::as_f64).unwrap_or(100.0)),
                _ => [100.0; 6],
            }
        };
        let frame = |me: &Self, n: &str| -> Result<Frame, RuntimeError> {
            match me.globals.get(n) {
                Some(Value::Struct(s)) => s.to_frame().ok_or_else(|| rt(span, format!("KSS01422 {n} value invalid"))),
                _ => Ok(Frame::NULL),
            }
        };
        let ori_type = match self.globals.get("$ORI_TYPE") {
            Some(Value::Enum(e)) => e.clone(),
            _ => "VAR".into(),
        };
        Ok(MotionCmd {
            triggers: Vec::new(),
            kind,
            target,
            aux: None,
            ca_deg: None,
            apo: [g(self, "$APO", "CPTP"), g(self, "$APO", "CDIS"), g(self, "$APO", "CORI"), g(self, "$APO", "CVEL")],
            ori_type,
            tool_relative,
            approx,
            span,
            vel_cp_m_s: g(self, "$VEL", "CP"),
            acc_cp_m_s2: g(self, "$ACC", "CP"),
            vel_ori_deg_s: g(self, "$VEL", "ORI1"),
            vel_ori2_deg_s: g(self, "$VEL", "ORI2"),
            vel_axis_pct: arr(self, "$VEL_AXIS"),
            acc_axis_pct: arr(self, "$ACC_AXIS"),
            tool: frame(self, "$TOOL")?,
            base: frame(self, "$BASE")?,
        })
    }

    /// The controller's `BAS` library routine, per `bas.src`.
    fn bas(&mut self, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<(), RuntimeError> {
        let cmd = match args.first().map(|a| self.eval(a, env)).transpose()? {
            Some(Value::Enum(e)) => e,
            _ => return Err(rt(sp, "BAS needs a command such as #INITMOV")),
        };
        let num = |me: &mut Self, env: &mut dyn Env| -> Result<f64, RuntimeError> {
            match args.get(1) {
                Some(a) => me.eval(a, env)?.as_f64().ok_or_else(|| rt(a.span, "BAS: the second argument must be a number")),
                None => Err(rt(sp, format!("BAS(#{cmd}, value) needs a value"))),
            }
        };
        let set_member = |me: &mut Self, var: &str, m: &str, v: Value| {
            if let Some(Value::Struct(s)) = me.globals.get_mut(var)
                && let Some(f) = s.get_mut(m)
            {
                *f = v;
            }
        };
        let set_axes = |me: &mut Self, var: &str, v: f64| {
            me.globals.insert(var.into(), Value::Array(Box::new(ArrayVal { dims: vec![6], elems: vec![Value::Int(v.round() as i32); 6] })));
        };
        match cmd.as_str() {
            "INITMOV" => {
                let keep = ["XHOME", "$H_POS", "$TOOL", "$ROBROOT", "TOOL_DATA", "BASE_DATA", "$OV_PRO"];
                let mut fresh = HashMap::default();
                system_defaults(&mut fresh);
                for (k, v) in fresh {
                    if !keep.contains(&k.as_str()) {
                        self.globals.insert(k, v);
                    }
                }
                let tool1 = match self.globals.get("TOOL_DATA") {
                    Some(Value::Array(a)) => a.elems[0].clone(),
                    _ => Value::frame(&Frame::NULL),
                };
                self.globals.insert("$TOOL".into(), tool1);
            }
            "VEL_PTP" => {
                let v = num(self, env)?.clamp(0.0, 100.0);
                set_axes(self, "$VEL_AXIS", v);
            }
            "ACC_PTP" => {
                let v = num(self, env)?.clamp(0.0, 100.0);
                set_axes(self, "$ACC_AXIS", v);
            }
            "VEL_CP" => {
                let v = num(self, env)?.clamp(0.0, 2.0);
                set_member(self, "$VEL", "CP", Value::Real(v));
            }
            "ACC_CP" => {
                let v = num(self, env)?.clamp(0.0, 100.0);
                set_member(self, "$ACC", "CP", Value::Real(2.3 * v / 100.0));
            }
            "TOOL" | "BASE" => {
                let n = num(self, env)? as i64;
                let (table, var, max) = if cmd == "TOOL" { ("TOOL_DATA", "$TOOL", 16) } else { ("BASE_DATA", "$BASE", 32) };
                let f = if n == 0 {
                    Value::frame(&Frame::NULL)
                } else if (1..=max).contains(&n) {
                    match self.globals.get(table) {
                        Some(Value::Array(a)) => a.elems[n as usize - 1].clone(),
                        _ => Value::frame(&Frame::NULL),
                    }
                } else {
                    return Err(rt(sp, format!("BAS(#{cmd},{n}): {table} has entries 1..{max}")));
                };
                self.globals.insert(var.into(), f);
            }
            "PTP_PARAMS" | "PTP_DAT" => {
                self.bas_ptp_dat();
                self.bas_frames(sp)?;
                if cmd == "PTP_PARAMS" {
                    let v = num(self, env)?.clamp(0.0, 100.0);
                    set_axes(self, "$VEL_AXIS", v);
                }
            }
            "CP_PARAMS" | "CP_DAT" => {
                self.bas_cp_dat();
                self.bas_frames(sp)?;
                if cmd == "CP_PARAMS" {
                    let v = num(self, env)?.clamp(0.0, 2.0);
                    set_member(self, "$VEL", "CP", Value::Real(v));
                }
            }
            "FRAMES" => self.bas_frames(sp)?,
            other => {
                return Err(rt(sp, format!("BAS(#{other}) is not supported by robocell yet")));
            }
        }
        Ok(())
    }

    /// Runs a DEFFCT to its RETURN, right here in the expression. Motions and waits are not
    /// allowed in a function called this way.
    fn call_function(&mut self, name: &str, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<Value, RuntimeError> {
        if !self.routines.iter().any(|r| r.name == name && r.returns.is_some()) {
            return Err(rt(sp, format!("{name} is a DEF routine, not a DEFFCT: it has no value")));
        }
        if self.stack.is_empty() {
            return Err(rt(sp, format!("{name}(): a data list's initial value cannot call a function")));
        }
        let depth = self.stack.len();
        let here = self.current;
        // The caller's pc must not move: call() advances it, so step it back afterwards.
        self.call(name, args, sp, env)?;
        if let Some(caller) = self.stack.get_mut(depth - 1) {
            caller.pc -= 1;
        }
        let mut budget: u32 = 1_000_000;
        while self.stack.len() > depth {
            let frame = self.stack.last().expect("running");
            let code = Arc::clone(&self.routines[frame.routine].code);
            let instr = &code[frame.pc];
            if matches!(instr.op, Op::Motion { .. } | Op::WaitFor(_) | Op::WaitSec(_) | Op::Halt) {
                self.stack.truncate(depth);
                return Err(rt(
                    instr.span,
                    format!("function {name}: motions, WAIT and HALT are not allowed in a function used in an expression"),
                ));
            }
            budget -= 1;
            if budget == 0 {
                self.stack.truncate(depth);
                return Err(rt(sp, format!("function {name} ran 1000000 statements without returning")));
            }
            self.current = instr.span;
            self.ops_executed += 1;
            if let Err(e) = self.exec(instr, env) {
                self.stack.truncate(depth);
                return Err(e);
            }
        }
        self.current = here;
        self.ret_val.take().ok_or_else(|| rt(sp, format!("function {name} returned no value")))
    }

    fn member(&self, var: &str, m: &str) -> Option<Value> {
        match self.globals.get(var) {
            Some(Value::Struct(s)) => s.get(m).cloned(),
            _ => None,
        }
    }

    fn set_member(&mut self, var: &str, m: &str, v: Value) {
        if let Some(Value::Struct(s)) = self.globals.get_mut(var)
            && let Some(f) = s.get_mut(m)
        {
            *f = v;
        }
    }

    /// `bas.src` PTP_DAT: acceleration and approximation from PDAT_ACT.
    fn bas_ptp_dat(&mut self) {
        let acc = self.member("PDAT_ACT", "ACC").and_then(|v| v.as_f64()).unwrap_or(100.0).clamp(0.0, 100.0);
        self.globals
            .insert("$ACC_AXIS".into(), Value::Array(Box::new(ArrayVal { dims: vec![6], elems: vec![Value::Int(acc.round() as i32); 6] })));
        let dist = self.member("PDAT_ACT", "APO_DIST").and_then(|v| v.as_f64()).unwrap_or(100.0);
        if matches!(self.member("PDAT_ACT", "APO_MODE"), Some(Value::Enum(m)) if m == "CDIS") {
            self.set_member("$APO", "CDIS", Value::Real(dist));
        } else {
            self.set_member("$APO", "CPTP", Value::Int(dist.min(100.0).round() as i32));
        }
    }

    /// `bas.src` CP_DAT: path acceleration, approximation and orientation guidance from LDAT_ACT.
    fn bas_cp_dat(&mut self) {
        let acc = self.member("LDAT_ACT", "ACC").and_then(|v| v.as_f64()).unwrap_or(100.0).clamp(0.0, 100.0);
        self.set_member("$ACC", "CP", Value::Real(2.3 * acc / 100.0));
        if let Some(d) = self.member("LDAT_ACT", "APO_DIST").and_then(|v| v.as_f64()) {
            self.set_member("$APO", "CDIS", Value::Real(d));
        }
        if let Some(Value::Enum(o)) = self.member("LDAT_ACT", "ORI_TYP") {
            self.globals.insert("$ORI_TYPE".into(), Value::Enum(o));
        }
        if let Some(Value::Enum(c)) = self.member("LDAT_ACT", "CIRC_TYP") {
            self.globals.insert("$CIRC_TYPE".into(), Value::Enum(c));
        }
    }

    /// `bas.src` FRAMES: `$TOOL` and `$BASE` from FDAT_ACT's tool and base numbers.
    fn bas_frames(&mut self, sp: Span) -> Result<(), RuntimeError> {
        for (no, table, var, max) in [("TOOL_NO", "TOOL_DATA", "$TOOL", 16), ("BASE_NO", "BASE_DATA", "$BASE", 32)] {
            let n = match self.member("FDAT_ACT", no) {
                Some(Value::Int(n)) => n as i64,
                _ => continue,
            };
            let f = if n == 0 {
                Value::frame(&Frame::NULL)
            } else if (1..=max).contains(&n) {
                match self.globals.get(table) {
                    Some(Value::Array(a)) => a.elems[n as usize - 1].clone(),
                    _ => Value::frame(&Frame::NULL),
                }
            } else {
                return Err(rt(sp, format!("FDAT_ACT.{no} = {n}: {table} has entries 1..{max}")));
            };
            self.globals.insert(var.into(), f);
        }
        Ok(())
    }

    fn call(&mut self, name: &str, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<(), RuntimeError> {
        let Some(ri) = self.routines.iter().position(|r| r.name == name) else {
            return Err(rt(sp, format!("routine {name} is not available in this cell")));
        };
        let params = self.routines[ri].params.clone();
        if params.len() != args.len() {
            return Err(rt(sp, format!("{name} takes {} parameter(s), {} given", params.len(), args.len())));
        }
        let mut locals = self.fresh_locals(ri);
        let mut out_binds = Vec::new();
        for (p, a) in params.iter().zip(args) {
            let v = self.eval(a, env)?;
            let Some(slot) = locals.get_mut(&p.name) else {
                return Err(rt(p.span, format!("parameter {} of {name} has no declaration (e.g. DECL INT {})", p.name, p.name)));
            };
            // An OUT parameter may receive a variable that has no value yet.
            if !(p.out && matches!(v, Value::Uninit(_))) {
                coerce_into(slot, v, a.span, &p.name)?;
            }
            if p.out {
                out_binds.push((p.name.clone(), a.clone()));
            }
        }
        if self.stack.len() >= 64 {
            return Err(rt(sp, "subroutine calls nested deeper than 64 levels"));
        }
        self.advance();
        self.stack.push(CallFrame { routine: ri, pc: 0, locals, out_binds });
        Ok(())
    }

    fn ret(&mut self, env: &mut dyn Env) -> Result<Option<Yield>, RuntimeError> {
        let depth = self.stack.len();
        let frame = self.stack.pop().expect("running");
        if self.stack.is_empty() {
            self.stack.push(frame);
            return Ok(Some(Yield::Finished));
        }
        if let Some(h) = self.in_handler.last()
            && h.depth == depth
        {
            // An interrupt routine ends: the interrupted statement carries on (a WAIT SEC keeps its deadline).
            let h = self.in_handler.pop().expect("checked");
            self.wait_until = h.wait_until;
            self.continue_next = h.continue_next;
        }
        for (pname, target) in frame.out_binds {
            if let Some(v) = frame.locals.get(&pname) {
                self.assign(&target, v.clone(), env)?;
            }
        }
        Ok(None)
    }

    // ---------- expressions ----------

    fn eval_bool(&mut self, e: &Expr, env: &mut dyn Env) -> Result<bool, RuntimeError> {
        match self.eval(e, env)? {
            Value::Bool(b) => Ok(b),
            other => Err(rt(e.span, format!("condition must be BOOL, but is {}", other.type_name()))),
        }
    }

    fn eval_int(&mut self, e: &Expr, env: &mut dyn Env) -> Result<i32, RuntimeError> {
        match self.eval(e, env)? {
            Value::Int(i) => Ok(i),
            other => Err(rt(e.span, format!("expected INT, got {}", other.type_name()))),
        }
    }

    fn int_of_name(&mut self, var: &str, sp: Span, env: &mut dyn Env) -> Result<i32, RuntimeError> {
        match self.read_name(var, sp, env)? {
            Value::Int(i) => Ok(i),
            Value::Uninit(_) => Err(rt(sp, format!("KSS01422 {var} value invalid"))),
            other => Err(rt(sp, format!("FOR counter {var} must be INT, is {}", other.type_name()))),
        }
    }

    fn read_name(&self, name: &str, sp: Span, env: &mut dyn Env) -> Result<Value, RuntimeError> {
        match name {
            "$AXIS_ACT" => return Ok(Value::e6axis(&env.axis_act())),
            "$POS_ACT" => {
                let base = self.global_frame("$BASE");
                let tool = self.global_frame("$TOOL");
                let (f, s, t) = env.pos_act(&base, &tool);
                return Ok(Value::e6pos(&f, s, t));
            }
            _ => {}
        }
        if let Some(v) = self.stack.last().and_then(|f| f.locals.get(name)) {
            return Ok(v.clone());
        }
        if let Some(v) = self.globals.get(name) {
            return Ok(v.clone());
        }
        if let Some(sig) = self.signals.get(name) {
            let read = |n: u32| if sig.output { env.output(n as usize) } else { env.input(n as usize) };
            if sig.from == sig.to {
                return Ok(Value::Bool(read(sig.from)));
            }
            // A group signal: the first I/O is the lowest bit.
            let bits = (sig.from..=sig.to).enumerate().fold(0u32, |acc, (i, n)| acc | ((read(n) as u32) << i));
            return Ok(Value::Int(bits as i32));
        }
        let hint = if name == "$IN" || name == "$OUT" { " (write $IN[n] / $OUT[n] with an index)" } else { "" };
        Err(rt(sp, format!("{name} is not declared{hint}")))
    }

    fn global_frame(&self, n: &str) -> Frame {
        match self.globals.get(n) {
            Some(Value::Struct(s)) => s.to_frame().unwrap_or(Frame::NULL),
            _ => Frame::NULL,
        }
    }

    pub fn eval(&mut self, e: &Expr, env: &mut dyn Env) -> Result<Value, RuntimeError> {
        let sp = e.span;
        Ok(match &e.kind {
            ExprKind::Int(i) => Value::Int(*i as i32),
            ExprKind::Real(r) => Value::Real(*r),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Str(s) => Value::Str(s.clone()),
            ExprKind::Char(c) => Value::Char(*c),
            ExprKind::Enum(n) => Value::Enum(n.clone()),
            ExprKind::Paren(i) => self.eval(i, env)?,
            ExprKind::Name(n) => self.read_name(n, sp, env)?,
            ExprKind::Index(base, idx) if idx.is_empty() => match self.eval(base, env)? {
                Value::Array(a) if a.dims.len() == 1 => Value::Str(str_of(&a)),
                other => {
                    return Err(rt(
                        sp,
                        format!("{}[] reads a CHAR array as a string; {} is {}", expr_text(base), expr_text(base), other.type_name()),
                    ));
                }
            },
            ExprKind::Index(base, idx) => {
                if let ExprKind::Name(n) = &base.kind
                    && (n == "$IN" || n == "$OUT")
                {
                    let [i] = idx.as_slice() else { return Err(rt(sp, format!("{n} takes one index"))) };
                    let iv = self.eval(i, env)?;
                    let k = io_index(&iv, n, sp)?;
                    return Ok(Value::Bool(if n == "$IN" { env.input(k) } else { env.output(k) }));
                }
                if let Some(v) = self.read_place(e, env)? {
                    return Ok(v);
                }
                let b = self.eval(base, env)?;
                let Value::Array(a) = b else {
                    return Err(rt(sp, format!("{} is not an array", expr_text(base))));
                };
                let off = self.offset(&a, idx, base, env)?;
                a.elems[off].clone()
            }
            ExprKind::Member(base, m) => {
                if let Some(v) = self.read_place(e, env)? {
                    return Ok(v);
                }
                let b = self.eval(base, env)?;
                match b {
                    Value::Struct(s) => match s.get(m) {
                        Some(v) => v.clone(),
                        None => return Err(rt(sp, format!("{} has no member {m}", expr_text(base)))),
                    },
                    other => return Err(rt(sp, format!("{} is {}, which has no members", expr_text(base), other.type_name()))),
                }
            }
            ExprKind::Aggregate { type_name, fields } => {
                let mut v = match type_name {
                    Some(t) => {
                        if struct_members(t).is_none() && !matches!(self.types.get(t), Some(TypeDecl { kind: TypeKind::Struc(_), .. })) {
                            return Err(rt(sp, format!("unknown structure type {t}")));
                        }
                        self.fresh(t, &[])
                    }
                    None => Value::Struct(Box::new(StructVal { ty: String::new(), fields: Vec::new() })),
                };
                for (n, fe) in fields {
                    let fv = self.eval(fe, env)?;
                    let Value::Struct(s) = &mut v else { unreachable!() };
                    let ty = s.ty.clone();
                    match s.get_mut(n) {
                        Some(slot) => coerce_into(slot, fv, fe.span, n)?,
                        None if ty.is_empty() || is_open_struct(&ty) => s.fields.push((n.clone(), fv)),
                        None => return Err(rt(fe.span, format!("{ty} has no member {n}"))),
                    }
                }
                v
            }
            ExprKind::Unary(op, inner) => {
                let v = self.eval(inner, env)?;
                check_init(&v, inner)?;
                match (op, v) {
                    (UnOp::Neg, Value::Int(i)) => Value::Int(i.wrapping_neg()),
                    (UnOp::Neg, Value::Real(r)) => Value::Real(-r),
                    (UnOp::Not, Value::Bool(b)) => Value::Bool(!b),
                    (UnOp::BNot, Value::Int(i)) => Value::Int(!i),
                    (op, v) => return Err(rt(sp, format!("{op:?} cannot be applied to {}", v.type_name()))),
                }
            }
            ExprKind::Binary(op, l, r) => {
                let lv = self.eval(l, env)?;
                check_init(&lv, l)?;
                // AND / OR do not short-circuit in KRL: both sides are evaluated.
                let rv = self.eval(r, env)?;
                check_init(&rv, r)?;
                binary(*op, lv, rv, sp)?
            }
            ExprKind::Call(name, args) if self.routines.iter().any(|r| r.name == *name) => self.call_function(name, args, sp, env)?,
            ExprKind::Call(name, args) if SPLINE_FUNCS.contains(&name.as_str()) => self.spline_fn(name, args, sp, env)?,
            ExprKind::Call(name, args) if STRING_FUNCS.contains(&name.as_str()) => self.string_fn(name, args, sp, env)?,
            ExprKind::Omitted => return Err(rt(sp, "an argument is missing here")),
            ExprKind::Call(name, args) => {
                let vals = args.iter().map(|a| self.eval(a, env)).collect::<Result<Vec<_>, _>>()?;
                for (v, a) in vals.iter().zip(args) {
                    check_init(v, a)?;
                }
                builtin(name, &vals, sp)?
            }
        })
    }

    /// Reads `a[i].m`-style chains of a declared variable in place, cloning only the result.
    /// None when the root is not a plain variable (I/O, position variables, calls).
    fn read_place(&mut self, e: &Expr, env: &mut dyn Env) -> Result<Option<Value>, RuntimeError> {
        let mut path: Vec<&Expr> = Vec::new();
        let mut cur = e;
        let root = loop {
            match &cur.kind {
                ExprKind::Name(n) => break n,
                ExprKind::Index(b, _) | ExprKind::Member(b, _) => {
                    path.push(cur);
                    cur = b;
                }
                _ => return Ok(None),
            }
        };
        if root.starts_with('$') && matches!(root.as_str(), "$IN" | "$OUT" | "$POS_ACT" | "$AXIS_ACT") {
            return Ok(None);
        }
        if path.iter().any(|p| matches!(&p.kind, ExprKind::Index(_, idx) if idx.is_empty())) {
            return Ok(None);
        }
        // Indices first: they may read other variables.
        let mut ints: Vec<Vec<i32>> = Vec::new();
        for p in path.iter().rev() {
            if let ExprKind::Index(_, idx) = &p.kind {
                ints.push(idx.iter().map(|i| self.eval_int(i, env)).collect::<Result<_, _>>()?);
            }
        }
        let Some(mut v) = self.lookup(root) else { return Ok(None) };
        let mut ints = ints.iter();
        for p in path.iter().rev() {
            v = match (&p.kind, v) {
                (ExprKind::Index(b, idx), Value::Array(a)) => {
                    let off = flat_offset(b, idx, ints.next().expect("one index list per Index"), &a.dims)?;
                    &a.elems[off]
                }
                (ExprKind::Index(b, _), _) => return Err(rt(p.span, format!("{} is not an array", expr_text(b)))),
                (ExprKind::Member(b, m), Value::Struct(s)) => match s.get(m) {
                    Some(f) => f,
                    None => return Err(rt(p.span, format!("{} has no member {m}", expr_text(b)))),
                },
                (ExprKind::Member(b, _), other) => {
                    return Err(rt(p.span, format!("{} is {}, which has no members", expr_text(b), other.type_name())));
                }
                _ => unreachable!(),
            };
        }
        Ok(Some(v.clone()))
    }

    /// A variable of the running routine, else a global.
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.stack.last().and_then(|f| f.locals.get(name)).or_else(|| self.globals.get(name))
    }

    fn offset(&mut self, a: &ArrayVal, idx: &[Expr], base: &Expr, env: &mut dyn Env) -> Result<usize, RuntimeError> {
        let is = idx.iter().map(|i| self.eval_int(i, env)).collect::<Result<Vec<_>, _>>()?;
        flat_offset(base, idx, &is, &a.dims)
    }

    /// An assignment in a WITH list. The spline inline forms give one percentage for all axes
    /// as `$VEL_AXIS[1]` (also `$ACC_AXIS[1]`, `$GEAR_JERK[1]`), so element 1 sets every axis.
    fn assign_with(&mut self, target: &Expr, v: Value, env: &mut dyn Env) -> Result<(), RuntimeError> {
        if let ExprKind::Index(b, idx) = &target.kind
            && let ExprKind::Name(n) = &b.kind
            && matches!(n.as_str(), "$VEL_AXIS" | "$ACC_AXIS" | "$GEAR_JERK")
            && matches!(idx.as_slice(), [Expr { kind: ExprKind::Int(1), .. }])
        {
            for i in 1..=6 {
                let t =
                    Expr { kind: ExprKind::Index(b.clone(), vec![Expr { kind: ExprKind::Int(i), span: target.span }]), span: target.span };
                self.assign(&t, v.clone(), env)?;
            }
            return Ok(());
        }
        self.assign(target, v, env)
    }

    /// `StrLen`, `StrDeclLen`, `StrClear`, `StrCopy`, `StrAdd`, `StrComp`, `StrFind`. Strings are
    /// CHAR arrays passed as `name[]`; sources may also be literals.
    fn string_fn(&mut self, name: &str, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<Value, RuntimeError> {
        let (want, form) = match name {
            "STRLEN" => (1, "StrLen(s[])"),
            "STRDECLLEN" => (1, "StrDeclLen(s[])"),
            "STRCLEAR" => (1, "StrClear(s[])"),
            "STRCOPY" => (2, "StrCopy(target[], source[])"),
            "STRADD" => (2, "StrAdd(target[], source[])"),
            "STRCOMP" => (3, "StrComp(a[], b[], ignore_case)"),
            _ => (4, "StrFind(start, s[], key[], ignore_case)"),
        };
        if args.len() != want {
            return Err(rt(sp, format!("{name} takes {want} argument(s): {form}")));
        }
        // A CHAR array named with `[]`, for functions that write to it or need its size.
        fn array<'e>(e: &'e Expr, name: &str, form: &str) -> Result<&'e Expr, RuntimeError> {
            match &e.kind {
                ExprKind::Index(b, idx) if idx.is_empty() => Ok(b),
                _ => Err(rt(e.span, format!("{name}: pass the CHAR array with empty brackets, as in {form}"))),
            }
        }
        let array = |e| array(e, name, form);
        let text = |me: &mut Self, e: &Expr, env: &mut dyn Env| -> Result<String, RuntimeError> {
            match me.eval(e, env)? {
                Value::Str(t) => Ok(t),
                Value::Char(c) => Ok((c as char).to_string()),
                other => Err(rt(e.span, format!("{name}: expected a string, got {}", other.type_name()))),
            }
        };
        let flag = |me: &mut Self, e: &Expr, env: &mut dyn Env| -> Result<bool, RuntimeError> { me.eval_bool(e, env) };
        Ok(match name {
            "STRLEN" => Value::Int(text(self, &args[0], env)?.len() as i32),
            "STRDECLLEN" => {
                let b = array(&args[0])?;
                match self.eval(b, env)? {
                    Value::Array(a) => Value::Int(a.elems.len() as i32),
                    other => return Err(rt(b.span, format!("{name}: {} is {}, not a CHAR array", expr_text(b), other.type_name()))),
                }
            }
            "STRCLEAR" => {
                let b = array(&args[0])?;
                let n = expr_text(b);
                write_str(self.place_mut(b, env)?, "", true, sp, &n)?;
                Value::Bool(true)
            }
            "STRCOPY" | "STRADD" => {
                let b = array(&args[0])?;
                let src = text(self, &args[1], env)?;
                let joined = if name == "STRADD" { text(self, &args[0], env)? + &src } else { src };
                let n = expr_text(b);
                let slot = self.place_mut(b, env)?;
                let cap = if let Value::Array(a) = &*slot { a.elems.len() } else { 0 };
                if joined.len() > cap {
                    // The controller refuses a string that does not fit and leaves the target as it was.
                    return Ok(if name == "STRADD" { Value::Int(0) } else { Value::Bool(false) });
                }
                write_str(slot, &joined, true, sp, &n)?;
                if name == "STRADD" { Value::Int(joined.len() as i32) } else { Value::Bool(true) }
            }
            "STRCOMP" => {
                let (a, b) = (text(self, &args[0], env)?, text(self, &args[1], env)?);
                let ic = flag(self, &args[2], env)?;
                Value::Bool(if ic { a.eq_ignore_ascii_case(&b) } else { a == b })
            }
            _ => {
                let start = self.eval_int(&args[0], env)?;
                let (hay, key) = (text(self, &args[1], env)?, text(self, &args[2], env)?);
                let ic = flag(self, &args[3], env)?;
                let (hay, key) = if ic { (hay.to_ascii_uppercase(), key.to_ascii_uppercase()) } else { (hay, key) };
                let from = (start.max(1) - 1) as usize;
                match hay.get(from..).and_then(|h| h.find(&key)) {
                    Some(i) if !key.is_empty() => Value::Int((from + i + 1) as i32),
                    _ => Value::Int(0),
                }
            }
        })
    }

    /// The KUKA spline library's parameter functions, as used by the inline forms
    /// (`SVEL_JOINT`, `STOOL2`, `SAPO`, ...): they map FDAT/PDAT/LDAT to the values BAS would set.
    fn spline_fn(&mut self, name: &str, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<Value, RuntimeError> {
        let mut vals = Vec::new();
        for a in args {
            vals.push(if matches!(a.kind, ExprKind::Omitted) { None } else { Some(self.eval(a, env)?) });
        }
        let arg = |i: usize| -> Result<&Value, RuntimeError> {
            vals.get(i).and_then(Option::as_ref).ok_or_else(|| rt(sp, format!("{name} needs argument {}", i + 1)))
        };
        let num = |i: usize| -> Result<f64, RuntimeError> {
            arg(i)?.as_f64().ok_or_else(|| rt(sp, format!("{name}: argument {} must be a number", i + 1)))
        };
        let member = |i: usize, m: &str| -> Result<Value, RuntimeError> {
            match arg(i)? {
                Value::Struct(s) => s.get(m).cloned().ok_or_else(|| rt(sp, format!("{name}: the argument has no member {m}"))),
                other => Err(rt(sp, format!("{name} needs a data set (PDAT, LDAT or FDAT), got {}", other.type_name()))),
            }
        };
        let global = |me: &Self, n: &str| me.globals.get(n).cloned().unwrap_or(Value::Uninit(Scalar::Real));
        let with_member = |mut v: Value, m: &str, x: Value| {
            if let Value::Struct(s) = &mut v
                && let Some(f) = s.get_mut(m)
            {
                *f = x;
            }
            v
        };
        let table = |me: &Self, table: &str, n: i64| -> Result<Value, RuntimeError> {
            if n == 0 {
                return Ok(if table == "LOAD_DATA" { load_value(0.0) } else { Value::frame(&Frame::NULL) });
            }
            match me.globals.get(table) {
                Some(Value::Array(a)) if n >= 1 && n as usize <= a.elems.len() => Ok(a.elems[n as usize - 1].clone()),
                Some(Value::Array(a)) => Err(rt(sp, format!("{name}: {table} has entries 1..{}, not {n}", a.elems.len()))),
                _ => Err(rt(sp, format!("{table} is not available"))),
            }
        };
        Ok(match name {
            "SVEL_JOINT" => Value::Real(num(0)?.clamp(0.0, 100.0)),
            "SACC_JOINT" => Value::Real(member(0, "ACC")?.as_f64().unwrap_or(100.0).clamp(0.0, 100.0)),
            "SGEAR_JERK" => Value::Real(member(0, "GEAR_JERK")?.as_f64().unwrap_or(50.0)),
            "SAPO_PTP" => {
                let dist = member(0, "APO_DIST")?.as_f64().unwrap_or(100.0);
                let apo = global(self, "$APO");
                if matches!(member(0, "APO_MODE"), Ok(Value::Enum(m)) if m == "CDIS") {
                    with_member(apo, "CDIS", Value::Real(dist))
                } else {
                    with_member(apo, "CPTP", Value::Int(dist.min(100.0).round() as i32))
                }
            }
            "SAPO" => with_member(global(self, "$APO"), "CDIS", Value::Real(member(0, "APO_DIST")?.as_f64().unwrap_or(100.0))),
            "STOOL2" => match member(0, "TOOL_NO")? {
                Value::Int(n) => table(self, "TOOL_DATA", n as i64)?,
                _ => return Err(rt(sp, format!("KSS01422 {name}: TOOL_NO value invalid"))),
            },
            "SBASE" => table(self, "BASE_DATA", num(0)? as i64)?,
            "SLOAD" => table(self, "LOAD_DATA", num(0)? as i64)?,
            "SIPO_MODE" => arg(0)?.clone(),
            "SVEL_CP" => with_member(global(self, "$VEL"), "CP", Value::Real(num(0)?.clamp(0.0, 2.0))),
            "SACC_CP" => {
                let pct = member(0, "ACC")?.as_f64().unwrap_or(100.0).clamp(0.0, 100.0);
                with_member(global(self, "$ACC"), "CP", Value::Real(2.3 * pct / 100.0))
            }
            "SORI_TYP" => member(0, "ORI_TYP")?,
            "SJERK" => global(self, "$JERK"),
            "USE_CM_PRO_VALUES" => Value::Real(0.0),
            _ => return Err(rt(sp, format!("function {name} is not defined"))),
        })
    }

    /// The variable (or element, or member) `target` names, for writing.
    fn place_mut(&mut self, target: &Expr, env: &mut dyn Env) -> Result<&mut Value, RuntimeError> {
        // Resolve the path from the root variable.
        let mut path: Vec<&Expr> = Vec::new();
        let mut cur = target;
        loop {
            match &cur.kind {
                ExprKind::Name(_) => break,
                ExprKind::Index(b, _) | ExprKind::Member(b, _) => {
                    path.push(cur);
                    cur = b;
                }
                _ => return Err(rt(target.span, "not an assignable variable")),
            }
        }
        let ExprKind::Name(root) = &cur.kind else { unreachable!() };
        let root = root.as_str();
        if READ_ONLY.contains(&root) {
            return Err(rt(target.span, format!("{root} is read-only")));
        }
        // Evaluate indices first (they may read other variables).
        let mut ints: Vec<Vec<i32>> = Vec::new();
        for p in path.iter().rev() {
            if let ExprKind::Index(_, idx) = &p.kind {
                ints.push(idx.iter().map(|i| self.eval_int(i, env)).collect::<Result<_, _>>()?);
            }
        }
        let in_locals = self.stack.last().is_some_and(|f| f.locals.contains_key(root));
        let slot = if in_locals { self.stack.last_mut().and_then(|f| f.locals.get_mut(root)) } else { self.globals.get_mut(root) };
        let Some(mut slot) = slot else {
            return Err(rt(cur.span, format!("{root} is not declared")));
        };
        let mut ints = ints.iter();
        for p in path.iter().rev() {
            slot = match (&p.kind, slot) {
                (ExprKind::Index(b, idx), Value::Array(a)) => {
                    let off = flat_offset(b, idx, ints.next().expect("one index list per Index"), &a.dims)?;
                    &mut a.elems[off]
                }
                (ExprKind::Index(b, _), _) => return Err(rt(p.span, format!("{} is not an array", expr_text(b)))),
                (ExprKind::Member(_, m), Value::Struct(st)) => {
                    let ty = st.ty.clone();
                    match st.get_mut(m) {
                        Some(f) => f,
                        None => return Err(rt(target.span, format!("{ty} has no member {m}"))),
                    }
                }
                _ => return Err(rt(target.span, format!("{} does not fit this variable", expr_text(target)))),
            };
        }
        Ok(slot)
    }

    fn assign(&mut self, target: &Expr, v: Value, env: &mut dyn Env) -> Result<(), RuntimeError> {
        // $OUT[n] = ... goes to the I/O.
        if let ExprKind::Index(b, idx) = &target.kind
            && let ExprKind::Name(n) = &b.kind
            && (n == "$OUT" || n == "$IN")
        {
            if n == "$IN" {
                return Err(rt(target.span, "$IN is read-only: inputs come from the cell"));
            }
            let [i] = idx.as_slice() else { return Err(rt(target.span, "$OUT takes one index")) };
            let iv = self.eval(i, env)?;
            let k = io_index(&iv, "$OUT", target.span)?;
            let Value::Bool(b) = v else {
                return Err(rt(target.span, format!("$OUT[{k}] is BOOL, cannot take {}", v.type_name())));
            };
            env.set_output(k, b);
            return Ok(());
        }
        if let ExprKind::Name(n) = &target.kind
            && self.lookup(n).is_none()
            && let Some(sig) = self.signals.get(n)
        {
            return write_signal(sig, v, target.span, env);
        }
        // `s[] = "text"`: a string into a CHAR array.
        if let ExprKind::Index(b, idx) = &target.kind
            && idx.is_empty()
        {
            let text = match v {
                Value::Str(t) => t,
                Value::Char(c) => (c as char).to_string(),
                other => return Err(rt(target.span, format!("{}[] takes a string, not {}", expr_text(b), other.type_name()))),
            };
            let name = expr_text(b);
            return write_str(self.place_mut(b, env)?, &text, false, target.span, &name);
        }
        let slot = self.place_mut(target, env)?;
        // The common case without building the variable's name for messages.
        match (&mut *slot, v) {
            (Value::Int(_) | Value::Uninit(Scalar::Int), Value::Int(i)) => *slot = Value::Int(i),
            (Value::Real(_) | Value::Uninit(Scalar::Real), Value::Real(r)) => *slot = Value::Real(r),
            (Value::Bool(_) | Value::Uninit(Scalar::Bool), Value::Bool(b)) => *slot = Value::Bool(b),
            (_, v) => coerce_into(slot, v, target.span, &expr_text(target))?,
        }
        Ok(())
    }
}

/// The element number of `base[idx]` for evaluated indices `is`, checked against `dims`.
fn flat_offset(base: &Expr, idx: &[Expr], is: &[i32], dims: &[usize]) -> Result<usize, RuntimeError> {
    if is.len() != dims.len() {
        return Err(rt(base.span, format!("{} has {} dimension(s), {} index(es) given", expr_text(base), dims.len(), is.len())));
    }
    let mut off = 0usize;
    for ((&i, &dim), ie) in is.iter().zip(dims).zip(idx) {
        if i < 1 || i as usize > dim {
            return Err(rt(ie.span, format!("index {i} of {} out of range 1..{dim}", expr_text(base))));
        }
        off = off * dim + (i as usize - 1);
    }
    Ok(off)
}

/// Writes a SIGNAL: one output takes a BOOL, a group of outputs an INT (lowest bit first).
fn write_signal(sig: &Signal, v: Value, span: Span, env: &mut dyn Env) -> Result<(), RuntimeError> {
    if !sig.output {
        return Err(rt(span, format!("{} is an input signal: inputs come from the cell", sig.name)));
    }
    match v {
        Value::Bool(b) if sig.from == sig.to => env.set_output(sig.from as usize, b),
        Value::Int(i) if sig.from != sig.to => {
            let width = sig.to - sig.from + 1;
            if width < 32 && (i < 0 || i >= 1 << width) {
                return Err(rt(span, format!("{} is {width} outputs wide; {i} does not fit", sig.name)));
            }
            for (k, n) in (sig.from..=sig.to).enumerate() {
                env.set_output(n as usize, (i >> k) & 1 == 1);
            }
        }
        other => {
            let want = if sig.from == sig.to { "BOOL" } else { "INT" };
            return Err(rt(span, format!("type mismatch: signal {} is {want}, the value is {}", sig.name, other.type_name())));
        }
    }
    Ok(())
}

/// The text of a CHAR array: its characters up to the first one never set (or NUL).
fn str_of(a: &ArrayVal) -> String {
    a.elems.iter().map_while(|c| if let Value::Char(c) = c { (*c != 0).then_some(*c as char) } else { None }).collect()
}

/// Writes `text` into the CHAR array `slot`. As on the controller, characters beyond the
/// new text stay unless `clear_rest` (StrCopy, StrClear) is set.
fn write_str(slot: &mut Value, text: &str, clear_rest: bool, span: Span, name: &str) -> Result<(), RuntimeError> {
    let Value::Array(a) = slot else {
        return Err(rt(span, format!("{name} is not a CHAR array; declare it as CHAR {name}[24]")));
    };
    if a.dims.len() != 1 || !a.elems.iter().all(|c| matches!(c, Value::Char(_) | Value::Uninit(Scalar::Char))) {
        return Err(rt(span, format!("{name} is not a one-dimensional CHAR array")));
    }
    if text.len() > a.elems.len() {
        return Err(rt(span, format!("\"{text}\" has {} characters; {name}[] holds {}", text.len(), a.elems.len())));
    }
    for (i, c) in a.elems.iter_mut().enumerate() {
        if let Some(b) = text.as_bytes().get(i) {
            *c = Value::Char(*b);
        } else if clear_rest {
            *c = Value::Uninit(Scalar::Char);
        } else {
            break;
        }
    }
    Ok(())
}

fn check_init(v: &Value, e: &Expr) -> Result<(), RuntimeError> {
    if matches!(v, Value::Uninit(_)) { Err(rt(e.span, format!("KSS01422 {} value invalid", expr_text(e)))) } else { Ok(()) }
}

/// Assigns `v` into `slot` with KRL's conversions: REAL to INT rounds, aggregates update
/// the listed members, structures copy members of the same name.
pub fn coerce_into(slot: &mut Value, v: Value, span: Span, name: &str) -> Result<(), RuntimeError> {
    let mismatch =
        |slot: &Value, v: &Value| rt(span, format!("type mismatch: {name} is {}, the value is {}", slot.type_name(), v.type_name()));
    if let (Value::Array(_), Value::Str(t)) = (&*slot, &v) {
        return write_str(slot, t, false, span, name);
    }
    match (&mut *slot, v) {
        (Value::Int(_) | Value::Uninit(Scalar::Int), Value::Int(i)) => *slot = Value::Int(i),
        (Value::Int(_) | Value::Uninit(Scalar::Int), Value::Real(r)) => {
            let r = r.round();
            if r.abs() > i32::MAX as f64 {
                return Err(rt(span, format!("{name}: value {r} does not fit INT")));
            }
            *slot = Value::Int(r as i32)
        }
        (Value::Real(_) | Value::Uninit(Scalar::Real), Value::Real(r)) => *slot = Value::Real(r),
        (Value::Real(_) | Value::Uninit(Scalar::Real), Value::Int(i)) => *slot = Value::Real(i as f64),
        (Value::Bool(_) | Value::Uninit(Scalar::Bool), Value::Bool(b)) => *slot = Value::Bool(b),
        (Value::Char(_) | Value::Uninit(Scalar::Char), Value::Char(c)) => *slot = Value::Char(c),
        (Value::Enum(_) | Value::Uninit(Scalar::Enum), Value::Enum(e)) => *slot = Value::Enum(e),
        (Value::Str(_) | Value::Uninit(Scalar::Str), Value::Str(t)) => *slot = Value::Str(t),
        (Value::Struct(dst), Value::Struct(src)) => {
            if src.ty.is_empty() {
                for (n, fv) in src.fields {
                    let ty = dst.ty.clone();
                    match dst.get_mut(&n) {
                        Some(f) => coerce_member(f, fv, span, &format!("{name}.{n}"))?,
                        None if is_open_struct(&ty) => dst.fields.push((n, fv)),
                        None => return Err(rt(span, format!("{ty} {name} has no member {n}"))),
                    }
                }
            } else if dst.ty == src.ty || struct_members(&dst.ty).is_some() && struct_members(&src.ty).is_some() {
                for (n, fv) in src.fields {
                    if matches!(fv, Value::Uninit(_)) {
                        continue;
                    }
                    if let Some(f) = dst.get_mut(&n) {
                        coerce_member(f, fv, span, &format!("{name}.{n}"))?;
                    }
                }
            } else {
                let s = Value::Struct(src);
                return Err(mismatch(slot, &s));
            }
        }
        (Value::Array(_), v) => {
            return Err(rt(span, format!("{name} is an array; assign its elements one by one ({} given)", v.type_name())));
        }
        (_, Value::Uninit(_)) => return Err(rt(span, format!("KSS01422 value for {name} invalid"))),
        (s, v) => {
            let s = s.clone();
            return Err(mismatch(&s, &v));
        }
    }
    Ok(())
}

/// A structure member: as `coerce_into`, and an array member takes the set elements of an
/// array of the same shape (a whole array cannot be assigned on its own).
fn coerce_member(slot: &mut Value, v: Value, span: Span, name: &str) -> Result<(), RuntimeError> {
    match (slot, v) {
        (Value::Array(d), Value::Array(s)) if d.dims == s.dims => {
            for (i, (de, se)) in d.elems.iter_mut().zip(s.elems).enumerate() {
                if !matches!(se, Value::Uninit(_)) {
                    coerce_into(de, se, span, &format!("{name}[{}]", i + 1))?;
                }
            }
            Ok(())
        }
        (slot, v) => coerce_into(slot, v, span, name),
    }
}

fn binary(op: BinOp, l: Value, r: Value, sp: Span) -> Result<Value, RuntimeError> {
    use Value::*;
    let type_err = |l: &Value, r: &Value| {
        let hint = if matches!(op, BinOp::And | BinOp::Or | BinOp::Exor) {
            " (comparisons bind weaker than AND/OR: put them in parentheses)"
        } else {
            ""
        };
        rt(sp, format!("{} cannot combine {} and {}{hint}", op.symbol(), l.type_name(), r.type_name()))
    };
    Ok(match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => match (&l, &r) {
            (Int(a), Int(b)) => match op {
                BinOp::Add => Int(a.wrapping_add(*b)),
                BinOp::Sub => Int(a.wrapping_sub(*b)),
                BinOp::Mul => Int(a.wrapping_mul(*b)),
                _ => {
                    if *b == 0 {
                        return Err(rt(sp, "division by zero"));
                    }
                    Int(a.wrapping_div(*b))
                }
            },
            _ => {
                let (Some(a), Some(b)) = (l.as_f64(), r.as_f64()) else { return Err(type_err(&l, &r)) };
                match op {
                    BinOp::Add => Real(a + b),
                    BinOp::Sub => Real(a - b),
                    BinOp::Mul => Real(a * b),
                    _ => {
                        if b == 0.0 {
                            return Err(rt(sp, "division by zero"));
                        }
                        Real(a / b)
                    }
                }
            }
        },
        BinOp::And | BinOp::Or | BinOp::Exor => match (&l, &r) {
            (Bool(a), Bool(b)) => Bool(match op {
                BinOp::And => *a && *b,
                BinOp::Or => *a || *b,
                _ => a ^ b,
            }),
            _ => return Err(type_err(&l, &r)),
        },
        BinOp::BAnd | BinOp::BOr | BinOp::BExor => match (&l, &r) {
            (Int(a), Int(b)) => Int(match op {
                BinOp::BAnd => a & b,
                BinOp::BOr => a | b,
                _ => a ^ b,
            }),
            _ => return Err(type_err(&l, &r)),
        },
        BinOp::Eq | BinOp::Ne => {
            let eq = match (&l, &r) {
                (Bool(a), Bool(b)) => a == b,
                (Enum(a), Enum(b)) => a == b,
                (Char(a), Char(b)) => a == b,
                _ => match (l.as_f64(), r.as_f64()) {
                    (Some(a), Some(b)) => a == b,
                    _ => return Err(type_err(&l, &r)),
                },
            };
            Bool(if op == BinOp::Eq { eq } else { !eq })
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let (Some(a), Some(b)) = (l.as_f64(), r.as_f64()) else { return Err(type_err(&l, &r)) };
            Bool(match op {
                BinOp::Lt => a < b,
                BinOp::Le => a <= b,
                BinOp::Gt => a > b,
                _ => a >= b,
            })
        }
        BinOp::Geo => {
            let (Struct(a), Struct(b)) = (&l, &r) else { return Err(type_err(&l, &r)) };
            let (Some(fa), Some(fb)) = (a.to_frame(), b.to_frame()) else {
                return Err(rt(sp, "`:` needs fully specified frames on both sides"));
            };
            let f = Frame::from_iso(&(fa.to_iso() * fb.to_iso()));
            let mut out = if b.ty == "POS" || b.ty == "E6POS" { (**b).clone() } else { (**a).clone() };
            if out.ty.is_empty() {
                out.ty = "FRAME".into();
            }
            for (n, v) in [("X", f.x), ("Y", f.y), ("Z", f.z), ("A", f.a), ("B", f.b), ("C", f.c)] {
                if let Some(s) = out.get_mut(n) {
                    *s = Real(v);
                }
            }
            Struct(Box::new(out))
        }
    })
}

fn builtin(name: &str, args: &[Value], sp: Span) -> Result<Value, RuntimeError> {
    let num = |i: usize| -> Result<f64, RuntimeError> {
        args.get(i).and_then(Value::as_f64).ok_or_else(|| rt(sp, format!("{name} needs a number as argument {}", i + 1)))
    };
    let want = |n: usize| -> Result<(), RuntimeError> {
        if args.len() == n { Ok(()) } else { Err(rt(sp, format!("{name} takes {n} argument(s), {} given", args.len()))) }
    };
    Ok(match name {
        "ABS" => {
            want(1)?;
            match &args[0] {
                Value::Int(i) => Value::Int(i.wrapping_abs()),
                _ => Value::Real(num(0)?.abs()),
            }
        }
        "SQRT" => {
            want(1)?;
            let x = num(0)?;
            if x < 0.0 {
                return Err(rt(sp, format!("SQRT of a negative number ({x})")));
            }
            Value::Real(x.sqrt())
        }
        "SIN" => {
            want(1)?;
            Value::Real(num(0)?.to_radians().sin())
        }
        "COS" => {
            want(1)?;
            Value::Real(num(0)?.to_radians().cos())
        }
        "TAN" => {
            want(1)?;
            Value::Real(num(0)?.to_radians().tan())
        }
        "ACOS" => {
            want(1)?;
            let x = num(0)?;
            if !(-1.0..=1.0).contains(&x) {
                return Err(rt(sp, format!("ACOS of {x}: outside -1..1")));
            }
            Value::Real(x.acos().to_degrees())
        }
        "ATAN2" => {
            want(2)?;
            Value::Real(num(0)?.atan2(num(1)?).to_degrees())
        }
        "INV_POS" => {
            want(1)?;
            let Value::Struct(s) = &args[0] else { return Err(rt(sp, "INV_POS needs a FRAME, POS or E6POS")) };
            let f = s.to_frame().ok_or_else(|| rt(sp, "INV_POS needs a fully specified frame"))?;
            let inv = Frame::from_iso(&f.to_iso().inverse());
            let mut out = (**s).clone();
            for (n, v) in [("X", inv.x), ("Y", inv.y), ("Z", inv.z), ("A", inv.a), ("B", inv.b), ("C", inv.c)] {
                if let Some(slot) = out.get_mut(n) {
                    *slot = Value::Real(v);
                }
            }
            Value::Struct(Box::new(out))
        }
        _ => return Err(rt(sp, format!("function {name} is not defined"))),
    })
}
