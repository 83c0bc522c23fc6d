//! Is the target still serving? A campaign left running overnight must notice when the target
//! stops serving sessions — greetings become `421 Too many users`, logins that worked fail,
//! connections are refused, or nearly every dialogue ends in a wait — instead of counting
//! thousands of dialogues a second that never reached it and reporting success.
//!
//! [`Health`] watches each dialogue's [`Outcome`], without I/O. When it grows suspicious the
//! campaign checks with one full session of its own (greeting, login, NOOP:
//! `exec::probe_service`); only a target that fails that check is unavailable. So a burst of
//! refusals that a server recovers from costs one check, not a false alarm.

use crate::fuzz::exec::trace::{End, LOGIN_OP, Trace, Unserved};
use std::collections::VecDeque;

/// Dialogues in a row that got no session before the target is checked.
pub const STREAK: u32 = 8;
/// How many recent dialogues the inconclusive share is taken over.
pub const WINDOW: usize = 200;
/// The share of inconclusive dialogues in a full window that has the target checked.
pub const INCONCLUSIVE_SHARE: f64 = 0.95;

/// What one dialogue says about the target's service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A session was served (and logged in, if the dialogue asked and logins work).
    Served,
    /// Served, but the dialogue ended in a wait that says nothing (a transfer outstanding).
    Inconclusive,
    /// No session: why.
    Unserved(Unserved),
}

/// Why the target looks unavailable.
#[derive(Debug, Clone, PartialEq)]
pub enum Suspicion {
    /// [`STREAK`] dialogues in a row got no session; the last said why.
    Unserved(Unserved),
    /// Nearly every recent dialogue was inconclusive.
    Inconclusive { share: f64 },
}

impl std::fmt::Display for Suspicion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Suspicion::Unserved(u) => write!(f, "{STREAK} dialogues in a row: {u}"),
            Suspicion::Inconclusive { share } => write!(
                f,
                "{:.0}% of the last {WINDOW} dialogues ended waiting",
                share * 100.0
            ),
        }
    }
}

/// The watch over a campaign's dialogues.
#[derive(Debug, Default)]
pub struct Health {
    /// A login of this campaign has worked: a refused one now means something.
    login_worked: bool,
    /// Unserved dialogues in a row.
    streak: u32,
    /// The last [`WINDOW`] served dialogues, `true` for inconclusive.
    window: VecDeque<bool>,
    /// Dialogues since the last one that was served (for the report of an unavailable target).
    pub since_served: u64,
}

impl Health {
    /// What `trace` says about the service (`login`: the dialogue logged in first).
    pub fn outcome(&mut self, trace: &Trace, login: bool) -> Outcome {
        if let End::Unreachable(why) = &trace.end {
            return Outcome::Unserved(why.clone());
        }
        if login {
            match login_reply(trace) {
                Some((code, _)) if code.class() == 2 => self.login_worked = true,
                Some((code, text)) if self.login_worked && matches!(code.class(), 4 | 5) => {
                    return Outcome::Unserved(Unserved::Login { code, text });
                }
                _ => {}
            }
        }
        match trace.end {
            End::Inconclusive(_) => Outcome::Inconclusive,
            _ => Outcome::Served,
        }
    }

    /// Takes one dialogue's outcome; says when the target should be checked.
    pub fn observe(&mut self, outcome: &Outcome) -> Option<Suspicion> {
        match outcome {
            Outcome::Unserved(why) => {
                self.streak += 1;
                self.since_served += 1;
                (self.streak >= STREAK).then(|| Suspicion::Unserved(why.clone()))
            }
            Outcome::Served | Outcome::Inconclusive => {
                self.streak = 0;
                self.since_served = 0;
                if self.window.len() == WINDOW {
                    self.window.pop_front();
                }
                self.window.push_back(*outcome == Outcome::Inconclusive);
                let waits = self.window.iter().filter(|&&w| w).count();
                let share = waits as f64 / WINDOW as f64;
                (self.window.len() == WINDOW && share >= INCONCLUSIVE_SHARE)
                    .then_some(Suspicion::Inconclusive { share })
            }
        }
    }

