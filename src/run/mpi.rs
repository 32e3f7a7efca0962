//! `mpirun -np R densemc sweep …`: one sweep over many nodes, with tasks handed out one at a time by rank 0.
//!
//! Built only with the cargo feature `mpi` (crate `mpi`, linking the system's MPI library); without it, this
//! module keeps only the detection of a launcher ([`launcher`]) and the decision [`wanted`], so that a
//! default build under `mpirun` refuses to start instead of running R copies of the whole sweep.
//!
//! **Roles.** Every rank parses the same command line and builds the same
//! [`Plan`]; a task is named by its index in the grid order of [`Plan::tasks`]. Rank 0, the *master*, alone
//! opens the results file (the [`Journal`]: lock, torn-line cut, refusal of another sweep's file, resume)
//! and hands out the pending tasks, largest N first (the costliest first, so that the last tasks to finish
//! are short ones). Every rank, the master included, runs `threads` tasks at a time (default 1: start one
//! rank per core) with [`run_task`](super::pool::run_task), the single-process sweep's own code path;
//! the master runs its share on local threads while its main thread serves the others.
//!
//! **Protocol** (point-to-point on `MPI_COMM_WORLD`; only each rank's main thread calls MPI, threading level
//! `Funneled`):
//! - [`TAG_REQUEST`] worker → master, once per idle slot: `"<sweep hash> <densemc version>"`; the master
//!   refuses a rank whose plan or version differs from its own.
//! - [`TAG_TASK`] master → worker: `[index]` (one `u64`), the reply to a request.
//! - [`TAG_STOP`] master → worker: the reply to a request when nothing is left to hand out (or the sweep
//!   failed); that slot ends.
//! - [`TAG_RESULT`] worker → master: the task index (8 bytes, little-endian) then the record's JSON line,
//!   which the master checks (sweep hash, task coordinates) and appends byte for byte.
//! - [`TAG_FAILED`] worker → master: the index then the error message of a task that failed.
//! - [`TAG_BYE`] worker → master: all of the rank's slots ended; the master returns once every worker
//!   said bye and its own threads are done.
//!
//! A slow rank holds only the tasks it is running: everyone else keeps asking for the rest. A failed task
//! stops the hand-out (the results of tasks in flight are still written) and the sweep ends with its error.
//! A killed rank makes `mpirun` end the whole job; every finished task is in the file, and the same command
//! (under `mpirun` or not) resumes the rest.

use super::journal::Journal;
use super::plan::Plan;
#[cfg(feature = "mpi")]
use super::plan::Task;
#[cfg(feature = "mpi")]
use super::pool::run_task;
use super::records::TaskRecord;
use crate::error::{Error, Result};

/// Whether this build has MPI support (the cargo feature `mpi`).
pub const AVAILABLE: bool = cfg!(feature = "mpi");

/// The environment variables by which MPI launchers give the number of ranks: Open MPI's `mpirun`, and the
/// PMI of MPICH, Intel MPI and Slurm's `srun --mpi=pmi2`.
pub const LAUNCHER_VARS: [&str; 2] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"];

/// The launcher's variable and the number of ranks it gives, when this process was started by an MPI
/// launcher that [`LAUNCHER_VARS`] recognises.
pub fn launcher() -> Option<(&'static str, usize)> {
    LAUNCHER_VARS.iter().find_map(|&v| {
        let s = std::env::var(v).ok()?;
        Some((v, s.trim().parse().unwrap_or(0)))
    })
}

/// Whether a sweep runs as one rank of an MPI job: `asked` for, or started by a recognised launcher in a
/// build with the feature. An MPI run asked for in a build without it is refused, and so is a launch of
/// several ranks (each would run the whole sweep).
pub fn wanted(asked: bool) -> Result<bool> {
    let launched = launcher();
    if AVAILABLE {
        return Ok(asked || launched.is_some());
    }
    let rebuild = "this densemc was built without MPI support: build it with `cargo build --release --features mpi` (needs an MPI library, e.g. Debian's libopenmpi-dev, and libclang-dev)";
    if asked {
        return Err(Error::input(rebuild));
    }
    match launched {
        Some((var, size)) if size != 1 => Err(Error::input(format!(
            "started by an MPI launcher ({var}={size}) but {rebuild}; or run it without mpirun"
        ))),
        _ => Ok(false),
    }
}

/// Message tags of the protocol (module documentation).
pub const TAG_REQUEST: i32 = 1;
pub const TAG_TASK: i32 = 2;
pub const TAG_STOP: i32 = 3;
pub const TAG_RESULT: i32 = 4;
pub const TAG_FAILED: i32 = 5;
pub const TAG_BYE: i32 = 6;

