//! What a scenario has set up so far, for the parser's static checks: the variables that are
//! bound, the channels that are listening or open, and whether anything has been sent yet.
//!
//! Scope is linear: a binding made inside a `repeat` body stays visible after its `end`, because
//! the body runs at least once. The two branches of an `if reply` each start from the scope
//! before the `if`; after its `end`, what either branch set up counts as set up (the union). A
//! variable bound in one branch only is therefore allowed after the block; if the other branch
//! ran, using it is an ERROR at run time that names it.

use super::ast::Binder;
use super::error::{Diag, PResult};
use super::escape::VarUse;
use super::lexer::Line;

/// Variables every scenario may use.
pub(crate) const BUILTINS: &[&str] = &[
    "client.ip",
    "client.port",
    "client.netprt",
    "client.host-number",
    "target.ip",
    "target.port",
    "target.netprt",
    "target.user",
    "file.small",
    "file.large",
    "file.upload",
    "transfer",
];

/// Channel names that would shadow built-in or binder variables (`listen client` would bind
/// `${client.ip}`).
pub(crate) const RESERVED_CHANNELS: &[&str] = &[
    "client",
    "target",
    "file",
    "epsv",
    "pasv",
    "protocols",
    "reply",
];

/// Variables bound by every `expect` (and `login`/`anonymous`): the last reply's code and text.
pub(crate) const REPLY_VARS: &[&str] = &["reply.code", "reply.text"];