    /// Logins of this campaign have worked: the service check logs in too.
    pub fn logins_work(&self) -> bool {
        self.login_worked
    }

    /// The target was checked and serves: start watching afresh.
    pub fn reset(&mut self) {
        self.streak = 0;
        self.window.clear();
    }
}

/// The final reply to the login's last command (PASS, or USER when no password was asked).
fn login_reply(trace: &Trace) -> Option<(crate::proto::ReplyCode, String)> {
    let last = trace.commands.iter().rev().find(|c| c.op == LOGIN_OP)?;
    let seen = last.replies.last()?;
    Some((seen.code, String::from_utf8_lossy(&seen.text).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::exec::trace::{Exchange, Seen};
    use crate::fuzz::input::line::Values;
    use crate::proto::ReplyCode;

    fn trace(end: End, login_code: Option<u16>) -> Trace {
        let mut t = Trace::new(Values {
            client_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            data_port: 0,
        });
        if let Some(code) = login_code {
            t.commands.push(Exchange {
                op: LOGIN_OP,
                line: b"PASS x".to_vec(),
                verb: b"PASS".to_vec(),
                transfer: false,
                replies: vec![Seen {
                    code: ReplyCode(code),
                    text: b"text".to_vec(),
                    act: 0,
                    unparsed: None,
                }],
                ambiguous: false,
                behind_setup: false,
                bare_lf: false,
            });
        }
        t.end = end;
        t
    }

    fn greeting_421() -> End {
        End::Unreachable(Unserved::Greeting {
            code: ReplyCode(421),
            text: "10 users (the maximum)".into(),
        })
    }

    #[test]
    fn a_streak_of_refused_sessions_is_suspicious_and_a_served_one_ends_it() {
        let mut h = Health::default();
        let refused = h.outcome(&trace(greeting_421(), None), true);
        for _ in 1..STREAK {
            assert_eq!(h.observe(&refused), None);
        }
        let s = h.observe(&refused).expect("suspicious");
        assert!(s.to_string().contains("421 10 users"), "{s}");
        assert_eq!(h.since_served, u64::from(STREAK));
        let served = h.outcome(&trace(End::Completed, Some(230)), true);
        assert_eq!(h.observe(&served), None);
        assert_eq!(h.since_served, 0);
        for _ in 1..STREAK {
            assert_eq!(h.observe(&refused), None, "the streak starts again");
        }
    }

    #[test]
    fn a_refused_login_counts_only_once_logins_have_worked() {
        let mut h = Health::default();
        let refused = trace(End::Completed, Some(530));
        assert_eq!(h.outcome(&refused, true), Outcome::Served, "never worked");
        assert_eq!(
            h.outcome(&trace(End::Completed, Some(230)), true),
            Outcome::Served
        );
        assert!(matches!(
            h.outcome(&refused, true),
            Outcome::Unserved(Unserved::Login { .. })
        ));
        assert_eq!(
            h.outcome(&refused, false),
            Outcome::Served,
            "no login asked"
        );
    }

    #[test]
    fn a_window_of_waits_is_suspicious_and_a_reset_forgets_it() {
        let mut h = Health::default();
        let wait = h.outcome(&trace(End::Inconclusive("x".into()), None), false);
        assert_eq!(wait, Outcome::Inconclusive);
        for _ in 1..WINDOW {
            assert_eq!(h.observe(&wait), None);
        }
        assert!(matches!(
            h.observe(&wait),
            Some(Suspicion::Inconclusive { .. })
        ));
        h.reset();
        assert_eq!(h.observe(&wait), None);
        // A mixed window is fine.
        let mut h = Health::default();
        for i in 0..3 * WINDOW {
            let o = if i % 10 == 0 {
                Outcome::Served
            } else {
                Outcome::Inconclusive
            };
            assert_eq!(h.observe(&o), None);
        }
    }
}
