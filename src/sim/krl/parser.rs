//! KRL parser: `.src` routines and `.dat` data lists. Reports every error it finds,
//! recovering at the next line.

use super::ast::*;
use super::diag::{DiagSink, Severity, Span};
use super::lexer::{Tok, Token, lex};

/// Names that are built into the language or this controller and may be called.
pub const BUILTIN_FUNCS: &[&str] = &["ABS", "SQRT", "SIN", "COS", "TAN", "ACOS", "ATAN2", "INV_POS"];
const SIMPLE_TYPES: &[&str] = &["INT", "REAL", "BOOL", "CHAR", "FRAME", "POS", "E6POS", "AXIS", "E6AXIS", "PDAT", "LDAT", "FDAT", "LOAD"];
/// Statements a real controller knows that robocell does not run yet.
const NOT_YET: &[&str] = &["SPLINE", "PTP_SPLINE", "ON_ERROR_PROCEED", "ASYPTP"];

struct Parser<'s, 'd> {
    toks: Vec<Token>,
    pos: usize,
    d: &'d mut DiagSink<'s>,
    /// STRUC and ENUM names declared anywhere in the module (or given from outside).
    user_types: Vec<String>,
    signals: Vec<Signal>,
    types: Vec<TypeDecl>,
}

/// The STRUC/ENUM type names a token stream declares, so a type can be used before (or
/// in another file than) its declaration.
pub fn declared_type_names(toks: &[Token]) -> Vec<String> {
    let mut out = Vec::new();
    for w in toks.windows(2) {
        if let (Tok::Ident(k), Tok::Ident(n)) = (&w[0].tok, &w[1].tok)
            && (k == "STRUC" || k == "ENUM")
        {
            out.push(n.clone());
        }
    }
    out
}

type PResult<T> = Result<T, ()>;

fn end_span() -> Span {
    Span::new(u32::MAX, 1, 0)
}

