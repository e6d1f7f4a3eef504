//! A progress bar on standard error, drawn only on a terminal and only once reading has taken more
//! than a second (spec §4).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
    shown: bool,
    done: u64,
    how: String,
}

impl Progress {
    /// `how`: how the input is read (threads; which inputs are one sequential stream).
    pub fn new(total: u64, how: String) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Progress {
            bar,
            start: Instant::now(),
            shown: false,
            done: 0,
            how,
        }
    }

    pub fn update(&mut self, bytes: u64, records: u64, skipped: u64) {
        self.done += bytes;
        let Some(bar) = &self.bar else { return };
        if !self.shown && self.start.elapsed() > Duration::from_secs(1) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
        bar.set_position(self.done);
        bar.set_message(format!(
            "{records} records, {skipped} skipped; {}",
            self.how
        ));
    }

    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