#[cfg(feature = "mpi")]
pub use imp::Mpi;

/// In a build without the feature no MPI session exists (the type has no values), so that callers need no
/// `cfg`: [`wanted`] is false there, or an error.
#[cfg(not(feature = "mpi"))]
pub enum Mpi {}

#[cfg(not(feature = "mpi"))]
impl Mpi {
    pub fn init() -> Result<Mpi> {
        wanted(true).map(|_| unreachable!("refused without the feature"))
    }
    pub fn rank(&self) -> usize {
        match *self {}
    }
    pub fn size(&self) -> usize {
        match *self {}
    }
    pub fn is_master(&self) -> bool {
        match *self {}
    }
    pub fn work(&self, _: &Plan, _: usize, _: bool) -> Result<()> {
        match *self {}
    }
    pub fn serve(
        &self,
        _: &Plan,
        _: &Journal,
        _: usize,
        _: bool,
        _: &(dyn Fn(&TaskRecord) + Sync),
    ) -> Result<()> {
        match *self {}
    }
    pub fn stop_workers(&self) {
        match *self {}
    }
}

#[cfg(feature = "mpi")]
mod imp {
    use super::*;
    use mpi::point_to_point::MatchedReceiveVec;
    use mpi::topology::SimpleCommunicator;
    use mpi::traits::*;
    use std::collections::HashMap;
    use std::sync::mpsc;
    use std::sync::Mutex;
    use std::time::Duration;

    /// This process's place in the MPI job. Dropping it finalises MPI.
    pub struct Mpi {
        world: SimpleCommunicator,
        rank: usize,
        size: usize,
        // Last: MPI_Finalize when dropped, after `world`.
        _universe: mpi::environment::Universe,
    }

    /// What a finished task gives: its index and its JSON line, or the error message.
    type Outcome = (usize, std::result::Result<String, String>);

    /// Polls without burning a core (Open MPI's blocking receives spin): short sleeps, growing while idle.
    struct Backoff(Duration);

    impl Backoff {
        const MIN: Duration = Duration::from_micros(50);
        const MAX: Duration = Duration::from_millis(5);
        fn new() -> Self {
            Backoff(Self::MIN)
        }
        fn reset(&mut self) {
            self.0 = Self::MIN;
        }
        fn wait(&mut self) {
            std::thread::sleep(self.0);
            self.0 = (self.0 * 2).min(Self::MAX);
        }
    }