/// The names a binder makes available to later steps.
pub(crate) fn binder_vars(binder: Binder) -> &'static [&'static str] {
    match binder {
        Binder::Epsv => &["epsv.port"],
        Binder::Pasv => &["pasv.ip", "pasv.port"],
        Binder::Protocols => &["protocols", "protocols.first"],
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Scope {
    bound: Vec<String>,
    listening: Vec<String>,
    open: Vec<String>,
    /// Series named by `collect`, for `check-varies`.
    series: Vec<String>,
    /// Keys named by `read … save`, for `same-as`.
    saved: Vec<String>,
    sent: bool,
    /// A reply has been read by an `expect` or a login, for `if reply`.
    replied: bool,
    /// `disconnect` closed the control connection; nothing may be sent until `reconnect`.
    disconnected: bool,
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
        self.bind(format!("{channel}.hostport"));
        self.bind(format!("{channel}.port-number"));
        if !self.listening.iter().any(|c| c == channel) {
            self.listening.push(channel.to_string());
        }
    }

    pub(crate) fn open(&mut self, channel: &str) {
        add(&mut self.open, channel);
    }

    /// `accept NAME` opens the channel and binds who connected.
    pub(crate) fn accepted(&mut self, channel: &str) {
        self.open(channel);
        self.bind(format!("{channel}.from.ip"));
        self.bind(format!("{channel}.from.port"));
    }

    /// `collect NAME …` names a series.
    pub(crate) fn collect(&mut self, series: &str) {
        add(&mut self.series, series);
    }

    /// `read … save KEY` names a key.
    pub(crate) fn save(&mut self, key: &str) {
        add(&mut self.saved, key);
    }

    /// `check-varies NAME` needs an earlier `collect NAME`.
    pub(crate) fn require_series(&self, line: &Line, pos: usize, series: &str) -> PResult<()> {
        if self.series.iter().any(|s| s == series) {
            return Ok(());
        }
        let msg = format!(
            "no series \"{series}\" is collected; add `collect {series} <value>` before this step"
        );
        Err(line.error(pos, msg))
    }

    /// `same-as KEY` needs an earlier `read … save KEY`.
    pub(crate) fn require_saved(&self, line: &Line, pos: usize, key: &str) -> PResult<()> {
        if self.saved.iter().any(|k| k == key) {
            return Ok(());
        }
        let msg = format!(
            "nothing is saved as \"{key}\"; add `read <channel> save {key}` before this step"
        );
        Err(line.error(pos, msg))
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

    /// `transfer NAME` needs a channel that is listening (active) or open (passive).
    pub(crate) fn require_data_channel(
        &self,
        line: &Line,
        pos: usize,
        channel: &str,
    ) -> PResult<()> {
        let known = |list: &[String]| list.iter().any(|c| c == channel);
        if known(&self.listening) || known(&self.open) {
            return Ok(());
        }
        let msg = format!(
            "channel \"{channel}\" is neither listening nor open; \
             add `listen {channel}` (active) or `connect {channel} to …` (passive) before this step"
        );
        Err(line.error(pos, msg))
    }

    pub(crate) fn is_listening(&self, channel: &str) -> bool {
        self.listening.iter().any(|c| c == channel)
    }

    /// `disconnect`: the control connection is gone until `reconnect`.
    pub(crate) fn disconnected(&mut self) {
        self.disconnected = true;
        self.sent = false;
    }

    pub(crate) fn is_disconnected(&self) -> bool {
        self.disconnected
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

    /// A reply was read (`expect`, `login`): `${reply.code}` and `${reply.text}` are bound and
    /// `if reply` may test it.
    pub(crate) fn mark_replied(&mut self) {
        self.replied = true;
        REPLY_VARS.iter().for_each(|v| self.bind(*v));
    }

    /// `if reply` needs a reply to test.
    pub(crate) fn require_replied(&self, line: &Line, pos: usize) -> PResult<()> {
        if self.replied {
            return Ok(());
        }
        let msg = "`if reply` before any reply: add an `expect` (or `login`) before it";
        Err(line.error(pos, msg))
    }

    /// `reconnect`: a new control connection whose greeting the runner reads, so nothing has
    /// been sent on it yet (an `expect` right after `reconnect` would wait for nothing).
    pub(crate) fn reconnected(&mut self) {
        self.sent = false;
        self.disconnected = false;
    }

    /// The scope after an `if` block: whatever either branch set up (see the module doc).
    pub(crate) fn merge(&mut self, other: Scope) {
        for name in other.bound {
            self.bind(name);
        }
        other
            .listening
            .iter()
            .for_each(|c| add(&mut self.listening, c));
        other.open.iter().for_each(|c| add(&mut self.open, c));
        other.series.iter().for_each(|c| add(&mut self.series, c));
        other.saved.iter().for_each(|c| add(&mut self.saved, c));
        self.sent |= other.sent;
        self.replied |= other.replied;
        self.disconnected |= other.disconnected;
    }
}

/// Adds a name to a list once.
fn add(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_string());
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
    if REPLY_VARS.contains(&name) {
        return Some("it is bound by an earlier `expect` or `login`".into());
    }
    let accepted = name
        .strip_suffix(".from.ip")
        .or_else(|| name.strip_suffix(".from.port"));
    if let Some(channel) = accepted {
        return Some(format!("it is bound by an earlier `accept {channel}`"));
    }
    let channel = [".ip", ".port", ".hostport"]
        .iter()
        .find_map(|s| name.strip_suffix(s))?;
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
            e.message.ends_with("file.upload, transfer, epsv.port"),
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

    #[test]
    fn merge_is_the_union_of_both_branches() {
        let mut before = Scope::default();
        before.mark_sent();
        let mut then = before.clone();
        then.listen("a");
        then.collect("ports");
        then.reconnected();
        let mut otherwise = before.clone();
        otherwise.accepted("b");
        otherwise.save("k");
        otherwise.mark_replied();
        otherwise.merge(then);
        let s = otherwise;
        for name in [
            "a.ip",
            "a.hostport",
            "b.from.ip",
            "b.from.port",
            "reply.code",
        ] {
            s.check_vars(&LINE, &used(name)).unwrap();
        }
        s.require_listening(&LINE, 0, "a").unwrap();
        s.require_open(&LINE, 0, "b").unwrap();
        s.require_series(&LINE, 0, "ports").unwrap();
        s.require_saved(&LINE, 0, "k").unwrap();
        s.require_replied(&LINE, 0).unwrap();
        assert!(s.has_sent());
    }

    #[test]
    fn reconnect_forgets_the_send_but_not_the_reply() {
        let mut scope = Scope::default();
        scope.mark_sent();
        scope.mark_replied();
        scope.reconnected();
        assert!(!scope.has_sent());
        scope.require_replied(&LINE, 0).unwrap();
    }
}
