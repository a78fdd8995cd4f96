//! KRL parser: `.src` routines and `.dat` data lists. Reports every error it finds,
//! recovering at the next line.

use super::ast::*;
use super::diag::{DiagSink, Severity, Span};
use super::lexer::{Tok, Token, lex};

mod decl;
mod expr;
mod stmt;

use self::expr::is_lvalue;

/// Names that are built into the language or this controller and may be called.
pub const BUILTIN_FUNCS: &[&str] = &["ABS", "SQRT", "SIN", "COS", "TAN", "ACOS", "ATAN2", "INV_POS", "VARSTATE"];
const SIMPLE_TYPES: &[&str] = &["INT", "REAL", "BOOL", "CHAR", "FRAME", "POS", "E6POS", "AXIS", "E6AXIS", "PDAT", "LDAT", "FDAT", "LOAD"];
/// Statements a real controller knows that robocell does not run yet.
const NOT_YET: &[&str] = &["ASYPTP", "ASYCONT", "ASYSTOP", "ASYCANCEL"];

struct Parser<'s, 'd> {
    toks: Vec<Token>,
    pos: usize,
    d: &'d mut DiagSink<'s>,
    /// STRUC and ENUM names declared anywhere in the module (or given from outside).
    user_types: Vec<String>,
    signals: Vec<Signal>,
    types: Vec<TypeDecl>,
    externals: Vec<External>,
    /// Checked without `$config.dat`: an unknown type may be declared there (a warning).
    without_config: bool,
    /// Inside a SPLINE block (where SPL segments belong).
    in_spline: bool,
    /// Parsing robocell's own type declarations.
    system: bool,
    /// Parsing a `$config.dat`: a controller type robocell lacks is a warning there.
    config: bool,
    /// Names declared with a type robocell lacks (in a `$config.dat`).
    left_out: Vec<(String, String)>,
    /// The data list's name and where it stands.
    defdat: Option<(String, Span)>,
    /// Types nothing declares, checked without a `$config.dat` (which may declare them).
    unknown_types: Vec<(String, Span)>,
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
    Span::new(1, 1, 0)
}

impl<'s, 'd> Parser<'s, 'd> {
    fn new(toks: Vec<Token>, d: &'d mut DiagSink<'s>, user_types: Vec<String>, without_config: bool, system: bool, config: bool) -> Self {
        Parser {
            toks,
            pos: 0,
            d,
            user_types,
            signals: Vec::new(),
            types: Vec::new(),
            externals: Vec::new(),
            without_config,
            in_spline: false,
            system,
            config,
            left_out: Vec::new(),
            defdat: None,
            unknown_types: Vec::new(),
        }
    }

    /// Moves what was declared module-wide (signals, types, externals, names left out, unknown
    /// types) into `module`.
    fn collect_into(&mut self, module: &mut Module) {
        module.signals.append(&mut self.signals);
        module.types.append(&mut self.types);
        module.externals.append(&mut self.externals);
        module.left_out.append(&mut self.left_out);
        module.unknown_types.append(&mut self.unknown_types);
    }

