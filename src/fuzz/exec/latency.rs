//! How long the target takes to answer, measured as a campaign runs, and the waits derived
//! from it.
//!
//! A fuzz dialogue waits in two places where no event can end the wait early: a transfer
//! nobody serves (did the refusal come, or does the server wait for a data connection?) and a
//! command whose reply does not come (RFC 959 §4.2: every command gets one). Waiting a fixed
//! `--timeout` there made a dialogue cost seconds against a server that answers in
//! microseconds. With measured waits, both waits scale with the replies already seen — the
//! smoothed reply time and its variation, as TCP sets its retransmission timer — plus a floor
//! for scheduling noise, never more than the configured timeout. A reply missed by a measured wait is not lost — it is read
//! when it comes — and a finding that rests on a missing reply is confirmed with the full
//! timeout before it is reported (see `campaign`).

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How a dialogue waits where only a timer can end the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waits {
    /// Scaled to the measured reply time (exploration; the default).
    Measured,
    /// The full `--timeout` every time (confirmation, minimisation checks, `--waits full`).
    Full,
}

impl Waits {
    pub const ALL: [Waits; 2] = [Waits::Measured, Waits::Full];

    /// The name on the command line (`--waits measured|full`).
    pub fn name(self) -> &'static str {
        match self {
            Waits::Measured => "measured",
            Waits::Full => "full",
        }
    }
}

/// Smoothed reply time of the target and its variation, as TCP estimates a round trip
/// (RFC 6298 §2: SRTT and RTTVAR, gains 1/8 and 1/4); shared by every job of a campaign.
#[derive(Debug, Default)]
pub struct Latency {
    /// SRTT in microseconds; 0 until the first sample.
    srtt_us: AtomicU64,
    /// RTTVAR in microseconds.
    rttvar_us: AtomicU64,
    /// Whether a second reply comes after an over-long line (see [`Latency::looks_for_extra`]).
    extra: Habit,
    /// A reply to USER, PASS or ACCT came [`SLOW_LOGIN`] or more after its command: the
    /// target delays refused logins (see [`Latency::delays_logins`]).
    slow_logins: std::sync::atomic::AtomicBool,
    /// Whether a final reply comes promptly after an unserved transfer's 1xx (see
    /// [`Latency::looks_after_1xx`]).
    after_1xx: Habit,
    /// The target answered the sentinel with 215 (see `exec::ledger::SENTINEL`).
    sentinel: std::sync::atomic::AtomicBool,
    /// … and also before login, greeted and after USER (see [`Sentinel::before_login`]).
    sentinel_before_login: std::sync::atomic::AtomicBool,
}

/// What a campaign learnt about its target that another campaign against it may start from
/// (kept in the campaign folder: `campaign::learnt`). Only what was seen is kept: a habit not
/// seen yet is looked for again by the next campaign (a few looks), since a habit wrongly
/// taken as absent would let a second reply pass for the next command's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Learnt {
    /// The smoothed reply time and its variation in microseconds (0: not measured).
    pub srtt_us: u64,
    pub rttvar_us: u64,
    /// The target delays its replies to refused logins (see [`Latency::delays_logins`]).
    pub delays_logins: bool,
    /// A second reply was seen after an over-long line (see [`Latency::looks_for_extra`]).
    pub extra_replies: bool,
    /// A prompt final reply was seen after an unserved transfer's 1xx (see
    /// [`Latency::looks_after_1xx`]).
    pub final_after_1xx: bool,
}

impl Learnt {
    /// The habits seen, in words (for the line a resumed campaign prints).
    pub fn habits(&self) -> Vec<&'static str> {
        [
            (self.delays_logins, "delays its replies to refused logins"),
            (self.extra_replies, "may answer an over-long line twice"),
            (self.final_after_1xx, "may refuse a transfer after its 1xx"),
        ]
        .into_iter()
        .filter_map(|(seen, words)| seen.then_some(words))
        .collect()
    }
}

/// Where the target answers the sentinel (`exec::ledger::SENTINEL`) with 215, as a probe
/// found when the campaign started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sentinel {
    /// Logged in.
    pub logged_in: bool,
    /// Before login: right after the greeting, and after USER got its 331. RFC 959 §4.1.3
    /// lets a server refuse any command before login (vsftpd 3.0.3 answers SYST with 530);
    /// pyftpdlib 2.2.0 answers 215. Where it does, an over-long line sent before login is
    /// followed by the sentinel too, instead of a timed look for a second reply.
    pub before_login: bool,
}

