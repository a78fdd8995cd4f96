//! The controller's own variables: system defaults after `BAS(#INITMOV,0)` and what `$config.dat`
//! gives a program (HOME, tool, bases).

use super::*;

/// System variables with their values after `BAS(#INITMOV,0)` on a KR 6 R900 sixx.
pub(super) fn system_defaults(g: &mut HashMap<String, Value>) {
    let st = |ty: &str, f: &[(&str, Value)]| {
        Value::Struct(Box::new(StructVal { ty: ty.into(), fields: f.iter().map(|(n, v)| (n.to_string(), v.clone())).collect() }))
    };
    g.insert("$VEL".into(), st("VEL_STRUC", &[("CP", Value::Real(2.0)), ("ORI1", Value::Real(200.0)), ("ORI2", Value::Real(200.0))]));
    g.insert("$ACC".into(), st("ACC_STRUC", &[("CP", Value::Real(2.3)), ("ORI1", Value::Real(100.0)), ("ORI2", Value::Real(100.0))]));
    g.insert(
        "$APO".into(),
        st("CONT", &[("CPTP", Value::Int(50)), ("CDIS", Value::Real(3.0)), ("CORI", Value::Real(5.0)), ("CVEL", Value::Int(100))]),
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
            ("CB", circ_mode()),
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
    for (n, v) in [
        ("PDAT_ACT", &pdat),
        ("PDEFAULT", &pdat),
        ("LDAT_ACT", &ldat),
        ("LDEFAULT", &ldat),
        ("FDAT_ACT", &fdat),
        ("FHOME", &fdat),
        ("FDEFAULT", &fdat),
    ] {
        g.insert(n.into(), v.clone());
    }
    g.insert("$BWDSTART".into(), Value::Bool(false));
    // $ERR after ON_ERROR_PROCEED: NUMBER 0 while no error was caught.
    g.insert("$ERR".into(), st("ERR_T", &[("NUMBER", Value::Int(0)), ("LINE", Value::Int(0))]));
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
    // Cartesian workspaces, all off: robocell keeps them as data and does not monitor them.
    let mut boxv: Vec<(&str, Value)> =
        ["X", "Y", "Z", "A", "B", "C", "X1", "Y1", "Z1", "X2", "Y2", "Z2"].iter().map(|n| (*n, Value::Real(0.0))).collect();
    boxv.push(("MODE", Value::Enum("OFF".into())));
    boxv.push(("STATE", Value::Bool(false)));
    let workspace = st("BOX", &boxv);
    g.insert("$WORKSPACE".into(), Value::Array(Box::new(ArrayVal { dims: vec![8], elems: vec![workspace; 8] })));
    g.insert("$JERK".into(), st("JERK_STRUC", &[("CP", Value::Real(500.0)), ("ORI", Value::Real(50000.0))]));
}

/// LDAT.CB as a fresh controller has it: the auxiliary point's orientation considered, the
/// target's interpolated.
fn circ_mode() -> Value {
    let each = |ty: &str, v: &str| {
        let names = ["ORI", "E1", "E2", "E3", "E4", "E5", "E6"];
        Value::Struct(Box::new(StructVal { ty: ty.into(), fields: names.iter().map(|n| (n.to_string(), Value::Enum(v.into()))).collect() }))
    };
    Value::Struct(Box::new(StructVal {
        ty: "CIRC_MODE".into(),
        fields: vec![("AUX_PT".into(), each("AUX_PT_MODE", "CONSIDER")), ("TARGET_PT".into(), each("TARGET_PT_MODE", "INTERPOLATE"))],
    }))
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
    /// The mounted tool's TCP, `TOOL_DATA[tool_number]`.
    pub tool: Frame,
    pub tool_number: usize,
    pub robroot: Frame,
    /// BASE_DATA[1..]; the rest stay $NULLFRAME.
    pub bases: Vec<Frame>,
}

impl ConfigGlobals {
    /// A cell-less controller, for checking and benchmarking programs: HOME of the KR 6 models,
    /// no tool, no bases.
    pub fn for_checks() -> Self {
        ConfigGlobals {
            home_deg: [0.0, -90.0, 90.0, 0.0, 0.0, 0.0],
            tool: Frame::NULL,
            tool_number: 1,
            robroot: Frame::NULL,
            bases: Vec::new(),
        }
    }
}

pub(super) const READ_ONLY: &[&str] = &["$IN", "$POS_ACT", "$AXIS_ACT", "$NULLFRAME", "$WORLD", "$ROBROOT"];
