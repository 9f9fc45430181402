//! Partition, placement and routing: a quantized network onto the cores of an arch.
//!
//! 1. **Partition** each population into slices that fit one core on their
//!    own (neurons, synapse words, input axons).
//! 2. **Pack** slices into cores in order while every capacity holds; one
//!    input axon per distinct source neuron per core, shared by all the
//!    slices there.
//! 3. **Place** cores on the mesh to reduce messages × hops: simulated
//!    annealing from the in-order placement (seeded, deterministic).
//! 4. **Route**: each source neuron gets one routing entry per core it feeds.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;
use strength_reduce::StrengthReducedU32;

use spikefab_chip::program::{RowSynapse, SynapseTableBuilder};

use spikefab_chip::{
    Arch, CoreConfig, CoreProgram, LayerScale, OutputPort, Provenance, Route, RouteTable,
    SynapseTable, PROGRAM_FORMAT_VERSION,
};

use crate::error::{CompileError, Result};
use crate::network::{Network, Source};
use crate::placement::{Placement, Resolved};
use crate::quantize::QuantizedNetwork;

/// A contiguous range of one population's neurons on one core.
#[derive(Clone, Debug, PartialEq)]
pub struct Slice {
    pub population: usize,
    pub start: usize,
    pub end: usize,
}

/// What placement achieved, in messages × hops per all-neurons-fire step.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacementCost {
    pub in_order: u64,
    pub optimized: u64,
}

pub struct Mapped {
    pub program: CoreProgram,
    pub slices: Vec<Vec<Slice>>,
    pub placement: PlacementCost,
}

fn global_offsets(net: &Network) -> (Vec<usize>, Vec<usize>) {
    let mut inputs = Vec::new();
    let mut acc = 0;
    for i in &net.inputs {
        inputs.push(acc);
        acc += i.size;
    }
    let mut pops = Vec::new();
    for p in &net.populations {
        pops.push(acc);
        acc += p.size;
    }
    (inputs, pops)
}

/// How program cores find their physical cores.
#[derive(Clone, Copy, Debug)]
pub enum Placing<'a> {
    /// The compiler's own partition, packing and annealed placement.
    Anneal { seed: u64 },
    /// Exactly as a placement file says.
    Forced(&'a Placement),
}

