//! Checks across modules: what a module may use from the modules beside it (GLOBAL routines,
//! the main DEF of each module, GLOBAL data of PUBLIC data lists, GLOBAL types), and names
//! used without a declaration.

use std::path::Path;

use super::ast::*;
use super::diag::{Diagnostic, Span};
use super::parser::parse_module_with;

/// A routine another module offers.
#[derive(Clone, Debug)]
pub struct OutsideRoutine {
    pub name: String,
    pub module: String,
    pub params: usize,
    /// GLOBAL DEF/DEFFCT, or the module's main DEF: callable from other modules.
    pub callable: bool,
}

/// What the modules beside the one being checked declare.
#[derive(Clone, Debug, Default)]
pub struct Outside {
    pub routines: Vec<OutsideRoutine>,
    /// GLOBAL variables of PUBLIC data lists.
    pub globals: Vec<String>,
    /// GLOBAL STRUC/ENUM types.
    pub types: Vec<String>,
    /// Data other modules keep to themselves: (name, module file), for hints.
    pub private_data: Vec<(String, String)>,
}

impl Outside {
    /// Adds what `m` (parsed from `file`) offers to other modules.
    pub fn add(&mut self, m: &Module, file: &str) {
        for (i, r) in m.routines.iter().enumerate() {
            self.routines.push(OutsideRoutine {
                name: r.name.clone(),
                module: file.to_string(),
                params: r.params.len(),
                callable: i == 0 || r.global,
            });
        }
        for d in &m.data {
            if m.public && d.global {
                self.globals.push(d.name.clone());
            } else {
                let dat = Path::new(file).with_extension("dat").display().to_string();
                self.private_data.push((d.name.clone(), dat));
            }
        }
        self.types.extend(m.types.iter().filter(|t| t.global).map(|t| t.name.clone()));
    }

    /// Reads every other `.src` (with its `.dat`) in the directory of `path`.
    pub fn from_neighbours(path: &Path) -> Outside {
        let mut out = Outside::default();
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let Ok(entries) = std::fs::read_dir(dir) else { return out };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("src")))
            .filter(|p| p.file_name() != path.file_name())
            .collect();
        files.sort();
        // Two passes, so that types from one neighbour are known while reading another.
        let mut parsed = Vec::new();
        for pass in 0..2 {
            let known = out.types.clone();
            parsed.clear();
            for f in &files {
                let Ok(src) = super::source::read_text(f) else { continue };
                let dat = super::source::read_text(&f.with_extension("dat")).ok();
                let name = f.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                let ctx = Outside { types: known.clone(), ..Outside::default() };
                let (m, _) = parse_module_with(&name, &src, dat.as_deref().map(|d| ("neighbour.dat", d)), &ctx);
                parsed.push((m, name));
            }
            if pass == 0 {
                for (m, _) in &parsed {
                    out.types.extend(m.types.iter().filter(|t| t.global).map(|t| t.name.clone()));
                }
            }
        }
        out.types.clear();
        for (m, name) in &parsed {
            out.add(m, name);
        }
        out
    }
}

/// Names a routine uses that nothing declares: its parameters and locals, the module's data
/// and signals, `known` (predefined and outside globals). System variables (`$...`) are left
/// to the controller.
pub fn undeclared(module: &Module, known: &[String]) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    let module_names: Vec<&str> =
        module.data.iter().map(|d| d.name.as_str()).chain(module.signals.iter().map(|s| s.name.as_str())).collect();
    for r in &module.routines {
        let declared = |n: &str| {
            n.starts_with('$')
                || r.decls.iter().any(|d| d.name == n)
                || r.params.iter().any(|p| p.name == n)
                || module_names.contains(&n)
                || known.iter().any(|k| k == n)
        };
        // Every use, then the first of each name in reading order.
        let mut uses: Vec<(Span, String)> = Vec::new();
        visit_exprs(&r.body, &mut |e: &Expr| names_in(e, &mut |n, sp| uses.push((sp, n.to_string()))));
        for s in walk(&r.body) {
            if let StmtKind::For { var, var_span, .. } = &s.kind {
                uses.push((*var_span, var.clone()));
            }
        }
        uses.sort_by_key(|(sp, _)| (sp.line, sp.col));
        for (sp, n) in uses {
            if !declared(&n) && !out.iter().any(|(_, m): &(Span, String)| *m == n) {
                out.push((sp, n));
            }
        }
    }
    out
}

fn names_in(e: &Expr, f: &mut impl FnMut(&str, Span)) {
    match &e.kind {
        ExprKind::Name(n) => f(n, e.span),
        ExprKind::Index(b, i) => {
            names_in(b, f);
            i.iter().for_each(|x| names_in(x, f));
        }
        ExprKind::Member(b, _) | ExprKind::Unary(_, b) | ExprKind::Paren(b) => names_in(b, f),
        ExprKind::Binary(_, l, r) => {
            names_in(l, f);
            names_in(r, f);
        }
        ExprKind::Call(_, a) => a.iter().for_each(|x| names_in(x, f)),
        ExprKind::Aggregate { fields, .. } => fields.iter().for_each(|(_, v)| names_in(v, f)),
        _ => {}
    }
}