    /// `threads` local threads running the tasks whose indices come through `jobs`, each outcome sent to
    /// `out`; they end when `jobs` is closed.
    fn spawn_slots<'s, 'e: 's>(
        scope: &'s std::thread::Scope<'s, 'e>,
        threads: usize,
        plan: &'e Plan,
        tasks: &'e [Task],
        keep_weights: bool,
        jobs: mpsc::Receiver<usize>,
        out: mpsc::Sender<Outcome>,
    ) {
        let jobs = std::sync::Arc::new(Mutex::new(jobs));
        for _ in 0..threads {
            let (jobs, out) = (jobs.clone(), out.clone());
            scope.spawn(move || loop {
                let next = jobs.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok(i) = next else { break };
                let r = match tasks.get(i) {
                    Some(t) => run_task(plan, t, keep_weights)
                        .map(|r| serde_json::to_string(&r).expect("a task record serialises"))
                        .map_err(|e| e.to_string()),
                    None => Err(format!("task index {i} is outside the grid")),
                };
                if out.send((i, r)).is_err() {
                    break;
                }
            });
        }
    }

    fn hello(plan: &Plan) -> String {
        format!("{} {}", plan.sweep_hash(), crate::VERSION)
    }

    fn with_index(i: usize, rest: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(8 + rest.len());
        v.extend_from_slice(&(i as u64).to_le_bytes());
        v.extend_from_slice(rest);
        v
    }

    fn split_index(buf: &[u8]) -> Option<(usize, String)> {
        if buf.len() < 8 {
            return None;
        }
        let i = u64::from_le_bytes(buf[..8].try_into().ok()?) as usize;
        Some((i, String::from_utf8_lossy(&buf[8..]).into_owned()))
    }

    impl Mpi {
        /// Initialises MPI (threading level `Funneled`: only the main thread calls MPI).
        pub fn init() -> Result<Mpi> {
            let (universe, level) = mpi::initialize_with_threading(mpi::Threading::Funneled)
                .ok_or_else(|| {
                    Error::input("MPI was initialised already: cannot start an MPI sweep")
                })?;
            if level < mpi::Threading::Funneled {
                return Err(Error::input(format!(
                    "the MPI library offers threading level {level:?}, densemc needs Funneled"
                )));
            }
            let world = universe.world();
            let (rank, size) = (world.rank() as usize, world.size() as usize);
            Ok(Mpi {
                world,
                rank,
                size,
                _universe: universe,
            })
        }

        pub fn rank(&self) -> usize {
            self.rank
        }

        /// R, the number of ranks.
        pub fn size(&self) -> usize {
            self.size
        }

        pub fn is_master(&self) -> bool {
            self.rank == 0
        }

        /// A worker rank (not 0): asks rank 0 for tasks for each of its `threads` slots, runs them with
        /// [`run_task`] and sends their lines back, until every slot is told to stop.
        pub fn work(&self, plan: &Plan, threads: usize, keep_weights: bool) -> Result<()> {
            assert!(!self.is_master() && threads > 0);
            let tasks = plan.tasks();
            let master = self.world.process_at_rank(0);
            let hello = hello(plan);
            let (job_tx, job_rx) = mpsc::channel::<usize>();
            let (out_tx, out_rx) = mpsc::channel::<Outcome>();
            std::thread::scope(|scope| {
                spawn_slots(scope, threads, plan, &tasks, keep_weights, job_rx, out_tx);
                for _ in 0..threads {
                    master.send_with_tag(hello.as_bytes(), TAG_REQUEST);
                }
                let mut open = threads;
                let mut backoff = Backoff::new();
                while open > 0 {
                    let mut busy = false;
                    while let Ok((i, r)) = out_rx.try_recv() {
                        match r {
                            Ok(line) => master
                                .send_with_tag(&with_index(i, line.as_bytes())[..], TAG_RESULT),
                            Err(msg) => {
                                master.send_with_tag(&with_index(i, msg.as_bytes())[..], TAG_FAILED)
                            }
                        }
                        master.send_with_tag(hello.as_bytes(), TAG_REQUEST);
                        busy = true;
                    }
                    if let Some(m) = master.immediate_matched_probe() {
                        let tag = m.1.tag();
                        let (v, _) = m.matched_receive_vec::<u64>();
                        match tag {
                            TAG_TASK => {
                                let _ =
                                    job_tx.send(v.first().copied().unwrap_or(u64::MAX) as usize);
                            }
                            _ => open -= 1, // TAG_STOP
                        }
                        busy = true;
                    }
                    if busy {
                        backoff.reset();
                    } else {
                        backoff.wait();
                    }
                }
                drop(job_tx);
            });
            master.send_with_tag(&[0u8][..], TAG_BYE);
            Ok(())
        }

        /// Rank 0: hands out the tasks of `plan` not yet in `journal` to every rank's slots (its own
        /// `threads` included), appends each finished line and calls `done` with its record. Returns once
        /// every rank has stopped: the first error, if any (a failed task, a rank with another plan, a
        /// write error); the lines of tasks that finished are in the file in every case.
        pub fn serve(
            &self,
            plan: &Plan,
            journal: &Journal,
            threads: usize,
            keep_weights: bool,
            done: &(dyn Fn(&TaskRecord) + Sync),
        ) -> Result<()> {
            assert!(self.is_master());
            let tasks = plan.tasks();
            let mut order: Vec<usize> = (0..tasks.len())
                .filter(|&i| !journal.has(&tasks[i]))
                .collect();
            // Costliest first: the tail of the run is then made of short tasks.
            order.sort_by_key(|&i| std::cmp::Reverse(tasks[i].n));
            let mut order = order.into_iter();
            let hello = hello(plan);
            let (sweep_hash, mut failure) = (plan.sweep_hash(), None::<Error>);
            // Task index → the rank running it.
            let mut running: HashMap<usize, usize> = HashMap::new();
            let mut byes = 0;
            let workers = self.size - 1;
            let (job_tx, job_rx) = mpsc::channel::<usize>();
            let (out_tx, out_rx) = mpsc::channel::<Outcome>();
            let finish = |rank: usize,
                          i: usize,
                          r: std::result::Result<String, String>,
                          running: &mut HashMap<usize, usize>,
                          failure: &mut Option<Error>| {
                let err = if running.get(&i) != Some(&rank) {
                    Some(format!("rank {rank} sent task {i}, which it was not given"))
                } else {
                    running.remove(&i);
                    match r {
                        Err(msg) => Some(format!("rank {rank}, task {i}: {msg}")),
                        Ok(line) => match serde_json::from_str::<TaskRecord>(&line) {
                            Err(e) => {
                                Some(format!("rank {rank}, task {i}: not a task record ({e})"))
                            }
                            Ok(rec) if rec.sweep != sweep_hash || rec.key() != tasks[i].key() => {
                                Some(format!(
                                    "rank {rank}, task {i}: the record is of another task"
                                ))
                            }
                            Ok(rec) => match journal.append_line(line) {
                                Ok(()) => {
                                    done(&rec);
                                    None
                                }
                                Err(e) => {
                                    failure.get_or_insert(e);
                                    None
                                }
                            },
                        },
                    }
                };
                if let Some(msg) = err {
                    failure.get_or_insert(Error::input(format!("MPI sweep: {msg}")));
                }
            };
            std::thread::scope(|scope| {
                spawn_slots(scope, threads, plan, &tasks, keep_weights, job_rx, out_tx);
                let mut job_tx = Some(job_tx);
                let mut idle = threads;
                let mut backoff = Backoff::new();
                loop {
                    let mut busy = false;
                    while let Ok((i, r)) = out_rx.try_recv() {
                        finish(0, i, r, &mut running, &mut failure);
                        idle += 1;
                        busy = true;
                    }
                    while idle > 0 && job_tx.is_some() && failure.is_none() {
                        let Some(i) = order.next() else { break };
                        running.insert(i, 0);
                        let _ = job_tx.as_ref().map(|tx| tx.send(i));
                        idle -= 1;
                    }
                    if idle == threads && (failure.is_some() || order.len() == 0) {
                        job_tx = None; // the local threads end
                    }
                    if let Some(m) = self.world.any_process().immediate_matched_probe() {
                        busy = true;
                        let (tag, rank) = (m.1.tag(), m.1.source_rank() as usize);
                        let (buf, _) = m.matched_receive_vec::<u8>();
                        let to = self.world.process_at_rank(rank as i32);
                        match tag {
                            TAG_REQUEST => {
                                if buf != hello.as_bytes() {
                                    failure.get_or_insert(Error::input(format!(
                                        "MPI sweep: rank {rank} runs another sweep or another densemc (its \"{}\", rank 0's \"{hello}\"): start every rank with the same command and binary",
                                        String::from_utf8_lossy(&buf)
                                    )));
                                }
                                match order.next().filter(|_| failure.is_none()) {
                                    Some(i) => {
                                        running.insert(i, rank);
                                        to.send_with_tag(&[i as u64][..], TAG_TASK);
                                    }
                                    None => to.send_with_tag(&[0u64][..], TAG_STOP),
                                }
                            }
                            TAG_RESULT | TAG_FAILED => match split_index(&buf) {
                                Some((i, s)) => {
                                    let r = if tag == TAG_RESULT { Ok(s) } else { Err(s) };
                                    finish(rank, i, r, &mut running, &mut failure);
                                }
                                None => {
                                    failure.get_or_insert(Error::input(format!(
                                        "MPI sweep: rank {rank} sent a malformed message"
                                    )));
                                }
                            },
                            TAG_BYE => byes += 1,
                            _ => {
                                failure.get_or_insert(Error::input(format!(
                                    "MPI sweep: rank {rank} sent an unknown message (tag {tag})"
                                )));
                            }
                        }
                    }
                    if byes == workers && job_tx.is_none() && idle == threads {
                        break;
                    }
                    if busy {
                        backoff.reset();
                    } else {
                        backoff.wait();
                    }
                }
            });
            failure.map_or(Ok(()), Err)
        }

        /// Rank 0 when it cannot serve (its results file refused, say): tells every worker to stop, so that
        /// the job ends with rank 0's error rather than hanging.
        pub fn stop_workers(&self) {
            let mut byes = 0;
            let mut backoff = Backoff::new();
            while byes < self.size - 1 {
                match self.world.any_process().immediate_matched_probe() {
                    Some(m) => {
                        let (tag, rank) = (m.1.tag(), m.1.source_rank());
                        let _ = m.matched_receive_vec::<u8>();
                        match tag {
                            TAG_REQUEST => self
                                .world
                                .process_at_rank(rank)
                                .send_with_tag(&[0u64][..], TAG_STOP),
                            TAG_BYE => byes += 1,
                            _ => {}
                        }
                        backoff.reset();
                    }
                    None => backoff.wait(),
                }
            }
        }
    }
}
