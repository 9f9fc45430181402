//! `spikefab run --mpi`: the emulator's [`Cluster`] over MPI — the system's
//! OpenMPI (or any MPI) through the `mpi` crate, built with `--features mpi`.
//!
//! The emulator needs one collective, an all-to-all of byte buffers: here
//! `MPI_Alltoall` of the buffer lengths, then `MPI_Alltoallv` of the bytes,
//! in as many rounds as it takes to keep every count and displacement
//! within MPI's C `int`.

use spikefab_emulator::Cluster;

/// This process's place in `mpirun`'s job; MPI is finalized when it drops.
#[cfg(feature = "mpi")]
pub struct Mpi {
    world: ::mpi::topology::SimpleCommunicator,
    /// Bytes sent to other ranks so far.
    sent: std::cell::Cell<u64>,
    _universe: ::mpi::environment::Universe,
}

/// Joins the MPI job this process was started in (`mpirun -np N spikefab
/// run --mpi …`; started alone, a job of one).
#[cfg(feature = "mpi")]
pub fn init() -> anyhow::Result<Box<dyn Cluster>> {
    // Only the calling thread makes MPI calls: the emulator runs each
    // rank's leader worker on it.
    let (universe, threading) = ::mpi::initialize_with_threading(::mpi::Threading::Funneled)
        .ok_or_else(|| anyhow::anyhow!("MPI was already initialized in this process"))?;
    if threading < ::mpi::Threading::Funneled {
        anyhow::bail!(
            "this MPI library gives threading level {threading:?}; the emulator needs Funneled"
        );
    }
    let world = universe.world();
    Ok(Box::new(Mpi {
        world,
        sent: std::cell::Cell::new(0),
        _universe: universe,
    }))
}

#[cfg(not(feature = "mpi"))]
pub fn init() -> anyhow::Result<Box<dyn Cluster>> {
    anyhow::bail!(
        "this spikefab was built without MPI: build it with `cargo build --release --features mpi` (needs an MPI library such as Debian's libopenmpi-dev, and libclang-dev) and start it with mpirun"
    )
}

#[cfg(feature = "mpi")]
impl Cluster for Mpi {
    fn rank(&self) -> usize {
        use ::mpi::traits::Communicator;
        self.world.rank() as usize
    }

    fn size(&self) -> usize {
        use ::mpi::traits::Communicator;
        self.world.size() as usize
    }

    fn all_to_all(&self, outgoing: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        use ::mpi::collective::{CommunicatorCollectives, SystemOperation};
        use ::mpi::datatype::{Partition, PartitionMut};
        use ::mpi::Count;

        let n = self.size();
        assert_eq!(outgoing.len(), n, "one buffer per rank");
        let to_others: usize =
            (outgoing.iter().map(Vec::len).sum::<usize>()) - outgoing[self.rank()].len();
        self.sent.set(self.sent.get() + to_others as u64);
        let send_len: Vec<u64> = outgoing.iter().map(|b| b.len() as u64).collect();
        let mut recv_len = vec![0u64; n];
        self.world.all_to_all_into(&send_len[..], &mut recv_len[..]);
        // Every rank runs the same number of rounds: enough for the largest
        // buffer of any pair, each round's whole buffer within a C int.
        let round = (Count::MAX as u64 / n as u64).max(1);
        let local_max = send_len.iter().chain(&recv_len).copied().max().unwrap_or(0);
        let mut global_max = 0u64;
        self.world
            .all_reduce_into(&local_max, &mut global_max, SystemOperation::max());
        let rounds = global_max.div_ceil(round).max(1);

        let mut incoming: Vec<Vec<u8>> = recv_len
            .iter()
            .map(|&l| Vec::with_capacity(l as usize))
            .collect();
        let piece = |len: u64, k: u64| len.saturating_sub(k * round).min(round);
        let displacements = |counts: &[Count]| -> Vec<Count> {
            counts
                .iter()
                .scan(0, |at, &c| {
                    let d = *at;
                    *at += c;
                    Some(d)
                })
                .collect()
        };
        for k in 0..rounds {
            let send_counts: Vec<Count> = send_len.iter().map(|&l| piece(l, k) as Count).collect();
            let recv_counts: Vec<Count> = recv_len.iter().map(|&l| piece(l, k) as Count).collect();
            let mut send = Vec::with_capacity(send_counts.iter().map(|&c| c as usize).sum());
            for (b, &c) in outgoing.iter().zip(&send_counts) {
                let from = (k * round) as usize;
                if c > 0 {
                    send.extend_from_slice(&b[from..from + c as usize]);
                }
            }
            let mut recv = vec![0u8; recv_counts.iter().map(|&c| c as usize).sum()];
            let send_displs = displacements(&send_counts);
            let recv_displs = displacements(&recv_counts);
            {
                let s = Partition::new(&send[..], &send_counts[..], &send_displs[..]);
                let mut r = PartitionMut::new(&mut recv[..], &recv_counts[..], &recv_displs[..]);
                self.world.all_to_all_varcount_into(&s, &mut r);
            }
            for ((into, &at), &c) in incoming.iter_mut().zip(&recv_displs).zip(&recv_counts) {
                into.extend_from_slice(&recv[at as usize..(at + c) as usize]);
            }
        }
        incoming
    }

    fn bytes_sent(&self) -> u64 {
        self.sent.get()
    }

    fn abort(&self, code: i32) {
        use ::mpi::traits::Communicator;
        self.world.abort(code)
    }
}
