//! Statements: control flow, motions, waits, interrupts and triggers, with KRL's line rules.

use super::*;

impl Parser<'_, '_> {
    // ---------- statements ----------

    /// Parses statements until a line starting with one of `terms` (not consumed) or END/EOF.
    /// Returns the statements and the terminator keyword found, if any.
    pub(super) fn parse_block(&mut self, terms: &[&str]) -> (Vec<Stmt>, Option<String>) {
        let mut out = Vec::new();
        loop {
            while matches!(self.peek(), Some(Tok::Newline)) {
                self.pos += 1;
            }
            let Some(Tok::Ident(kw)) = self.peek().cloned() else {
                if self.at_eof() {
                    return (out, None);
                }
                let (s, f) = (self.span(), self.describe());
                self.err("KRL040", s, format!("a statement cannot start with {f}"), None);
                self.skip_line();
                continue;
            };
            if terms.contains(&kw.as_str()) {
                return (out, Some(kw));
            }
            if matches!(
                kw.as_str(),
                "END" | "ENDIF" | "ELSE" | "ENDWHILE" | "ENDLOOP" | "ENDFOR" | "UNTIL" | "ENDFCT" | "CASE" | "DEFAULT" | "ENDSWITCH"
            ) {
                return (out, None);
            }
            if self.is_decl_start() {
                return (out, None);
            }
            if let Ok(s) = self.parse_stmt() {
                out.push(s);
            }
        }
    }

    pub(super) fn block_end(&mut self, open: &str, open_span: Span, terms: &[&str]) -> (Vec<Stmt>, Option<String>) {
        let (body, t) = self.parse_block(terms);
        if t.is_none() {
            let want = terms.join(" or ");
            self.err(
                "KRL041",
                open_span,
                format!("{open} without {want}"),
                Some(&format!("close the {open} block with {want} before the routine ends")),
            );
        }
        (body, t)
    }

