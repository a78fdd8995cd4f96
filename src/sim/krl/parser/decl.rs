//! Modules and declarations: the `.src`'s routines and declarations, SIGNAL, STRUC and ENUM,
//! and the `.dat`'s data list.

use super::*;

impl Parser<'_, '_> {
    // ---------- modules ----------

    pub(super) fn parse_src(&mut self, module: &mut Module) {
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
                        // A function may return an array: `DEFFCT CHAR[32] name()`.
                        let Ok(dims) = self.result_dims() else {
                            self.skip_to_kw("ENDFCT");
                            continue;
                        };
                        if let Some(mut r) = self.parse_routine(global, start, "ENDFCT") {
                            r.returns = Some(ty);
                            r.returns_dims = dims;
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
    pub(super) fn known_type(&mut self, ty: &str, span: Span) -> bool {
        let known = SIMPLE_TYPES.contains(&ty) || self.user_types.iter().any(|t| t == ty);
        if !known && self.config {
            let msg = format!("type {ty} is not known to robocell: what is declared with it is left out");
            self.d.push(
                super::Severity::Warning,
                "KRL019",
                span,
                msg,
                Some("a controller or technology-package type this cell does not have"),
            );
            return false;
        }
        if !known && self.without_config {
            if !self.unknown_types.iter().any(|(t, _)| t == ty) {
                self.unknown_types.push((ty.to_string(), span));
            }
            let msg = format!("type {ty} is not declared here; on a controller it must come from $config.dat");
            self.d.push(super::Severity::Warning, "KRL019", span, msg, Some("lint the program with its $config.dat in reach"));
            return true;
        }
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

    pub(super) fn skip_to_kw(&mut self, kw: &str) {
        while !self.at_eof() {
            let line_start = self.pos == 0 || matches!(self.toks[self.pos - 1].tok, Tok::Newline);
            if line_start && self.is_kw(kw) {
                self.skip_line();
                return;
            }
            self.pos += 1;
        }
    }

    pub(super) fn parse_routine(&mut self, global: bool, start: Span, end_kw: &str) -> Option<Routine> {
        let (name, _) = self.expect_ident("a routine name after DEF").ok()?;
        let mut params = Vec::new();
        if self.expect_punct("(").is_ok() {
            while !self.is_punct(")") && !self.at_eol() {
                let Ok((pname, psp)) = self.expect_ident("a parameter name") else { break };
                // An array parameter: `board[,] :OUT` (its sizes come from the caller).
                if self.eat_punct("[") {
                    while self.eat_punct(",") {}
                    let _ = self.expect_punct("]");
                }
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
        Some(Routine { name, global, returns: None, returns_dims: Vec::new(), params, decls, body, span: start })
    }

    /// Does the line from here hold a `=` (an assignment, not a declaration)?
    fn line_has_assignment(&self) -> bool {
        let mut k = self.pos;
        while let Some(t) = self.toks.get(k) {
            match &t.tok {
                Tok::Newline => return false,
                Tok::Punct(p) if *p == "=" => return true,
                _ => k += 1,
            }
        }
        false
    }

    /// `[32]` or `[2,3]` after a DEFFCT's result type; empty when there is none.
    fn result_dims(&mut self) -> Result<Vec<usize>, ()> {
        let mut dims = Vec::new();
        if !self.eat_punct("[") {
            return Ok(dims);
        }
        loop {
            match self.peek() {
                Some(Tok::Int(n)) if *n > 0 && dims.len() < 3 => {
                    dims.push(*n as usize);
                    self.pos += 1;
                }
                _ => {
                    let (s, f) = (self.span(), self.describe());
                    self.err("KRL020", s, format!("expected the result's array size, found {f}"), Some("DEFFCT CHAR[32] name( )"));
                    return Err(());
                }
            }
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct("]")?;
        Ok(dims)
    }

    pub(super) fn is_decl_start(&self) -> bool {
        if self.is_kw("DECL")
            || self.is_kw("SIGNAL")
            || self.is_kw("STRUC")
            || self.is_kw("ENUM")
            || self.is_kw("EXT")
            || self.is_kw("EXTFCT")
        {
            return true;
        }
        if self.is_kw("GLOBAL")
            && matches!(self.peek_at(1), Some(Tok::Ident(s)) if matches!(s.as_str(), "DECL" | "STRUC" | "ENUM" | "SIGNAL"))
        {
            return true;
        }
        // `INT i` without DECL, also as `GLOBAL INT n`, `CONST INT X = 105`, `GLOBAL CONST CHAR
        // NAME[64]`: a type name followed by a name (not `INT = ...`).
        let mut k = usize::from(self.is_kw("GLOBAL"));
        if matches!(self.peek_at(k), Some(Tok::Ident(s)) if s == "CONST") {
            k += 1;
        }
        matches!(self.peek_at(k), Some(Tok::Ident(s)) if SIMPLE_TYPES.contains(&s.as_str()) || self.user_types.contains(s))
            && matches!(self.peek_at(k + 1), Some(Tok::Ident(_)))
    }

    /// `EXT name(types)` or `EXTFCT type name(types)`: a routine from another module. Its
    /// parameters count for argument checks; their types are not checked here.
    pub(super) fn parse_external(&mut self) {
        let span = self.span();
        let function = self.is_kw("EXTFCT");
        self.pos += 1;
        if function && self.expect_ident("the function's result type").is_err() {
            return self.skip_line();
        }
        let Ok((name, _)) = self.expect_ident("the routine's name") else { return self.skip_line() };
        if self.expect_punct("(").is_err() {
            return self.skip_line();
        }
        // Parameters such as `INT :IN, CHAR[] :OUT`: count those at the top level.
        let (mut depth, mut params, mut any) = (0, 0, false);
        loop {
            match self.peek() {
                None | Some(Tok::Newline) => {
                    let s = self.span();
                    self.err("KRL010", s, format!("expected `)` to close the parameters of {name}"), None);
                    return self.skip_line();
                }
                Some(Tok::Punct(")")) if depth == 0 => break,
                Some(Tok::Punct("(" | "[")) => depth += 1,
                Some(Tok::Punct(")" | "]")) => depth -= 1,
                Some(Tok::Punct(",")) if depth == 0 => params += 1,
                _ => {}
            }
            any = true;
            self.pos += 1;
        }
        self.pos += 1;
        self.end_line("the EXT declaration");
        self.externals.push(External { name, params: if any { params + 1 } else { 0 }, function, span });
    }

    /// `SIGNAL name $OUT[n]` or `SIGNAL name $IN[a] TO $IN[b]`.
    pub(super) fn parse_signal(&mut self, global: bool) {
        self.pos += 1;
        let Ok((name, span)) = self.expect_ident("the signal name") else { return self.skip_line() };
        let mut analog = false;
        let mut io = |p: &mut Self| -> PResult<(bool, u32)> {
            let (which, wsp) = p.expect_ident("$IN[n] or $OUT[n]")?;
            if !matches!(which.as_str(), "$IN" | "$OUT" | "$ANIN" | "$ANOUT") {
                p.err("KRL054", wsp, format!("a SIGNAL names an input or output, not {which}"), Some("SIGNAL gripper_closed $IN[3]"));
                return Err(());
            }
            analog = which.starts_with("$AN");
            let max = if analog { crate::sim::io::ANIN_COUNT as i64 } else { 4096 };
            p.expect_punct("[")?;
            let n = match p.peek() {
                Some(Tok::Int(n)) if (1..=max).contains(n) => *n as u32,
                _ => {
                    let (s, f) = (p.span(), p.describe());
                    p.err("KRL054", s, format!("expected an I/O number 1..4096, found {f}"), None);
                    return Err(());
                }
            };
            p.pos += 1;
            p.expect_punct("]")?;
            Ok((which == "$OUT" || which == "$ANOUT", n))
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
        if analog && to != from {
            self.err("KRL054", span, "an analog SIGNAL names one channel", Some("SIGNAL distance $ANIN[1]"));
        }
        self.end_line("the SIGNAL declaration");
        self.signals.push(Signal { name, output, from, to, span, analog, global });
    }

    /// `[GLOBAL] STRUC name TYPE a, b[10], TYPE2 c` or `[GLOBAL] ENUM name v1, v2`.
    pub(super) fn parse_type_decl(&mut self) {
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
        let decl = TypeDecl { name, global, kind, span };
        if self.types.iter().any(|t| t.name == decl.name) {
            self.err("KRL055", span, format!("type {} is declared twice", decl.name), None);
        } else if let Some(own) = (!self.system).then(|| super::super::system_types::own_declaration(&decl.name)).flatten() {
            // `$config.dat` declares PDAT, the message types, ... itself.
            if super::super::system_types::same_declaration(own, &decl) {
                return;
            }
            let msg = format!("{} differs from robocell's declaration: the one here is used", decl.name);
            let hint = format!("robocell's: {}", super::super::system_types::describe(own));
            self.d.push(Severity::Warning, "KRL057", span, msg, Some(&hint));
        } else if SIMPLE_TYPES.contains(&decl.name.as_str()) && !self.system {
            self.err("KRL055", span, format!("type {} is declared twice", decl.name), Some("it is one of KRL's own types"));
        }
        self.types.push(decl);
    }

    /// A declaration line of any kind; variable declarations are returned.
    pub(super) fn parse_any_decl(&mut self, allow_init: bool) -> Vec<Decl> {
        let k = if self.is_kw("GLOBAL") { 1 } else { 0 };
        match self.peek_at(k) {
            Some(Tok::Ident(s)) if s == "SIGNAL" => {
                self.pos += k;
                self.parse_signal(k == 1);
                Vec::new()
            }
            Some(Tok::Ident(s)) if s == "STRUC" || s == "ENUM" => {
                self.parse_type_decl();
                Vec::new()
            }
            Some(Tok::Ident(s)) if k == 0 && (s == "EXT" || s == "EXTFCT") => {
                self.parse_external();
                Vec::new()
            }
            _ => self.parse_decl_line(allow_init),
        }
    }

    /// `[GLOBAL] [DECL] [CONST] TYPE name[dims] [= init], name2 ...`
    pub(super) fn parse_decl_line(&mut self, allow_init: bool) -> Vec<Decl> {
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
            if self.config {
                self.known_type(&ty, tsp);
            } else {
                // Editor state the smartPAD keeps in data lists, or a type of a package this
                // cell lacks: the data is not for the program here.
                self.d.push(
                    Severity::Warning,
                    "KRL073",
                    tsp,
                    format!("declaration of type {ty} ignored"),
                    Some("robocell does not know this type (smartPAD editor state, or a technology package's)"),
                );
            }
            // The names still exist on the controller: remember them for the modules.
            while !self.at_eol() {
                if let Some(Tok::Ident(n)) = self.peek().cloned()
                    && matches!(self.peek_at(1), None | Some(Tok::Newline | Tok::Punct("=" | "[" | ",")))
                    && !self.left_out.iter().any(|(x, _)| *x == n)
                {
                    self.left_out.push((n, ty.clone()));
                }
                // Past the name's sizes and value, to the next name.
                let mut depth = 0;
                while let Some(t) = self.peek() {
                    match t {
                        Tok::Newline => break,
                        Tok::Punct("{" | "[" | "(") => depth += 1,
                        Tok::Punct("}" | "]" | ")") => depth -= 1,
                        Tok::Punct(",") if depth == 0 => {
                            self.pos += 1;
                            break;
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
            }
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
                        // Open sizes, for an array parameter: `DECL INT board[,]`.
                        _ if !allow_init && (self.is_punct(",") || self.is_punct("]")) => dims.push(0),
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
                        // The expression may have skipped the rest of its line already.
                        if !self.at_line_start() {
                            self.skip_line();
                        }
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

    pub(super) fn parse_dat(&mut self, module: &mut Module) {
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
        if let Ok(name) = self.expect_ident("the data list name") {
            self.defdat = Some(name);
        }
        module.public = self.eat_kw("PUBLIC");
        self.end_line("the DEFDAT line");
        loop {
            if self.at_eof() {
                // At the end of the file: where the ENDDAT should have been.
                let s = self.span();
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
            if self.is_decl_start() {
                let ds = self.parse_any_decl(true);
                module.data.extend(ds);
            } else if matches!(self.peek(), Some(Tok::Ident(_))) && self.line_has_assignment() {
                // `BASE_DATA[1]={X 0,...}` as `$config.dat` writes them: a value for a variable
                // declared elsewhere (or a system table), set when the data list loads.
                match self.parse_postfix().and_then(|t| {
                    self.expect_punct("=")?;
                    Ok((t, self.parse_expr()?))
                }) {
                    Ok((t, v)) if super::expr::is_lvalue(&t) => {
                        module.assigns.push((t, v));
                        self.end_line("the assignment");
                    }
                    Ok((t, _)) => {
                        self.err("KRL032", t.span, "only a variable can take a value in a data list", None);
                        self.skip_line();
                    }
                    Err(()) => self.skip_line(),
                }
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
}
