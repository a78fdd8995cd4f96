//! Time, interrupts and triggers: `$TIMER`, PULSE, interrupt routines by priority, trigger routines.

use super::*;

impl Interpreter {
    /// Advances running `$TIMER`s and switches back outputs whose PULSE has ended.
    pub(super) fn tick_clock(&mut self, env: &mut dyn Env) {
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
        for (n, v, _, line) in due {
            env.set_output(n, v, line);
        }
    }

    /// Evaluates the conditions of active interrupts; on a rise, calls the handler of the
    /// highest priority (lowest number) right where the program is, unless a handler of the
    /// same or higher priority is running. The robot keeps moving.
    pub(super) fn check_interrupts(&mut self, env: &mut dyn Env) -> Result<(), RuntimeError> {
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
            if rose && !ir.enabled {
                // DISABLE holds the event; ENABLE lets it run.
                ir.held = true;
            }
            if (rose || ir.held) && ir.enabled && fire.is_none_or(|f| self.interrupts[f].prio > self.interrupts[i].prio) {
                fire = Some(i);
            }
        }
        let Some(i) = fire else { return Ok(()) };
        let ir = self.interrupts[i].clone();
        if self.in_handler.iter().any(|h| h.prio <= ir.prio) {
            return Ok(());
        }
        self.interrupts[i].held = false;
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
    pub(super) fn start_handler(
        &mut self,
        prio: i32,
        name: &str,
        args: &[Expr],
        span: Span,
        env: &mut dyn Env,
    ) -> Result<(), RuntimeError> {
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
                // An output the trigger switches belongs to the TRIGGER's line.
                let at = std::mem::replace(&mut self.current, t.span);
                let done = self.eval(v, env).and_then(|val| self.assign(target, val, env));
                self.current = at;
                done
            }
            TriggerAction::Pulse { target, value, seconds } => {
                let at = std::mem::replace(&mut self.current, t.span);
                let done = self.pulse(target, value, seconds, t.span, env);
                self.current = at;
                done
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
    pub(super) fn start_trigger_calls(&mut self, env: &mut dyn Env) -> Result<(), RuntimeError> {
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
}