pub fn map(
    net: &Network,
    q: &mut QuantizedNetwork,
    arch: &Arch,
    placing: Placing,
    threads: usize,
    on_stage: &dyn Fn(crate::Stage),
) -> Result<Mapped> {
    on_stage(crate::Stage::Partitioning);
    let lim = arch.core;
    let too_big = |layer: &str, message: String| CompileError::DoesNotFit {
        layer: layer.to_string(),
        arch: arch.name.clone(),
        message,
    };
    let (in_off, pop_off) = global_offsets(net);

    // Every source in global-id order with the projections leaving it: the
    // stages below visit synapses source by source in this order, so each
    // core's sources come out sorted without a sort, and no stage scatters
    // per-synapse data to random targets (on large nets each such scatter is
    // a cache miss a synapse).
    let order = SourceOrder::new(net, q, &in_off, &pop_off);
    // Per target neuron: its synapse count.
    let mut fan_in: Vec<Vec<u32>> = net.populations.iter().map(|p| vec![0; p.size]).collect();
    // A projection's targets are input slots: `neuron · branches + branch`.
    let branches: Vec<usize> = net.populations.iter().map(|p| p.branches()).collect();
    // (integer counts: each thread counts a share of the rows, and the
    // shares add up to the same counts for any split)
    for pr in &q.projections {
        let k = StrengthReducedU32::new(branches[pr.dst] as u32);
        let rows = &pr.by_source;
        let parts = threads.min(rows.len() / ROWS_A_THREAD).max(1);
        let size = fan_in[pr.dst].len();
        let counts = crate::parallel::in_chunks(parts, parts, |i| {
            let mut counts = vec![0u32; size];
            for row in &rows[rows.len() * i / parts..rows.len() * (i + 1) / parts] {
                for &(t, _) in row {
                    counts[(t / k) as usize] += 1;
                }
            }
            counts
        });
        for part in counts {
            for (all, c) in fan_in[pr.dst].iter_mut().zip(part) {
                *all += c;
            }
        }
    }
    let resolved = match placing {
        Placing::Anneal { .. } => None,
        Placing::Forced(p) => Some(p.resolve(net, arch.topology.num_cores())?),
    };
    let (slices, per_pop, cores, forced_ids) = match &resolved {
        None => {
            let (slices, per_pop, cores) =
                partition_and_pack(net, q, arch, &order, &fan_in, &branches, threads)?;
            (slices, per_pop, cores, None)
        }
        Some(r) => {
            let (slices, per_pop, cores, ids) = forced(net, arch, r)?;
            (slices, per_pop, cores, Some(ids))
        }
    };

    on_stage(crate::Stage::BuildingTables);
    // where each neuron lives: (core, local id), and (core, its first
    // input slot there) — one lookup a synapse below
    let mut home: Vec<Vec<(u32, u32)>> = net
        .populations
        .iter()
        .map(|p| vec![(0, 0); p.size])
        .collect();
    let mut first_slot: Vec<Vec<(u32, u32)>> = home.clone();
    for (c, members) in cores.iter().enumerate() {
        let (mut local, mut slot) = (0u32, 0u32);
        for &si in members {
            let s = &slices[si];
            for n in s.start..s.end {
                home[s.population][n] = (c as u32, local);
                first_slot[s.population][n] = (c as u32, slot);
                local += 1;
                slot += branches[s.population] as u32;
            }
        }
    }
    let slot_of: Vec<SlotMap> = first_slot
        .iter()
        .zip(&branches)
        .map(|(f, &k)| SlotMap::new(f, k as u32))
        .collect();
    drop(first_slot);

    // Each core's synapse table, built as the sources are visited in
    // order: a source's synapses on a core become its next axon there, and
    // its routes — one per core it feeds, cores in order — the next entries
    // of a CSR over sources. Linear memory, no sort and no allocation per
    // axon, which is what large networks need (a core of a 1 M-neuron
    // network has ~250 k axons of one synapse each).
    let mut builders: Vec<SynapseTableBuilder> = {
        // sized exactly: the tables are the compile's largest allocation
        let mut n = vec![0usize; cores.len()];
        for (p, homes) in home.iter().enumerate() {
            for (i, &(c, _)) in homes.iter().enumerate() {
                n[c as usize] += fan_in[p][i] as usize;
            }
        }
        n.into_iter()
            .map(SynapseTableBuilder::with_capacity)
            .collect()
    };
    // each core's learning rules, in order of first use; a synapse names
    // its rule's index + 1 (0: static)
    let mut rules: Vec<Vec<spikefab_chip::model::LearningRule>> = vec![Vec::new(); cores.len()];
    let delays = q
        .projections
        .iter()
        .map(|pr| {
            u8::try_from(pr.chip_delay).map_err(|_| {
                too_big(
                    &net.populations[pr.dst].name,
                    format!("needs a delay of {} steps", pr.chip_delay),
                )
            })
        })
        .collect::<Result<Vec<u8>>>()?;
    let n_sources = order.sources();
    let mut dest = RoutesBySource::with_sources(n_sources);
    // Blocked: a chunk of sources' synapses is first dealt into buckets by
    // block of cores, then each bucket is appended to its few cores' tables.
    // Appending straight from the rows touches the tails of every core's
    // table at random — at 1,024 cores more lines than the cache holds, so
    // nearly every append missed; a bucket's appends stay within
    // `BLOCK_CORES` tables, and the bucketing itself writes `n_blocks`
    // sequential streams. The order within each core's table is still
    // source order, so the tables are the same.
    //
    // On several threads: each deals a contiguous share of the chunk's
    // sources into buckets of its own; then each appends a contiguous range
    // of blocks, taking the dealers' buckets in dealer (= source) order.
    // A core is appended to by one thread only, in source order: the
    // tables are the same for any thread count.
    let n_blocks = cores.len().div_ceil(BLOCK_CORES).max(1);
    let threads = threads.clamp(1, n_blocks);
    let block_split: Vec<usize> = (0..=threads).map(|i| n_blocks * i / threads).collect();
    let core_split: Vec<usize> = block_split
        .iter()
        .map(|&b| (b * BLOCK_CORES).min(cores.len()))
        .collect();
    let mut builder_parts = split_at(&mut builders, &core_split);
    let mut rule_parts = split_at(&mut rules, &core_split);
    let mut dealt: Vec<Vec<Vec<PendingSynapse>>> = vec![vec![Vec::new(); n_blocks]; threads];
    let mut opened_parts: Vec<Vec<(u32, u32, u32)>> = vec![Vec::new(); threads];
    // The rows, taken out of `q` to be freed round by round once dealt: at
    // 1 M neurons they are 2 GiB, and the tables fill as they drain.
    let mut rows: Vec<Vec<Vec<(u32, i16)>>> = q
        .projections
        .iter_mut()
        .map(|pr| std::mem::take(&mut pr.by_source))
        .collect();
    let (q_ref, slot_of) = (&*q, &slot_of);
    // a share of sources dealt into `buckets`
    let deal = |sources: std::ops::Range<u32>,
                buckets: &mut Vec<Vec<PendingSynapse>>,
                rows: &[Vec<Vec<(u32, i16)>>]| {
        order.for_each_row(sources, |g, k, s| {
            let pr = &q_ref.projections[k];
            let at = &slot_of[pr.dst];
            for &(t, w) in &rows[k][s] {
                let (c, slot) = at.get(t);
                buckets[c as usize / BLOCK_CORES].push(PendingSynapse {
                    source: g,
                    core: c,
                    projection: k as u32,
                    slot: slot as u16,
                    weight: w,
                });
            }
        });
    };
    // blocks `first_block..` of every dealer's buckets appended to their
    // cores' tables (`builders[0]` is core `first_core`); the axons opened
    let append = |first_block: usize,
                  first_core: usize,
                  builders: &mut [SynapseTableBuilder],
                  rules: &mut [Vec<spikefab_chip::model::LearningRule>],
                  dealt: &mut [&mut [Vec<PendingSynapse>]],
                  opened: &mut Vec<(u32, u32, u32)>|
     -> Result<()> {
        opened.clear();
        let blocks = dealt.first().map_or(0, |d| d.len());
        // The axons a source opens in a block, listed in core order when
        // the source is done: its row meets the cores in any order, and
        // sorting each source's routes afterwards was 5 % of a 1 M compile.
        let mut run = OpenedRun::default();
        for b in 0..blocks {
            let block_core = ((first_block + b) * BLOCK_CORES) as u32;
            debug_assert!(block_core as usize >= first_core);
            for dealer in dealt.iter_mut() {
                for x in dealer[b].drain(..) {
                    if run.source != x.source {
                        run.flush(block_core, opened);
                        run.source = x.source;
                    }
                    let (c, k) = (x.core as usize, x.projection as usize);
                    let local = c - first_core;
                    let pr = &q_ref.projections[k];
                    let rule = match pr.plastic {
                        None => 0,
                        Some(r) => {
                            let rules = &mut rules[local];
                            let id = match rules.iter().position(|x| *x == r) {
                                Some(i) => i,
                                None => {
                                    rules.push(r);
                                    rules.len() - 1
                                }
                            };
                            if id >= spikefab_chip::model::plasticity::MAX_RULES {
                                return Err(too_big(
                                    &net.populations[pr.dst].name,
                                    format!(
                                        "its core needs more than {} learning rules",
                                        spikefab_chip::model::plasticity::MAX_RULES
                                    ),
                                ));
                            }
                            id as u8 + 1
                        }
                    };
                    let axon = builders[local].push(
                        x.source,
                        RowSynapse {
                            target: x.slot,
                            weight: x.weight,
                            delay: delays[k],
                            rule,
                            shift: pr.shift,
                        },
                    );
                    if let Some(a) = axon {
                        run.open(x.core - block_core, a);
                    }
                }
            }
            run.flush(block_core, opened);
        }
        Ok(())
    };
    for chunk_start in (0..n_sources as u32).step_by(CHUNK_SOURCES as usize) {
        let chunk_end = (chunk_start + CHUNK_SOURCES).min(n_sources as u32);
        let share =
            |i: usize| chunk_start + ((chunk_end - chunk_start) as usize * i / threads) as u32;
        let mut results: Vec<Result<()>> = Vec::with_capacity(threads);
        if threads == 1 {
            deal(chunk_start..chunk_end, &mut dealt[0], &rows);
            let mut all: Vec<&mut [Vec<PendingSynapse>]> = vec![&mut dealt[0][..]];
            results.push(append(
                0,
                0,
                builder_parts[0],
                rule_parts[0],
                &mut all,
                &mut opened_parts[0],
            ));
        } else {
            std::thread::scope(|sc| {
                for (i, buckets) in dealt.iter_mut().enumerate() {
                    let (deal, rows) = (&deal, &rows);
                    sc.spawn(move || deal(share(i)..share(i + 1), buckets, rows));
                }
            });
            // thread i's blocks of every dealer's buckets
            let mut by_thread: Vec<Vec<&mut [Vec<PendingSynapse>]>> =
                (0..threads).map(|_| Vec::with_capacity(threads)).collect();
            for dealer in dealt.iter_mut() {
                for (i, part) in split_at(&mut dealer[..], &block_split)
                    .into_iter()
                    .enumerate()
                {
                    by_thread[i].push(part);
                }
            }
            results = std::thread::scope(|sc| {
                let handles: Vec<_> = by_thread
                    .iter_mut()
                    .zip(builder_parts.iter_mut())
                    .zip(rule_parts.iter_mut())
                    .zip(opened_parts.iter_mut())
                    .enumerate()
                    .map(|(i, (((dealt, builders), rules), opened))| {
                        let append = &append;
                        let (b0, c0) = (block_split[i], core_split[i]);
                        sc.spawn(move || append(b0, c0, builders, rules, dealt, opened))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            });
        }
        // the first error in block order, as one thread would meet it
        results.into_iter().collect::<Result<()>>()?;
        // each source's routes — one per core it feeds, a new axon there —
        // in source order (counting sort), cores in order
        let n = (chunk_end - chunk_start) as usize;
        let mut at = vec![0usize; n + 1];
        for &(g, _, _) in opened_parts.iter().flatten() {
            at[(g - chunk_start) as usize + 1] += 1;
        }
        for i in 0..n {
            at[i + 1] += at[i];
        }
        let mut round = vec![(0, 0); at[n]];
        let mut cursor = at.clone();
        for &(g, c, a) in opened_parts.iter().flatten() {
            let i = &mut cursor[(g - chunk_start) as usize];
            round[*i] = (c, a);
            *i += 1;
        }
        debug_assert!(at.windows(2).all(|w| round[w[0]..w[1]].is_sorted()));
        dest.push_round(round, &at);
        // this round's rows are in the tables now
        order.for_each_row(chunk_start..chunk_end, |_, k, s| rows[k][s] = Vec::new());
        if (chunk_end / CHUNK_SOURCES) % RELEASE_ROUNDS == 0 {
            crate::parallel::release_freed_memory();
        }
    }
    drop(rows);
    drop(dealt);
    drop(builder_parts);
    drop(rule_parts);
    crate::parallel::release_freed_memory();
    let q = &*q;
    let mut tables: Vec<SynapseTable> = builders
        .into_iter()
        .map(SynapseTableBuilder::finish)
        .collect();

    // 3. place: messages between cores when every neuron fires once
    let n_cores = cores.len();
    let mut pairs: HashMap<(usize, usize), u64> = HashMap::new();
    // dense while the matrix is small (every core may feed every other)
    let mut dense = if n_cores <= 4096 {
        vec![0u64; n_cores * n_cores]
    } else {
        Vec::new()
    };
    for (p, homes) in home.iter().enumerate() {
        for (n, &(from, _)) in homes.iter().enumerate() {
            let from = from as usize;
            for &(to, _) in dest.of((pop_off[p] + n) as u32) {
                if dense.is_empty() {
                    *pairs.entry((from, to as usize)).or_default() += 1;
                } else {
                    dense[from * n_cores + to as usize] += 1;
                }
            }
        }
    }
    let traffic: Vec<((usize, usize), u64)> = {
        let mut t: Vec<_> = if dense.is_empty() {
            pairs.into_iter().collect()
        } else {
            dense
                .iter()
                .enumerate()
                .filter(|(_, &w)| w > 0)
                .map(|(i, &w)| ((i / n_cores, i % n_cores), w))
                .collect()
        };
        t.retain(|((a, b), _)| a != b);
        t.sort_unstable();
        t
    };
    on_stage(crate::Stage::Placing);
    let (placement, cost) = match (placing, &forced_ids) {
        (_, Some(ids)) => {
            let pl: Vec<usize> = ids.iter().map(|&c| c as usize).collect();
            let c = placement_cost(arch, &traffic, &pl);
            (
                pl,
                PlacementCost {
                    in_order: c,
                    optimized: c,
                },
            )
        }
        (Placing::Anneal { seed }, None) => place(arch, cores.len(), &traffic, seed),
        (Placing::Forced(_), None) => unreachable!("a forced placement resolves to core ids"),
    };

    on_stage(crate::Stage::Emitting);
    let mut core_cfgs = Vec::with_capacity(cores.len());
    for (c, members) in cores.iter().enumerate() {
        let mut groups = Vec::new();
        // the core's neurons, in order, by their index among all sources
        let sources: Vec<u32> = members
            .iter()
            .flat_map(|&si| {
                let s = &slices[si];
                (s.start..s.end).map(|n| (pop_off[s.population] + n) as u32)
            })
            .collect();
        for &si in members {
            let s = &slices[si];
            let qp = &q.populations[s.population];
            let name = format!("{}[{}..{}]", qp.group.name, s.start, s.end);
            groups.push(qp.group.slice(s.start..s.end, name));
        }
        let n_routes: usize = sources.iter().map(|&g| dest.of(g).len()).sum();
        if n_routes > lim.max_routes as usize {
            let name = &net.populations[slices[members[0]].population].name;
            return Err(too_big(
                name,
                format!(
                    "its core needs more than {} routing entries",
                    lim.max_routes
                ),
            ));
        }
        core_cfgs.push(CoreConfig {
            core_id: placement[c] as u32,
            groups,
            synapses: std::mem::take(&mut tables[c]),
            // straight into the table, sized exactly (at 1 M neurons the
            // routes are 2 GB, and a list per neuron first was 10⁶
            // allocations and a copy of them all)
            routes: {
                let mut t = RouteTable::with_capacity(sources.len(), n_routes);
                for &g in &sources {
                    dest.routes(g).for_each(|r| t.push(r));
                    t.end_source();
                    dest.release(g);
                }
                t
            },
            learning: std::mem::take(&mut rules[c]),
        });
    }
    let inputs: Vec<Vec<Route>> = net
        .inputs
        .iter()
        .enumerate()
        .flat_map(|(k, i)| (0..i.size).map(move |n| (k, n)))
        .map(|(k, n)| dest.routes((in_off[k] + n) as u32).collect())
        .collect();
    // Where input spikes are sent from: as placed (blocks are consecutive,
    // so expanding them is linear in the channels), else from the first
    // target's core.
    let input_cores: Vec<u32> = match &resolved {
        Some(r) if r.inputs.iter().any(|b| !b.is_empty()) => net
            .inputs
            .iter()
            .zip(&r.inputs)
            .flat_map(|(i, blocks)| {
                let placed = blocks
                    .iter()
                    .flat_map(|&(phys, a, b)| std::iter::repeat_n(Some(phys), b - a));
                // An input the file does not place has no blocks.
                placed.chain(std::iter::repeat_n(
                    None,
                    if blocks.is_empty() { i.size } else { 0 },
                ))
            })
            .zip(&inputs)
            .map(|(placed, routes)| {
                placed
                    .or_else(|| routes.first().map(|r| placement[r.core as usize] as u32))
                    .unwrap_or(placement[0] as u32)
            })
            .collect(),
        _ => Vec::new(),
    };
    let outputs = net
        .outputs
        .iter()
        .flat_map(|o| {
            let p = net.population(o).expect("validated");
            home[p]
                .iter()
                .map(|&(core, neuron)| OutputPort { core, neuron })
        })
        .collect();
    let layers = net
        .populations
        .iter()
        .zip(&q.populations)
        .map(|(p, qp)| LayerScale {
            name: p.name.clone(),
            weight_scale: 2f64.powi(qp.group.weight_exp as i32) / qp.gain,
            weight_exp: qp.group.weight_exp,
        })
        .collect();
    let out_latency = net
        .outputs
        .iter()
        .filter_map(|o| net.population(o))
        .map(|p| q.depths[p])
        .max()
        .unwrap_or(0);
    let program = CoreProgram {
        format_version: PROGRAM_FORMAT_VERSION,
        arch: arch.clone(),
        dt: net.dt,
        cores: core_cfgs,
        inputs: RouteTable::from_lists(&inputs),
        input_cores,
        outputs,
        provenance: Provenance {
            source: net.name.clone(),
            source_sha256: None,
            producer: concat!("spikefab-compiler ", env!("CARGO_PKG_VERSION")).into(),
            layers,
            output_latency_steps: out_latency,
        },
        noise_seed: net.noise_seed,
    };
    Ok(Mapped {
        program,
        slices: per_pop,
        placement: cost,
    })
}

/// Steps 1 and 2: slices that fit a core, packed next-fit into cores.
#[allow(clippy::type_complexity)]
fn partition_and_pack(
    net: &Network,
    q: &QuantizedNetwork,
    arch: &Arch,
    order: &SourceOrder,
    fan_in: &[Vec<u32>],
    branches: &[usize],
    threads: usize,
) -> Result<(Vec<Slice>, Vec<Vec<Slice>>, Vec<Vec<usize>>)> {
    let lim = arch.core;
    // 1. partition
    let too_big = |layer: &str, message: String| CompileError::DoesNotFit {
        layer: layer.to_string(),
        arch: arch.name.clone(),
        message,
    };
    let mut slices: Vec<Slice> = Vec::new();
    // per slice, its distinct sources in order
    let mut slice_sources: Vec<Vec<u32>> = Vec::new();
    let mut per_pop: Vec<Vec<Slice>> = Vec::new();
    for (p, pop) in net.populations.iter().enumerate() {
        if let Some((i, &c)) = fan_in[p]
            .iter()
            .enumerate()
            .find(|(_, &c)| c > lim.max_synapses)
        {
            return Err(too_big(
                &pop.name,
                format!(
                    "neuron {i} has {c} incoming synapses, a core holds {} synapse words",
                    lim.max_synapses
                ),
            ));
        }
        // slice `i` of `size` neurons, with its sources, fits a core
        let fits = |size: usize, i: usize, sources: &[u32]| -> bool {
            let (a, b) = (i * size, ((i + 1) * size).min(pop.size));
            let syn: u64 = fan_in[p][a..b].iter().map(|&c| c as u64).sum();
            syn <= lim.max_synapses as u64 && sources.len() <= lim.max_axons as usize
        };
        // Every slice of a scheduled layer holds the layer's whole table.
        let entries = pop.schedule.as_ref().map_or(0, |s| s.len());
        if entries > lim.schedule_entries as usize {
            return Err(too_big(
                &pop.name,
                format!(
                    "its schedule has {entries} entries, a core's schedule memory holds {}",
                    lim.schedule_entries
                ),
            ));
        }
        // A dendritic neuron takes a compartment per branch besides its soma.
        let per = compartments(pop);
        if per > lim.max_neurons as usize {
            return Err(too_big(
                &pop.name,
                format!(
                    "one neuron takes {per} compartments (a soma and its branches), a core holds {}",
                    lim.max_neurons
                ),
            ));
        }
        let mut size = pop.size.min(lim.max_neurons as usize / per);
        let mut sources = order.slice_sources(q, p, branches[p], pop.size, size, threads);
        while size > 1
            && !sources
                .iter()
                .enumerate()
                .all(|(i, srcs)| fits(size, i, srcs))
        {
            size = size * 3 / 4;
            sources = order.slice_sources(q, p, branches[p], pop.size, size, threads);
        }
        // (above one neuron a slice fits only if its first neuron does)
        if pop.size > 0 && !fits(size, 0, &sources[0]) {
            return Err(too_big(
                &pop.name,
                format!(
                    "one neuron already needs more than {} input axons",
                    lim.max_axons
                ),
            ));
        }
        let mine: Vec<Slice> = (0..pop.size)
            .step_by(size)
            .map(|a| Slice {
                population: p,
                start: a,
                end: (a + size).min(pop.size),
            })
            .collect();
        slices.extend(mine.iter().cloned());
        slice_sources.extend(sources);
        per_pop.push(mine);
    }

    // 2. pack (next fit)
    let mut cores: Vec<Vec<usize>> = Vec::new(); // slice indices per core
    let (mut n_neurons, mut n_syn, mut n_sched) = (0usize, 0u64, 0usize);
    // The current core's distinct sources, sorted.
    let mut axons: Vec<u32> = Vec::new();
    for (si, s) in slices.iter().enumerate() {
        let neurons = (s.end - s.start) * compartments(&net.populations[s.population]);
        let sched = net.populations[s.population]
            .schedule
            .as_ref()
            .map_or(0, |x| x.len());
        let syn: u64 = fan_in[s.population][s.start..s.end]
            .iter()
            .map(|&c| c as u64)
            .sum();
        let srcs = std::mem::take(&mut slice_sources[si]);
        // the axon count last: a merge of two source lists (≈ 230 k each
        // at 1 M neurons), only for a slice that fits otherwise
        let fits = !cores.is_empty()
            && n_neurons + neurons <= lim.max_neurons as usize
            && n_syn + syn <= lim.max_synapses as u64
            && n_sched + sched <= lim.schedule_entries as usize
            && union_len(&axons, &srcs) <= lim.max_axons as usize;
        if fits {
            cores.last_mut().expect("non-empty").push(si);
            n_neurons += neurons;
            n_syn += syn;
            n_sched += sched;
            axons = union(&axons, &srcs);
        } else {
            cores.push(vec![si]);
            n_neurons = neurons;
            n_syn = syn;
            n_sched = sched;
            axons = srcs;
        }
    }
    let available = arch.topology.num_cores();
    if cores.len() > available {
        let (worst, count) = per_pop
            .iter()
            .enumerate()
            .map(|(p, v)| (p, v.len()))
            .max_by_key(|x| x.1)
            .unwrap_or((0, 0));
        return Err(CompileError::TooManyCores {
            arch: arch.name.clone(),
            needed: cores.len(),
            available,
            detail: format!(
                "layer '{}' alone needs {count} cores ({} neurons, {} synapses)",
                net.populations[worst].name,
                net.populations[worst].size,
                fan_in[worst].iter().map(|&c| c as u64).sum::<u64>()
            ),
        });
    }

    Ok((slices, per_pop, cores))
}

/// Slices and cores as a placement file says; program core `c` is physical
/// core `ids[c]`, in order of first mention.
#[allow(clippy::type_complexity)]
fn forced(
    net: &Network,
    arch: &Arch,
    r: &Resolved,
) -> Result<(Vec<Slice>, Vec<Vec<Slice>>, Vec<Vec<usize>>, Vec<u32>)> {
    let mut slices = Vec::new();
    let mut per_pop = Vec::new();
    let mut cores: Vec<Vec<usize>> = Vec::new();
    let mut ids: Vec<u32> = Vec::new();
    let mut index: HashMap<u32, usize> = HashMap::new();
    let mut neurons: Vec<usize> = Vec::new();
    for (p, blocks) in r.populations.iter().enumerate() {
        let mut mine = Vec::with_capacity(blocks.len());
        for &(phys, start, end) in blocks {
            let s = Slice {
                population: p,
                start,
                end,
            };
            let c = *index.entry(phys).or_insert_with(|| {
                cores.push(Vec::new());
                ids.push(phys);
                neurons.push(0);
                cores.len() - 1
            });
            neurons[c] += (end - start) * compartments(&net.populations[p]);
            if neurons[c] > arch.core.max_neurons as usize {
                return Err(CompileError::DoesNotFit {
                    layer: net.populations[p].name.clone(),
                    arch: arch.name.clone(),
                    message: format!(
                        "the placement puts {} compartments (somas and dendritic branches) on core {phys}, which holds {}",
                        neurons[c], arch.core.max_neurons
                    ),
                });
            }
            cores[c].push(slices.len());
            slices.push(s.clone());
            mine.push(s);
        }
        per_pop.push(mine);
    }
    Ok((slices, per_pop, cores, ids))
}

/// The core compartments one neuron of `pop` takes: its soma and, if it
/// is dendritic, one per branch (chip/src/model/dendrites.rs).
fn compartments(pop: &crate::network::Population) -> usize {
    1 + pop.dendrites.map_or(0, |d| d.branches)
}

/// Mesh hops between two physical cores.
fn hops(arch: &Arch, a: usize, b: usize) -> u64 {
    let (ta, tb) = (arch.topology.tile_of(a), arch.topology.tile_of(b));
    (ta.x.abs_diff(tb.x) + ta.y.abs_diff(tb.y)) as u64
}

/// Messages × hops of one all-neurons-fire step under placement `pl`.
fn placement_cost(arch: &Arch, traffic: &[((usize, usize), u64)], pl: &[usize]) -> u64 {
    traffic
        .iter()
        .map(|&((a, b), w)| w * hops(arch, pl[a], pl[b]))
        .sum()
}

/// Every source neuron of a network — inputs, then populations: global-id
/// order — with the projections leaving it, in network order.
struct SourceOrder {
    /// Per input or population: its first global id, its size, and the
    /// projections from it.
    groups: Vec<(u32, usize, Vec<usize>)>,
}

impl SourceOrder {
    fn new(net: &Network, q: &QuantizedNetwork, in_off: &[usize], pop_off: &[usize]) -> Self {
        let from = |src: Source| -> Vec<usize> {
            (0..q.projections.len())
                .filter(|&k| q.projections[k].src == src)
                .collect()
        };
        let inputs = net
            .inputs
            .iter()
            .enumerate()
            .map(|(k, i)| (in_off[k] as u32, i.size, from(Source::Input(k))));
        let pops = net
            .populations
            .iter()
            .enumerate()
            .map(|(p, pop)| (pop_off[p] as u32, pop.size, from(Source::Population(p))));
        SourceOrder {
            groups: inputs.chain(pops).collect(),
        }
    }

    /// Each source of `sources` (global ids, in order) with each projection
    /// from it: `f(source, projection, the source's row in it)`.
    fn for_each_row(&self, sources: std::ops::Range<u32>, mut f: impl FnMut(u32, usize, usize)) {
        if sources.is_empty() {
            return;
        }
        let mut group = self.groups.partition_point(|x| x.0 <= sources.start) - 1;
        for g in sources {
            while g >= self.groups[group].0 + self.groups[group].1 as u32 {
                group += 1;
            }
            let (base, _, from) = &self.groups[group];
            for &k in from {
                f(g, k, (g - base) as usize);
            }
        }
    }

    /// All source neurons.
    fn sources(&self) -> usize {
        self.groups.iter().map(|g| g.1).sum()
    }

    /// Per slice of `size` neurons of population `p` (its last maybe
    /// shorter), the distinct sources of its synapses in order: visiting
    /// sources in order gives each slice's list sorted and, remembering
    /// the last source each slice saw, without duplicates.
    ///
    /// On `threads` threads each builds the lists of a range of slices,
    /// passing over every synapse (a list is appended to by one thread,
    /// in source order: the same lists for any split).
    fn slice_sources(
        &self,
        q: &QuantizedNetwork,
        p: usize,
        branches: usize,
        neurons: usize,
        size: usize,
        threads: usize,
    ) -> Vec<Vec<u32>> {
        let n = neurons.div_ceil(size.max(1));
        let rows: usize = q
            .projections
            .iter()
            .filter(|pr| pr.dst == p)
            .map(|pr| pr.by_source.len())
            .sum();
        let parts = threads.min(rows / ROWS_A_THREAD).clamp(1, n.max(1));
        let lists = crate::parallel::in_chunks(parts, parts, |i| {
            self.slice_sources_in(q, p, branches, size, n * i / parts..n * (i + 1) / parts)
        });
        lists.into_iter().flatten().collect()
    }

    /// [`Self::slice_sources`] for the slices `mine` only.
    fn slice_sources_in(
        &self,
        q: &QuantizedNetwork,
        p: usize,
        branches: usize,
        size: usize,
        mine: std::ops::Range<usize>,
    ) -> Vec<Vec<u32>> {
        // a slot's slice: t / branches / size, as one division by a
        // constant made a multiply (a hardware division a synapse was a
        // tenth of the partition stage)
        let per_slice = StrengthReducedU32::new((branches * size.max(1)) as u32);
        // one list more, for the other threads' slices: a branch on
        // whether a random target is ours would be mispredicted half the
        // time, and this list takes a source once at most
        let (n_mine, other) = (mine.len(), mine.len());
        let mut lists = vec![Vec::new(); n_mine + 1];
        let mut last = vec![u32::MAX; n_mine + 1];
        for (base, len, from) in &self.groups {
            let into: Vec<_> = from
                .iter()
                .map(|&k| &q.projections[k])
                .filter(|pr| pr.dst == p)
                .collect();
            if into.is_empty() {
                continue;
            }
            for s in 0..*len {
                let g = base + s as u32;
                for pr in &into {
                    for &(t, _) in &pr.by_source[s] {
                        let i = ((t / per_slice) as usize).wrapping_sub(mine.start);
                        let i = if i < n_mine { i } else { other };
                        if last[i] != g {
                            last[i] = g;
                            lists[i].push(g);
                        }
                    }
                }
            }
        }
        lists.pop();
        lists
    }
}

/// Every source's routes as `(core, axon)`, in rounds of `CHUNK_SOURCES`
/// sources as the table builder makes them. A round is freed once each of
/// its sources' routes has gone into a core's table: otherwise the routes
/// were held twice at the end of the compile (at 1 M neurons 1.8 GB as
/// pairs and 2 GB as tables), which set its peak.
struct RoutesBySource {
    rounds: Vec<Vec<(u32, u32)>>,
    /// Per round, where each of its sources' routes begin in it, and where
    /// the last one's end: source `g` of round `r` is at `g + r`.
    start: Vec<usize>,
    /// Per round, how many of its sources have not been released.
    left: Vec<u32>,
}

impl RoutesBySource {
    fn with_sources(n: usize) -> Self {
        RoutesBySource {
            rounds: Vec::with_capacity(n.div_ceil(CHUNK_SOURCES as usize)),
            start: Vec::with_capacity(n + n.div_ceil(CHUNK_SOURCES as usize)),
            left: Vec::new(),
        }
    }

    /// The next `CHUNK_SOURCES` (or, last, fewer) sources' routes: source
    /// `i` of the round has `routes[at[i]..at[i + 1]]`.
    fn push_round(&mut self, routes: Vec<(u32, u32)>, at: &[usize]) {
        self.start.extend_from_slice(at);
        self.left.push(at.len() as u32 - 1);
        self.rounds.push(routes);
    }

    fn round_of(g: u32) -> usize {
        (g / CHUNK_SOURCES) as usize
    }

    fn of(&self, g: u32) -> &[(u32, u32)] {
        let i = g as usize + Self::round_of(g);
        // (a source is released once, after its last use)
        &self.rounds[Self::round_of(g)][self.start[i]..self.start[i + 1]]
    }

    /// Source `g`'s routes as the program stores them (the compiler sets
    /// no axonal delay: a projection's delay is its synapses').
    fn routes(&self, g: u32) -> impl Iterator<Item = Route> + '_ {
        self.of(g).iter().map(|&(core, axon)| Route {
            core,
            axon,
            delay: 0,
        })
    }

    /// Source `g`'s routes are in their table.
    fn release(&mut self, g: u32) {
        let r = Self::round_of(g);
        self.left[r] -= 1;
        if self.left[r] == 0 {
            self.rounds[r] = Vec::new();
        }
    }
}

/// The axons one source opens in one block of cores, by core: a bit and
/// an axon per core of the block.
#[derive(Default)]
struct OpenedRun {
    // (`cores` is a bit per core of the block)
    source: u32,
    cores: u32,
    axons: [u32; BLOCK_CORES],
}

impl OpenedRun {
    fn open(&mut self, core_in_block: u32, axon: u32) {
        self.cores |= 1 << core_in_block;
        self.axons[core_in_block as usize] = axon;
    }

    /// Lists the run's `(source, core, axon)`s in core order, and empties it.
    fn flush(&mut self, block_core: u32, opened: &mut Vec<(u32, u32, u32)>) {
        while self.cores != 0 {
            let c = self.cores.trailing_zeros();
            self.cores &= self.cores - 1;
            opened.push((self.source, block_core + c, self.axons[c as usize]));
        }
    }
}

/// The size of the union of two sorted, distinct lists.
fn union_len(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
        n += 1;
    }
    n + (a.len() - i) + (b.len() - j)
}

