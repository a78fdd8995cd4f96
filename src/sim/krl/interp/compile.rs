//! Compiling a routine's statements to a flat list of operations, so the advance run can stop
//! at any motion or wait and resume there.

use super::*;

pub(super) struct Compiler<'a> {
    signals: &'a [String],
    pub(super) code: Vec<Instr>,
    exits: Vec<Vec<usize>>,
    pub(super) errors: Vec<RuntimeError>,
    /// The blocks we are in, as ids, to tell whether a GOTO jumps into a block.
    blocks: Vec<usize>,
    next_block: usize,
    labels: Vec<(String, usize, Vec<usize>, Span)>,
    gotos: Vec<(String, usize, Vec<usize>, Span)>,
}

impl<'a> Compiler<'a> {
    pub(super) fn new(signals: &'a [String]) -> Self {
        Compiler {
            signals,
            code: Vec::new(),
            exits: Vec::new(),
            errors: Vec::new(),
            blocks: Vec::new(),
            next_block: 0,
            labels: Vec::new(),
            gotos: Vec::new(),
        }
    }

    pub(super) fn emit(&mut self, op: Op, span: Span) -> usize {
        let u = |e: &Expr| uses_io(e, self.signals);
        let adv_stop = match &op {
            Op::WaitFor(_) | Op::WaitSec(_) | Op::Halt => true,
            Op::Assign(t, v) => u(t) || u(v),
            Op::JumpIfNot(c, _) => u(c),
            Op::ForInit(_, e) => u(e),
            Op::Call(_, a) => a.iter().any(u),
            Op::Motion { target, aux, with, via, .. } => {
                u(target) || aux.as_ref().is_some_and(u) || with.iter().any(|(_, v)| u(v)) || via.iter().any(|(e, _)| u(e))
            }
            Op::Pulse { .. } | Op::InterruptDecl { .. } => true,
            _ => false,
        };
        self.code.push(Instr { op, span, adv_stop });
        self.code.len() - 1
    }
    pub(super) fn patch(&mut self, at: usize, to: usize) {
        match &mut self.code[at].op {
            Op::JumpIfNot(_, t) | Op::Jump(t) => *t = to,
            Op::ForCheck { exit, .. } => *exit = to,
            _ => {}
        }
    }
    pub(super) fn block(&mut self, body: &[Stmt]) {
        self.next_block += 1;
        self.blocks.push(self.next_block);
        for s in body {
            self.stmt(s);
        }
        self.blocks.pop();
    }

    /// Points every GOTO at its label; a label must exist and not sit in a block the GOTO is outside of.
    pub(super) fn resolve_gotos(&mut self) {
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
    pub(super) fn loop_body(&mut self, body: &[Stmt]) -> Vec<usize> {
        self.exits.push(Vec::new());
        self.block(body);
        self.exits.pop().unwrap_or_default()
    }
    pub(super) fn stmt(&mut self, s: &Stmt) {
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
            StmtKind::For { var, from, to, step, body, .. } => {
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
            StmtKind::NotInCell(what) => {
                self.emit(Op::NotInCell(what.clone()), sp);
            }
            StmtKind::OnErrorProceed => {
                self.emit(Op::OnErrorProceed, sp);
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
            StmtKind::Spline { ptp, segments, approx_end } => {
                // A run of SPL segments is one motion along a smooth curve through their points;
                // the others (and the runs) flow into one another (approximated as C_PTP / C_DIS
                // with the $APO in force); the last stops unless ENDSPLINE C_SPL.
                let is_spl = |s: &Stmt| matches!(s.kind, StmtKind::Motion { kind: MotionKind::Spl, .. });
                let mut groups: Vec<Vec<&Stmt>> = Vec::new();
                for seg in segments {
                    match groups.last_mut() {
                        Some(g) if is_spl(seg) && g.last().is_some_and(|l| is_spl(l)) => g.push(seg),
                        _ => groups.push(vec![seg]),
                    }
                }
                let n = groups.iter().filter(|g| matches!(g[0].kind, StmtKind::Motion { .. })).count();
                let mut k = 0;
                for group in groups {
                    let seg = *group.last().expect("groups are not empty");
                    let StmtKind::Motion { .. } = &seg.kind else {
                        self.block(std::slice::from_ref(seg));
                        continue;
                    };
                    k += 1;
                    let flows = k < n || *approx_end;
                    let approx = if !flows {
                        Vec::new()
                    } else if *ptp {
                        vec![Approx::CPtp]
                    } else {
                        vec![Approx::CDis]
                    };
                    let mut op = motion_op(&seg.kind, Some(approx));
                    if let Op::Motion { via, .. } = &mut op {
                        for s in &group[..group.len() - 1] {
                            if let StmtKind::Motion { target, .. } = &s.kind {
                                via.push((target.clone(), s.span.line));
                            }
                        }
                    }
                    self.emit(op, seg.span);
                }
            }
            StmtKind::Motion { .. } => {
                self.emit(motion_op(&s.kind, None), sp);
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

/// The operation of a motion statement; `approx` in place of the statement's own when given
/// (a SPLINE block's segments).
fn motion_op(stmt: &StmtKind, approx: Option<Vec<Approx>>) -> Op {
    let StmtKind::Motion { kind, target, aux, ca, tool_relative, approx: own, with } = stmt else {
        unreachable!("motion_op takes a motion statement")
    };
    Op::Motion {
        kind: *kind,
        target: target.clone(),
        aux: aux.clone(),
        ca: ca.clone(),
        tool_relative: *tool_relative,
        approx: approx.unwrap_or_else(|| own.clone()),
        with: with.clone(),
        via: Vec::new(),
    }
}