    pub(super) fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }
    pub(super) fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }
    pub(super) fn span(&self) -> Span {
        self.toks.get(self.pos).map(|t| t.span).or_else(|| self.toks.last().map(|t| t.span)).unwrap_or_else(end_span)
    }
    /// The previous token ended a line (or nothing was read yet).
    pub(super) fn at_line_start(&self) -> bool {
        self.pos == 0 || matches!(self.toks.get(self.pos - 1).map(|t| &t.tok), Some(Tok::Newline))
    }
    pub(super) fn at_eof(&self) -> bool {
        self.pos >= self.toks.len()
    }
    pub(super) fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s == kw)
    }
    pub(super) fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }
    pub(super) fn at_eol(&self) -> bool {
        matches!(self.peek(), None | Some(Tok::Newline))
    }
    pub(super) fn bump(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    pub(super) fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    pub(super) fn eat_punct(&mut self, p: &str) -> bool {
        if self.is_punct(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    pub(super) fn err(&mut self, code: &'static str, span: Span, msg: impl Into<String>, hint: Option<&str>) {
        self.d.error(code, span, msg, hint);
    }
    pub(super) fn describe(&self) -> String {
        match self.peek() {
            None => "end of file".into(),
            Some(Tok::Newline) => "end of line".into(),
            Some(Tok::Ident(s)) => format!("`{s}`"),
            Some(Tok::Int(i)) => format!("`{i}`"),
            Some(Tok::Real(r)) => format!("`{r}`"),
            Some(Tok::Str(s)) => format!("\"{s}\""),
            Some(Tok::Char(c)) => format!("'{}'", super::source::char_1252(*c)),
            Some(Tok::Enum(e)) => format!("`#{e}`"),
            Some(Tok::Punct(p)) => format!("`{p}`"),
        }
    }
    pub(super) fn expect_punct(&mut self, p: &str) -> PResult<()> {
        if self.eat_punct(p) {
            Ok(())
        } else {
            let (s, what) = (self.span(), self.describe());
            self.err("KRL010", s, format!("expected `{p}`, found {what}"), None);
            Err(())
        }
    }
    pub(super) fn expect_ident(&mut self, what: &str) -> PResult<(String, Span)> {
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
    pub(super) fn skip_line(&mut self) {
        while let Some(t) = self.peek() {
            let nl = matches!(t, Tok::Newline);
            self.pos += 1;
            if nl {
                break;
            }
        }
    }
    /// Requires the end of the line; reports trailing tokens once.
    pub(super) fn end_line(&mut self, after: &str) {
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
}

/// The module name a file stands for: its name without the extension, in upper case (a
/// tool's `name().src` export counts as `name`).
fn stem_of(file: &str) -> String {
    let s = std::path::Path::new(file).file_stem().and_then(|s| s.to_str()).unwrap_or("").to_ascii_uppercase();
    s.strip_suffix("()").map(str::to_string).unwrap_or(s)
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
    use super::system_types::{INLINE_FORM_TYPES_FILE, SYSTEM_TYPES_FILE};
    let system = dat.is_some_and(|d| d.0 == SYSTEM_TYPES_FILE || d.0 == INLINE_FORM_TYPES_FILE);
    let config = dat.is_some_and(|d| super::project::is_config(std::path::Path::new(d.0)));
    let mut user_types = outside.types.clone();
    if dat.is_none_or(|d| d.0 != SYSTEM_TYPES_FILE) {
        user_types.extend(super::system_types::system_type_names());
    }
    user_types.extend(declared_type_names(&src_toks));
    user_types.extend(declared_type_names(&dat_toks));
    let mut defdat = None;
    {
        let mut p = Parser::new(src_toks, &mut src_sink, user_types.clone(), outside.without_config, system, config);
        p.parse_src(&mut module);
        p.collect_into(&mut module);
    }
    diags.append(&mut src_sink.out);
    if let Some(mut sink) = dat_sink {
        {
            let mut p = Parser::new(dat_toks, &mut sink, user_types, outside.without_config, system, config);
            p.parse_dat(&mut module);
            p.collect_into(&mut module);
            defdat = p.defdat.take();
        }
        diags.append(&mut sink.out);
    }
    if let (Some((n, sp)), Some((dat_name, dat_text))) = (&defdat, dat)
        && !system
        && !stem_of(dat_name).is_empty()
        && *n != stem_of(dat_name)
    {
        let stem = stem_of(dat_name);
        let mut sink = DiagSink::new(dat_name, dat_text);
        let hint = format!("rename the file to {n}.dat, or write DEFDAT {stem}");
        sink.error("KRL070", *sp, format!("the data list is DEFDAT {n} but its file is {stem}"), Some(&hint));
        diags.append(&mut sink.out);
    }
    // The module's name is its file's, as on the controller.
    let stem = stem_of(src_name);
    if let Some(first) = module.routines.first() {
        module.name = first.name.clone();
        if !stem.is_empty() && first.name != stem {
            let mut sink = DiagSink::new(src_name, src);
            let hint =
                format!("the controller loads a module by its file name: rename the file to {}.src, or the DEF to {stem}", first.name);
            sink.error("KRL070", first.span, format!("the module's DEF is {} but its file is {stem}", first.name), Some(&hint));
            diags.append(&mut sink.out);
        }
    } else if !src_name.is_empty() && !diags.iter().any(|d| d.is_error()) {
        // (A data list linted on its own has no .src to hold a DEF.)
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
        if let Some(package) = super::interp::tech_package(name).filter(|_| !module.externals.iter().any(|x| x.name == name)) {
            let msg = format!("{name} is a {package} routine, and this cell has no {package}");
            sink.push(Severity::Warning, "KRL078", span, msg, Some("the program runs up to the call and stops there"));
            continue;
        }
        if is_function {
            sink.error(
                "KRL074",
                span,
                format!("{name} is a function; its value must be used"),
                Some("assign the result, e.g. ok = StrClear(s[])"),
            );
        } else if let Some(x) = module.externals.iter().find(|x| x.name == name)
            && (x.params < nargs || x.function == is_stmt)
        {
            // The module's own EXT/EXTFCT declaration is what the call must fit (trailing
            // arguments may be left out: KSS 8's optional parameters).
            let kind = if x.function { "EXTFCT" } else { "EXT" };
            if x.params < nargs {
                let msg = format!("{name} (declared {kind} on line {}) takes {} parameter(s), {nargs} given", x.span.line, x.params);
                sink.error("KRL076", span, msg, None);
            } else if x.function {
                let msg = format!("{name} is declared EXTFCT (line {}): its value must be used", x.span.line);
                sink.error("KRL074", span, msg, Some("assign the result, e.g. r = name(...)"));
            } else {
                let msg = format!("{name} is declared EXT (line {}): a routine, it has no value", x.span.line);
                sink.error("KRL074", span, msg, Some("call it as a statement, or declare it EXTFCT"));
            }
        } else if let Some(o) = outside.routines.iter().find(|o| o.name == name) {
            if !o.callable {
                let hint = format!("declare it `GLOBAL DEF {name}(...)` in {} to call it from other modules", o.module);
                sink.error("KRL075", span, format!("{name} is a local routine of {}", o.module), Some(&hint));
            } else if o.params < nargs {
                sink.error("KRL076", span, format!("{name} (in {}) takes {} parameter(s), {nargs} given", o.module, o.params), None);
            }
        } else {
            let ext = module.externals.iter().find(|x| x.name == name).map(|x| {
                format!(
                    "it is declared EXT on line {}, but no module beside this one defines it; in a cell it must be loaded too",
                    x.span.line
                )
            });
            let hint = if name == "PRINT" {
                Some("KRL has no print(); show values with the watch panel or a message library call")
            } else if let Some(h) = ext.as_deref() {
                Some(h)
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
        if outside.without_config && !outside.private_data.iter().any(|(n, _)| *n == name) {
            let hint = "lint the program with its $config.dat in reach (beside it, or a backup's KRC/R1/System)";
            let msg = format!("{name} is not declared here; on a controller it must come from $config.dat");
            sink.push(Severity::Warning, "KRL080", span, msg, Some(hint));
            module.unknown_names.push((name, span));
        } else {
            sink.error("KRL080", span, format!("{name} is not declared"), Some(&hint));
        }
    }
    // Workspaces are data here: say so where the program sets one up.
    if let Some(st) = module
        .routines
        .iter()
        .flat_map(|r| super::project::walk(&r.body))
        .find(|st| matches!(&st.kind, StmtKind::Assign(t, _) if t.root_name() == "$WORKSPACE"))
    {
        sink.push(
            Severity::Warning,
            "KRL094",
            st.span,
            "robocell keeps $WORKSPACE as data: it does not monitor workspaces or stop the robot at one",
            Some("the cell's collision detection still stops the robot on contact"),
        );
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
        for d in r.decls.iter().filter(|d| d.dims.contains(&0) && !r.params.iter().any(|p| p.name == d.name)) {
            sink.error(
                "KRL020",
                d.span,
                format!("{} leaves its array sizes open, but it is not a parameter", d.name),
                Some("only an array parameter takes its sizes from the caller: DEF f(b[,] :OUT) with DECL INT b[,]"),
            );
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