/// The union of two sorted, distinct lists, sorted.
fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        out.push(x.min(y));
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Cores per bucket of the blocked table build: their tables' tails (three
/// arrays each) stay in the first-level cache while a bucket is appended.
const BLOCK_CORES: usize = 32;
/// Below this many source rows, a pass over them runs on one thread (a
/// thread's start is tens of µs, a row's synapses a few hundred ns).
const ROWS_A_THREAD: usize = 1 << 10;
const _: () = assert!(BLOCK_CORES <= u32::BITS as usize, "OpenedRun's mask");
/// Sources per round of the blocked table build: its buckets hold this
/// many sources' synapses (≈ 4 MB at 256 synapses a source).
const CHUNK_SOURCES: u32 = 1024;
/// Rounds of the table build between handing the freed rows back to the
/// system: often enough that the rows drain as the tables fill (64 rounds
/// of P16k's rows are 128 MiB), seldom enough that the heap walks cost
/// nothing beside the build.
const RELEASE_ROUNDS: u32 = 64;

/// A synapse on its way to its core's table.
#[derive(Clone, Copy)]
struct PendingSynapse {
    source: u32,
    core: u32,
    projection: u32,
    slot: u16,
    weight: i16,
}

/// `v` cut at the ascending indices `at` (first 0, last `v.len()`): the
/// pieces between consecutive cuts.
fn split_at<'a, T>(mut v: &'a mut [T], at: &[usize]) -> Vec<&'a mut [T]> {
    let mut pieces = Vec::with_capacity(at.len().saturating_sub(1));
    for w in at.windows(2) {
        let (piece, rest) = std::mem::take(&mut v).split_at_mut(w[1] - w[0]);
        pieces.push(piece);
        v = rest;
    }
    pieces
}

