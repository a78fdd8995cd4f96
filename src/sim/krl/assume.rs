//! A program without its `$config.dat`: the names only a `$config.dat` would declare, and (for
//! `--assume-config`) their declarations guessed from how the program uses them.

use super::ast::*;
use super::diag::{DiagSink, Diagnostic, Severity, Span};
use super::project::{each_subexpr, visit_exprs, walk};

/// The refusal of a program checked without a `$config.dat` that uses names and types nothing
/// declares (`Module::unknown_names`, `unknown_types`): one error at the first use, listing them
/// all and how to give a `$config.dat`.
pub fn refusal(file: &str, src: &str, names: &[(String, Span)], types: &[(String, Span)]) -> Diagnostic {
    let mut list: Vec<String> = names.iter().map(|(n, _)| n.clone()).collect();
    list.extend(types.iter().map(|(t, _)| format!("type {t}")));
    let first = names.iter().chain(types).map(|(_, s)| *s).min_by_key(|s| (s.line, s.col)).unwrap_or_default();
    let mut sink = DiagSink::new(file, src);
    let what = match (names.len(), types.len()) {
        (n, 0) => format!("{n} name(s)"),
        (0, t) => format!("{t} type(s)"),
        (n, t) => format!("{n} name(s) and {t} type(s)"),
    };
    let msg = format!("{what} declared nowhere (and no $config.dat in reach): {}", list.join(", "));
    let hint = "declare each in the program (e.g. DECL INT name), or give the program the $config.dat that declares \
                them (`--config FILE`, or one beside the program or in its backup's KRC/R1/System), or let robocell \
                declare them from their use: `--assume-config`";
    sink.error("KRL092", first, msg, Some(hint));
    sink.out.remove(0)
}

/// The type a name's uses tell: BOOL for a condition or TRUE/FALSE, E6POS for a motion target
/// or X/Y/Z members, E6AXIS for A1..A6 members, INT or REAL for numbers. None when the uses do
/// not tell, or when it is used as an array.
pub fn infer_type(module: &Module, name: &str) -> Option<&'static str> {
    let is = |e: &Expr| matches!(&e.kind, ExprKind::Name(n) if n == name);
    let mut votes: Vec<&'static str> = Vec::new();
    let mut indexed = false;
    let literal = |e: &Expr| -> Option<&'static str> {
        match &e.kind {
            ExprKind::Bool(_) => Some("BOOL"),
            ExprKind::Int(_) => Some("INT"),
            ExprKind::Real(_) => Some("REAL"),
            ExprKind::Aggregate { fields, .. } => {
                let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
                if names.iter().any(|f| matches!(*f, "X" | "Y" | "Z" | "A" | "B" | "C")) {
                    Some("E6POS")
                } else if names.iter().any(|f| f.starts_with('A') && f.len() == 2) {
                    Some("E6AXIS")
                } else {
                    None
                }
            }
            _ => None,
        }
    };
    // A condition: the name itself, or an operand of NOT, AND, OR, EXOR.
    fn conditions<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
        out.push(e);
        match &e.kind {
            ExprKind::Unary(UnOp::Not, x) | ExprKind::Paren(x) => conditions(x, out),
            ExprKind::Binary(BinOp::And | BinOp::Or | BinOp::Exor, l, r) => {
                conditions(l, out);
                conditions(r, out);
            }
            _ => {}
        }
    }
    for r in &module.routines {
        for s in walk(&r.body) {
            match &s.kind {
                StmtKind::Assign(t, v) if is(t) => votes.extend(literal(v)),
                StmtKind::If { cond, .. } | StmtKind::While { cond, .. } | StmtKind::Repeat { cond, .. } | StmtKind::WaitFor(cond) => {
                    let mut c = Vec::new();
                    conditions(cond, &mut c);
                    if c.iter().any(|x| is(x)) {
                        votes.push("BOOL");
                    }
                }
                StmtKind::Motion { target, .. } if is(target) => votes.push("E6POS"),
                StmtKind::For { var, .. } if var == name => votes.push("INT"),
                _ => {}
            }
        }
        visit_exprs(&r.body, &mut |e| {
            each_subexpr(e, &mut |x| match &x.kind {
                ExprKind::Index(b, _) if is(b) => indexed = true,
                ExprKind::Member(b, m) if is(b) => {
                    if matches!(m.as_str(), "X" | "Y" | "Z" | "A" | "B" | "C" | "S" | "T") {
                        votes.push("E6POS");
                    } else if m.len() == 2 && m.starts_with('A') {
                        votes.push("E6AXIS");
                    }
                }
                // A comparison with a literal: `n > 3` is INT, `gap < 1.5` REAL.
                ExprKind::Binary(op, l, r) if op.is_relational() => {
                    if is(l) {
                        votes.extend(literal(r));
                    }
                    if is(r) {
                        votes.extend(literal(l));
                    }
                }
                _ => {}
            })
        });
    }
    if indexed || votes.is_empty() {
        return None;
    }
    // REAL wins over INT (a number compared with 2.5 somewhere is REAL); otherwise all agree.
    if votes.iter().all(|v| matches!(*v, "INT" | "REAL")) {
        return Some(if votes.contains(&"REAL") { "REAL" } else { "INT" });
    }
    let first = votes[0];
    votes.iter().all(|v| *v == first).then_some(first)
}

/// The value a fresh controller gives a `$config.dat` name of this type (None: no value, as
/// for a position nobody taught).
fn fresh_value(ty: &str) -> Option<&'static str> {
    match ty {
        "BOOL" => Some("FALSE"),
        "INT" => Some("0"),
        "REAL" => Some("0.0"),
        _ => None,
    }
}

/// The `$config.dat` robocell assumes for `names`: its text, and one warning per name saying
/// what was assumed; Err with one error per name whose type the program does not tell.
pub fn assumed_config(
    file: &str,
    src: &str,
    module: &Module,
    names: &[(String, Span)],
) -> Result<(String, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut text = String::from("DEFDAT $CONFIG PUBLIC\n; Assumed by robocell (--assume-config) from the program's use of these names.\n");
    let mut sink = DiagSink::new(file, src);
    let mut unknown = DiagSink::new(file, src);
    for (name, span) in names {
        match infer_type(module, name) {
            Some(ty) => {
                let decl = match fresh_value(ty) {
                    Some(v) => format!("DECL GLOBAL {ty} {name}={v}"),
                    None => format!("DECL GLOBAL {ty} {name}"),
                };
                text.push_str(&decl);
                text.push('\n');
                let msg = format!("{name} is not declared: assumed `{decl}` in $config.dat");
                sink.push(Severity::Warning, "KRL093", *span, msg, Some("--assume-config: declare it in the real $config.dat"));
            }
            None => {
                let msg = format!("{name} is not declared, and its use does not tell its type");
                unknown.error("KRL093", *span, msg, Some("declare it in a $config.dat and give it with --config FILE"));
            }
        }
    }
    text.push_str("ENDDAT\n");
    if unknown.out.is_empty() { Ok((text, sink.out)) } else { Err(unknown.out) }
}