impl Sentinel {
    /// Everywhere (tests, and targets known to answer it).
    pub const ALWAYS: Sentinel = Sentinel {
        logged_in: true,
        before_login: true,
    };
}

/// A reply to a login command this late was delayed on purpose: servers slow password
/// guessing by holding the reply to a refused login for seconds (pyftpdlib 2.2.0: 3 s), while
/// any server answers a plain command in milliseconds.
const SLOW_LOGIN: Duration = Duration::from_millis(500);

/// A habit of the target, learnt once per campaign by looking: how many looks were taken, and
/// whether what was looked for ever came. Looked for in the first `trials` cases, and for good
/// once it came — so a target without the habit costs a few looks, not one per case.
#[derive(Debug, Default)]
struct Habit {
    looks: AtomicU64,
    seen: std::sync::atomic::AtomicBool,
}

impl Habit {
    /// Whether to look this time (counting the look).
    fn look(&self, trials: u64) -> bool {
        self.seen.load(Ordering::Relaxed) || self.looks.fetch_add(1, Ordering::Relaxed) < trials
    }

    /// What was looked for came.
    fn seen(&self) {
        self.seen.store(true, Ordering::Relaxed);
    }
}

/// Over-long lines after which a campaign looks for a second reply before it concludes that
/// the target never sends one.
const EXTRA_TRIALS: u64 = 8;

/// Unserved transfers after whose 1xx a campaign looks for a prompt final reply before it
/// concludes that the target never sends one there.
pub const AFTER_1XX_TRIALS: u64 = 16;

/// The wait for a reply that may never come: a floor for scheduling noise, plus this many
/// SRTTs, plus this many RTTVARs (TCP's RTO uses 1 and 4; a missed reply costs more here than
/// a spurious retransmission there, so the margins are wider).
const PATIENCE: (Duration, u32, u32) = (Duration::from_millis(5), 10, 8);
/// The look at an unserved transfer: a refusal usually comes as fast as any reply.
const LOOK: (Duration, u32, u32) = (Duration::from_millis(2), 4, 4);
/// Before the first sample: assume a slow server.
const UNMEASURED: Duration = Duration::from_millis(20);

impl Latency {
    /// A reply came `elapsed` after its command was sent.
    pub fn observe(&self, elapsed: Duration) {
        let r = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        // Jobs race here; a lost update only loses one sample of a moving average.
        let srtt = self.srtt_us.load(Ordering::Relaxed);
        let (srtt, rttvar) = match srtt {
            0 => (r, r / 2),
            _ => {
                let rttvar = self.rttvar_us.load(Ordering::Relaxed);
                let rttvar = rttvar - rttvar / 4 + srtt.abs_diff(r) / 4;
                (srtt - srtt / 8 + r / 8, rttvar)
            }
        };
        self.srtt_us.store(srtt.max(1), Ordering::Relaxed);
        self.rttvar_us.store(rttvar, Ordering::Relaxed);
    }

    /// Whether to look for a second reply after an over-long line: for the first
    /// [`EXTRA_TRIALS`] such lines of a campaign, and for good once one came — so a target
    /// that never sends one costs a few looks, not one per line.
    pub fn looks_for_extra(&self) -> bool {
        self.extra.look(EXTRA_TRIALS)
    }

    /// Whether to look for a prompt final reply (a 425, say) to a transfer nobody serves once
    /// its 1xx came: for the first [`AFTER_1XX_TRIALS`] such transfers of a campaign, and for
    /// good once one came. A 1xx says the server has started (RFC 959 §4.2: "Positive
    /// Preliminary reply"); a server that then waits for a data connection nobody opens
    /// (pyftpdlib 2.2.0 sends 150 for a LIST with no PORT or PASV before it) would cost a
    /// look per transfer — a sixth of a whole-grammar campaign's time against it. Its final
    /// reply, if one comes later, is still read when it comes.
    pub fn looks_after_1xx(&self) -> bool {
        self.after_1xx.look(AFTER_1XX_TRIALS)
    }

