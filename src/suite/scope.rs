//! What a scenario has set up so far, for the parser's static checks: the variables that are
//! bound, the channels that are listening or open, and whether anything has been sent yet.
//!
//! Scope is linear: a binding made inside a `repeat` body stays visible after its `end`, because
//! the body runs at least once.

use super::ast::Binder;
use super::error::{Diag, PResult};
use super::escape::VarUse;
use super::lexer::Line;

/// Variables every scenario may use.
pub(crate) const BUILTINS: &[&str] = &[
    "client.ip",
    "client.port",
    "client.netprt",
    "target.ip",
    "target.port",
    "target.netprt",
    "file.small",
    "file.large",
    "file.upload",
];

/// Channel names that would shadow built-in or binder variables (`listen client` would bind
/// `${client.ip}`).
pub(crate) const RESERVED_CHANNELS: &[&str] =
    &["client", "target", "file", "epsv", "pasv", "protocols"];

/// The names a binder makes available to later steps.
pub(crate) fn binder_vars(binder: Binder) -> &'static [&'static str] {
    match binder {
        Binder::Epsv => &["epsv.port"],
        Binder::Pasv => &["pasv.ip", "pasv.port"],
        Binder::Protocols => &["protocols"],
    }
}

#[derive(Debug, Default)]
pub(crate) struct Scope {
    bound: Vec<String>,
    listening: Vec<String>,
    open: Vec<String>,
    sent: bool,
}

impl Scope {
    fn is_known(&self, name: &str) -> bool {
        BUILTINS.contains(&name) || self.bound.iter().any(|b| b == name)
    }

    /// Checks that every variable used is known at this point.
    pub(crate) fn check_vars(&self, line: &Line, uses: &[VarUse]) -> PResult<()> {
        match uses.iter().find(|u| !self.is_known(&u.name)) {
            None => Ok(()),
            Some(u) => Err(self.unknown_var(line, u)),
        }
    }

    fn unknown_var(&self, line: &Line, u: &VarUse) -> Diag {
        let known: Vec<&str> = BUILTINS
            .iter()
            .copied()
            .chain(self.bound.iter().map(String::as_str))
            .collect();
        let hint = binder_hint(&u.name)
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        let msg = format!(
            "unknown variable ${{{}}}{hint}; known here: {}",
            u.name,
            known.join(", ")
        );
        line.error(u.pos, msg)
    }

    pub(crate) fn bind(&mut self, name: impl Into<String>) {
        let name = name.into();
        if !self.is_known(&name) {
            self.bound.push(name);
        }
    }

    pub(crate) fn listen(&mut self, channel: &str) {
        self.bind(format!("{channel}.ip"));
        self.bind(format!("{channel}.port"));
        if !self.listening.iter().any(|c| c == channel) {
            self.listening.push(channel.to_string());
        }
    }

    pub(crate) fn open(&mut self, channel: &str) {
        if !self.open.iter().any(|c| c == channel) {
            self.open.push(channel.to_string());
        }
    }

    /// `accept` and `expect-no-connection` need an earlier `listen` of that channel.
    pub(crate) fn require_listening(&self, line: &Line, pos: usize, channel: &str) -> PResult<()> {
        if self.listening.iter().any(|c| c == channel) {
            return Ok(());
        }
        let msg = format!(
            "no channel \"{channel}\" is listening; add `listen {channel}` before this step"
        );
        Err(line.error(pos, msg))
    }

    /// `read`, `write` and `close` need an earlier `accept` or `connect` of that channel.
    pub(crate) fn require_open(&self, line: &Line, pos: usize, channel: &str) -> PResult<()> {
        if self.open.iter().any(|c| c == channel) {
            return Ok(());
        }
        let msg = format!(
            "channel \"{channel}\" is never opened; \
             add `accept {channel}` or `connect {channel} to …` before this step"
        );
        Err(line.error(pos, msg))
    }

    /// Something went to the server (a command, a login, an ABOR), so a reply may be expected.
    pub(crate) fn mark_sent(&mut self) {
        self.sent = true;
    }

    pub(crate) fn has_sent(&self) -> bool {
        self.sent
    }
}

/// Which step would bind a variable of this shape.
fn binder_hint(name: &str) -> Option<String> {
    for binder in Binder::ALL {
        if binder_vars(binder).contains(&name) {
            let (code, word) = (binder.code(), binder.keyword());
            return Some(format!(
                "it is bound by an earlier `expect {code} as {word}`"
            ));
        }
    }
    let channel = name
        .strip_suffix(".ip")
        .or_else(|| name.strip_suffix(".port"))?;
    Some(format!("it is bound by an earlier `listen {channel}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: Line = Line {
        text: "send ${x}",
        number: 9,
    };

    fn used(name: &str) -> Vec<VarUse> {
        vec![VarUse {
            name: name.into(),
            pos: 5,
        }]
    }

    #[test]
    fn builtins_are_always_known() {
        let scope = Scope::default();
        for name in BUILTINS {
            scope.check_vars(&LINE, &used(name)).unwrap();
        }
    }

    #[test]
    fn unknown_variables_list_what_is_known() {
        let mut scope = Scope::default();
        scope.bind("epsv.port");
        let e = scope.check_vars(&LINE, &used("epsv.prot")).unwrap_err();
        assert_eq!((e.line, e.column), (9, 6));
        assert!(
            e.message
                .starts_with("unknown variable ${epsv.prot}; known here: client.ip,")
        );
        assert!(
            e.message.ends_with("file.upload, epsv.port"),
            "{}",
            e.message
        );
    }

    #[test]
    fn hints_name_the_binding_step() {
        let scope = Scope::default();
        let e = scope.check_vars(&LINE, &used("epsv.port")).unwrap_err();
        assert!(e.message.contains("`expect 229 as epsv`"), "{}", e.message);
        let e = scope.check_vars(&LINE, &used("data.port")).unwrap_err();
        assert!(e.message.contains("`listen data`"), "{}", e.message);
    }

    #[test]
    fn listen_binds_ip_and_port_and_channels_are_tracked() {
        let mut scope = Scope::default();
        assert!(scope.require_listening(&LINE, 0, "data").is_err());
        scope.listen("data");
        scope.check_vars(&LINE, &used("data.ip")).unwrap();
        scope.check_vars(&LINE, &used("data.port")).unwrap();
        scope.require_listening(&LINE, 0, "data").unwrap();
        assert!(scope.require_open(&LINE, 0, "data").is_err());
        scope.open("data");
        scope.require_open(&LINE, 0, "data").unwrap();
    }
}
