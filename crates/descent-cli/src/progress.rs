//! Progress bars on stderr for runs that take more than about a second.
//!
//! A bar is created hidden and drawn only once its task has run for [`DELAY`], so quick
//! commands print nothing; indicatif draws nothing when stderr is not a terminal, and
//! `--quiet` turns bars off altogether. Stdout (tables, `--json`) is never touched.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use descent::driver::{Observer, Progress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a task runs before its bar appears.
pub const DELAY: Duration = Duration::from_secs(1);

static QUIET: AtomicBool = AtomicBool::new(false);

/// Turns every bar off (`--quiet`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// A bar over `total` steps (0: an unknown total, a spinner), shown after [`DELAY`].
pub struct Bar {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
}

impl Bar {
    /// A bar named `message`.
    pub fn new(total: u64, message: &str) -> Self {
        let bar = if total == 0 { ProgressBar::new_spinner() } else { ProgressBar::new(total) };
        let style = if total == 0 {
            ProgressStyle::with_template("{spinner} {msg} {pos} [{elapsed}]")
        } else {
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} [{elapsed}<{eta}]")
        };
        if let Ok(style) = style {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_draw_target(ProgressDrawTarget::hidden());
        bar.set_message(message.to_owned());
        Self { bar, started: Instant::now(), shown: false }
    }

    /// Moves the bar to `position`, drawing it once the task has run for [`DELAY`].
    pub fn set(&mut self, position: u64) {
        if !self.shown && !QUIET.load(Ordering::Relaxed) && self.started.elapsed() >= DELAY {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        self.bar.set_position(position);
    }

    /// Advances by one.
    pub fn inc(&mut self) {
        let next = self.bar.position() + 1;
        self.set(next);
    }

    /// Removes the bar.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }

    /// Removes the bar, for a bar owned by a closure that cannot give it up.
    pub fn clear(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// An observer that moves a bar with the iterations, then hands the iterate to `inner`.
pub struct WithBar<'a> {
    /// The bar.
    pub bar: Bar,
    /// The observer that does the real work (a trace, or nothing).
    pub inner: &'a mut dyn Observer,
}

impl Observer for WithBar<'_> {
    fn observe(&mut self, progress: &Progress<'_>) -> ControlFlow<()> {
        // Every 256 iterations: the bar has nothing to show at a finer grain.
        if progress.iteration.is_multiple_of(256) {
            self.bar.set(progress.iteration as u64);
        }
        self.inner.observe(progress)
    }
}
