//! The KRL message system and the message library: `Set_KrlMsg`, `Exists_KrlMsg`,
//! `Clear_KrlMsg`, and `MsgNotify`, `MsgQuit`, `MsgDialog`. Messages go to the controller's
//! message window.

use super::*;

/// Functions and routines of the message system, by name.
pub const MESSAGE_FUNCS: &[&str] = &["SET_KRLMSG", "EXISTS_KRLMSG", "CLEAR_KRLMSG", "MSGNOTIFY", "MSGQUIT", "MSGDIALOG"];

/// A message's kind, as the window shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgKind {
    Notify,
    State,
    Quit,
}

fn field_text(v: &Value, name: &str) -> String {
    match v {
        Value::Struct(s) => match s.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v) {
            Some(Value::Str(t)) => t.clone(),
            Some(Value::Array(a)) => str_of(a),
            Some(Value::Int(i)) => i.to_string(),
            Some(Value::Real(r)) => r.to_string(),
            Some(Value::Bool(b)) => if *b { "TRUE" } else { "FALSE" }.into(),
            Some(Value::Enum(e)) => e.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// `%1`..`%3` replaced by the parameters' values.
fn fill(text: &str, pars: &[Value]) -> String {
    let mut out = text.to_string();
    for (k, p) in pars.iter().take(3).enumerate() {
        let v = match field_text(p, "PAR_TYPE").as_str() {
            "EMPTY" => String::new(),
            "KEY" => field_text(p, "PAR_TXT"),
            _ => {
                // #VALUE: the one field that holds something.
                let t = field_text(p, "PAR_TXT").trim_matches(|c: char| c == '\0' || c.is_whitespace()).to_string();
                if !t.is_empty() { t } else { field_text(p, "PAR_INT") }
            }
        };
        out = out.replace(&format!("%{}", k + 1), &v);
    }
    out
}

impl Interpreter {
    /// `CONFIRM n`: acknowledges the acknowledgement message whose number (the handle
    /// Set_KrlMsg gave it) is n; 0 acknowledges all of them.
    pub(super) fn confirm(&mut self, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<(), RuntimeError> {
        let [a] = args else { return Err(rt(sp, "CONFIRM takes one number: CONFIRM n")) };
        let n = self.eval_int(a, env)?;
        self.live_msgs.retain(|h| n != 0 && *h != n);
        Ok(())
    }

    /// Runs a message function (or, for `MsgNotify` and `MsgQuit`, routine) at `sp`.
    pub(super) fn message_fn(&mut self, name: &str, args: &[Expr], sp: Span, env: &mut dyn Env) -> Result<Value, RuntimeError> {
        let vals = args
            .iter()
            .map(|a| match &a.kind {
                ExprKind::Omitted => Ok(Value::Int(0)),
                // `par[]`: the whole array (a CHAR array stays a string).
                ExprKind::Index(b, idx) if idx.is_empty() => match self.eval(b, env)? {
                    Value::Array(arr) if !super::expr::is_char_array(&arr) => Ok(Value::Array(arr)),
                    _ => self.eval(a, env),
                },
                _ => self.eval(a, env),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let need = |n: usize, form: &str| -> Result<(), RuntimeError> {
            if vals.len() < n { Err(rt(sp, format!("{name} takes {n} argument(s): {form}"))) } else { Ok(()) }
        };
        let post = |me: &mut Self, env: &mut dyn Env, kind: MsgKind, text: String| -> i32 {
            me.msg_handles += 1;
            me.live_msgs.push(me.msg_handles);
            env.message(kind, text, sp.line);
            me.msg_handles
        };
        Ok(match name {
            "SET_KRLMSG" => {
                need(4, "Set_KrlMsg(#Notify, msg, par[], opt)")?;
                let kind = match &vals[0] {
                    Value::Enum(e) if e == "QUIT" => MsgKind::Quit,
                    Value::Enum(e) if e == "NOTIFY" => MsgKind::Notify,
                    Value::Enum(_) => MsgKind::State,
                    other => {
                        return Err(rt(
                            args[0].span,
                            format!("Set_KrlMsg: the type is an EKrlMsgType (#Notify, #Quit, ...), not {}", other.type_name()),
                        ));
                    }
                };
                let pars: Vec<Value> = match &vals[2] {
                    Value::Array(a) => a.elems.clone(),
                    v => vec![v.clone()],
                };
                let m = &vals[1];
                let text = format!("{} {}: {}", field_text(m, "MODUL"), field_text(m, "NR"), fill(&field_text(m, "MSG_TXT"), &pars));
                Value::Int(post(self, env, kind, text))
            }
            "EXISTS_KRLMSG" => {
                need(1, "Exists_KrlMsg(handle)")?;
                let h = vals[0].as_f64().unwrap_or(0.0) as i32;
                Value::Bool(self.live_msgs.contains(&h))
            }
            "CLEAR_KRLMSG" => {
                need(1, "Clear_KrlMsg(handle)")?;
                let h = vals[0].as_f64().unwrap_or(0.0) as i32;
                // -99: every message of the program.
                let had = if h == -99 { !self.live_msgs.is_empty() } else { self.live_msgs.contains(&h) };
                self.live_msgs.retain(|x| h != -99 && *x != h);
                Value::Bool(had)
            }
            _ => {
                need(1, &format!("{name}(text[], ...)"))?;
                let text = match &vals[0] {
                    Value::Str(t) => t.clone(),
                    Value::Array(a) => str_of(a),
                    other => return Err(rt(args[0].span, format!("{name}: the text is a string, not {}", other.type_name()))),
                };
                let (kind, note) = match name {
                    "MSGNOTIFY" => (MsgKind::Notify, ""),
                    "MSGQUIT" => (MsgKind::Quit, ""),
                    // No operator answers a dialog here: the first key is taken.
                    _ => (MsgKind::State, " (robocell answers with the first key)"),
                };
                let h = post(self, env, kind, format!("{text}{note}"));
                if name == "MSGDIALOG" { Value::Int(1) } else { Value::Int(h) }
            }
        })
    }
}
