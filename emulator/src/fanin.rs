//! A worker's synapses by sending neuron: delivery of a spike in one
//! contiguous read, however many of the worker's cores it reaches.
//!
//! The program stores synapses per receiving core (each core's table,
//! indexed by input axon), as the chip does, and a spike reaches each core
//! as its own message. Emulated that way, a spike costs a message record,
//! a route lookup and a row read at a random place in a core's table for
//! every core it reaches — 16 on P16k, ≈ 225 on 1 M neurons, where a row
//! holds one or two synapses: the emulator's time went to moving messages
//! and waiting for memory, not to synaptic work.
//!
//! So for the cores whose rows are plain ([`CoreState::receives_plain`]:
//! static weights, no shifts, no delays) each worker keeps a copy of their
//! rows ordered by *sending* neuron: one [`Segment`] per route into one of
//! its cores, the segments of a neuron next to each other, their words
//! after one another. The sender hands each worker one [`SpikeOut`] per
//! spike (not per route), and the worker walks that spike's segments in
//! one pass. What the chip does is unchanged: every segment is one message
//! to one core, with that message's send time, head latency, receive work
//! and schedule entry exactly as the core's own inbox would have given
//! them, so spikes, counts, energy and latency are bit-identical to the
//! per-message path (tested by running both).

use serde::{Deserialize, Serialize};
use spikefab_chip::program::{prefetch, Synapse};
use spikefab_chip::{CoreProgram, TileCoord};

use crate::core::CoreState;
use crate::noc::Mesh;

/// A spike, as its sender hands it to a worker that holds some of its
/// routes' rows.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct SpikeOut {
    /// The sending core (index in `CoreProgram::cores`) and its neuron.
    pub core: u32,
    pub neuron: u32,
    /// The sending core's messages out this step before this spike's.
    pub messages_before: u64,
    /// When the neuron's update and spike were done, in ns from the start
    /// of the step (its `k`-th message leaves `k + 1` axon-out times later).
    pub updated_ns: f64,
}

/// One route of a sending neuron into one of the worker's cores.
#[derive(Clone, Copy, Debug)]
struct Segment {
    /// The receiving core, worker-local.
    core: u32,
    /// The route's place among its neuron's routes.
    route: u32,
    /// Its first word in `words` (its last is the next segment's first).
    start: u32,
}

/// One worker's rows of its plain cores, by sending neuron.
pub(crate) struct FanIn {
    /// Per program core: the global index of its first neuron.
    first_neuron: Vec<u32>,
    /// Per sending neuron (global index): its segments are
    /// `segments[by_neuron[g]..by_neuron[g + 1]]`.
    by_neuron: Vec<u32>,
    /// Followed by a sentinel whose `start` is `words.len()`.
    segments: Vec<Segment>,
    words: Vec<Synapse>,
}

/// How many spikes ahead a spike's segments are prefetched.
const PREFETCH_AHEAD: usize = 4;