    /// A final reply came within the look after an unserved transfer's 1xx.
    pub fn final_after_1xx_seen(&self) {
        self.after_1xx.seen();
    }

    /// A reply to USER, PASS or ACCT came `elapsed` after its command. Not a sample of the
    /// reply time (one delayed refusal would stretch every wait); only a sign of the habit.
    pub fn observe_login(&self, elapsed: Duration) {
        if elapsed >= SLOW_LOGIN {
            self.slow_logins.store(true, Ordering::Relaxed);
        }
    }

    /// What this campaign has learnt so far (see [`Learnt`]).
    pub fn learnt(&self) -> Learnt {
        Learnt {
            srtt_us: self.srtt_us.load(Ordering::Relaxed),
            rttvar_us: self.rttvar_us.load(Ordering::Relaxed),
            delays_logins: self.delays_logins(),
            extra_replies: self.extra.seen.load(Ordering::Relaxed),
            final_after_1xx: self.after_1xx.seen.load(Ordering::Relaxed),
        }
    }

    /// Starts from what an earlier campaign against the same target learnt. The reply time
    /// goes on being measured from there (a changed target moves it within a few dozen
    /// replies); a habit seen stays seen.
    pub fn resume(&self, learnt: &Learnt) {
        if learnt.srtt_us > 0 {
            self.srtt_us.store(learnt.srtt_us, Ordering::Relaxed);
            self.rttvar_us.store(learnt.rttvar_us, Ordering::Relaxed);
        }
        if learnt.delays_logins {
            self.slow_logins.store(true, Ordering::Relaxed);
        }
        if learnt.extra_replies {
            self.extra.seen();
        }
        if learnt.final_after_1xx {
            self.after_1xx.seen();
        }
    }

    /// Whether the target has been seen to delay a reply to a login command by
    /// [`SLOW_LOGIN`] or more. Once it has, a dialogue does not wait for such replies to
    /// fuzzed login lines: at seconds each, they would take most of a campaign's time.
    pub fn delays_logins(&self) -> bool {
        self.slow_logins.load(Ordering::Relaxed)
    }

    /// Whether the target was seen to answer the sentinel, so dialogues may use it.
    pub fn answers_sentinel(&self) -> bool {
        self.sentinel.load(Ordering::Relaxed)
    }

    /// Whether the target was seen to answer the sentinel before login too.
    pub fn answers_sentinel_before_login(&self) -> bool {
        self.sentinel_before_login.load(Ordering::Relaxed)
    }

    /// What a probe found: where the target answers the sentinel.
    pub fn set_answers_sentinel(&self, answers: Sentinel) {
        self.sentinel.store(answers.logged_in, Ordering::Relaxed);
        self.sentinel_before_login
            .store(answers.logged_in && answers.before_login, Ordering::Relaxed);
    }

    /// A second reply to an over-long line came.
    pub fn extra_seen(&self) {
        self.extra.seen();
    }

    /// The smoothed reply time (a slow guess before any reply was measured).
    pub fn smoothed(&self) -> Duration {
        match self.srtt_us.load(Ordering::Relaxed) {
            0 => UNMEASURED,
            us => Duration::from_micros(us),
        }
    }

    /// The smoothed variation of the reply time.
    pub fn variation(&self) -> Duration {
        match self.srtt_us.load(Ordering::Relaxed) {
            0 => UNMEASURED,
            _ => Duration::from_micros(self.rttvar_us.load(Ordering::Relaxed)),
        }
    }

    fn scaled(&self, (floor, k_srtt, k_var): (Duration, u32, u32), cap: Duration) -> Duration {
        let d = floor
            .saturating_add(self.smoothed().saturating_mul(k_srtt))
            .saturating_add(self.variation().saturating_mul(k_var));
        d.min(cap)
    }

    /// How long to wait for a reply before judging it missing, at most `timeout`.
    pub fn patience(&self, timeout: Duration) -> Duration {
        self.scaled(PATIENCE, timeout)
    }

