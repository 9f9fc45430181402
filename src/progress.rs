//! Progress for long jobs: a bar on a terminal, a plain line every few
//! seconds in a log file or pipe (so an hour-long run in `nohup` or CI shows
//! it is alive), nothing with `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// An indicatif bar (stderr is a terminal).
    Bar,
    /// A line on stderr at most every [`LOG_EVERY`].
    Log,
    Off,
}

/// Time between two log lines; `SPIKEFAB_PROGRESS_EVERY` (seconds) overrides it.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

fn log_every() -> Duration {
    std::env::var("SPIKEFAB_PROGRESS_EVERY")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
        .map_or(LOG_EVERY, Duration::from_secs_f64)
}

impl Mode {
    /// `--quiet` → off; a terminal on stderr → bar; otherwise log lines.
    pub fn detect(quiet: bool) -> Mode {
        use std::io::IsTerminal;
        if quiet {
            Mode::Off
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Log
        }
    }
}

/// Progress of one job of `len` units.
pub struct Progress {
    bar: Option<ProgressBar>,
    log: Option<Mutex<LogState>>,
    label: String,
    len: u64,
    /// The latest message, for log lines.
    message: Mutex<String>,
}

struct LogState {
    started: Instant,
    last: Instant,
    every: Duration,
}

impl Progress {
    pub fn new(mode: Mode, len: u64, label: &str, unit: &str) -> Progress {
        let bar = (mode == Mode::Bar).then(|| {
            let b = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(&format!(
                    "{{spinner}} {label} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}}) {{msg}}"
                ))
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        });
        let now = Instant::now();
        let log = (mode == Mode::Log).then(|| {
            Mutex::new(LogState {
                started: now,
                last: now,
                every: log_every(),
            })
        });
        Progress {
            bar,
            log,
            label: format!("{label} ({unit})"),
            len,
            message: Mutex::new(String::new()),
        }
    }

    pub fn set_message(&self, m: &str) {
        if let Some(b) = &self.bar {
            b.set_message(m.to_string());
        }
        if let Ok(mut msg) = self.message.lock() {
            m.clone_into(&mut msg);
        }
    }

    /// `done` units are finished.
    pub fn set(&self, done: u64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
        if let Some(log) = &self.log {
            let Ok(mut s) = log.lock() else { return };
            let now = Instant::now();
            if now.duration_since(s.last) >= s.every {
                s.last = now;
                let pct = 100.0 * done as f64 / self.len.max(1) as f64;
                let msg = self.message.lock().map(|m| m.clone()).unwrap_or_default();
                eprintln!(
                    "{}: {done}/{} ({pct:.0}%) after {:.0} s{}{msg}",
                    self.label,
                    self.len,
                    now.duration_since(s.started).as_secs_f64(),
                    if msg.is_empty() { "" } else { ": " },
                );
            }
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