/// Every statement, nested ones included.
pub fn walk(body: &[Stmt]) -> Vec<&Stmt> {
    let mut out = Vec::new();
    for s in body {
        out.push(s);
        match &s.kind {
            StmtKind::If { then_body, else_body, .. } => {
                out.extend(walk(then_body));
                out.extend(walk(else_body));
            }
            StmtKind::Switch { cases, default, .. } => {
                cases.iter().for_each(|(_, b)| out.extend(walk(b)));
                if let Some(d) = default {
                    out.extend(walk(d));
                }
            }
            StmtKind::While { body, .. } | StmtKind::Repeat { body, .. } | StmtKind::Loop(body) | StmtKind::For { body, .. } => {
                out.extend(walk(body))
            }
            _ => {}
        }
    }
    out
}

/// Function calls inside expressions: (name, number of arguments, position).
pub fn expr_calls(module: &Module) -> Vec<(String, usize, Span)> {
    fn calls(e: &Expr, out: &mut Vec<(String, usize, Span)>) {
        match &e.kind {
            ExprKind::Call(n, a) => {
                out.push((n.clone(), a.len(), e.span));
                a.iter().for_each(|x| calls(x, out));
            }
            ExprKind::Index(b, i) => {
                calls(b, out);
                i.iter().for_each(|x| calls(x, out));
            }
            ExprKind::Member(b, _) | ExprKind::Unary(_, b) | ExprKind::Paren(b) => calls(b, out),
            ExprKind::Binary(_, l, r) => {
                calls(l, out);
                calls(r, out);
            }
            ExprKind::Aggregate { fields, .. } => fields.iter().for_each(|(_, v)| calls(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for r in &module.routines {
        visit_exprs(&r.body, &mut |e| calls(e, &mut out));
    }
    out
}

/// The expressions of every statement.
fn visit_exprs(body: &[Stmt], f: &mut impl FnMut(&Expr)) {
    for s in walk(body) {
        match &s.kind {
            StmtKind::Assign(t, v) => {
                f(t);
                f(v);
            }
            StmtKind::If { cond, .. } | StmtKind::While { cond, .. } | StmtKind::Repeat { cond, .. } | StmtKind::WaitFor(cond) => f(cond),
            StmtKind::For { from, to, step, .. } => {
                f(from);
                f(to);
                if let Some(x) = step {
                    f(x);
                }
            }
            StmtKind::Return(Some(e)) | StmtKind::WaitSec(e) => f(e),
            StmtKind::Motion { target, aux, ca, with, .. } => {
                f(target);
                aux.iter().chain(ca.iter()).for_each(&mut *f);
                with.iter().for_each(|(t, v)| {
                    f(t);
                    f(v);
                });
            }
            StmtKind::Call { args, .. } => args.iter().for_each(&mut *f),
            StmtKind::Switch { selector, cases, .. } => {
                f(selector);
                cases.iter().flat_map(|(v, _)| v).for_each(&mut *f);
            }
            StmtKind::InterruptDecl { prio, cond, args, .. } => {
                f(prio);
                f(cond);
                args.iter().for_each(&mut *f);
            }
            StmtKind::InterruptCtl { prio: Some(p), .. } => f(p),
            StmtKind::Trigger { when, delay, action } => {
                match when {
                    TriggerWhen::Distance(e) | TriggerWhen::Path { mm: e, .. } => f(e),
                }
                f(delay);
                match action {
                    TriggerAction::Assign(t, v) => {
                        f(t);
                        f(v);
                    }
                    TriggerAction::Call { args, prio, .. } => {
                        args.iter().for_each(&mut *f);
                        f(prio);
                    }
                }
            }
            StmtKind::Pulse { target, value, seconds } => {
                f(target);
                f(value);
                f(seconds);
            }
            _ => {}
        }
    }
}

/// The `.src` a path stands for: itself, or for a `.dat` the `.src` beside it (None when there
/// is none: a data list on its own).
pub fn module_source(path: &Path) -> Option<std::path::PathBuf> {
    let is_dat = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("dat"));
    if !is_dat {
        return Some(path.to_path_buf());
    }
    ["src", "SRC", "Src"].iter().map(|e| path.with_extension(e)).find(|p| p.is_file())
}

/// `robocell lint`: the module at `path` with its `.dat`, checked against its neighbours. A
/// `.dat` is checked with its `.src`, or on its own as a data list when there is none.
pub fn lint_file(path: &Path) -> Result<(Module, Vec<Diagnostic>), std::io::Error> {
    let Some(src_path) = module_source(path) else {
        let dat = super::source::read_text(path)?;
        let dat_name = path.display().to_string();
        return Ok(parse_module_with("", "", Some((dat_name.as_str(), dat.as_str())), &Outside::from_neighbours(path)));
    };
    if src_path != path {
        return lint_file(&src_path);
    }
    let src = super::source::read_text(path)?;
    let dat_path = path.with_extension("dat");
    let dat = super::source::read_text(&dat_path).ok();
    let (src_name, dat_name) = (path.display().to_string(), dat_path.display().to_string());
    let outside = Outside::from_neighbours(path);
    Ok(parse_module_with(&src_name, &src, dat.as_deref().map(|d| (dat_name.as_str(), d)), &outside))
}
