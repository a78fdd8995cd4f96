//! Diagnostics with file, line, column, source excerpt and hint.

use std::fmt;

/// A position in a source file: 1-based line and column, length in characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

impl Span {
    pub fn new(line: u32, col: u32, len: u32) -> Self {
        Span { line, col, len }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable code, e.g. `KRL012`.
    pub code: &'static str,
    pub file: String,
    pub span: Span,
    pub message: String,
    pub hint: Option<String>,
    /// The source line the span points into.
    pub excerpt: String,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{}:{}:{}: {kind}[{}]: {}", self.file, self.span.line, self.span.col, self.code, self.message)?;
        if !self.excerpt.is_empty() {
            let num = self.span.line.to_string();
            writeln!(f, "{} | {}", num, self.excerpt)?;
            let pad = " ".repeat(num.len() + 3 + self.span.col.saturating_sub(1) as usize);
            writeln!(f, "{pad}{}", "^".repeat(self.span.len.max(1) as usize))?;
        }
        if let Some(h) = &self.hint {
            writeln!(f, "  hint: {h}")?;
        }
        Ok(())
    }
}

/// Collects diagnostics for one file.
pub struct DiagSink<'a> {
    pub file: &'a str,
    pub source: &'a str,
    pub out: Vec<Diagnostic>,
}

impl<'a> DiagSink<'a> {
    pub fn new(file: &'a str, source: &'a str) -> Self {
        DiagSink { file, source, out: Vec::new() }
    }

    pub fn push(&mut self, severity: Severity, code: &'static str, span: Span, message: impl Into<String>, hint: Option<&str>) {
        let excerpt = self.source.lines().nth(span.line.saturating_sub(1) as usize).unwrap_or("").trim_end().to_string();
        self.out.push(Diagnostic {
            severity,
            code,
            file: self.file.to_string(),
            span,
            message: message.into(),
            hint: hint.map(str::to_string),
            excerpt,
        });
    }

    pub fn error(&mut self, code: &'static str, span: Span, message: impl Into<String>, hint: Option<&str>) {
        self.push(Severity::Error, code, span, message, hint);
    }
}
