//! Live progress: an indicatif status line on a terminal, plain periodic lines otherwise (CI
//! logs, `nohup`, a pipe). Findings are announced as they are written, above the status line.

use crate::fuzz::campaign::stats::Stats;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How often a plain line is printed when stderr is not a terminal.
pub const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// Where progress goes.
pub enum Progress {
    /// A live status line (stderr is a terminal).
    Bar(ProgressBar),
    /// A line every [`PLAIN_EVERY`] on stderr.
    Plain { last: Instant },
}

impl Progress {
    /// A bar on a terminal, plain lines otherwise.
    pub fn new() -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(250));
            Progress::Bar(bar)
        } else {
            Progress::Plain {
                last: Instant::now(),
            }
        }
    }

    pub fn update(&mut self, stats: &Stats) {
        match self {
            Progress::Bar(bar) => bar.set_message(stats.line()),
            Progress::Plain { last } => {
                if last.elapsed() >= PLAIN_EVERY {
                    *last = Instant::now();
                    eprintln!("ftpspec fuzz: {}", stats.line());
                }
            }
        }
    }

    /// A line that stays (a finding), printed above the status line.
    pub fn println(&self, text: &str) {
        match self {
            Progress::Bar(bar) => bar.println(text),
            Progress::Plain { .. } => eprintln!("{text}"),
        }
    }

    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}
