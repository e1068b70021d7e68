//! CPU-heavy work a request asks for (checking a password with Argon2,
//! rendering Markdown for a preview, diffing two revisions, parsing a large
//! JSON body or a pasted timeline) runs on a
//! blocking thread, never on the async workers that answer every other
//! request, and only a few at a time: one per core, behind a short queue.
//! A request that finds the queue full, or waits past its budget for a
//! turn, is answered 503 with `Retry-After`, so a flood of such requests
//! costs the server a bounded amount of CPU and memory (Argon2 takes 19 MiB
//! a check) while `/healthz` and kept pages go on answering. Work that
//! must not be refused, a write's rendering, waits for a turn of its own
//! instead (`in_turn`).

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::AppError;

/// How long a request waits for a turn before it is told to come back.
pub const WAIT_BUDGET: Duration = Duration::from_secs(5);

/// Requests that may wait for a turn, beyond those running, for each core.
const WAITING_PER_CORE: usize = 8;

/// The machine's cores: how many pieces of heavy work run at once.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// Turns for work that must not be refused, a write's rendering: a burst
/// of large writes waits here rather than filling the blocking pool's
/// hundreds of threads, and the cores stay shared with the readers.
static TURNS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(cores()));

/// Runs `work` on a blocking thread when one of the turns kept for work
/// that waits (one per core) comes; it is never refused.
pub async fn in_turn<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let turn = TURNS.acquire().await.expect("the turns are never closed");
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        work()
    })
    .await
}

#[derive(Debug)]
pub struct HeavyWork {
    /// What this gate does, for the 503's message: "password checks".
    what: &'static str,
    /// One permit per core: the work running now.
    running: Arc<Semaphore>,
    /// The work running and the requests waiting for a turn.
    admitted: Semaphore,
}

impl HeavyWork {
    /// A gate for `what`, as many at once as the machine has cores.
    pub fn new(what: &'static str) -> HeavyWork {
        HeavyWork::with_capacity(what, cores(), cores() * WAITING_PER_CORE)
    }

    pub fn with_capacity(what: &'static str, running: usize, waiting: usize) -> HeavyWork {
        HeavyWork { what, running: Arc::new(Semaphore::new(running)), admitted: Semaphore::new(running + waiting) }
    }

    /// Runs `work` on a blocking thread when a turn comes, or refuses with
    /// a 503 when too many wait already or no turn comes within the budget.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let busy = || {
            crate::metrics::metrics().refused_by(self.what);
            AppError::Unavailable(format!("too many {} at once; try again in a few seconds", self.what))
        };
        let _admitted = self.admitted.try_acquire().map_err(|_| busy())?;
        let turn = tokio::time::timeout(WAIT_BUDGET, Arc::clone(&self.running).acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|error| AppError::Internal(error.into()))?;
        // The turn moves into the thread: it ends when the work does, even
        // if the request that asked has gone.
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work()
        })
        .await
        .map_err(|error| match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(cancelled) => AppError::Internal(cancelled.into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_run_at_once_than_the_gate_allows_and_the_rest_are_refused() {
        let gate = Arc::new(HeavyWork::with_capacity("tests", 2, 3));
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        // The work admitted holds its turn until every refusal is counted.
        let release = Arc::new(AtomicBool::new(false));
        let (results, mut received) = tokio::sync::mpsc::unbounded_channel();
        for _ in 0..20 {
            let (gate, now, most, release, results) =
                (Arc::clone(&gate), Arc::clone(&now), Arc::clone(&most), Arc::clone(&release), results.clone());
            tokio::spawn(async move {
                let outcome = gate
                    .run(move || {
                        let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(running, Ordering::SeqCst);
                        while !release.load(Ordering::SeqCst) {
                            std::thread::sleep(Duration::from_millis(1));
                        }
                        now.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await;
                results.send(outcome).unwrap();
            });
        }
        for _ in 0..15 {
            let refused = received.recv().await.unwrap().unwrap_err();
            assert!(matches!(refused, AppError::Unavailable(_)), "{refused}");
        }
        // Two turns start, and no third while they hold theirs.
        while now.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(now.load(Ordering::SeqCst), 2);
        release.store(true, Ordering::SeqCst);
        for _ in 0..5 {
            received.recv().await.unwrap().expect("two running and three waiting were admitted");
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "two at once, never more");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_in_turn_waits_and_runs_one_per_core_at_most() {
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..4 * cores())
            .map(|n| {
                let (now, most) = (Arc::clone(&now), Arc::clone(&most));
                tokio::spawn(in_turn(move || {
                    let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(running, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    now.fetch_sub(1, Ordering::SeqCst);
                    n
                }))
            })
            .collect();
        for (n, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap().unwrap(), n, "every piece of work ran, none refused");
        }
        assert!(most.load(Ordering::SeqCst) <= cores(), "{} at once", most.load(Ordering::SeqCst));
    }
}
