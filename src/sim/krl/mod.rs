//! KRL: lexer, parser, diagnostics and the advance-run interpreter.

pub mod assume;
pub mod ast;
pub mod diag;
pub mod interp;
pub mod lexer;
pub mod parser;
pub mod project;
pub mod source;
pub mod system_types;
pub mod teach;
pub mod value;

pub use diag::{Diagnostic, Severity, Span};
pub use interp::{Env, Interpreter, MotionCmd, RuntimeError, Yield};
pub use parser::parse_module;