/// Where each input slot of a population lives — (core, slot there) —
/// as runs of consecutive neurons that are consecutive on one core (a
/// slice, or several), found through a coarse index.
///
/// It replaces a per-neuron table in the table builder's inner loop: on a
/// large network that table (8 bytes a neuron) is a cache miss a synapse,
/// and each miss also evicts the lines the 1,024 tables are being appended
/// to, so that every append misses too — most of the compile's time at
/// 1 M neurons. The runs and the index (one entry per
/// [`SlotMap::BLOCK`] neurons) stay in cache.
struct SlotMap {
    /// First neuron of each run, then the population's size.
    starts: Vec<u32>,
    /// Each run's core and the slot of its first neuron there.
    at: Vec<(u32, u32)>,
    /// Per block of neurons, the run its first neuron is in.
    block: Vec<u32>,
    branches: u32,
    /// `branches` as a multiply (a division a synapse otherwise).
    per_neuron: StrengthReducedU32,
}

impl SlotMap {
    const BLOCK_BITS: u32 = 6;
    const BLOCK: usize = 1 << Self::BLOCK_BITS;

    /// From each neuron's (core, first input slot).
    fn new(first_slot: &[(u32, u32)], branches: u32) -> Self {
        let (mut starts, mut at) = (Vec::new(), Vec::new());
        for (n, &(c, slot)) in first_slot.iter().enumerate() {
            let continues = at.last().is_some_and(|&(c0, s0): &(u32, u32)| {
                let start = *starts.last().expect("a run has a start") as usize;
                c0 == c && s0 as usize + (n - start) * branches as usize == slot as usize
            });
            if !continues {
                starts.push(n as u32);
                at.push((c, slot));
            }
        }
        starts.push(first_slot.len() as u32);
        let mut block = Vec::with_capacity(first_slot.len().div_ceil(Self::BLOCK));
        let mut run = 0usize;
        for b in (0..first_slot.len()).step_by(Self::BLOCK) {
            while starts[run + 1] as usize <= b {
                run += 1;
            }
            block.push(run as u32);
        }
        SlotMap {
            starts,
            at,
            block,
            branches,
            per_neuron: StrengthReducedU32::new(branches),
        }
    }

