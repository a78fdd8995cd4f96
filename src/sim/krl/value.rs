//! Runtime values of KRL variables.

use crate::sim::math::Frame;

/// The scalar type of an uninitialised variable or member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    Int,
    Real,
    Bool,
    Char,
    Enum,
    Str,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(i32),
    Real(f64),
    Bool(bool),
    Char(u8),
    Enum(String),
    Str(String),
    Struct(Box<StructVal>),
    Array(Box<ArrayVal>),
    /// Declared but never assigned: reading it is the controller's "value invalid".
    Uninit(Scalar),
}

#[derive(Clone, Debug, PartialEq)]
pub struct StructVal {
    /// FRAME, POS, E6POS, AXIS, E6AXIS, a system structure name, or "" for an untyped aggregate.
    pub ty: String,
    pub fields: Vec<(String, Value)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ArrayVal {
    pub dims: Vec<usize>,
    pub elems: Vec<Value>,
}

const FRAME_F: &[&str] = &["X", "Y", "Z", "A", "B", "C"];
const AXIS_F: &[&str] = &["A1", "A2", "A3", "A4", "A5", "A6"];
const EXT_F: &[&str] = &["E1", "E2", "E3", "E4", "E5", "E6"];

/// Member names and scalar types of the predefined structure types.
pub fn struct_members(ty: &str) -> Option<Vec<(&'static str, Scalar)>> {
    let real = |names: &[&'static str]| names.iter().map(|n| (*n, Scalar::Real)).collect::<Vec<_>>();
    Some(match ty {
        "FRAME" => real(FRAME_F),
        "POS" => {
            let mut v = real(FRAME_F);
            v.push(("S", Scalar::Int));
            v.push(("T", Scalar::Int));
            v
        }
        "E6POS" => {
            let mut v = struct_members("POS")?;
            v.extend(real(EXT_F));
            v
        }
        // The inline-form structures of KSS 8.3's $config.dat.
        "PDAT" => vec![
            ("VEL", Scalar::Real),
            ("ACC", Scalar::Real),
            ("APO_DIST", Scalar::Real),
            ("APO_MODE", Scalar::Enum),
            ("GEAR_JERK", Scalar::Real),
            ("EXAX_IGN", Scalar::Int),
        ],
        "LDAT" => vec![
            ("VEL", Scalar::Real),
            ("ACC", Scalar::Real),
            ("APO_DIST", Scalar::Real),
            ("APO_FAC", Scalar::Real),
            ("AXIS_VEL", Scalar::Real),
            ("AXIS_ACC", Scalar::Real),
            ("ORI_TYP", Scalar::Enum),
            ("CIRC_TYP", Scalar::Enum),
            ("JERK_FAC", Scalar::Real),
            ("GEAR_JERK", Scalar::Real),
            ("EXAX_IGN", Scalar::Int),
            // CB (a CIRC_MODE structure) is kept as the data gives it.
        ],
        "FDAT" => vec![
            ("TOOL_NO", Scalar::Int),
            ("BASE_NO", Scalar::Int),
            ("IPO_FRAME", Scalar::Enum),
            ("POINT2", Scalar::Str),
            ("TQ_STATE", Scalar::Bool),
        ],
        "AXIS" => real(AXIS_F),
        "E6AXIS" => {
            let mut v = real(AXIS_F);
            v.extend(real(EXT_F));
            v
        }
        _ => return None,
    })
}

/// Structures whose member lists differ between KSS versions: members not listed are kept.
pub fn is_open_struct(ty: &str) -> bool {
    matches!(ty, "PDAT" | "LDAT" | "FDAT")
}

impl Value {
    /// The value a fresh declaration of `ty` holds: uninitialised scalars or members.
    pub fn default_of(ty: &str) -> Value {
        match ty {
            "INT" => Value::Uninit(Scalar::Int),
            "REAL" => Value::Uninit(Scalar::Real),
            "BOOL" => Value::Uninit(Scalar::Bool),
            "CHAR" => Value::Uninit(Scalar::Char),
            _ => match struct_members(ty) {
                Some(m) => Value::Struct(Box::new(StructVal {
                    ty: ty.to_string(),
                    fields: m.into_iter().map(|(n, s)| (n.to_string(), Value::Uninit(s))).collect(),
                })),
                None => Value::Uninit(Scalar::Int),
            },
        }
    }

    pub fn array_of(ty: &str, dims: &[usize]) -> Value {
        let n = dims.iter().product();
        Value::Array(Box::new(ArrayVal { dims: dims.to_vec(), elems: vec![Value::default_of(ty); n] }))
    }

    pub fn type_name(&self) -> String {
        match self {
            Value::Int(_) | Value::Uninit(Scalar::Int) => "INT".into(),
            Value::Real(_) | Value::Uninit(Scalar::Real) => "REAL".into(),
            Value::Bool(_) | Value::Uninit(Scalar::Bool) => "BOOL".into(),
            Value::Char(_) | Value::Uninit(Scalar::Char) => "CHAR".into(),
            Value::Enum(_) | Value::Uninit(Scalar::Enum) => "ENUM".into(),
            Value::Str(_) | Value::Uninit(Scalar::Str) => "string".into(),
            Value::Struct(s) if s.ty.is_empty() => "aggregate".into(),
            Value::Struct(s) => s.ty.clone(),
            Value::Array(_) => "array".into(),
        }
    }

    pub fn frame(f: &Frame) -> Value {
        Value::Struct(Box::new(StructVal {
            ty: "FRAME".into(),
            fields: [("X", f.x), ("Y", f.y), ("Z", f.z), ("A", f.a), ("B", f.b), ("C", f.c)]
                .iter()
                .map(|(n, v)| (n.to_string(), Value::Real(*v)))
                .collect(),
        }))
    }

    pub fn e6axis(q: &[f64; 6]) -> Value {
        let mut v = Value::default_of("E6AXIS");
        if let Value::Struct(s) = &mut v {
            for (i, (_, f)) in s.fields.iter_mut().enumerate() {
                *f = Value::Real(if i < 6 { q[i] } else { 0.0 });
            }
        }
        v
    }

    pub fn e6pos(f: &Frame, s: u8, t: u8) -> Value {
        let mut v = Value::default_of("E6POS");
        if let Value::Struct(sv) = &mut v {
            for (name, val) in sv.fields.iter_mut() {
                *val = match name.as_str() {
                    "X" => Value::Real(f.x),
                    "Y" => Value::Real(f.y),
                    "Z" => Value::Real(f.z),
                    "A" => Value::Real(f.a),
                    "B" => Value::Real(f.b),
                    "C" => Value::Real(f.c),
                    "S" => Value::Int(s as i32),
                    "T" => Value::Int(t as i32),
                    _ => Value::Real(0.0),
                };
            }
        }
        v
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Real(r) => Some(*r),
            _ => None,
        }
    }
}

impl StructVal {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.fields.iter_mut().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    /// A member as a number, if it is set.
    pub fn num(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(Value::as_f64)
    }
    /// Reads X..C as a frame; None if any is missing or unset.
    pub fn to_frame(&self) -> Option<Frame> {
        Some(Frame::new(self.num("X")?, self.num("Y")?, self.num("Z")?, self.num("A")?, self.num("B")?, self.num("C")?))
    }
    pub fn has_cartesian(&self) -> bool {
        ["X", "Y", "Z", "A", "B", "C"].iter().any(|n| self.num(n).is_some())
    }
    pub fn has_axes(&self) -> bool {
        AXIS_F.iter().any(|n| self.num(n).is_some())
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{r:.3}"),
            Value::Bool(b) => write!(f, "{}", if *b { "TRUE" } else { "FALSE" }),
            Value::Char(c) => write!(f, "'{}'", super::source::char_1252(*c)),
            Value::Enum(e) => write!(f, "#{e}"),
            Value::Str(s) => write!(f, "\"{s}\""),
            Value::Uninit(_) => write!(f, "(invalid)"),
            Value::Struct(s) => {
                write!(f, "{{")?;
                let mut first = true;
                for (n, v) in &s.fields {
                    if matches!(v, Value::Uninit(_)) {
                        continue;
                    }
                    if !first {
                        write!(f, ", ")?;
                    }
                    first = false;
                    write!(f, "{n} {v}")?;
                }
                write!(f, "}}")
            }
            Value::Array(a) => write!(f, "[{} elements]", a.elems.len()),
        }
    }
}