    pub(super) fn parse_stmt(&mut self) -> PResult<Stmt> {
        let span = self.span();
        let Some(Tok::Ident(kw)) = self.peek().cloned() else { unreachable!() };
        let kind = match kw.as_str() {
            "IF" => {
                self.pos += 1;
                let cond = self.parse_cond()?;
                if !self.eat_kw("THEN") {
                    let (s, f) = (self.span(), self.describe());
                    self.err("KRL042", s, format!("expected THEN, found {f}"), Some("IF condition THEN"));
                }
                self.end_line("IF ... THEN");
                let (then_body, t) = self.block_end("IF", span, &["ELSE", "ENDIF"]);
                let mut else_body = Vec::new();
                if t.as_deref() == Some("ELSE") {
                    self.pos += 1;
                    self.end_line("ELSE");
                    let (b, t2) = self.block_end("IF", span, &["ENDIF"]);
                    else_body = b;
                    if t2.is_some() {
                        self.pos += 1;
                        self.end_line("ENDIF");
                    }
                } else if t.is_some() {
                    self.pos += 1;
                    self.end_line("ENDIF");
                }
                StmtKind::If { cond, then_body, else_body }
            }
            "ELSEIF" | "ELSIF" | "ELIF" => {
                self.err(
                    "KRL043",
                    span,
                    format!("{kw} does not exist in KRL"),
                    Some("nest the test in the ELSE branch (ELSE / IF ... ENDIF / ENDIF), or use SWITCH"),
                );
                self.skip_line();
                return Err(());
            }
            "WHILE" => {
                self.pos += 1;
                let cond = self.parse_cond()?;
                self.end_line("WHILE condition");
                let (body, t) = self.block_end("WHILE", span, &["ENDWHILE"]);
                if t.is_some() {
                    self.pos += 1;
                    self.end_line("ENDWHILE");
                }
                StmtKind::While { cond, body }
            }
            "REPEAT" => {
                self.pos += 1;
                self.end_line("REPEAT");
                let (body, t) = self.block_end("REPEAT", span, &["UNTIL"]);
                let cond = if t.is_some() {
                    self.pos += 1;
                    let c = self.parse_cond()?;
                    self.end_line("UNTIL condition");
                    c
                } else {
                    Expr { kind: ExprKind::Bool(true), span }
                };
                StmtKind::Repeat { body, cond }
            }
            "LOOP" => {
                self.pos += 1;
                self.end_line("LOOP");
                let (body, t) = self.block_end("LOOP", span, &["ENDLOOP"]);
                if t.is_some() {
                    self.pos += 1;
                    self.end_line("ENDLOOP");
                }
                StmtKind::Loop(body)
            }
            "FOR" => {
                self.pos += 1;
                let (var, var_span) = self.expect_ident("the counter variable")?;
                self.expect_punct("=")?;
                let from = self.parse_expr()?;
                if !self.eat_kw("TO") {
                    let (s, f) = (self.span(), self.describe());
                    self.err("KRL044", s, format!("expected TO, found {f}"), Some("FOR i = 1 TO 10 [STEP 2]"));
                    self.skip_line();
                    return Err(());
                }
                let to = self.parse_expr()?;
                let step = if self.eat_kw("STEP") { Some(self.parse_expr()?) } else { None };
                self.end_line("FOR ... TO");
                let (body, t) = self.block_end("FOR", span, &["ENDFOR"]);
                if t.is_some() {
                    self.pos += 1;
                    self.end_line("ENDFOR");
                }
                StmtKind::For { var, var_span, from, to, step, body }
            }
            "SWITCH" => {
                self.pos += 1;
                let selector = self.parse_expr()?;
                self.end_line("SWITCH selector");
                let mut cases = Vec::new();
                let mut default = None;
                loop {
                    while matches!(self.peek(), Some(Tok::Newline)) {
                        self.pos += 1;
                    }
                    let here = self.span();
                    if self.eat_kw("CASE") {
                        let mut values = vec![self.parse_expr()?];
                        while self.eat_punct(",") {
                            values.push(self.parse_expr()?);
                        }
                        self.end_line("CASE values");
                        if default.is_some() {
                            self.err("KRL052", here, "CASE after DEFAULT", Some("DEFAULT comes last in a SWITCH"));
                        }
                        let (body, _) = self.parse_block(&["CASE", "DEFAULT", "ENDSWITCH"]);
                        cases.push((values, body));
                    } else if self.eat_kw("DEFAULT") {
                        self.end_line("DEFAULT");
                        let (body, _) = self.parse_block(&["CASE", "DEFAULT", "ENDSWITCH"]);
                        if default.is_some() {
                            self.err("KRL052", here, "a second DEFAULT", None);
                        }
                        default = Some(body);
                    } else if self.eat_kw("ENDSWITCH") {
                        self.end_line("ENDSWITCH");
                        break;
                    } else {
                        self.err("KRL041", span, "SWITCH without ENDSWITCH", Some("SWITCH x / CASE 1 ... / DEFAULT ... / ENDSWITCH"));
                        break;
                    }
                }
                if cases.is_empty() && default.is_none() {
                    self.err("KRL052", span, "SWITCH without any CASE", None);
                }
                StmtKind::Switch { selector, cases, default }
            }
            "INTERRUPT" | "GLOBAL" => {
                let global = kw == "GLOBAL";
                self.pos += 1;
                if global && !self.eat_kw("INTERRUPT") {
                    let (s, f) = (self.span(), self.describe());
                    self.err("KRL053", s, format!("expected DECL or INTERRUPT after GLOBAL, found {f}"), None);
                    self.skip_line();
                    return Err(());
                }
                let Some(Tok::Ident(what)) = self.peek().cloned() else {
                    let (s, f) = (self.span(), self.describe());
                    self.err("KRL053", s, format!("expected DECL, ON, OFF, ENABLE or DISABLE after INTERRUPT, found {f}"), None);
                    self.skip_line();
                    return Err(());
                };
                self.pos += 1;
                let action = match what.as_str() {
                    "DECL" => None,
                    "ON" => Some(InterruptAction::On),
                    "OFF" => Some(InterruptAction::Off),
                    "ENABLE" => Some(InterruptAction::Enable),
                    "DISABLE" => Some(InterruptAction::Disable),
                    other => {
                        let s = self.span();
                        self.err(
                            "KRL053",
                            s,
                            format!("INTERRUPT {other} does not exist"),
                            Some("INTERRUPT DECL / ON / OFF / ENABLE / DISABLE"),
                        );
                        self.skip_line();
                        return Err(());
                    }
                };
                match action {
                    Some(action) => {
                        let prio = if self.at_eol() { None } else { Some(self.parse_expr()?) };
                        self.end_line("INTERRUPT");
                        StmtKind::InterruptCtl { action, prio }
                    }
                    None => {
                        let prio = self.parse_expr()?;
                        if !self.eat_kw("WHEN") {
                            let (s, f) = (self.span(), self.describe());
                            self.err("KRL053", s, format!("expected WHEN, found {f}"), Some("INTERRUPT DECL 1 WHEN $IN[3] DO handler()"));
                            self.skip_line();
                            return Err(());
                        }
                        let cond = self.parse_expr()?;
                        if !self.eat_kw("DO") {
                            let (s, f) = (self.span(), self.describe());
                            self.err("KRL053", s, format!("expected DO, found {f}"), Some("INTERRUPT DECL 1 WHEN $IN[3] DO handler()"));
                            self.skip_line();
                            return Err(());
                        }
                        let call = self.parse_postfix()?;
                        let ExprKind::Call(handler, args) = call.kind else {
                            self.err("KRL053", call.span, "the interrupt routine is called with parentheses: handler()", None);
                            self.skip_line();
                            return Err(());
                        };
                        self.end_line("INTERRUPT DECL");
                        StmtKind::InterruptDecl { global, prio, cond, handler, args }
                    }
                }
            }
            "BRAKE" => {
                self.pos += 1;
                let fast = self.eat_kw("F");
                self.end_line("BRAKE");
                StmtKind::Brake(fast)
            }
            "RESUME" => self.simple(StmtKind::Resume, "RESUME"),
            "TRIGGER" => {
                self.pos += 1;
                const FORM: &str = "TRIGGER WHEN DISTANCE=0 DELAY=0 DO $OUT[3]=TRUE, or WHEN PATH=-20 DELAY=0 DO ...";
                let want = |p: &mut Self, kw: &str| -> PResult<()> {
                    if p.eat_kw(kw) {
                        return Ok(());
                    }
                    let (s, f) = (p.span(), p.describe());
                    p.err("KRL056", s, format!("expected {kw}, found {f}"), Some(FORM));
                    p.skip_line();
                    Err(())
                };
                want(self, "WHEN")?;
                let when = if self.eat_kw("DISTANCE") {
                    self.expect_punct("=")?;
                    TriggerWhen::Distance(self.parse_expr()?)
                } else {
                    want(self, "PATH")?;
                    self.expect_punct("=")?;
                    let mm = self.parse_expr()?;
                    TriggerWhen::Path { mm, onstart: self.eat_kw("ONSTART") }
                };
                want(self, "DELAY")?;
                self.expect_punct("=")?;
                let delay = self.parse_expr()?;
                want(self, "DO")?;
                let target = self.parse_postfix()?;
                let action = if self.eat_punct("=") {
                    if !is_lvalue(&target) {
                        self.err("KRL049", target.span, "the left side of `=` is not a variable", None);
                    }
                    TriggerAction::Assign(target, self.parse_expr()?)
                } else if let ExprKind::Call(name, args) = &target.kind
                    && name == "PULSE"
                {
                    // `DO PULSE($OUT[4], TRUE, 0.1)`: a pulse, not a routine (no PRIO).
                    let [t, v, sec] = args.as_slice() else {
                        self.err("KRL056", target.span, "PULSE takes an output, a BOOL and seconds", Some("DO PULSE($OUT[4], TRUE, 0.1)"));
                        self.skip_line();
                        return Err(());
                    };
                    TriggerAction::Pulse { target: t.clone(), value: v.clone(), seconds: sec.clone() }
                } else if let ExprKind::Call(name, args) = target.kind {
                    if !self.eat_kw("PRIO") {
                        let (s, f) = (self.span(), self.describe());
                        self.err("KRL056", s, format!("expected PRIO after the routine call, found {f}"), Some("... DO Routine() PRIO=-1"));
                        self.skip_line();
                        return Err(());
                    }
                    self.expect_punct("=")?;
                    TriggerAction::Call { name, args, prio: self.parse_expr()? }
                } else {
                    self.err("KRL056", target.span, "a TRIGGER does an assignment or calls a routine", Some(FORM));
                    self.skip_line();
                    return Err(());
                };
                self.end_line("TRIGGER");
                StmtKind::Trigger { when, delay, action }
            }
            "GOTO" => {
                self.pos += 1;
                let (label, _) = self.expect_ident("a label after GOTO")?;
                self.end_line("GOTO label");
                StmtKind::Goto(label)
            }
            "PULSE" => {
                self.pos += 1;
                self.expect_punct("(")?;
                let target = self.parse_expr()?;
                self.expect_punct(",")?;
                let value = self.parse_expr()?;
                self.expect_punct(",")?;
                let seconds = self.parse_expr()?;
                self.expect_punct(")")?;
                self.end_line("PULSE");
                StmtKind::Pulse { target, value, seconds }
            }
            "CONFIRM" => {
                self.pos += 1;
                let n = self.parse_expr()?;
                self.end_line("CONFIRM");
                StmtKind::Call { name: "CONFIRM".into(), args: vec![n] }
            }
            "EXIT" => self.simple(StmtKind::Exit, "EXIT"),
            "HALT" => self.simple(StmtKind::Halt, "HALT"),
            "ON_ERROR_PROCEED" => self.simple(StmtKind::OnErrorProceed, "ON_ERROR_PROCEED"),
            "CONTINUE" => self.simple(StmtKind::Continue, "CONTINUE"),
            "RETURN" => {
                self.pos += 1;
                if self.at_eol() {
                    self.skip_line();
                    StmtKind::Return(None)
                } else {
                    let e = self.parse_expr()?;
                    self.end_line("RETURN");
                    StmtKind::Return(Some(e))
                }
            }
            "WAIT" => {
                self.pos += 1;
                if self.eat_kw("FOR") {
                    let c = self.parse_cond()?;
                    self.end_line("WAIT FOR condition");
                    StmtKind::WaitFor(c)
                } else if self.eat_kw("SEC") {
                    let e = self.parse_expr()?;
                    self.end_line("WAIT SEC time");
                    StmtKind::WaitSec(e)
                } else {
                    let (s, f) = (self.span(), self.describe());
                    self.err("KRL045", s, format!("expected FOR or SEC after WAIT, found {f}"), Some("WAIT FOR $IN[1] or WAIT SEC 0.5"));
                    self.skip_line();
                    return Err(());
                }
            }
            "SPLINE" | "PTP_SPLINE" => {
                self.pos += 1;
                let ptp = kw == "PTP_SPLINE";
                // `SPLINE WITH $VEL.CP = 0.5`: in force for every segment.
                let mut with = Vec::new();
                if self.eat_kw("WITH") {
                    loop {
                        let t = self.parse_postfix()?;
                        self.expect_punct("=")?;
                        with.push((t, self.parse_expr()?));
                        if !self.eat_punct(",") {
                            break;
                        }
                    }
                }
                self.end_line(&kw);
                let outer = std::mem::replace(&mut self.in_spline, true);
                let (mut segments, end) = self.block_end(&kw, span, &["ENDSPLINE"]);
                self.in_spline = outer;
                let mut approx_end = false;
                if end.is_some() {
                    self.pos += 1;
                    approx_end = self.eat_kw("C_SPL");
                    self.end_line("ENDSPLINE");
                }
                for seg in &mut segments {
                    match &mut seg.kind {
                        StmtKind::Motion { kind, with: w, approx, .. }
                            if (ptp && *kind == MotionKind::Ptp)
                                || (!ptp && matches!(kind, MotionKind::Lin | MotionKind::Circ | MotionKind::Spl)) =>
                        {
                            if !approx.is_empty() {
                                // The segments flow into one another; only the block's end is approximated.
                                self.err(
                                    "KRL048",
                                    seg.span,
                                    "a segment of a spline block is not approximated on its own",
                                    Some("the block flows through its points; ENDSPLINE C_SPL approximates the block's end"),
                                );
                            }
                            let mut all = with.clone();
                            all.append(w);
                            *w = all;
                        }
                        StmtKind::Trigger { .. } => {}
                        _ => {
                            let want = if ptp { "SPTP segments" } else { "SPL, SLIN and SCIRC segments" };
                            self.err("KRL048", seg.span, format!("a {kw} block holds {want} (and TRIGGERs)"), None);
                        }
                    }
                }
                StmtKind::Spline { ptp, segments, approx_end }
            }
            "SPL" if !self.in_spline => {
                self.err(
                    "KRL048",
                    span,
                    "SPL is a segment of a SPLINE block",
                    Some("SPLINE ... SPL point ... ENDSPLINE, or SLIN point alone"),
                );
                self.skip_line();
                return Err(());
            }
            "PTP" | "LIN" | "CIRC" | "PTP_REL" | "LIN_REL" | "CIRC_REL" | "SPTP" | "SLIN" | "SCIRC" | "SPTP_REL" | "SLIN_REL"
            | "SCIRC_REL" | "SPL" => {
                self.pos += 1;
                // Single spline blocks run as their PTP/LIN/CIRC equivalents; SPL is a
                // segment of a SPLINE block.
                let kind = match kw.as_str() {
                    "PTP" | "SPTP" => MotionKind::Ptp,
                    "LIN" | "SLIN" => MotionKind::Lin,
                    "SPL" => MotionKind::Spl,
                    "CIRC" | "SCIRC" => MotionKind::Circ,
                    "PTP_REL" | "SPTP_REL" => MotionKind::PtpRel,
                    "LIN_REL" | "SLIN_REL" => MotionKind::LinRel,
                    _ => MotionKind::CircRel,
                };
                if self.at_eol() {
                    self.err(
                        "KRL046",
                        span,
                        format!("{kw} needs a target"),
                        Some("e.g. PTP XHOME or LIN {X 500, Y 0, Z 400, A 0, B 90, C 0}"),
                    );
                    self.skip_line();
                    return Err(());
                }
                let mut target = self.parse_expr()?;
                let (mut aux, mut ca) = (None, None);
                if matches!(kind, MotionKind::Circ | MotionKind::CircRel) {
                    if !self.eat_punct(",") {
                        self.err(
                            "KRL046",
                            span,
                            format!("{kw} needs an auxiliary point and a target"),
                            Some("CIRC aux_point, target_point [, CA angle]"),
                        );
                        self.skip_line();
                        return Err(());
                    }
                    aux = Some(target);
                    target = self.parse_expr()?;
                    if self.eat_punct(",") {
                        if !self.eat_kw("CA") {
                            let (s, f) = (self.span(), self.describe());
                            self.err("KRL046", s, format!("expected CA after the target, found {f}"), Some("CIRC aux, target, CA 90"));
                            self.skip_line();
                            return Err(());
                        }
                        ca = Some(self.parse_expr()?);
                    }
                }
                let mut tool_relative = false;
                let mut approx = Vec::new();
                let mut with = Vec::new();
                loop {
                    match self.peek() {
                        Some(Tok::Enum(e)) if kind.is_relative() && (e == "TOOL" || e == "BASE") => {
                            tool_relative = e == "TOOL";
                            self.pos += 1;
                        }
                        Some(Tok::Ident(a)) if matches!(a.as_str(), "C_PTP" | "C_DIS" | "C_VEL" | "C_ORI" | "C_SPL") => {
                            approx.push(match a.as_str() {
                                "C_PTP" => Approx::CPtp,
                                "C_DIS" => Approx::CDis,
                                "C_VEL" => Approx::CVel,
                                // A spline block's approximation: by distance, or the PTP criterion for SPTP.
                                "C_SPL" if kind.is_ptp() => Approx::CPtp,
                                "C_SPL" => Approx::CDis,
                                _ => Approx::COri,
                            });
                            self.pos += 1;
                        }
                        Some(Tok::Ident(w)) if w == "WITH" && with.is_empty() => {
                            self.pos += 1;
                            loop {
                                let t = self.parse_postfix()?;
                                if !is_lvalue(&t) {
                                    self.err("KRL049", t.span, "WITH assigns system variables: WITH $VEL.CP = 0.5", None);
                                }
                                self.expect_punct("=")?;
                                let v = self.parse_expr()?;
                                with.push((t, v));
                                if !self.eat_punct(",") {
                                    break;
                                }
                            }
                        }
                        _ => break,
                    }
                }
                self.end_line("the motion target");
                StmtKind::Motion { kind, target, aux, ca, tool_relative, approx, with }
            }
            k if NOT_YET.contains(&k) => {
                // Asynchronous external axes: the statement is checked, the cell has none.
                let k = k.to_string();
                self.pos += 1;
                if !self.at_eol() {
                    self.parse_expr()?;
                }
                self.end_line(&k);
                self.d.push(
                    super::super::Severity::Warning,
                    "KRL047",
                    span,
                    format!("{k} moves asynchronous external axes, and this cell has none: the program stops if it gets here"),
                    Some("a cell with external axes is not simulated yet"),
                );
                StmtKind::NotInCell(k)
            }
            "THEN" | "DO" | "TO" => {
                self.err("KRL048", span, format!("{kw} cannot start a statement"), None);
                self.skip_line();
                return Err(());
            }
            _ => {
                // Assignment, call or label.
                if let (Some(Tok::Punct(":")), Some(Tok::Newline) | None) = (self.peek_at(1), self.peek_at(2)) {
                    self.pos += 2;
                    self.skip_line();
                    return Ok(Stmt { kind: StmtKind::Label(kw), span });
                }
                let target = self.parse_postfix()?;
                if self.eat_punct("=") {
                    if !is_lvalue(&target) {
                        self.err("KRL049", target.span, "the left side of `=` is not a variable", None);
                    }
                    let value = self.parse_expr()?;
                    self.end_line("the assignment");
                    StmtKind::Assign(target, value)
                } else if let ExprKind::Call(name, args) = target.kind {
                    self.end_line("the call");
                    StmtKind::Call { name, args }
                } else if self.is_punct("==") {
                    let s = self.span();
                    self.err("KRL050", s, "`==` compares; it does not assign", Some("assignment is a single `=`"));
                    self.skip_line();
                    return Err(());
                } else if let ExprKind::Name(n) = &target.kind {
                    let hint = if self.at_eol() {
                        Some("a routine call needs parentheses: Name()")
                    } else {
                        Some("is this a typo of a keyword, or header text of a fold typed as code?")
                    };
                    self.err("KRL051", target.span, format!("`{n}` is not a statement"), hint);
                    self.skip_line();
                    return Err(());
                } else {
                    self.err("KRL051", target.span, "this expression is not a statement", None);
                    self.skip_line();
                    return Err(());
                }
            }
        };
        Ok(Stmt { kind, span })
    }

    pub(super) fn simple(&mut self, k: StmtKind, what: &str) -> StmtKind {
        self.pos += 1;
        self.end_line(what);
        k
    }

    pub(super) fn parse_cond(&mut self) -> PResult<Expr> {
        self.parse_expr()
    }
}