impl FanIn {
    /// Worker `me`'s table: every route into a core it owns (`owner`, at
    /// worker-local index `local`) that receives plain rows (`plain`), with
    /// a copy of that route's row. `None` if it owns no such core. Callers
    /// make sure the program's synapse words and routes count below 2³².
    pub fn new(
        program: &CoreProgram,
        owner: &[usize],
        local: &[usize],
        plain: &[bool],
        me: usize,
    ) -> Option<FanIn> {
        if !(0..program.cores.len()).any(|c| owner[c] == me && plain[c]) {
            return None;
        }
        let mine = |core: u32| owner[core as usize] == me && plain[core as usize];
        // sized exactly first: at a million neurons this is gigabytes
        let (mut n_segments, mut n_words, mut n_neurons) = (0usize, 0usize, 0usize);
        for core in &program.cores {
            n_neurons += core.num_neurons();
            for r in core.routes.iter().filter(|r| mine(r.core)) {
                n_segments += 1;
                n_words += program.cores[r.core as usize]
                    .synapses
                    .row(r.axon as usize)
                    .len();
            }
        }
        let mut f = FanIn {
            first_neuron: Vec::with_capacity(program.cores.len() + 1),
            by_neuron: Vec::with_capacity(n_neurons + 1),
            segments: Vec::with_capacity(n_segments + 1),
            words: Vec::with_capacity(n_words),
        };
        f.first_neuron.push(0);
        f.by_neuron.push(0);
        for core in &program.cores {
            for n in 0..core.num_neurons() {
                for (k, r) in core.routes.of(n).enumerate() {
                    if mine(r.core) {
                        let table = &program.cores[r.core as usize].synapses;
                        f.segments.push(Segment {
                            core: local[r.core as usize] as u32,
                            route: k as u32,
                            start: f.words.len() as u32,
                        });
                        f.words.extend(table.words(table.row(r.axon as usize)));
                    }
                }
                f.by_neuron.push(f.segments.len() as u32);
            }
            let last = *f.first_neuron.last().expect("pushed above");
            f.first_neuron.push(last + core.num_neurons() as u32);
        }
        f.segments.push(Segment {
            core: u32::MAX,
            route: u32::MAX,
            start: f.words.len() as u32,
        });
        Some(f)
    }

    /// The global index of `s`'s neuron.
    #[inline(always)]
    fn global(&self, s: &SpikeOut) -> usize {
        (self.first_neuron[s.core as usize] + s.neuron) as usize
    }

    /// The segments of `s`'s neuron.
    #[inline(always)]
    fn range(&self, s: &SpikeOut) -> std::ops::Range<usize> {
        let g = self.global(s);
        self.by_neuron[g] as usize..self.by_neuron[g + 1] as usize
    }

    /// Delivers `spikes` to the worker's `cores`: each segment as the
    /// message its route is — its row into the core's accumulators, and
    /// its send time (the sender's `k`-th message leaves `k` axon-out times
    /// after its update), head latency from `tiles[sending core]` over
    /// `mesh`, and receive work into the core's schedule.
    pub fn deliver(
        &self,
        spikes: &[SpikeOut],
        cores: &mut [CoreState],
        mesh: &Mesh,
        tiles: &[TileCoord],
        axon_out_ns: f64,
        scheduled: bool,
    ) {
        for (i, s) in spikes.iter().enumerate() {
            // in three stages, so that no stage reads what it has only just
            // asked for: the neuron's entry in `by_neuron`, its first
            // segment, that segment's words
            if let Some(later) = spikes.get(i + 3 * PREFETCH_AHEAD) {
                prefetch(&self.by_neuron, self.global(later));
            }
            if let Some(later) = spikes.get(i + 2 * PREFETCH_AHEAD) {
                prefetch(&self.segments, self.by_neuron[self.global(later)] as usize);
            }
            if let Some(later) = spikes.get(i + PREFETCH_AHEAD) {
                let first = self.by_neuron[self.global(later)] as usize;
                prefetch(&self.words, self.segments[first].start as usize);
            }
            let from = tiles[s.core as usize];
            let range = self.range(s);
            // (segments come in core order: most go to the previous one's tile)
            let mut last: Option<(TileCoord, f64)> = None;
            for (seg, next) in self.segments[range.clone()]
                .iter()
                .zip(&self.segments[range.start + 1..range.end + 1])
            {
                let core = &mut cores[seg.core as usize];
                let words = &self.words[seg.start as usize..next.start as usize];
                // the expressions of the inbox path, so the bits are the same
                let sent_ns =
                    s.updated_ns + (s.messages_before + seg.route as u64 + 1) as f64 * axon_out_ns;
                let hop_ns = match last {
                    Some((tile, ns)) if tile == core.tile => ns,
                    _ => {
                        let ns = mesh.latency_ns(mesh.hops(from, core.tile));
                        last = Some((core.tile, ns));
                        ns
                    }
                };
                core.receive_row(words, sent_ns, hop_ns, scheduled);
            }
        }
    }
}
