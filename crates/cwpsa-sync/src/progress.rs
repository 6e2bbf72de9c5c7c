//! A one-line progress display per entity on stderr, drawn only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::entities::{ENTITIES, EntitySpec};

#[derive(Debug)]
pub(crate) struct Progress {
    enabled: bool,
    done: [AtomicU64; ENTITIES.len()],
    total: [AtomicU64; ENTITIES.len()],
    current: Mutex<Option<(usize, Instant)>>,
    stopped: AtomicBool,
}

impl Progress {
    /// `wanted` and stderr is a terminal.
    pub fn new(wanted: bool) -> Progress {
        Progress {
            enabled: wanted && std::io::stderr().is_terminal(),
            done: Default::default(),
            total: Default::default(),
            current: Mutex::new(None),
            stopped: AtomicBool::new(false),
        }
    }

    pub fn start(&self, spec: &EntitySpec) {
        *self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((spec.index(), Instant::now()));
    }

    pub fn add(&self, spec: &EntitySpec, n: u64) {
        self.done[spec.index()].fetch_add(n, Ordering::Relaxed);
    }

    pub fn set_total(&self, spec: &EntitySpec, n: u64) {
        self.total[spec.index()].store(n, Ordering::Relaxed);
    }

    pub fn add_total(&self, spec: &EntitySpec, n: u64) {
        self.total[spec.index()].fetch_add(n, Ordering::Relaxed);
    }

    /// Ends the entity's line.
    pub fn finish(&self, spec: &EntitySpec, line: &str) {
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *current = None;
        if self.enabled {
            let _ = writeln!(std::io::stderr(), "\r\x1b[2K{}: {line}", spec.name);
        }
    }

    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    fn draw(&self) {
        let current = *self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some((i, started)) = current else { return };
        let done = self.done[i].load(Ordering::Relaxed);
        let total = self.total[i].load(Ordering::Relaxed);
        let secs = started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
        let of = if total > 0 {
            format!(" of ~{total}")
        } else {
            String::new()
        };
        let _ = write!(
            std::io::stderr(),
            "\r\x1b[2K{}: {done}{of} ({rate:.0}/s, {secs:.0}s)",
            ENTITIES[i].name
        );
    }

    /// Redraws every 250 ms until [`Progress::stop`].
    pub fn spawn_ticker(self: &std::sync::Arc<Self>) {
        if !self.enabled {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            while !me.stopped.load(Ordering::Relaxed) {
                me.draw();
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        });
    }
}
