//! KRL syntax tree. Every node carries the span it was parsed from.

use super::diag::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Geo,
    Mul,
    Div,
    Add,
    Sub,
    And,
    BAnd,
    Exor,
    BExor,
    Or,
    BOr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    pub fn is_relational(self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Geo => ":",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::And => "AND",
            BinOp::BAnd => "B_AND",
            BinOp::Exor => "EXOR",
            BinOp::BExor => "B_EXOR",
            BinOp::Or => "OR",
            BinOp::BOr => "B_OR",
            BinOp::Eq => "==",
            BinOp::Ne => "<>",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    BNot,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// The variable an access starts from: `$VEL` for `$VEL.CP`, `A` for `A[2].X`; "" if none.
    pub fn root_name(&self) -> &str {
        match &self.kind {
            ExprKind::Name(n) => n,
            ExprKind::Index(b, _) | ExprKind::Member(b, _) => b.root_name(),
            _ => "",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Int(i64),
    Real(f64),
    Bool(bool),
    Str(String),
    Char(u8),
    Enum(String),
    /// A variable or system variable, upper-cased.
    Name(String),
    Index(Box<Expr>, Vec<Expr>),
    Member(Box<Expr>, String),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    Aggregate {
        type_name: Option<String>,
        fields: Vec<(String, Expr)>,
    },
    Paren(Box<Expr>),
    /// An argument left out, as in `SVEL_CP(2.0, , LCPDAT1)`.
    Omitted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MotionKind {
    Ptp,
    Lin,
    Circ,
    PtpRel,
    LinRel,
    CircRel,
    /// An SPL segment of a SPLINE block: the path runs smoothly through its point.
    Spl,
}

impl MotionKind {
    pub fn is_relative(self) -> bool {
        matches!(self, MotionKind::PtpRel | MotionKind::LinRel | MotionKind::CircRel)
    }
    pub fn is_ptp(self) -> bool {
        matches!(self, MotionKind::Ptp | MotionKind::PtpRel)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterruptAction {
    On,
    Off,
    Enable,
    Disable,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approx {
    CPtp,
    CDis,
    CVel,
    COri,
}

/// Where on the next motion a TRIGGER switches.
#[derive(Clone, Debug, PartialEq)]
pub enum TriggerWhen {
    /// `DISTANCE=0` (start point) or `DISTANCE=1` (end point).
    Distance(Expr),
    /// `PATH=mm`: before (negative) or after the end point, or from the start with ONSTART.
    Path { mm: Expr, onstart: bool },
}

/// What a TRIGGER does: an assignment, a PULSE, or a routine call with its priority.
#[derive(Clone, Debug, PartialEq)]
pub enum TriggerAction {
    Assign(Expr, Expr),
    Pulse { target: Expr, value: Expr, seconds: Expr },
    Call { name: String, args: Vec<Expr>, prio: Expr },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Assign(Expr, Expr),
    If {
        cond: Expr,
        then_body: Vec<Stmt>,
        else_body: Vec<Stmt>,
    },
    While {
        cond: Expr,
        body: Vec<Stmt>,
    },
    Repeat {
        body: Vec<Stmt>,
        cond: Expr,
    },
    Loop(Vec<Stmt>),
    For {
        var: String,
        /// Where the counter is named.
        var_span: Span,
        from: Expr,
        to: Expr,
        step: Option<Expr>,
        body: Vec<Stmt>,
    },
    Exit,
    Halt,
    /// `SPLINE ... ENDSPLINE` (SPL, SLIN, SCIRC segments) or `PTP_SPLINE ... ENDSPLINE` (SPTP):
    /// the segments run one into the next without a stop; the block ends exactly unless
    /// `ENDSPLINE C_SPL`.
    Spline {
        ptp: bool,
        segments: Vec<Stmt>,
        approx_end: bool,
    },
    /// A statement for equipment this cell does not have (`ASYPTP` and the other asynchronous
    /// external-axis statements): loaded with a warning; the program stops if it gets there.
    NotInCell(String),
    /// `ON_ERROR_PROCEED`: a runtime error of the next statement does not stop the program; it
    /// fills `$ERR` and the program goes on after that statement.
    OnErrorProceed,
    Return(Option<Expr>),
    Continue,
    WaitFor(Expr),
    WaitSec(Expr),
    /// `aux` and `ca` (circular angle) belong to CIRC.
    Motion {
        kind: MotionKind,
        target: Expr,
        aux: Option<Expr>,
        ca: Option<Expr>,
        tool_relative: bool,
        approx: Vec<Approx>,
        /// `WITH $VEL = ..., $APO = ...`: assignments in force for this motion only.
        with: Vec<(Expr, Expr)>,
    },
    Call {
        name: String,
        args: Vec<Expr>,
    },
    Switch {
        selector: Expr,
        cases: Vec<(Vec<Expr>, Vec<Stmt>)>,
        default: Option<Vec<Stmt>>,
    },
    Label(String),
    Goto(String),
    /// `[GLOBAL] INTERRUPT DECL prio WHEN cond DO handler(args)`.
    InterruptDecl {
        global: bool,
        prio: Expr,
        cond: Expr,
        handler: String,
        args: Vec<Expr>,
    },
    /// `INTERRUPT ON|OFF|ENABLE|DISABLE [prio]`.
    InterruptCtl {
        action: InterruptAction,
        prio: Option<Expr>,
    },
    /// `TRIGGER WHEN DISTANCE=0 DELAY=0 DO $OUT[3]=TRUE`: an action at a point of the next motion.
    Trigger {
        when: TriggerWhen,
        delay: Expr,
        action: TriggerAction,
    },
    /// `BRAKE` / `BRAKE F` (fast) in an interrupt routine: stop the robot on its path.
    Brake(bool),
    /// `RESUME` in an interrupt routine: abort the interrupted routines back to the level
    /// that declared the interrupt.
    Resume,
    /// `PULSE($OUT[n], value, seconds)`.
    Pulse {
        target: Expr,
        value: Expr,
        seconds: Expr,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeRef {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    pub ty: TypeRef,
    pub name: String,
    /// Array sizes, empty for a scalar.
    pub dims: Vec<usize>,
    pub init: Option<Expr>,
    pub global: bool,
    pub konst: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub out: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Routine {
    pub name: String,
    pub global: bool,
    /// The result type of a DEFFCT; None for a DEF.
    pub returns: Option<String>,
    /// The result's array sizes (`DEFFCT CHAR[32] name()`); empty for a scalar.
    pub returns_dims: Vec<usize>,
    pub params: Vec<Param>,
    pub decls: Vec<Decl>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

/// `SIGNAL name $OUT[n]` or a group `SIGNAL name $IN[a] TO $IN[b]`, read as INT.
#[derive(Clone, Debug, PartialEq)]
pub struct Signal {
    pub name: String,
    pub output: bool,
    pub from: u32,
    pub to: u32,
    pub span: Span,
    /// `SIGNAL name $ANIN[n]` (or `$ANOUT[n]`): one analog channel, read as REAL.
    pub analog: bool,
    /// `GLOBAL SIGNAL` (in a PUBLIC data list: seen by every module).
    pub global: bool,
}

/// A member of a STRUC: `CHAR block[10]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub ty: String,
    pub name: String,
    pub dims: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    Enum(Vec<String>),
    Struc(Vec<Member>),
}

/// A user type: `[GLOBAL] STRUC name ...` or `[GLOBAL] ENUM name ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeDecl {
    pub name: String,
    pub global: bool,
    pub kind: TypeKind,
    pub span: Span,
}

/// A parsed module: the `.src` routines and the `.dat` data list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Module {
    pub name: String,
    pub routines: Vec<Routine>,
    pub data: Vec<Decl>,
    /// SIGNAL and STRUC/ENUM declarations of the routines and the data list (module-wide here).
    pub signals: Vec<Signal>,
    pub types: Vec<TypeDecl>,
    /// `DEFDAT name PUBLIC`: its GLOBAL declarations are visible to other modules.
    pub public: bool,
    /// `EXT` and `EXTFCT` declarations: routines the module says come from elsewhere.
    pub externals: Vec<External>,
    /// Values a data list sets without declaring: `BASE_DATA[1]={X 0,...}` (target, value).
    pub assigns: Vec<(Expr, Expr)>,
    /// Names a data list declares with a type robocell does not know: (name, type). They are
    /// known to lint (and, from `$config.dat`, to other modules); using one stops the program.
    pub left_out: Vec<(String, String)>,
    /// Types used that nothing declares, when checked without a `$config.dat` (only that file
    /// could declare them): (type, first use).
    pub unknown_types: Vec<(String, Span)>,
    /// Names used that nothing declares, likewise: (name, first use).
    pub unknown_names: Vec<(String, Span)>,
}

/// `EXT name(params)` or `EXTFCT type name(params)`.
#[derive(Clone, Debug, PartialEq)]
pub struct External {
    pub name: String,
    pub params: usize,
    /// EXTFCT: a function.
    pub function: bool,
    pub span: Span,
}
