//! Expressions with KUKA's operator priorities, aggregates and the geometric operator.

use super::*;

impl Parser<'_, '_> {
    // ---------- expressions ----------

    pub fn parse_expr(&mut self) -> PResult<Expr> {
        self.parse_rel()
    }

    pub(super) fn parse_rel(&mut self) -> PResult<Expr> {
        let mut l = self.parse_or()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct("==")) => BinOp::Eq,
                Some(Tok::Punct("<>")) => BinOp::Ne,
                Some(Tok::Punct("<")) => BinOp::Lt,
                Some(Tok::Punct("<=")) => BinOp::Le,
                Some(Tok::Punct(">")) => BinOp::Gt,
                Some(Tok::Punct(">=")) => BinOp::Ge,
                _ => return Ok(l),
            };
            let opspan = self.span();
            self.pos += 1;
            let r = self.parse_or()?;
            let number = |e: &Expr| matches!(e.kind, ExprKind::Int(_) | ExprKind::Real(_));
            for (side, other) in [(&l, &r), (&r, &l)] {
                if let ExprKind::Binary(inner, x, y) = &side.kind
                    && matches!(inner, BinOp::And | BinOp::Or | BinOp::Exor)
                {
                    let msg = format!("`{}` next to {} without parentheses", op.symbol(), inner.symbol());
                    let hint = Some("in KRL comparisons bind weaker than AND/OR: write (a == 1) AND (b == 2)");
                    // `a == 1 AND b == 2` cannot be meant (a number under AND); `x == TRUE AND
                    // y` is valid KRL (x == (TRUE AND y)), if seldom what was meant.
                    if number(x) || number(y) || number(other) {
                        self.err("KRL060", opspan, msg, hint);
                    } else {
                        self.d.push(Severity::Warning, "KRL060", opspan, msg, hint);
                    }
                    break;
                }
            }
            l = bin(op, l, r);
        }
    }

    pub(super) fn parse_or(&mut self) -> PResult<Expr> {
        let mut l = self.parse_exor()?;
        loop {
            let op = if self.is_kw("OR") {
                BinOp::Or
            } else if self.is_kw("B_OR") {
                BinOp::BOr
            } else {
                return Ok(l);
            };
            self.pos += 1;
            let r = self.parse_exor()?;
            l = bin(op, l, r);
        }
    }

    pub(super) fn parse_exor(&mut self) -> PResult<Expr> {
        let mut l = self.parse_and()?;
        loop {
            let op = if self.is_kw("EXOR") {
                BinOp::Exor
            } else if self.is_kw("B_EXOR") {
                BinOp::BExor
            } else {
                return Ok(l);
            };
            self.pos += 1;
            let r = self.parse_and()?;
            l = bin(op, l, r);
        }
    }

    pub(super) fn parse_and(&mut self) -> PResult<Expr> {
        let mut l = self.parse_add()?;
        loop {
            let op = if self.is_kw("AND") {
                BinOp::And
            } else if self.is_kw("B_AND") {
                BinOp::BAnd
            } else {
                return Ok(l);
            };
            self.pos += 1;
            let r = self.parse_add()?;
            l = bin(op, l, r);
        }
    }

    pub(super) fn parse_add(&mut self) -> PResult<Expr> {
        let mut l = self.parse_mul()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct("+")) => BinOp::Add,
                Some(Tok::Punct("-")) => BinOp::Sub,
                _ => return Ok(l),
            };
            self.pos += 1;
            let r = self.parse_mul()?;
            l = bin(op, l, r);
        }
    }

    pub(super) fn parse_mul(&mut self) -> PResult<Expr> {
        let mut l = self.parse_unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct("*")) => BinOp::Mul,
                Some(Tok::Punct("/")) => BinOp::Div,
                _ => return Ok(l),
            };
            self.pos += 1;
            let r = self.parse_unary()?;
            l = bin(op, l, r);
        }
    }

    pub(super) fn parse_unary(&mut self) -> PResult<Expr> {
        let span = self.span();
        let op = if self.is_kw("NOT") {
            Some(UnOp::Not)
        } else if self.is_kw("B_NOT") {
            Some(UnOp::BNot)
        } else if self.is_punct("-") {
            Some(UnOp::Neg)
        } else if self.is_punct("+") {
            self.pos += 1;
            return self.parse_unary();
        } else {
            None
        };
        if let Some(op) = op {
            self.pos += 1;
            let e = self.parse_unary()?;
            // Fold negative literals so `-3` stays a literal.
            let kind = match (op, &e.kind) {
                (UnOp::Neg, ExprKind::Int(i)) => ExprKind::Int(-i),
                (UnOp::Neg, ExprKind::Real(r)) => ExprKind::Real(-r),
                _ => ExprKind::Unary(op, Box::new(e)),
            };
            return Ok(Expr { kind, span });
        }
        self.parse_geo()
    }

    pub(super) fn parse_geo(&mut self) -> PResult<Expr> {
        let mut l = self.parse_postfix()?;
        while self.is_punct(":") {
            self.pos += 1;
            let r = self.parse_postfix()?;
            l = bin(BinOp::Geo, l, r);
        }
        Ok(l)
    }

    pub(super) fn parse_postfix(&mut self) -> PResult<Expr> {
        let mut e = self.parse_primary()?;
        loop {
            if self.is_punct("[") {
                self.pos += 1;
                let mut idx = Vec::new();
                // `board[,]`: the whole array with open sizes (as `s[]` for a string).
                let open = (0..).map(|k| self.peek_at(k)).take_while(|t| matches!(t, Some(Tok::Punct(",")))).count();
                let mut row = false;
                if open > 0 && matches!(self.peek_at(open), Some(Tok::Punct("]"))) {
                    self.pos += open;
                } else if !self.is_punct("]") {
                    loop {
                        idx.push(self.parse_expr()?);
                        if !self.eat_punct(",") {
                            break;
                        }
                        // `TOOL_NAME[1,]`: the last index open, a whole row (a string).
                        if self.is_punct("]") {
                            row = true;
                            break;
                        }
                    }
                }
                self.expect_punct("]")?;
                let span = e.span;
                e = Expr { kind: ExprKind::Index(Box::new(e), idx), span };
                if row {
                    e = Expr { kind: ExprKind::Index(Box::new(e), Vec::new()), span };
                }
            } else if self.is_punct(".") {
                self.pos += 1;
                let (m, _) = self.expect_ident("a member name after `.`")?;
                let span = e.span;
                e = Expr { kind: ExprKind::Member(Box::new(e), m), span };
            } else {
                return Ok(e);
            }
        }
    }

    pub(super) fn parse_primary(&mut self) -> PResult<Expr> {
        let span = self.span();
        let Some(t) = self.bump() else {
            self.err("KRL061", span, "expected an expression, found end of file", None);
            return Err(());
        };
        let kind = match t.tok {
            Tok::Int(i) => ExprKind::Int(i),
            Tok::Real(r) => ExprKind::Real(r),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Char(c) => ExprKind::Char(c),
            Tok::Enum(e) => ExprKind::Enum(e),
            Tok::Ident(s) if s == "TRUE" => ExprKind::Bool(true),
            Tok::Ident(s) if s == "FALSE" => ExprKind::Bool(false),
            Tok::Ident(s) => {
                if self.is_punct("(") {
                    self.pos += 1;
                    let mut args = Vec::new();
                    if !self.is_punct(")") {
                        loop {
                            // An argument may be left out: f(a, , c).
                            if self.is_punct(",") || self.is_punct(")") {
                                args.push(Expr { kind: ExprKind::Omitted, span: self.span() });
                            } else {
                                args.push(self.parse_expr()?);
                            }
                            if !self.eat_punct(",") {
                                break;
                            }
                        }
                    }
                    self.expect_punct(")")?;
                    ExprKind::Call(s, args)
                } else {
                    ExprKind::Name(s)
                }
            }
            Tok::Punct("(") => {
                let e = self.parse_expr()?;
                self.expect_punct(")")?;
                ExprKind::Paren(Box::new(e))
            }
            Tok::Punct("{") => return self.parse_aggregate(span),
            _ => {
                self.pos -= 1;
                let f = self.describe();
                self.err("KRL061", span, format!("expected an expression, found {f}"), None);
                self.skip_line();
                return Err(());
            }
        };
        Ok(Expr { kind, span })
    }

    pub(super) fn parse_aggregate(&mut self, span: Span) -> PResult<Expr> {
        let mut type_name = None;
        if let (Some(Tok::Ident(t)), Some(Tok::Punct(":"))) = (self.peek().cloned(), self.peek_at(1)) {
            type_name = Some(t);
            self.pos += 2;
        }
        let mut fields: Vec<(String, Expr)> = Vec::new();
        if !self.is_punct("}") {
            loop {
                let (name, nsp) = self.expect_ident("a member name in the aggregate")?;
                if self.eat_punct("[") {
                    self.expect_punct("]")?;
                }
                let v = self.parse_expr()?;
                if fields.iter().any(|(n, _)| *n == name) {
                    self.err("KRL062", nsp, format!("member {name} appears twice in the aggregate"), None);
                }
                fields.push((name, v));
                if !self.eat_punct(",") {
                    break;
                }
            }
        }
        self.expect_punct("}")?;
        Ok(Expr { kind: ExprKind::Aggregate { type_name, fields }, span })
    }
}

pub(super) fn bin(op: BinOp, l: Expr, r: Expr) -> Expr {
    let span = l.span;
    Expr { kind: ExprKind::Binary(op, Box::new(l), Box::new(r)), span }
}

pub(super) fn is_lvalue(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Name(_) => true,
        ExprKind::Index(b, _) | ExprKind::Member(b, _) => is_lvalue(b),
        _ => false,
    }
}
