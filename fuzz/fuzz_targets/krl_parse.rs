//! Any bytes as a `.src` and a `.dat`: the lexer and parser must never panic, and a module
//! that parses without errors must compile or be refused with errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use robocell::sim::krl::interp::{ConfigGlobals, Interpreter};
use robocell::sim::krl::parse_module;
use robocell::sim::math::Frame;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (src, dat) = text.split_once("\0DAT\0").map_or((&*text, None), |(s, d)| (s, Some(d)));
    let (module, diags) = parse_module("fuzz.src", src, dat.map(|d| ("fuzz.dat", d)));
    for d in &diags {
        let _ = d.to_string();
    }
    if !diags.iter().any(|d| d.is_error()) {
        let cfg = ConfigGlobals { home_deg: [0.0, -90.0, 90.0, 0.0, 0.0, 0.0], tool: Frame::NULL, tool_number: 1, robroot: Frame::NULL, bases: Vec::new() };
        let _ = Interpreter::new(&module, &cfg);
    }
});