    /// How long to look for a prompt refusal of a transfer nobody serves, at most `cap`.
    pub fn look(&self, cap: Duration) -> Duration {
        self.scaled(LOOK, cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_replies_are_looked_for_a_few_times_or_for_good_once_seen() {
        let never = Latency::default();
        let looks = (0..20).filter(|_| never.looks_for_extra()).count();
        assert_eq!(looks as u64, EXTRA_TRIALS);
        let seen = Latency::default();
        assert!(seen.looks_for_extra());
        seen.extra_seen();
        assert!((0..20).all(|_| seen.looks_for_extra()));
    }

    const MS: fn(u64) -> Duration = Duration::from_millis;
    const US: fn(u64) -> Duration = Duration::from_micros;

    #[test]
    fn a_delayed_login_reply_is_learnt_as_a_habit_not_a_sample() {
        let l = Latency::default();
        l.observe(US(300));
        l.observe_login(MS(40));
        assert!(!l.delays_logins());
        l.observe_login(Duration::from_secs(3));
        assert!(l.delays_logins());
        assert_eq!(l.smoothed(), US(300));
    }

    #[test]
    fn before_any_sample_the_waits_assume_a_slow_server() {
        let l = Latency::default();
        assert_eq!(l.smoothed(), UNMEASURED);
        assert_eq!(l.patience(Duration::from_secs(2)), MS(5 + 200 + 160));
    }

    #[test]
    fn samples_move_srtt_by_an_eighth_and_rttvar_by_a_quarter() {
        let l = Latency::default();
        l.observe(US(800));
        assert_eq!((l.smoothed(), l.variation()), (US(800), US(400)));
        l.observe(US(1600));
        // RTTVAR = 3/4·400 + 1/4·|800 − 1600|; SRTT = 7/8·800 + 1/8·1600.
        assert_eq!((l.smoothed(), l.variation()), (US(900), US(500)));
    }

    #[test]
    fn waits_scale_with_the_server_and_never_exceed_the_cap() {
        let fast = Latency::default();
        for _ in 0..64 {
            fast.observe(US(100));
        }
        assert_eq!(fast.smoothed(), US(100));
        assert!(fast.variation() < US(5), "{:?}", fast.variation());
        let patience = fast.patience(Duration::from_secs(2));
        assert!(patience >= MS(6) && patience < MS(7), "{patience:?}");
        let look = fast.look(MS(200));
        assert!(look >= US(2400) && look < MS(3), "{look:?}");
        let slow = Latency::default();
        slow.observe(MS(500));
        assert_eq!(
            slow.patience(Duration::from_secs(2)),
            Duration::from_secs(2)
        );
        assert_eq!(slow.look(MS(200)), MS(200));
    }

    #[test]
    fn a_jittery_server_gets_more_patience_than_a_steady_one() {
        let steady = Latency::default();
        let jittery = Latency::default();
        for i in 0..64u64 {
            steady.observe(US(1000));
            jittery.observe(US(if i % 2 == 0 { 200 } else { 1800 }));
        }
        let timeout = Duration::from_secs(2);
        assert!(jittery.patience(timeout) > steady.patience(timeout));
    }

    #[test]
    fn what_was_learnt_is_resumed_but_habits_not_seen_are_looked_for_again() {
        let first = Latency::default();
        first.observe(US(800));
        first.observe_login(Duration::from_secs(3));
        first.extra_seen();
        (0..AFTER_1XX_TRIALS).for_each(|_| {
            first.looks_after_1xx();
        });
        assert!(
            !first.looks_after_1xx(),
            "trials spent, final reply never seen"
        );
        let learnt = first.learnt();
        assert_eq!(
            learnt.habits(),
            [
                "delays its replies to refused logins",
                "may answer an over-long line twice"
            ]
        );
        let second = Latency::default();
        second.resume(&learnt);
        assert_eq!(second.learnt(), learnt);
        assert_eq!((second.smoothed(), second.variation()), (US(800), US(400)));
        assert!(second.delays_logins());
        assert!((0..20).all(|_| second.looks_for_extra()));
        // Trials are not carried over: the next campaign looks again.
        assert!(second.looks_after_1xx());
        let nothing = Latency::default();
        nothing.resume(&Learnt::default());
        assert_eq!(nothing.smoothed(), UNMEASURED);
    }

    #[test]
    fn a_zero_sample_still_counts_as_measured() {
        let l = Latency::default();
        l.observe(Duration::ZERO);
        assert_eq!(l.smoothed(), US(1));
    }
}
