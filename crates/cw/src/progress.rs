//! The progress bar on stderr (records, pages, rate, ETA) and the "waiting Ns for the rate
//! limit" state, fed by the client's event hook.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use cwpsa::Event;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// Shared between the command and the client's event hook.
#[derive(Clone)]
pub struct Progress {
    shared: Arc<Shared>,
}

struct Shared {
    /// A bar may be drawn (stderr is a terminal, no --quiet, no -v).
    bar_allowed: bool,
    /// One-line notices for waits may be printed (stderr is a terminal, no --quiet).
    notices: bool,
    bar: Mutex<Option<ProgressBar>>,
    /// Until when the client waits, and why.
    waiting: Mutex<Option<(Instant, &'static str)>>,
    pages: AtomicU64,
}

/// Waits shorter than this are not worth a notice.
const NOTICE_AFTER: Duration = Duration::from_secs(2);

impl Progress {
    pub fn new(bar_allowed: bool, notices: bool) -> Progress {
        Progress {
            shared: Arc::new(Shared {
                bar_allowed,
                notices,
                bar: Mutex::new(None),
                waiting: Mutex::new(None),
                pages: AtomicU64::new(0),
            }),
        }
    }

    pub fn bar_allowed(&self) -> bool {
        self.shared.bar_allowed
    }

    /// The hook to give the client: it records waits for the bar, or prints a notice.
    pub fn hook(&self) -> impl Fn(&Event) + Send + Sync + 'static {
        let shared = Arc::clone(&self.shared);
        move |event: &Event| {
            let (wait, why) = match event {
                Event::RateLimited { wait, .. } | Event::Throttled { wait } => {
                    (*wait, "the rate limit")
                }
                Event::Retry { wait, .. } => (*wait, "a retry"),
                _ => return,
            };
            let until = Instant::now() + wait;
            *lock(&shared.waiting) = Some((until, why));
            let has_bar = lock(&shared.bar).is_some();
            if !has_bar && shared.notices && wait >= NOTICE_AFTER {
                eprintln!("waiting {}s for {why}", ceil_secs(wait));
            }
        }
    }

    /// Starts the bar (when allowed); `total` gives it a length and an ETA.
    pub fn start(&self, total: Option<u64>) {
        if !self.shared.bar_allowed {
            return;
        }
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        // Short enough for an 80-column terminal: while waiting, the wait replaces rate and ETA.
        let template = if total.is_some() {
            "{spinner} [{bar:12}] {human_pos}/{human_len} records · {pages} · {status}"
        } else {
            "{spinner} {human_pos} records · {pages} · {status}"
        };
        let pages = Arc::clone(&self.shared);
        let waiting = Arc::clone(&self.shared);
        let with_eta = total.is_some();
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
            .with_key(
                "pages",
                move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let n = pages.pages.load(Ordering::Relaxed);
                    let _ = write!(w, "{n} page{}", if n == 1 { "" } else { "s" });
                },
            )
            .with_key(
                "status",
                move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = match waiting_text(&waiting) {
                        Some(text) => w.write_str(&text),
                        None if with_eta => write!(
                            w,
                            "{:.0}/s · ETA {}",
                            state.per_sec(),
                            short_duration(state.eta())
                        ),
                        None => write!(w, "{:.0}/s", state.per_sec()),
                    };
                },
            );
        bar.set_style(style);
        // Redraws while nothing arrives, so the wait counts down.
        bar.enable_steady_tick(Duration::from_millis(200));
        *lock(&self.shared.bar) = Some(bar);
    }

    /// A page of `records` arrived.
    pub fn page(&self, records: u64) {
        self.shared.pages.fetch_add(1, Ordering::Relaxed);
        *lock(&self.shared.waiting) = None;
        if let Some(bar) = lock(&self.shared.bar).as_ref() {
            bar.inc(records);
        }
    }

    /// Runs `f` with the bar hidden (for writing to a terminal stdout).
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        let bar = lock(&self.shared.bar).clone();
        match bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = lock(&self.shared.bar).take() {
            bar.finish_and_clear();
        }
    }
}

fn waiting_text(shared: &Shared) -> Option<String> {
    let (until, why) = (*lock(&shared.waiting))?;
    let left = until.checked_duration_since(Instant::now())?;
    (left >= Duration::from_millis(500)).then(|| format!("waiting {}s for {why}", ceil_secs(left)))
}

/// `42s`, `3m05s`, `1h02m`.
fn short_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000) as u64
}

/// A poisoned lock only means a panic elsewhere; the data (a bar, an instant) is still fine.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_recorded_and_cleared_by_a_page() {
        let p = Progress::new(false, false);
        let hook = p.hook();
        hook(&Event::Throttled {
            wait: Duration::from_secs(23),
        });
        let text = waiting_text(&p.shared).expect("waiting");
        assert!(
            text == "waiting 23s for the rate limit" || text == "waiting 22s for the rate limit",
            "{text}"
        );
        p.page(10);
        assert_eq!(waiting_text(&p.shared), None);
        assert_eq!(p.shared.pages.load(Ordering::Relaxed), 1);
        // No bar when not allowed; suspend still runs the closure.
        p.start(Some(100));
        assert!(lock(&p.shared.bar).is_none());
        assert_eq!(p.suspend(|| 5), 5);
        assert_eq!(short_duration(Duration::from_secs(185)), "3m05s");
        assert_eq!(short_duration(Duration::from_secs(7320)), "2h02m");
    }
}
