//! Executing operations: statements, motions, calls and returns.

use super::*;

impl Interpreter {
    pub(super) fn pc_mut(&mut self) -> &mut usize {
        &mut self.stack.last_mut().expect("running").pc
    }

    pub(super) fn advance(&mut self) {
        *self.pc_mut() += 1;
    }

    pub(super) fn exec(&mut self, instr: &Instr, env: &mut dyn Env) -> Result<Option<Yield>, RuntimeError> {
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
            Op::NotInCell(what) => {
                return Err(rt(sp, format!("{what}: this cell has no asynchronous external axes")));
            }
            Op::Halt => {
                self.advance();
                return Ok(Some(Yield::Halt));
            }
            Op::Return(e) => {
                let frame = self.stack.last().expect("running");
                let r = &self.routines[frame.routine];
                let (returns, dims) = (r.returns.clone(), r.returns_dims.clone());
                match (e, returns) {
                    (Some(e), Some(ty)) => {
                        let v = self.eval(e, env)?;
                        let mut slot = self.fresh(&ty, &dims);
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
                    held: false,
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
                        InterruptAction::Off => {
                            ir.on = false;
                            ir.held = false;
                        }
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
                self.pulse(target, value, seconds, sp, env)?;
                self.advance();
            }
            Op::Motion { kind, target, aux, ca, tool_relative, approx, with, via } => {
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
                        let Some(old) = self.lookup(root).cloned() else { return Err(self.not_declared(root, t.span)) };
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
                for (e, line) in via {
                    let v = self.eval(e, env)?;
                    cmd.via.push((v, *line));
                }
                cmd.ca_deg = match ca {
                    Some(c) => Some(self.eval(c, env)?.as_f64().ok_or_else(|| rt(c.span, "CA needs an angle in degrees"))?),
                    None => None,
                };
                self.advance();
                return Ok(Some(Yield::Motion(Box::new(cmd))));
            }
            Op::OnErrorProceed => {
                self.proceed_line = Some(sp.line);
                self.advance();
            }
            Op::Call(name, _) if name == "ERR_CLEAR" && !self.routines.iter().any(|r| r.name == *name) => {
                // ERR_CLEAR($ERR): no error recorded any more.
                if let Some(Value::Struct(s)) = self.globals.get_mut("$ERR") {
                    for (n, v) in s.fields.iter_mut() {
                        if n == "NUMBER" || n == "LINE" {
                            *v = Value::Int(0);
                        }
                    }
                }
                self.advance();
            }
            Op::Call(name, args) => {
                if name == "BAS" {
                    self.bas(args, sp, env)?;
                    self.advance();
                } else if super::messages::MESSAGE_FUNCS.contains(&name.as_str()) && !self.routines.iter().any(|r| r.name == *name) {
                    self.message_fn(name, args, sp, env)?;
                    self.advance();
                } else if name == "CONFIRM" && !self.routines.iter().any(|r| r.name == *name) {
                    self.confirm(args, sp, env)?;
                    self.advance();
                } else if let Some(package) = tech_package(name).filter(|_| !self.routines.iter().any(|r| r.name == *name)) {
                    return Err(tech_stop(name, package, sp));
                } else {
                    self.call(name, args, sp, env)?;
                }
            }
        }
        Ok(None)
    }

    /// `PULSE($OUT[n], value, seconds)`: the output takes the value, and its old one back after
    /// the time.
    pub(super) fn pulse(&mut self, target: &Expr, value: &Expr, seconds: &Expr, sp: Span, env: &mut dyn Env) -> Result<(), RuntimeError> {
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
        env.set_output(n, v, sp.line);
        self.pulses.retain(|p| p.0 != n);
        self.pulses.push((n, before, env.time_s() + t.max(0.0), sp.line));
        Ok(())
    }

    /// A motion with the modal parameters in force now.
    pub(super) fn motion_cmd(
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
            via: Vec::new(),
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

    pub(super) fn call(&mut self, name: &str, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<(), RuntimeError> {
        // The caller's own module first, then what other modules offer.
        let here = self.stack.last().map_or(0, |f| self.routines[f.routine].module);
        let found = self.routines.iter().position(|r| r.name == name && r.module == here);
        let Some(ri) = found.or_else(|| self.routines.iter().position(|r| r.name == name && r.callable)) else {
            return Err(rt(sp, format!("routine {name} is not available in this cell")));
        };
        let params = self.routines[ri].params.clone();
        if args.len() > params.len() {
            return Err(rt(sp, format!("{name} takes {} parameter(s), {} given", params.len(), args.len())));
        }
        let mut locals = self.fresh_locals(ri);
        let mut out_binds = Vec::new();
        for (p, a) in params.iter().zip(args) {
            // A parameter left out (KSS 8: `f(a, , c)`, or trailing ones) stays without a
            // value: VARSTATE tells the routine, reading it stops the program.
            if matches!(a.kind, ExprKind::Omitted) {
                continue;
            }
            let v = self.eval(a, env)?;
            let Some(slot) = locals.get_mut(&p.name) else {
                return Err(rt(p.span, format!("parameter {} of {name} has no declaration (e.g. DECL INT {})", p.name, p.name)));
            };
            let open = self.routines[ri].decls.iter().any(|d| d.name == p.name && d.dims.contains(&0));
            if open {
                // Open sizes: the parameter takes the caller's array as it is.
                match v {
                    Value::Array(_) => *slot = v,
                    other => return Err(rt(a.span, format!("{} takes an array ({}[,]), not {}", p.name, expr_text(a), other.type_name()))),
                }
            } else if !(p.out && matches!(v, Value::Uninit(_))) {
                // An OUT parameter may receive a variable that has no value yet.
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

    pub(super) fn ret(&mut self, env: &mut dyn Env) -> Result<Option<Yield>, RuntimeError> {
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
}
