//! Expressions and values: reading and writing variables, array elements and members, KRL's
//! conversions on assignment and its operators.

use super::*;

impl Interpreter {
    // ---------- expressions ----------

    pub(super) fn eval_bool(&mut self, e: &Expr, env: &mut dyn Env) -> Result<bool, RuntimeError> {
        match self.eval(e, env)? {
            Value::Bool(b) => Ok(b),
            other => Err(rt(e.span, format!("condition must be BOOL, but is {}", other.type_name()))),
        }
    }

    pub(super) fn eval_int(&mut self, e: &Expr, env: &mut dyn Env) -> Result<i32, RuntimeError> {
        match self.eval(e, env)? {
            Value::Int(i) => Ok(i),
            other => Err(rt(e.span, format!("expected INT, got {}", other.type_name()))),
        }
    }

    pub(super) fn int_of_name(&mut self, var: &str, sp: Span, env: &mut dyn Env) -> Result<i32, RuntimeError> {
        match self.read_name(var, sp, env)? {
            Value::Int(i) => Ok(i),
            Value::Uninit(_) => Err(rt(sp, format!("KSS01422 {var} value invalid"))),
            other => Err(rt(sp, format!("FOR counter {var} must be INT, is {}", other.type_name()))),
        }
    }

    pub(super) fn read_name(&self, name: &str, sp: Span, env: &mut dyn Env) -> Result<Value, RuntimeError> {
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
        if let Some(v) = self.lookup(name) {
            return Ok(v.clone());
        }
        if let Some(sig) = self.signals.get(name) {
            if sig.analog {
                let n = sig.from as usize;
                return Ok(Value::Real(if sig.output { env.analog_out(n) } else { env.analog_in(n) }));
            }
            let read = |n: u32| if sig.output { env.output(n as usize) } else { env.input(n as usize) };
            if sig.from == sig.to {
                return Ok(Value::Bool(read(sig.from)));
            }
            // A group signal: the first I/O is the lowest bit.
            let bits = (sig.from..=sig.to).enumerate().fold(0u32, |acc, (i, n)| acc | ((read(n) as u32) << i));
            return Ok(Value::Int(bits as i32));
        }
        if name == "$IN" || name == "$OUT" {
            return Err(rt(sp, format!("{name} is not declared (write $IN[n] / $OUT[n] with an index)")));
        }
        Err(self.not_declared(name, sp))
    }

