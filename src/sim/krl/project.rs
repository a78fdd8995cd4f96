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
    /// Checked without a `$config.dat` in reach: a name nothing declares may come from it, so
    /// it is a warning, not an error.
    pub without_config: bool,
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
        if m.public {
            self.globals.extend(m.signals.iter().filter(|s| s.global).map(|s| s.name.clone()));
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

/// A `$config.dat`: everything it declares is global (variables, signals, types).
pub fn add_config(out: &mut Outside, config: &Module) {
    out.globals.extend(config.data.iter().map(|d| d.name.clone()));
    out.globals.extend(config.signals.iter().map(|s| s.name.clone()));
    out.globals.extend(config.left_out.iter().map(|(n, _)| n.clone()));
    out.types.extend(config.types.iter().map(|t| t.name.clone()));
}

/// Where a `$config.dat` for `path` would be: beside it, or in `System`, `R1/System` or
/// `KRC/R1/System` of it or of a folder above it (a controller backup).
pub fn find_config(path: &Path) -> Option<std::path::PathBuf> {
    let start = if path.is_dir() { path.to_path_buf() } else { path.parent().unwrap_or(Path::new(".")).to_path_buf() };
    let start = if start.as_os_str().is_empty() { Path::new(".").to_path_buf() } else { start };
    let find_in = |dir: &Path| -> Option<std::path::PathBuf> {
        std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok().map(|e| e.path())).find(|p| p.is_file() && is_config(p))
    };
    let mut dir = Some(start.as_path());
    for _ in 0..6 {
        let Some(d) = dir else { break };
        for sub in ["", "System", "R1/System", "KRC/R1/System"] {
            // Folder names as the controller writes them, in any case.
            let mut cand = d.to_path_buf();
            let mut ok = true;
            for part in sub.split('/').filter(|p| !p.is_empty()) {
                let found = std::fs::read_dir(&cand).ok().and_then(|rd| {
                    rd.filter_map(|e| e.ok().map(|e| e.path()))
                        .find(|p| p.is_dir() && p.file_name().is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case(part)))
                });
                match found {
                    Some(f) => cand = f,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok && let Some(f) = find_in(&cand) {
                return Some(f);
            }
        }
        dir = d.parent();
    }
    None
}

/// The KRL files a controller holds beside the module at `path`: in a backup (its `$config.dat`
/// in `.../R1/System`), every file under that `R1` (the controller sees every module of its
/// tree); elsewhere, those of its folder. Sorted; `path` itself included.
pub fn module_context(path: &Path) -> Vec<std::path::PathBuf> {
    let root = find_config(path).and_then(|c| {
        let system = c.parent()?;
        let r1 = system.parent()?;
        let abs = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        (system.file_name()?.eq_ignore_ascii_case("System") && abs(path).starts_with(abs(r1))).then(|| r1.to_path_buf())
    });
    match root {
        Some(r1) => krl_files(&[r1]),
        None => {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file() && is_krl(p)).collect())
                .unwrap_or_default();
            files.sort();
            files
        }
    }
}

/// Names a routine uses that nothing declares: its parameters and locals, the module's data
/// and signals, `known` (predefined and outside globals). System variables (`$...`) are left
/// to the controller.
pub fn undeclared(module: &Module, known: &[String]) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    let module_names: Vec<&str> = module
        .data
        .iter()
        .map(|d| d.name.as_str())
        .chain(module.signals.iter().map(|s| s.name.as_str()))
        .chain(module.left_out.iter().map(|(n, _)| n.as_str()))
        .collect();
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
        visit_exprs(&r.body, &mut |e: &Expr| {
            each_subexpr(e, &mut |x| {
                if let ExprKind::Name(n) = &x.kind {
                    uses.push((x.span, n.clone()));
                }
            })
        });
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

/// Calls `f` on `e` and on every expression inside it, outer ones first.
pub fn each_subexpr(e: &Expr, f: &mut impl FnMut(&Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Index(b, i) => {
            each_subexpr(b, f);
            i.iter().for_each(|x| each_subexpr(x, f));
        }
        ExprKind::Member(b, _) | ExprKind::Unary(_, b) | ExprKind::Paren(b) => each_subexpr(b, f),
        ExprKind::Binary(_, l, r) => {
            each_subexpr(l, f);
            each_subexpr(r, f);
        }
        ExprKind::Call(_, a) => a.iter().for_each(|x| each_subexpr(x, f)),
        ExprKind::Aggregate { fields, .. } => fields.iter().for_each(|(_, v)| each_subexpr(v, f)),
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
            StmtKind::While { body, .. }
            | StmtKind::Repeat { body, .. }
            | StmtKind::Loop(body)
            | StmtKind::For { body, .. }
            | StmtKind::Spline { segments: body, .. } => out.extend(walk(body)),
            _ => {}
        }
    }
    out
}

/// Function calls inside expressions: (name, number of arguments, position).
pub fn expr_calls(module: &Module) -> Vec<(String, usize, Span)> {
    let mut out = Vec::new();
    for r in &module.routines {
        visit_exprs(&r.body, &mut |e| {
            each_subexpr(e, &mut |x| {
                if let ExprKind::Call(n, a) = &x.kind {
                    out.push((n.clone(), a.len(), x.span));
                }
            })
        });
    }
    out
}

