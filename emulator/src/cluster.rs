//! The processes one run is spread over, and the one collective they need.
//!
//! A run on several processes (MPI ranks) splits the program's cores into
//! contiguous ranges, one per rank, each range run by that rank's threads
//! exactly as a single process runs all of them. Once per pass the ranks
//! trade the messages their cores sent to each other's cores, and rank 0
//! collects every rank's counters, link loads and step maxima; at the end
//! every rank receives the whole run's output. All of it goes through
//! [`Cluster::all_to_all`], so a transport is one function: MPI's
//! `Alltoallv` (the `spikefab` binary, `--features mpi`), or [`InProcess`],
//! which runs ranks as threads of one process to test the exchange without
//! an MPI installation.
//!
//! Counters are integers and latencies are maxima, so the reduction over
//! ranks is exact in any order: spikes, energy and latency are identical for
//! any rank and thread count.

use std::sync::{Arc, Barrier, Mutex};

/// A group of processes running one program together.
pub trait Cluster {
    /// This process's rank, in `0..size()`.
    fn rank(&self) -> usize;
    /// How many processes run the program.
    fn size(&self) -> usize;
    /// Collective (every rank calls it, in the same order, from the thread
    /// that runs the emulator): sends
    /// `outgoing[r]` to rank `r` and returns what every rank sent to this
    /// one, indexed by sending rank. `outgoing` has `size()` entries.
    fn all_to_all(&self, outgoing: Vec<Vec<u8>>) -> Vec<Vec<u8>>;

    /// Bytes this rank has sent to other ranks so far (host statistics).
    fn bytes_sent(&self) -> u64 {
        0
    }

    /// Ends every rank after this one failed outside a run (the others
    /// would wait for it in a collective). MPI ends the whole job and does
    /// not return; ranks that are threads of one process need nothing.
    fn abort(&self, _code: i32) {}
}

/// One process: the whole program here, nothing to trade.
#[derive(Clone, Copy, Debug, Default)]
pub struct Single;

impl Cluster for Single {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn all_to_all(&self, outgoing: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        outgoing
    }
}

/// Ranks as threads of one process, trading through shared mailboxes: the
/// distributed run's exact code path, without MPI. Make the ranks with
/// [`InProcess::ranks`] and run each on its own thread.
pub struct InProcess {
    rank: usize,
    shared: Arc<Mailboxes>,
}

struct Mailboxes {
    /// `mail[from][to]`: what `from` sent `to` in the current collective.
    mail: Mutex<Vec<Vec<Vec<u8>>>>,
    barrier: Barrier,
    size: usize,
}

impl InProcess {
    /// `size` ranks that trade with each other (`size` ≥ 1).
    pub fn ranks(size: usize) -> Vec<InProcess> {
        let size = size.max(1);
        let shared = Arc::new(Mailboxes {
            mail: Mutex::new(vec![vec![Vec::new(); size]; size]),
            barrier: Barrier::new(size),
            size,
        });
        (0..size)
            .map(|rank| InProcess {
                rank,
                shared: Arc::clone(&shared),
            })
            .collect()
    }
}

impl Cluster for InProcess {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.shared.size
    }
    fn all_to_all(&self, outgoing: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        assert_eq!(outgoing.len(), self.shared.size, "one buffer per rank");
        self.shared.mail.lock().expect("mailboxes poisoned")[self.rank] = outgoing;
        // Everyone has posted; then everyone takes theirs; then the boxes may
        // be reused by the next collective.
        self.shared.barrier.wait();
        let incoming = {
            let mut mail = self.shared.mail.lock().expect("mailboxes poisoned");
            (0..self.shared.size)
                .map(|from| std::mem::take(&mut mail[from][self.rank]))
                .collect()
        };
        self.shared.barrier.wait();
        incoming
    }
}
