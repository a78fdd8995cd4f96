//! Built-in routines and functions: BAS, the spline parameter functions, string functions,
//! DEFFCT calls in expressions and the math functions.

use super::*;
use crate::sim::krl::source::{byte_1252, char_1252};

impl Interpreter {
    /// `TOOL_DATA[n]` or `BASE_DATA[n]` (`table`, entries 1..=`max`); 0 is the null frame.
    /// None when `n` is out of range.
    pub fn frame_entry(&self, table: &str, n: i64, max: i64) -> Option<Value> {
        if n == 0 {
            return Some(Value::frame(&Frame::NULL));
        }
        if !(1..=max).contains(&n) {
            return None;
        }
        Some(match self.globals.get(table) {
            Some(Value::Array(a)) => a.elems[n as usize - 1].clone(),
            _ => Value::frame(&Frame::NULL),
        })
    }

    /// The controller's `BAS` library routine, per `bas.src`.
    pub(super) fn bas(&mut self, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<(), RuntimeError> {
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
                let f = self.frame_entry(table, n, max).ok_or_else(|| rt(sp, format!("BAS(#{cmd},{n}): {table} has entries 1..{max}")))?;
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
    pub(super) fn call_function(&mut self, name: &str, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<Value, RuntimeError> {
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

    pub(super) fn member(&self, var: &str, m: &str) -> Option<Value> {
        match self.globals.get(var) {
            Some(Value::Struct(s)) => s.get(m).cloned(),
            _ => None,
        }
    }

    pub(super) fn set_member(&mut self, var: &str, m: &str, v: Value) {
        if let Some(Value::Struct(s)) = self.globals.get_mut(var)
            && let Some(f) = s.get_mut(m)
        {
            *f = v;
        }
    }

    /// `bas.src` PTP_DAT: acceleration and approximation from PDAT_ACT.
    pub(super) fn bas_ptp_dat(&mut self) {
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
    pub(super) fn bas_cp_dat(&mut self) {
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
    pub(super) fn bas_frames(&mut self, sp: Span) -> Result<(), RuntimeError> {
        for (no, table, var, max) in [("TOOL_NO", "TOOL_DATA", "$TOOL", 16), ("BASE_NO", "BASE_DATA", "$BASE", 32)] {
            let n = match self.member("FDAT_ACT", no) {
                Some(Value::Int(n)) => n as i64,
                _ => continue,
            };
            let f = self.frame_entry(table, n, max).ok_or_else(|| rt(sp, format!("FDAT_ACT.{no} = {n}: {table} has entries 1..{max}")))?;
            self.globals.insert(var.into(), f);
        }
        Ok(())
    }

    /// `StrLen`, `StrDeclLen`, `StrClear`, `StrCopy`, `StrAdd`, `StrComp`, `StrFind`. Strings are
    /// CHAR arrays passed as `name[]`; sources may also be literals.
    pub(super) fn string_fn(&mut self, name: &str, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<Value, RuntimeError> {
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
                Value::Char(c) => Ok(char_1252(c).to_string()),
                other => Err(rt(e.span, format!("{name}: expected a string, got {}", other.type_name()))),
            }
        };
        let flag = |me: &mut Self, e: &Expr, env: &mut dyn Env| -> Result<bool, RuntimeError> { me.eval_bool(e, env) };
        Ok(match name {
            // Lengths and positions count characters (one byte each on the controller).
            "STRLEN" => Value::Int(text(self, &args[0], env)?.chars().count() as i32),
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
                let joined_len = joined.chars().count();
                if joined_len > cap {
                    // The controller refuses a string that does not fit and leaves the target as it was.
                    return Ok(if name == "STRADD" { Value::Int(0) } else { Value::Bool(false) });
                }
                write_str(slot, &joined, true, sp, &n)?;
                if name == "STRADD" { Value::Int(joined_len as i32) } else { Value::Bool(true) }
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
                let (hay, key): (Vec<char>, Vec<char>) = (hay.chars().collect(), key.chars().collect());
                let from = (start.max(1) - 1) as usize;
                let at = (!key.is_empty() && from <= hay.len())
                    .then(|| hay[from..].windows(key.len()).position(|w| w == key.as_slice()))
                    .flatten();
                match at {
                    Some(i) => Value::Int((from + i + 1) as i32),
                    None => Value::Int(0),
                }
            }
        })
    }

    /// The KUKA spline library's parameter functions, as used by the inline forms
    /// (`SVEL_JOINT`, `STOOL2`, `SAPO`, ...): they map FDAT/PDAT/LDAT to the values BAS would set.
    pub(super) fn spline_fn(&mut self, name: &str, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<Value, RuntimeError> {
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
            _ if let Some(package) = super::tech_package(name) => return Err(super::tech_stop(name, package, sp)),
            _ => return Err(rt(sp, format!("function {name} is not defined"))),
        })
    }
}

/// The text of a CHAR array: its characters up to the first one never set (or NUL).
pub(super) fn str_of(a: &ArrayVal) -> String {
    a.elems.iter().map_while(|c| if let Value::Char(c) = c { (*c != 0).then_some(char_1252(*c)) } else { None }).collect()
}

/// Writes `text` into the CHAR array `slot`. As on the controller, characters beyond the
/// new text stay unless `clear_rest` (StrCopy, StrClear) is set.
pub(super) fn write_str(slot: &mut Value, text: &str, clear_rest: bool, span: Span, name: &str) -> Result<(), RuntimeError> {
    let Value::Array(a) = slot else {
        return Err(rt(span, format!("{name} is not a CHAR array; declare it as CHAR {name}[24]")));
    };
    if a.dims.len() != 1 || !a.elems.iter().all(|c| matches!(c, Value::Char(_) | Value::Uninit(Scalar::Char))) {
        return Err(rt(span, format!("{name} is not a one-dimensional CHAR array")));
    }
    // One byte a character, as the controller stores text (code page 1252).
    let bytes: Vec<u8> = text.chars().map(byte_1252).collect();
    if bytes.len() > a.elems.len() {
        return Err(rt(span, format!("\"{text}\" has {} characters; {name}[] holds {}", bytes.len(), a.elems.len())));
    }
    for (i, c) in a.elems.iter_mut().enumerate() {
        if let Some(b) = bytes.get(i) {
            *c = Value::Char(*b);
        } else if clear_rest {
            *c = Value::Uninit(Scalar::Char);
        } else {
            break;
        }
    }
    Ok(())
}

pub(super) fn builtin(name: &str, args: &[Value], sp: Span) -> Result<Value, RuntimeError> {
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
        _ if let Some(package) = super::tech_package(name) => return Err(super::tech_stop(name, package, sp)),
        _ => return Err(rt(sp, format!("function {name} is not defined"))),
    })
}