/// The expressions of every statement.
pub fn visit_exprs(body: &[Stmt], f: &mut impl FnMut(&Expr)) {
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
                    TriggerAction::Pulse { target, value, seconds } => {
                        f(target);
                        f(value);
                        f(seconds);
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

/// One file's findings from `robocell lint`.
#[derive(Clone, Debug)]
pub struct FileLint {
    pub file: std::path::PathBuf,
    pub diagnostics: Vec<Diagnostic>,
    /// The module, when it parsed (for the compile checks).
    pub module: Option<Module>,
    /// The types its context declares (`$config.dat`, GLOBAL types of the other modules): the
    /// same for every module of a lint, shared.
    pub context_types: std::rc::Rc<[TypeDecl]>,
}

/// Every `.src`, `.sub` and `.dat` under the paths (folders walked, sorted), each once.
pub fn krl_files(paths: &[std::path::PathBuf]) -> Vec<std::path::PathBuf> {
    fn walk_dir(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        let mut entries: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            // A backup's machine data (`KRC/STEU/Mada`) is the controller's, not a program.
            if p.is_dir() && !p.file_name().is_some_and(|n| n.eq_ignore_ascii_case("Mada")) {
                walk_dir(&p, out);
            } else if is_krl(&p) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk_dir(p, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    out.dedup();
    out
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || a.canonicalize().ok().is_some_and(|x| b.canonicalize().ok().is_some_and(|y| x == y))
}

/// Does `p` end in `.e`, in any case?
pub fn ext_is(p: &Path, e: &str) -> bool {
    p.extension().is_some_and(|x| x.eq_ignore_ascii_case(e))
}

/// A KRL file: `.src`, `.sub` or `.dat`.
pub fn is_krl(p: &Path) -> bool {
    ext_is(p, "src") || ext_is(p, "sub") || ext_is(p, "dat")
}

/// The controller's `$config.dat`, in any case.
pub fn is_config(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case("$config.dat"))
}

/// Lints files and folders together: each module with its `.dat`, against every other module
/// of the set (GLOBAL routines, PUBLIC data, GLOBAL types) and the `$config.dat` in reach.
/// Without a `$config.dat`, a name or type nothing declares is a warning that says so.
/// Returns one entry per module or lone data list, and the `$config.dat` used.
pub fn lint_paths(paths: &[std::path::PathBuf]) -> (Vec<FileLint>, Option<std::path::PathBuf>) {
    let given = krl_files(paths);
    // A file given alone is checked with the modules beside it too (they are not reported).
    let mut files = given.clone();
    for p in paths.iter().filter(|p| p.is_file()) {
        for s in module_context(p) {
            if !files.iter().any(|f| same_file(f, &s)) {
                files.push(s);
            }
        }
    }
    let config = paths.iter().find_map(|p| find_config(p)).or_else(|| files.iter().find(|f| is_config(f)).cloned());
    let mut outside = Outside { without_config: config.is_none(), ..Outside::default() };
    let mut config_lint = None;
    let mut context_types: Vec<TypeDecl> = Vec::new();
    if let Some(c) = &config {
        let name = c.display().to_string();
        match super::source::read_text(c) {
            Ok(text) => {
                let (m, mut diags) = parse_module_with("", "", Some((name.as_str(), text.as_str())), &Outside::default());
                add_config(&mut outside, &m);
                context_types.extend(m.types.iter().cloned());
                // A context file's own problems are its own: reported in full when it is
                // linted, else once, as one line.
                let errors = diags.iter().filter(|d| d.is_error()).count();
                if !given.iter().any(|g| same_file(g, c)) {
                    diags.clear();
                    if errors > 0 {
                        diags.push(Diagnostic {
                            severity: super::diag::Severity::Warning,
                            code: "KRL090",
                            file: name.clone(),
                            span: Span::new(1, 1, 0),
                            message: format!("$config.dat has {errors} error(s): what they declare is missing here"),
                            hint: Some(format!("run `robocell lint {name}`")),
                            excerpt: String::new(),
                        });
                    }
                }
                config_lint = Some(FileLint { file: c.clone(), diagnostics: diags, module: None, context_types: Default::default() });
            }
            Err(e) => {
                let d = Diagnostic {
                    severity: super::diag::Severity::Error,
                    code: "KRL001",
                    file: name,
                    span: Span::new(1, 1, 0),
                    message: format!("cannot read: {e}"),
                    hint: None,
                    excerpt: String::new(),
                };
                config_lint = Some(FileLint { file: c.clone(), diagnostics: vec![d], module: None, context_types: Default::default() });
            }
        }
    }
    // The modules: a .src or .sub with its .dat, or a .dat without one.
    let mut modules: Vec<(std::path::PathBuf, Option<std::path::PathBuf>)> = Vec::new();
    for f in &files {
        if is_config(f) {
            continue;
        }
        if ext_is(f, "dat") {
            match ["src", "SRC", "sub", "SUB", "Src"].iter().map(|e| f.with_extension(e)).find(|p| p.is_file()) {
                // A .dat given with its .src: the module is linted once, from its .src.
                Some(src) => {
                    if !modules.iter().any(|(m, _)| *m == src) {
                        modules.push((src, Some(f.clone())));
                    }
                }
                None => {
                    if !modules.iter().any(|(m, _)| m == f) {
                        modules.push((f.clone(), None));
                    }
                }
            }
            continue;
        }
        let dat = ["dat", "DAT", "Dat"].iter().map(|e| f.with_extension(e)).find(|p| p.is_file());
        if !modules.iter().any(|(m, _)| m == f) {
            modules.push((f.clone(), dat));
        }
    }
    // First pass: what each module offers (its GLOBAL types known to all).
    let texts: Vec<(String, Option<String>)> = modules
        .iter()
        .map(|(m, d)| (super::source::read_text(m).unwrap_or_default(), d.as_ref().and_then(|d| super::source::read_text(d).ok())))
        .collect();
    let mut first: Vec<Module> = Vec::new();
    for ((m, d), (src, dat)) in modules.iter().zip(&texts) {
        let lone = d.is_none() && ext_is(m, "dat");
        let (sname, dname) = (m.display().to_string(), d.as_ref().map(|d| d.display().to_string()));
        let parsed = if lone {
            parse_module_with("", "", Some((sname.as_str(), src.as_str())), &outside).0
        } else {
            parse_module_with(&sname, src, dat.as_deref().zip(dname.as_deref()).map(|(t, n)| (n, t)), &outside).0
        };
        outside.types.extend(parsed.types.iter().filter(|t| t.global).map(|t| t.name.clone()));
        context_types.extend(parsed.types.iter().filter(|t| t.global).cloned());
        first.push(parsed);
    }
    let context_types: std::rc::Rc<[TypeDecl]> = context_types.into();
    let mut out: Vec<FileLint> = config_lint.into_iter().collect();
    let reported = |m: &Path, d: Option<&std::path::PathBuf>| given.iter().any(|g| same_file(g, m) || d.is_some_and(|d| same_file(g, d)));
    for (i, ((m, d), (src, dat))) in modules.iter().zip(&texts).enumerate() {
        if !reported(m, d.as_ref()) {
            continue;
        }
        let mut ctx = Outside {
            types: outside.types.clone(),
            globals: outside.globals.clone(),
            without_config: outside.without_config,
            ..Outside::default()
        };
        for (j, other) in first.iter().enumerate() {
            if j != i {
                ctx.add(other, &modules[j].0.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
            }
        }
        let lone = d.is_none() && ext_is(m, "dat");
        let (sname, dname) = (m.display().to_string(), d.as_ref().map(|d| d.display().to_string()));
        let (module, diags) = if lone {
            parse_module_with("", "", Some((sname.as_str(), src.as_str())), &ctx)
        } else {
            parse_module_with(&sname, src, dat.as_deref().zip(dname.as_deref()).map(|(t, n)| (n, t)), &ctx)
        };
        let module = (!lone).then_some(module);
        out.push(FileLint { file: m.clone(), diagnostics: diags, module, context_types: context_types.clone() });
    }
    (out, config)
}

/// Where the files of a backup written as one byte string go, in turn (the `krl_folder` fuzz
/// target's input and its seeds): modules, data lists and `$config.dat` beside them or in
/// `KRC/R1/System`.
pub const FOLDER_FILES: [&str; 8] = [
    "KRC/R1/Program/main.src",
    "KRC/R1/Program/main.dat",
    "KRC/R1/Program/lib.src",
    "KRC/R1/Program/lib.dat",
    "KRC/R1/System/$config.dat",
    "KRC/R1/Program/sub/pick.src",
    "KRC/R1/Program/sub/pick.dat",
    "KRC/R1/Program/$config.dat",
];

/// A backup written as one byte string: its files split at `\0FILE\0`, each with its path
/// from `FOLDER_FILES` (at most eight; the rest is dropped).
pub fn split_folder(data: &[u8]) -> Vec<(&'static str, &[u8])> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(6).position(|w| w == b"\0FILE\0") {
        parts.push(&rest[..i]);
        rest = &rest[i + 6..];
    }
    parts.push(rest);
    FOLDER_FILES.iter().copied().zip(parts).collect()
}

/// The analog inputs a module reads with a constant index (`$ANIN[3]`), with where.
pub fn analog_inputs_read(module: &Module) -> Vec<(usize, Span)> {
    let mut out = Vec::new();
    for r in &module.routines {
        visit_exprs(&r.body, &mut |e| {
            each_subexpr(e, &mut |x| {
                if let ExprKind::Index(b, idx) = &x.kind
                    && matches!(&b.kind, ExprKind::Name(n) if n == "$ANIN")
                    && let [Expr { kind: ExprKind::Int(k), .. }] = idx.as_slice()
                {
                    out.push((*k as usize, x.span));
                }
            })
        });
    }
    out
}