    /// Input slot `t` (`neuron · branches + branch`): its core and its slot
    /// there.
    #[inline]
    fn get(&self, t: u32) -> (u32, u32) {
        let (n, branch) = StrengthReducedU32::div_rem(t, self.per_neuron);
        let mut run = self.block[(n >> Self::BLOCK_BITS) as usize] as usize;
        while self.starts[run + 1] <= n {
            run += 1;
        }
        let (c, first) = self.at[run];
        (c, first + (n - self.starts[run]) * self.branches + branch)
    }
}

/// Neighbour visits the annealer may spend on one placement.
const PLACEMENT_WORK: usize = 100_000_000;

/// Physical core for every program core, and the cost before and after.
fn place(
    arch: &Arch,
    n: usize,
    traffic: &[((usize, usize), u64)],
    seed: u64,
) -> (Vec<usize>, PlacementCost) {
    let topo = &arch.topology;
    let slots = topo.num_cores();
    // Every slot's tile, looked up rather than divided out per move.
    let tiles: Vec<(u32, u32)> = (0..slots)
        .map(|s| {
            let t = topo.tile_of(s);
            (t.x, t.y)
        })
        .collect();
    let dist = |a: usize, b: usize| {
        let (ta, tb) = (tiles[a], tiles[b]);
        (ta.0.abs_diff(tb.0) + ta.1.abs_diff(tb.1)) as u64
    };
    let cost = |pl: &[usize]| placement_cost(arch, traffic, pl);
    let in_order: Vec<usize> = (0..n).collect();
    let base = cost(&in_order);
    if n < 2 || traffic.is_empty() {
        return (
            in_order,
            PlacementCost {
                in_order: base,
                optimized: base,
            },
        );
    }
    // slot → program core (or none)
    let mut at: Vec<Option<usize>> = (0..slots).map(|s| (s < n).then_some(s)).collect();
    let mut pl = in_order.clone();
    let mut neighbours: Vec<Vec<(usize, u64)>> = vec![Vec::new(); n];
    for &((a, b), w) in traffic {
        neighbours[a].push((b, w));
        neighbours[b].push((a, w));
    }
    let local = |pl: &[usize], c: usize, slot: usize, skip: Option<usize>| -> u64 {
        neighbours[c]
            .iter()
            .filter(|(o, _)| Some(*o) != skip)
            .map(|&(o, w)| w * dist(slot, pl[o]))
            .sum()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cur = base;
    let (mut best, mut best_pl) = (base, pl.clone());
    // A move costs its two cores' neighbour lists (four sums over them);
    // the work is capped so that placement time stays bounded when every
    // core talks to every other (large random networks, where moves gain
    // little anyway) and unchanged for networks of a few dozen cores.
    let mean_degree = (2 * traffic.len()).div_ceil(n);
    let iters = (4000 * n)
        .min(400_000)
        .min(PLACEMENT_WORK / (4 * mean_degree).max(1));
    let t0 = (base as f64 / traffic.len() as f64).max(1.0);
    for it in 0..iters {
        let temp = t0 * (1.0 - it as f64 / iters as f64) + 1e-3;
        let c = rng.random_range(0..n);
        let slot = rng.random_range(0..slots);
        let from = pl[c];
        if slot == from {
            continue;
        }
        let other = at[slot];
        let before = local(&pl, c, from, None) + other.map_or(0, |o| local(&pl, o, slot, Some(c)));
        // apply
        pl[c] = slot;
        if let Some(o) = other {
            pl[o] = from;
        }
        let after = local(&pl, c, slot, None) + other.map_or(0, |o| local(&pl, o, from, Some(c)));
        let delta = after as f64 - before as f64;
        if delta <= 0.0 || rng.random_bool((-delta / temp).exp().min(1.0)) {
            at[slot] = Some(c);
            at[from] = other;
            cur = (cur as i64 + delta as i64) as u64;
            if cur < best {
                best = cur;
                best_pl.clone_from(&pl);
            }
        } else {
            pl[c] = from;
            if let Some(o) = other {
                pl[o] = slot;
            }
        }
    }
    let optimized = cost(&best_pl);
    (
        best_pl,
        PlacementCost {
            in_order: base,
            optimized,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::{OpenedRun, SlotMap, BLOCK_CORES};
    use proptest::prelude::*;

    proptest! {
        /// A block's axons, opened in any order, are listed in core order.
        #[test]
        fn a_run_lists_its_axons_in_core_order(
            cores in prop::collection::vec(0u32..BLOCK_CORES as u32, 0..40),
        ) {
            let mut run = OpenedRun { source: 7, ..Default::default() };
            let mut expected = Vec::new();
            for (axon, &c) in cores.iter().enumerate() {
                if !expected.iter().any(|&(_, core, _)| core == 64 + c) {
                    run.open(c, axon as u32);
                    expected.push((7, 64 + c, axon as u32));
                }
            }
            expected.sort_unstable();
            let mut opened = Vec::new();
            run.flush(64, &mut opened);
            prop_assert_eq!(&opened, &expected);
            run.flush(64, &mut opened);
            prop_assert_eq!(opened.len(), expected.len());
        }

        /// The runs and their index give every input slot the core and slot
        /// the per-neuron table gives — for runs longer and shorter than an
        /// index block, single neurons alternating cores, several branches.
        #[test]
        fn slot_map_agrees_with_the_per_neuron_table(
            runs in prop::collection::vec((1usize..150, 0u32..4), 1..40),
            branches in 1u32..4,
        ) {
            let mut table = Vec::new();
            let mut next_slot = [0u32; 4];
            for &(len, core) in &runs {
                for _ in 0..len {
                    table.push((core, next_slot[core as usize]));
                    next_slot[core as usize] += branches;
                }
            }
            let map = SlotMap::new(&table, branches);
            for (n, &(core, first)) in table.iter().enumerate() {
                for b in 0..branches {
                    let t = n as u32 * branches + b;
                    prop_assert_eq!(map.get(t), (core, first + b));
                }
            }
        }
    }
}