    pub(super) fn global_frame(&self, n: &str) -> Frame {
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
                // `board[,]`: a whole array, as passed to a parameter with open sizes.
                Value::Array(a) if !is_char_array(&a) => Value::Array(a),
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
                if let ExprKind::Name(n) = &base.kind
                    && (n == "$ANIN" || n == "$ANOUT")
                {
                    let k = self.analog_index(n, idx, sp, env)?;
                    return Ok(Value::Real(if n == "$ANIN" { env.analog_in(k) } else { env.analog_out(k) }));
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
            ExprKind::Call(name, args) if super::messages::MESSAGE_FUNCS.contains(&name.as_str()) => {
                self.message_fn(name, args, sp, env)?
            }
            ExprKind::Omitted => return Err(rt(sp, "an argument is missing here")),
            ExprKind::Call(name, args) if name == "VARSTATE" => self.varstate(args, sp, env)?,
            ExprKind::Call(name, args) => {
                let vals = args.iter().map(|a| self.eval(a, env)).collect::<Result<Vec<_>, _>>()?;
                for (v, a) in vals.iter().zip(args) {
                    check_init(v, a)?;
                }
                builtin(name, &vals, sp)?
            }
        })
    }

    /// `VARSTATE("name")`: #UNKNOWN (no such variable here), #DECLARED (no value yet, such as a
    /// parameter left out) or #INITIALIZED.
    fn varstate(&mut self, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<Value, RuntimeError> {
        let [a] = args else { return Err(rt(sp, format!("VARSTATE takes 1 argument, {} given", args.len()))) };
        let name = match self.eval(a, env)? {
            Value::Str(s) => s,
            Value::Array(x) if is_char_array(&x) => str_of(&x),
            other => return Err(rt(a.span, format!("VARSTATE takes a variable's name as a string, not {}", other.type_name()))),
        };
        fn has_value(v: &Value) -> bool {
            match v {
                Value::Uninit(_) => false,
                Value::Struct(s) => s.fields.iter().any(|(_, f)| has_value(f)),
                Value::Array(a) => a.elems.iter().any(has_value),
                _ => true,
            }
        }
        let up = name.trim().to_ascii_uppercase();
        let state = match self.lookup(&up) {
            None if self.signals.contains_key(&up) => "INITIALIZED",
            None => "UNKNOWN",
            Some(v) if has_value(v) => "INITIALIZED",
            Some(_) => "DECLARED",
        };
        Ok(Value::Enum(state.into()))
    }

    /// Reads `a[i].m`-style chains of a declared variable in place, cloning only the result.
    /// None when the root is not a plain variable (I/O, position variables, calls).
    pub(super) fn read_place(&mut self, e: &Expr, env: &mut dyn Env) -> Result<Option<Value>, RuntimeError> {
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
        if root.starts_with('$') && matches!(root.as_str(), "$IN" | "$OUT" | "$ANIN" | "$ANOUT" | "$POS_ACT" | "$AXIS_ACT") {
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
    pub(super) fn lookup(&self, name: &str) -> Option<&Value> {
        if let Some(v) = self.stack.last().and_then(|f| f.locals.get(name)) {
            return Some(v);
        }
        match self.global_key(name) {
            Some(k) => self.globals.get(&k),
            None => self.globals.get(name),
        }
    }

    pub(super) fn offset(&mut self, a: &ArrayVal, idx: &[Expr], base: &Expr, env: &mut dyn Env) -> Result<usize, RuntimeError> {
        let is = idx.iter().map(|i| self.eval_int(i, env)).collect::<Result<Vec<_>, _>>()?;
        flat_offset(base, idx, &is, &a.dims)
    }

    /// An assignment in a WITH list. The spline inline forms give one percentage for all axes
    /// as `$VEL_AXIS[1]` (also `$ACC_AXIS[1]`, `$GEAR_JERK[1]`), so element 1 sets every axis.
    pub(super) fn assign_with(&mut self, target: &Expr, v: Value, env: &mut dyn Env) -> Result<(), RuntimeError> {
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

    /// The variable (or element, or member) `target` names, for writing.
    pub(super) fn place_mut(&mut self, target: &Expr, env: &mut dyn Env) -> Result<&mut Value, RuntimeError> {
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
        let key = self.global_key(root);
        if !in_locals && !self.globals.contains_key(key.as_deref().unwrap_or(root)) {
            return Err(self.not_declared(root, cur.span));
        }
        let slot = match (in_locals, key) {
            (true, _) => self.stack.last_mut().and_then(|f| f.locals.get_mut(root)),
            (false, Some(k)) => self.globals.get_mut(&k),
            (false, None) => self.globals.get_mut(root),
        };
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

    pub(super) fn assign(&mut self, target: &Expr, v: Value, env: &mut dyn Env) -> Result<(), RuntimeError> {
        // A whole array given back through an OUT parameter with open sizes: `board[,]`.
        if let (ExprKind::Index(b, idx), Value::Array(a)) = (&target.kind, &v)
            && idx.is_empty()
            && !is_char_array(a)
        {
            let name = expr_text(b);
            let slot = self.place_mut(b, env)?;
            return match slot {
                Value::Array(old) if old.dims == a.dims => {
                    *slot = v;
                    Ok(())
                }
                other => Err(rt(target.span, format!("{name} is {}, and cannot take the array given back", other.type_name()))),
            };
        }
        // $OUT[n] = ... goes to the I/O.
        if let ExprKind::Index(b, idx) = &target.kind
            && let ExprKind::Name(n) = &b.kind
            && (n == "$ANIN" || n == "$ANOUT")
        {
            if n == "$ANIN" {
                return Err(rt(target.span, "$ANIN is read-only: analog inputs come from the cell"));
            }
            let k = self.analog_index(n, idx, target.span, env)?;
            let x = v.as_f64().ok_or_else(|| rt(target.span, format!("$ANOUT[{k}] is REAL, cannot take {}", v.type_name())))?;
            if !(-1.0..=1.0).contains(&x) {
                return Err(rt(target.span, format!("$ANOUT[{k}] = {x}: an analog output lies within -1.0..1.0")));
            }
            env.set_analog_out(k, x);
            return Ok(());
        }
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
            env.set_output(k, b, self.current.line);
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
                Value::Char(c) => crate::sim::krl::source::char_1252(c).to_string(),
                // Another CHAR array (a DEFFCT CHAR[n]'s result): its characters up to the first
                // one never set.
                Value::Array(a)
                    if a.dims.len() == 1 && a.elems.iter().all(|e| matches!(e, Value::Char(_) | Value::Uninit(Scalar::Char))) =>
                {
                    a.elems
                        .iter()
                        .map_while(|e| if let Value::Char(c) = e { Some(crate::sim::krl::source::char_1252(*c)) } else { None })
                        .collect()
                }
                other => return Err(rt(target.span, format!("{}[] takes a string, not {}", expr_text(b), other.type_name()))),
            };
            let name = expr_text(b);
            // `names[2,] = "text"`: one row of a CHAR array of two or more dimensions.
            if let ExprKind::Index(arr, is) = &b.kind
                && !is.is_empty()
            {
                let at = is.iter().map(|i| self.eval_int(i, env)).collect::<Result<Vec<_>, _>>()?;
                let Value::Array(a) = self.place_mut(arr, env)? else {
                    return Err(rt(b.span, format!("{} is not an array", expr_text(arr))));
                };
                let (Some(&width), true) = (a.dims.last(), a.dims.len() == is.len() + 1) else {
                    return Err(rt(b.span, format!("{} has {} dimension(s); `{name},]` names a row", expr_text(arr), a.dims.len())));
                };
                let start = flat_offset(arr, is, &at, &a.dims[..is.len()])? * width;
                let mut row = Value::Array(Box::new(ArrayVal { dims: vec![width], elems: a.elems[start..start + width].to_vec() }));
                write_str(&mut row, &text, false, target.span, &name)?;
                if let Value::Array(r) = row {
                    a.elems[start..start + width].clone_from_slice(&r.elems);
                }
                return Ok(());
            }
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
pub(super) fn flat_offset(base: &Expr, idx: &[Expr], is: &[i32], dims: &[usize]) -> Result<usize, RuntimeError> {
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
pub(super) fn write_signal(sig: &Signal, v: Value, span: Span, env: &mut dyn Env) -> Result<(), RuntimeError> {
    if !sig.output {
        return Err(rt(span, format!("{} is an input signal: inputs come from the cell", sig.name)));
    }
    if sig.analog {
        let x = v.as_f64().ok_or_else(|| rt(span, format!("{} is an analog output (REAL), cannot take {}", sig.name, v.type_name())))?;
        if !(-1.0..=1.0).contains(&x) {
            return Err(rt(span, format!("{} = {x}: an analog output lies within -1.0..1.0", sig.name)));
        }
        env.set_analog_out(sig.from as usize, x);
        return Ok(());
    }
    match v {
        Value::Bool(b) if sig.from == sig.to => env.set_output(sig.from as usize, b, span.line),
        Value::Int(i) if sig.from != sig.to => {
            let width = sig.to - sig.from + 1;
            if width < 32 && (i < 0 || i >= 1 << width) {
                return Err(rt(span, format!("{} is {width} outputs wide; {i} does not fit", sig.name)));
            }
            for (k, n) in (sig.from..=sig.to).enumerate() {
                env.set_output(n as usize, (i >> k) & 1 == 1, span.line);
            }
        }
        other => {
            let want = if sig.from == sig.to { "BOOL" } else { "INT" };
            return Err(rt(span, format!("type mismatch: signal {} is {want}, the value is {}", sig.name, other.type_name())));
        }
    }
    Ok(())
}

pub(super) fn check_init(v: &Value, e: &Expr) -> Result<(), RuntimeError> {
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
pub(super) fn coerce_member(slot: &mut Value, v: Value, span: Span, name: &str) -> Result<(), RuntimeError> {
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

pub(super) fn binary(op: BinOp, l: Value, r: Value, sp: Span) -> Result<Value, RuntimeError> {
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

/// A CHAR array (a string), as opposed to an array of numbers or structures.
pub(super) fn is_char_array(a: &ArrayVal) -> bool {
    a.elems.first().is_none_or(|e| matches!(e, Value::Char(_) | Value::Uninit(Scalar::Char)))
}

impl Interpreter {
    /// The channel of `$ANIN[k]` / `$ANOUT[k]`: 1..32.
    fn analog_index(&mut self, n: &str, idx: &[Expr], sp: Span, env: &mut dyn Env) -> Result<usize, RuntimeError> {
        let [i] = idx else { return Err(rt(sp, format!("{n} takes one index"))) };
        match self.eval(i, env)? {
            Value::Int(k) if (1..=crate::sim::io::ANIN_COUNT as i64).contains(&i64::from(k)) => Ok(k as usize),
            Value::Int(k) => Err(rt(sp, format!("{n}[{k}]: index out of range 1..32"))),
            other => Err(rt(sp, format!("{n} index must be INT, got {}", other.type_name()))),
        }
    }
}