impl<'s, 'd> Parser<'s, 'd> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }
    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }
    fn span(&self) -> Span {
        self.toks.get(self.pos).map(|t| t.span).or_else(|| self.toks.last().map(|t| t.span)).unwrap_or_else(end_span)
    }
    fn at_eof(&self) -> bool {
        self.pos >= self.toks.len()
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s == kw)
    }
    fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }
    fn at_eol(&self) -> bool {
        matches!(self.peek(), None | Some(Tok::Newline))
    }
    fn bump(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_punct(&mut self, p: &str) -> bool {
        if self.is_punct(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn err(&mut self, code: &'static str, span: Span, msg: impl Into<String>, hint: Option<&str>) {
        self.d.error(code, span, msg, hint);
    }
    fn describe(&self) -> String {
        match self.peek() {
            None => "end of file".into(),
            Some(Tok::Newline) => "end of line".into(),
            Some(Tok::Ident(s)) => format!("`{s}`"),
            Some(Tok::Int(i)) => format!("`{i}`"),
            Some(Tok::Real(r)) => format!("`{r}`"),
            Some(Tok::Str(s)) => format!("\"{s}\""),
            Some(Tok::Char(c)) => format!("'{}'", *c as char),
            Some(Tok::Enum(e)) => format!("`#{e}`"),
            Some(Tok::Punct(p)) => format!("`{p}`"),
        }
    }
    fn expect_punct(&mut self, p: &str) -> PResult<()> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            let (s, what) = (self.span(), self.describe());
            self.err("KRL010", s, format!("expected `{p}`, found {what}"), None);
            Err(())
        }
    }
    fn expect_ident(&mut self, what: &str) -> PResult<(String, Span)> {
        match self.peek() {
            Some(Tok::Ident(s)) => {
                let s = s.clone();
                let sp = self.span();
                self.pos += 1;
                Ok((s, sp))
            }
            _ => {
                let (s, found) = (self.span(), self.describe());
                self.err("KRL011", s, format!("expected {what}, found {found}"), None);
                Err(())
            }
        }
    }
    /// Skips to the start of the next line.
    fn skip_line(&mut self) {
        while let Some(t) = self.peek() {
            let nl = matches!(t, Tok::Newline);
            self.pos += 1;
            if nl {
                break;
            }
        }
    }
    /// Requires the end of the line; reports trailing tokens once.
    fn end_line(&mut self, after: &str) {
        if !self.at_eol() {
            let (s, found) = (self.span(), self.describe());
            let hint = if self.is_kw("VEL") || self.is_punct("%") || self.is_kw("CONT") {
                Some(
                    "this looks like the header text of an inline-form fold (what the smartPAD shows); the code inside the fold is e.g. `PTP XP1 C_PTP`",
                )
            } else {
                Some("KRL allows one statement per line")
            };
            self.err("KRL012", s, format!("unexpected {found} after {after}"), hint);
        }
        self.skip_line();
    }

    // ---------- modules ----------

    fn parse_src(&mut self, module: &mut Module) {
        while !self.at_eof() {
            if matches!(self.peek(), Some(Tok::Newline)) {
                self.pos += 1;
                continue;
            }
            let global = self.eat_kw("GLOBAL");
            if self.is_kw("DEF") {
                let start = self.span();
                self.pos += 1;
                if let Some(r) = self.parse_routine(global, start, "END") {
                    module.routines.push(r);
                }
            } else if self.is_kw("DEFFCT") {
                let start = self.span();
                self.pos += 1;
                match self.expect_ident("the result type after DEFFCT") {
                    Ok((ty, tsp)) => {
                        self.known_type(&ty, tsp);
                        if let Some(mut r) = self.parse_routine(global, start, "ENDFCT") {
                            r.returns = Some(ty);
                            module.routines.push(r);
                        }
                    }
                    Err(()) => self.skip_to_kw("ENDFCT"),
                }
            } else {
                let (s, found) = (self.span(), self.describe());
                self.err(
                    "KRL014",
                    s,
                    format!("expected DEF, found {found}"),
                    Some("a .src file holds DEF ... END routines; the first one carries the module name"),
                );
                self.skip_line();
            }
        }
    }

    /// Reports a type robocell does not know; true if it knows it.
    fn known_type(&mut self, ty: &str, span: Span) -> bool {
        let known = SIMPLE_TYPES.contains(&ty) || self.user_types.iter().any(|t| t == ty);
        if !known {
            self.err(
                "KRL019",
                span,
                format!("type {ty} is not known to robocell"),
                Some("known types: INT, REAL, BOOL, CHAR, FRAME, POS, E6POS, AXIS, E6AXIS, PDAT, LDAT, FDAT, LOAD and STRUC/ENUM types"),
            );
        }
        known
    }

    fn skip_to_kw(&mut self, kw: &str) {
        while !self.at_eof() {
            let line_start = self.pos == 0 || matches!(self.toks[self.pos - 1].tok, Tok::Newline);
            if line_start && self.is_kw(kw) {
                self.skip_line();
                return;
            }
            self.pos += 1;
        }
    }

    fn parse_routine(&mut self, global: bool, start: Span, end_kw: &str) -> Option<Routine> {
        let (name, _) = self.expect_ident("a routine name after DEF").ok()?;
        let mut params = Vec::new();
        if self.expect_punct("(").is_ok() {
            while !self.is_punct(")") && !self.at_eol() {
                let Ok((pname, psp)) = self.expect_ident("a parameter name") else { break };
                let mut out = false;
                if self.eat_punct(":") {
                    if self.eat_kw("OUT") {
                        out = true;
                    } else if !self.eat_kw("IN") {
                        let s = self.span();
                        self.err("KRL015", s, "expected IN or OUT after `:`", Some("parameters are written `name:IN` or `name:OUT`"));
                    }
                }
                params.push(Param { name: pname, out, span: psp });
                if !self.eat_punct(",") {
                    break;
                }
            }
            let _ = self.expect_punct(")");
        }
        self.end_line("the DEF line");
        let mut decls = Vec::new();
        let mut body = Vec::new();
        let mut in_decls = true;
        loop {
            if self.at_eof() {
                self.err("KRL016", start, format!("{name} has no {end_kw}"), Some(&format!("close the routine with {end_kw}")));
                break;
            }
            if matches!(self.peek(), Some(Tok::Newline)) {
                self.pos += 1;
                continue;
            }
            if self.eat_kw(end_kw) {
                self.end_line(end_kw);
                break;
            }
            if self.is_kw("END") || self.is_kw("ENDFCT") {
                let (s, f) = (self.span(), self.describe());
                self.err("KRL016", s, format!("{f} closes {name}, which needs {end_kw}"), Some("DEF ... END, DEFFCT ... ENDFCT"));
                self.skip_line();
                break;
            }
            if self.is_decl_start() {
                let s = self.span();
                let ds = self.parse_any_decl(false);
                if in_decls {
                    decls.extend(ds);
                } else {
                    self.err(
                        "KRL017",
                        s,
                        "declaration after the first statement",
                        Some("declarations come first in a routine, before any statement (the INI fold counts as statements)"),
                    );
                }
                continue;
            }
            in_decls = false;
            let (stmts, _) = self.parse_block(&[]);
            body.extend(stmts);
            if self.is_kw("END") || self.is_kw("ENDFCT") || self.is_decl_start() || self.at_eof() {
                continue;
            }
            // parse_block returned on an unexpected block end keyword: report and skip it.
            if !self.at_eof() {
                let (s, found) = (self.span(), self.describe());
                self.err("KRL018", s, format!("{found} without a matching opening statement"), None);
                self.skip_line();
            }
        }
        Some(Routine { name, global, returns: None, params, decls, body, span: start })
    }

    fn is_decl_start(&self) -> bool {
        if self.is_kw("DECL") || self.is_kw("SIGNAL") || self.is_kw("STRUC") || self.is_kw("ENUM") {
            return true;
        }
        if self.is_kw("GLOBAL")
            && matches!(self.peek_at(1), Some(Tok::Ident(s)) if matches!(s.as_str(), "DECL" | "STRUC" | "ENUM" | "SIGNAL"))
        {
            return true;
        }
        // `INT i` without DECL: a type name followed by a name (not `INT = ...`).
        matches!(self.peek(), Some(Tok::Ident(s)) if SIMPLE_TYPES.contains(&s.as_str()) || self.user_types.contains(s))
            && matches!(self.peek_at(1), Some(Tok::Ident(_)))
    }

    /// `SIGNAL name $OUT[n]` or `SIGNAL name $IN[a] TO $IN[b]`.
    fn parse_signal(&mut self) {
        self.pos += 1;
        let Ok((name, span)) = self.expect_ident("the signal name") else { return self.skip_line() };
        let io = |p: &mut Self| -> PResult<(bool, u32)> {
            let (which, wsp) = p.expect_ident("$IN[n] or $OUT[n]")?;
            if which != "$IN" && which != "$OUT" {
                p.err("KRL054", wsp, format!("a SIGNAL names an input or output, not {which}"), Some("SIGNAL gripper_closed $IN[3]"));
                return Err(());
            }
            p.expect_punct("[")?;
            let n = match p.peek() {
                Some(Tok::Int(n)) if (1..=4096).contains(n) => *n as u32,
                _ => {
                    let (s, f) = (p.span(), p.describe());
                    p.err("KRL054", s, format!("expected an I/O number 1..4096, found {f}"), None);
                    return Err(());
                }
            };
            p.pos += 1;
            p.expect_punct("]")?;
            Ok((which == "$OUT", n))
        };
        let Ok((output, from)) = io(self) else { return self.skip_line() };
        let mut to = from;
        if self.eat_kw("TO") {
            let Ok((o2, n2)) = io(self) else { return self.skip_line() };
            if o2 != output || n2 < from || n2 - from >= 32 {
                self.err(
                    "KRL054",
                    span,
                    "a group signal spans 1 to 32 inputs or outputs of one kind, in rising order",
                    Some("SIGNAL speed $IN[20] TO $IN[22]"),
                );
            }
            to = n2;
        }
        self.end_line("the SIGNAL declaration");
        self.signals.push(Signal { name, output, from, to, span });
    }

    /// `[GLOBAL] STRUC name TYPE a, b[10], TYPE2 c` or `[GLOBAL] ENUM name v1, v2`.
    fn parse_type_decl(&mut self) {
        let global = self.eat_kw("GLOBAL");
        let is_enum = self.is_kw("ENUM");
        self.pos += 1;
        let Ok((name, span)) = self.expect_ident("the type name") else { return self.skip_line() };
        let kind = if is_enum {
            let mut values = Vec::new();
            loop {
                let Ok((v, _)) = self.expect_ident("an enum value") else { return self.skip_line() };
                values.push(v);
                if !self.eat_punct(",") {
                    break;
                }
            }
            TypeKind::Enum(values)
        } else {
            let mut members: Vec<Member> = Vec::new();
            let Ok((mut ty, mut tsp)) = self.expect_ident("a member type") else { return self.skip_line() };
            loop {
                if !self.known_type(&ty, tsp) {
                    return self.skip_line();
                }
                let Ok((m, msp)) = self.expect_ident("a member name") else { return self.skip_line() };
                let mut dims = Vec::new();
                if self.eat_punct("[") {
                    while let Some(Tok::Int(n)) = self.peek() {
                        dims.push((*n).max(1) as usize);
                        self.pos += 1;
                        if !self.eat_punct(",") {
                            break;
                        }
                    }
                    if self.expect_punct("]").is_err() {
                        return self.skip_line();
                    }
                }
                if members.iter().any(|x| x.name == m) {
                    self.err("KRL055", msp, format!("member {m} appears twice in STRUC {name}"), None);
                }
                members.push(Member { ty: ty.clone(), name: m, dims });
                if !self.eat_punct(",") {
                    break;
                }
                // `, REAL x` starts a new member type; `, y` is another member of the same type.
                if let (Some(Tok::Ident(t)), Some(Tok::Ident(_))) = (self.peek().cloned(), self.peek_at(1)) {
                    tsp = self.span();
                    ty = t;
                    self.pos += 1;
                }
            }
            TypeKind::Struc(members)
        };
        self.end_line("the type declaration");
        if self.types.iter().any(|t| t.name == name) || SIMPLE_TYPES.contains(&name.as_str()) {
            self.err("KRL055", span, format!("type {name} is declared twice"), None);
        }
        self.types.push(TypeDecl { name, global, kind, span });
    }

    /// A declaration line of any kind; variable declarations are returned.
    fn parse_any_decl(&mut self, allow_init: bool) -> Vec<Decl> {
        let k = if self.is_kw("GLOBAL") { 1 } else { 0 };
        match self.peek_at(k) {
            Some(Tok::Ident(s)) if s == "SIGNAL" => {
                self.pos += k;
                self.parse_signal();
                Vec::new()
            }
            Some(Tok::Ident(s)) if s == "STRUC" || s == "ENUM" => {
                self.parse_type_decl();
                Vec::new()
            }
            _ => self.parse_decl_line(allow_init),
        }
    }

    /// `[GLOBAL] [DECL] [CONST] TYPE name[dims] [= init], name2 ...`
    fn parse_decl_line(&mut self, allow_init: bool) -> Vec<Decl> {
        let mut out = Vec::new();
        let global = self.eat_kw("GLOBAL");
        self.eat_kw("DECL");
        let global = global || self.eat_kw("GLOBAL");
        let konst = self.eat_kw("CONST");
        let Ok((ty, tsp)) = self.expect_ident("a type name") else {
            self.skip_line();
            return out;
        };
        if allow_init && !SIMPLE_TYPES.contains(&ty.as_str()) && !self.user_types.contains(&ty) {
            // Editor state the smartPAD keeps in data lists (BASIS_SUGG_T, ...): not for the program.
            self.d.push(
                Severity::Warning,
                "KRL073",
                tsp,
                format!("declaration of type {ty} ignored"),
                Some("robocell reads program data; this type holds editor state"),
            );
            self.skip_line();
            return out;
        }
        if !self.known_type(&ty, tsp) {
            self.skip_line();
            return out;
        }
        loop {
            let Ok((name, nsp)) = self.expect_ident("a variable name") else {
                self.skip_line();
                return out;
            };
            let mut dims = Vec::new();
            if self.eat_punct("[") {
                loop {
                    match self.peek() {
                        Some(Tok::Int(n)) if *n > 0 => {
                            dims.push(*n as usize);
                            self.pos += 1;
                        }
                        _ if self.is_punct("]") && allow_init => {}
                        _ => {
                            let (s, f) = (self.span(), self.describe());
                            self.err(
                                "KRL020",
                                s,
                                format!("expected an array size, found {f}"),
                                Some("array sizes are positive integer constants: DECL INT a[10]"),
                            );
                            self.skip_line();
                            return out;
                        }
                    }
                    if !self.eat_punct(",") {
                        break;
                    }
                }
                if self.expect_punct("]").is_err() {
                    self.skip_line();
                    return out;
                }
                if dims.len() > 3 {
                    self.err("KRL020", nsp, "arrays have at most 3 dimensions", None);
                }
            }
            let mut init = None;
            if self.eat_punct("=") {
                let esp = self.span();
                match self.parse_expr() {
                    Ok(e) => {
                        if allow_init {
                            init = Some(e);
                        } else {
                            self.err(
                                "KRL021",
                                esp,
                                "a declaration in a .src file cannot have an initial value",
                                Some("declare the variable, then assign it in the statement section"),
                            );
                        }
                    }
                    Err(()) => {
                        self.skip_line();
                        return out;
                    }
                }
            }
            out.push(Decl { ty: TypeRef { name: ty.clone(), span: tsp }, name, dims, init, global, konst, span: nsp });
            if !self.eat_punct(",") {
                break;
            }
        }
        self.end_line("the declaration");
        out
    }

    fn parse_dat(&mut self, module: &mut Module) {
        while matches!(self.peek(), Some(Tok::Newline)) {
            self.pos += 1;
        }
        if !self.eat_kw("DEFDAT") {
            let (s, f) = (self.span(), self.describe());
            self.err(
                "KRL030",
                s,
                format!("expected DEFDAT, found {f}"),
                Some("a .dat file starts with `DEFDAT name` and ends with ENDDAT"),
            );
            return;
        }
        let _ = self.expect_ident("the data list name");
        module.public = self.eat_kw("PUBLIC");
        self.end_line("the DEFDAT line");
        loop {
            if self.at_eof() {
                let s = end_span();
                self.err("KRL031", s, "DEFDAT has no ENDDAT", None);
                return;
            }
            if matches!(self.peek(), Some(Tok::Newline)) {
                self.pos += 1;
                continue;
            }
            if self.eat_kw("ENDDAT") {
                self.end_line("ENDDAT");
                return;
            }
            if self.is_kw("EXT") || self.is_kw("EXTFCT") {
                self.skip_line();
                continue;
            }
            if self.is_decl_start() {
                let ds = self.parse_any_decl(true);
                module.data.extend(ds);
            } else {
                let (s, f) = (self.span(), self.describe());
                self.err(
                    "KRL032",
                    s,
                    format!("expected a declaration in the data list, found {f}"),
                    Some("a .dat holds DECL lines, e.g. DECL E6POS XP1={X 500,Y 0,Z 400,A 0,B 90,C 0}"),
                );
                self.skip_line();
            }
        }
    }

    // ---------- statements ----------

    /// Parses statements until a line starting with one of `terms` (not consumed) or END/EOF.
    /// Returns the statements and the terminator keyword found, if any.
    fn parse_block(&mut self, terms: &[&str]) -> (Vec<Stmt>, Option<String>) {
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

    fn block_end(&mut self, open: &str, open_span: Span, terms: &[&str]) -> (Vec<Stmt>, Option<String>) {
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

    fn parse_stmt(&mut self) -> PResult<Stmt> {
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
                let (var, _) = self.expect_ident("the counter variable")?;
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
                StmtKind::For { var, from, to, step, body }
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
            "EXIT" => self.simple(StmtKind::Exit, "EXIT"),
            "HALT" => self.simple(StmtKind::Halt, "HALT"),
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
            "PTP" | "LIN" | "CIRC" | "PTP_REL" | "LIN_REL" | "CIRC_REL" | "SPTP" | "SLIN" | "SCIRC" => {
                self.pos += 1;
                // Single spline blocks run as their PTP/LIN/CIRC equivalents.
                let kind = match kw.as_str() {
                    "PTP" | "SPTP" => MotionKind::Ptp,
                    "LIN" | "SLIN" => MotionKind::Lin,
                    "CIRC" | "SCIRC" => MotionKind::Circ,
                    "PTP_REL" => MotionKind::PtpRel,
                    "LIN_REL" => MotionKind::LinRel,
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
                self.err(
                    "KRL047",
                    span,
                    format!("{k} is KRL, but robocell does not run it yet"),
                    Some("see the README for the statements robocell runs today"),
                );
                self.skip_line();
                return Err(());
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

    fn simple(&mut self, k: StmtKind, what: &str) -> StmtKind {
        self.pos += 1;
        self.end_line(what);
        k
    }

    fn parse_cond(&mut self) -> PResult<Expr> {
        self.parse_expr()
    }

    // ---------- expressions ----------

    pub fn parse_expr(&mut self) -> PResult<Expr> {
        self.parse_rel()
    }

    fn parse_rel(&mut self) -> PResult<Expr> {
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
            for side in [&l, &r] {
                if let ExprKind::Binary(inner, _, _) = &side.kind
                    && matches!(inner, BinOp::And | BinOp::Or | BinOp::Exor)
                {
                    self.err(
                        "KRL060",
                        opspan,
                        format!("`{}` next to {} without parentheses", op.symbol(), inner.symbol()),
                        Some("in KRL comparisons bind weaker than AND/OR: write (a == 1) AND (b == 2)"),
                    );
                    break;
                }
            }
            l = bin(op, l, r);
        }
    }

    fn parse_or(&mut self) -> PResult<Expr> {
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

    fn parse_exor(&mut self) -> PResult<Expr> {
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

    fn parse_and(&mut self) -> PResult<Expr> {
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

    fn parse_add(&mut self) -> PResult<Expr> {
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

    fn parse_mul(&mut self) -> PResult<Expr> {
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

    fn parse_unary(&mut self) -> PResult<Expr> {
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

    fn parse_geo(&mut self) -> PResult<Expr> {
        let mut l = self.parse_postfix()?;
        while self.is_punct(":") {
            self.pos += 1;
            let r = self.parse_postfix()?;
            l = bin(BinOp::Geo, l, r);
        }
        Ok(l)
    }

    fn parse_postfix(&mut self) -> PResult<Expr> {
        let mut e = self.parse_primary()?;
        loop {
            if self.is_punct("[") {
                self.pos += 1;
                let mut idx = Vec::new();
                if !self.is_punct("]") {
                    loop {
                        idx.push(self.parse_expr()?);
                        if !self.eat_punct(",") {
                            break;
                        }
                    }
                }
                self.expect_punct("]")?;
                let span = e.span;
                e = Expr { kind: ExprKind::Index(Box::new(e), idx), span };
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

    fn parse_primary(&mut self) -> PResult<Expr> {
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

    fn parse_aggregate(&mut self, span: Span) -> PResult<Expr> {
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

fn bin(op: BinOp, l: Expr, r: Expr) -> Expr {
    let span = l.span;
    Expr { kind: ExprKind::Binary(op, Box::new(l), Box::new(r)), span }
}

fn is_lvalue(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Name(_) => true,
        ExprKind::Index(b, _) | ExprKind::Member(b, _) => is_lvalue(b),
        _ => false,
    }
}

/// Parses a `.src` file (and its `.dat`, if given) into a module.
/// Returns the module and every diagnostic found; the module is usable only without errors.
pub fn parse_module(src_name: &str, src: &str, dat: Option<(&str, &str)>) -> (Module, Vec<super::diag::Diagnostic>) {
    parse_module_with(src_name, src, dat, &super::project::Outside::default())
}

/// As `parse_module`, knowing what the modules beside it offer (GLOBAL routines, data, types).
pub fn parse_module_with(
    src_name: &str,
    src: &str,
    dat: Option<(&str, &str)>,
    outside: &super::project::Outside,
) -> (Module, Vec<super::diag::Diagnostic>) {
    let mut module = Module::default();
    let mut diags = Vec::new();
    let mut src_sink = DiagSink::new(src_name, src);
    let src_toks = lex(src, &mut src_sink);
    let mut dat_sink = dat.map(|(n, t)| DiagSink::new(n, t));
    let dat_toks = match (&mut dat_sink, dat) {
        (Some(sink), Some((_, t))) => lex(t, sink),
        _ => Vec::new(),
    };
    let mut user_types = outside.types.clone();
    user_types.extend(declared_type_names(&src_toks));
    user_types.extend(declared_type_names(&dat_toks));
    let (mut signals, mut types) = (Vec::new(), Vec::new());
    {
        let mut p =
            Parser { toks: src_toks, pos: 0, d: &mut src_sink, user_types: user_types.clone(), signals: Vec::new(), types: Vec::new() };
        p.parse_src(&mut module);
        signals.append(&mut p.signals);
        types.append(&mut p.types);
        diags.append(&mut src_sink.out);
    }
    if let Some(mut sink) = dat_sink {
        let mut p = Parser { toks: dat_toks, pos: 0, d: &mut sink, user_types, signals: Vec::new(), types: Vec::new() };
        p.parse_dat(&mut module);
        signals.append(&mut p.signals);
        types.append(&mut p.types);
        diags.append(&mut sink.out);
    }
    module.signals = signals;
    module.types = types;
    let stem = std::path::Path::new(src_name).file_stem().and_then(|s| s.to_str()).unwrap_or("").to_ascii_uppercase();
    if let Some(first) = module.routines.first() {
        module.name = first.name.clone();
        if !stem.is_empty() && first.name != stem {
            let mut sink = DiagSink::new(src_name, src);
            sink.push(
                Severity::Warning,
                "KRL070",
                first.span,
                format!("the first DEF is {} but the file is {stem}", first.name),
                Some("on a controller the first DEF must carry the module (file) name"),
            );
            diags.append(&mut sink.out);
        }
    } else if !diags.iter().any(|d| d.is_error()) {
        let mut sink = DiagSink::new(src_name, src);
        sink.error("KRL071", Span::new(1, 1, 0), "the file holds no DEF routine", Some("write DEF name() ... END"));
        diags.append(&mut sink.out);
    }
    // Calls to routines the module does not define.
    let known: Vec<String> = module.routines.iter().map(|r| r.name.clone()).collect();
    let mut sink = DiagSink::new(src_name, src);
    let stmt_calls = module.routines.iter().flat_map(|r| super::project::walk(&r.body)).filter_map(|s| match &s.kind {
        StmtKind::Call { name, args } => Some((name.clone(), args.len(), s.span, true)),
        _ => None,
    });
    let fn_calls = super::project::expr_calls(&module).into_iter().map(|(n, a, sp)| (n, a, sp, false));
    for (name, nargs, span, is_stmt) in stmt_calls.chain(fn_calls).collect::<Vec<_>>() {
        let name = name.as_str();
        let is_function =
            BUILTIN_FUNCS.contains(&name) || super::interp::STRING_FUNCS.contains(&name) || super::interp::SPLINE_FUNCS.contains(&name);
        if known.iter().any(|k| k == name) || super::interp::LIBRARY_ROUTINES.contains(&name) || (is_function && !is_stmt) {
            continue;
        }
        if is_function {
            sink.error(
                "KRL074",
                span,
                format!("{name} is a function; its value must be used"),
                Some("assign the result, e.g. ok = StrClear(s[])"),
            );
        } else if let Some(o) = outside.routines.iter().find(|o| o.name == name) {
            if !o.callable {
                let hint = format!("declare it `GLOBAL DEF {name}(...)` in {} to call it from other modules", o.module);
                sink.error("KRL075", span, format!("{name} is a local routine of {}", o.module), Some(&hint));
            } else if o.params != nargs {
                sink.error("KRL076", span, format!("{name} (in {}) takes {} parameter(s), {nargs} given", o.module, o.params), None);
            }
        } else {
            let hint = if name == "PRINT" {
                Some("KRL has no print(); show values with the watch panel or a message library call")
            } else {
                Some("a routine from another module or technology package is not available in this cell")
            };
            sink.push(Severity::Warning, "KRL072", span, format!("routine {name} is not defined here"), hint);
        }
    }
    // Names used without a declaration.
    let mut known_names = super::interp::predefined_names();
    known_names.extend(outside.globals.iter().cloned());
    for (span, name) in super::project::undeclared(&module, &known_names) {
        let hint = match outside.private_data.iter().find(|(n, _)| *n == name) {
            Some((_, file)) => {
                format!("{name} is declared in {file}, which keeps it to itself: make it DECL GLOBAL in a DEFDAT ... PUBLIC")
            }
            None => "declare it: DECL INT name in the routine, or in the module's .dat".to_string(),
        };
        sink.error("KRL080", span, format!("{name} is not declared"), Some(&hint));
    }
    // CONST data cannot be written.
    let consts: Vec<&str> = module.data.iter().filter(|d| d.konst).map(|d| d.name.as_str()).collect();
    for r in &module.routines {
        let local = |n: &str| r.decls.iter().any(|d| d.name == n) || r.params.iter().any(|p| p.name == n);
        for st in super::project::walk(&r.body) {
            let written = match &st.kind {
                StmtKind::Assign(t, _) => Some(t.root_name()),
                StmtKind::For { var, .. } => Some(var.as_str()),
                _ => None,
            };
            if let Some(n) = written.filter(|n| consts.contains(n) && !local(n)) {
                sink.error(
                    "KRL081",
                    st.span,
                    format!("{n} is a CONST and cannot be changed"),
                    Some("declare it without CONST to assign it"),
                );
            }
        }
        for d in r.decls.iter().filter(|d| d.konst) {
            sink.error(
                "KRL081",
                d.span,
                format!("CONST {} in a routine", d.name),
                Some("constants are declared in a data list: DECL CONST INT n = 5"),
            );
        }
    }
    diags.append(&mut sink.out);
    // Lexer and parser findings in reading order, per file (.src first).
    diags.sort_by_key(|d| (d.file != src_name, d.span.line, d.span.col));
    (module, diags)
}
