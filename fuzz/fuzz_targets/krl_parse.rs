//! Any bytes as a `.src` and a `.dat`, and as a lone data list (a `$config.dat`): the lexer and
//! parser must never panic, and a module that parses without errors must compile or be refused
//! with errors, never a panic. A third part after `\0MOD\0` is a second module loaded with it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use robocell::sim::krl::interp::{ConfigGlobals, Interpreter};
use robocell::sim::krl::parse_module;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (text, other) = text.split_once("\0MOD\0").map_or((&*text, None), |(s, o)| (s, Some(o)));
    let (src, dat) = text.split_once("\0DAT\0").map_or((text, None), |(s, d)| (s, Some(d)));
    let (module, diags) = parse_module("fuzz.src", src, dat.map(|d| ("fuzz.dat", d)));
    for d in &diags {
        let _ = d.to_string();
    }
    // The same text as a data list on its own.
    let (_, dl) = parse_module("", "", Some(("$config.dat", src)));
    for d in &dl {
        let _ = d.to_string();
    }
    if !diags.iter().any(|d| d.is_error()) {
        let cfg = ConfigGlobals::for_checks();
        let others: Vec<_> = other
            .map(|o| parse_module("other.src", o, None))
            .filter(|(_, d)| !d.iter().any(|d| d.is_error()))
            .map(|(m, _)| (m, "other.src".to_string()))
            .into_iter()
            .collect();
        let _ = Interpreter::with_modules(&module, &others, &cfg);
        let _ = Interpreter::check(&module, &cfg);
    }
});
