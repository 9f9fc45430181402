//! Modules of a weight graph — network neuroscience's view of a network
//! (issue 13; HebbFF's module reconfiguration, Gu et al. 2023, arXiv
//! 2311.05862): Louvain communities (Blondel et al. 2008; our own, deterministic) of the
//! undirected graph weighted by |w|, Newman's modularity
//!
//! ```text
//! Q = 1/(2m) Σ_ij [A_ij − k_i k_j / (2m)] δ(c_i, c_j)
//! ```
//!
//! and, across snapshots, each node's flexibility: the fraction of
//! consecutive snapshots between which its module changed (Bassett et al.
//! 2011), with module labels carried from one snapshot to the next by
//! largest overlap.

use std::collections::{BTreeMap, HashSet};

mod louvain;

/// Nodes a module analysis takes at most (Louvain's memory and time).
pub const MAX_NODES: usize = 1 << 20;

/// A partition of a graph's nodes into modules.
#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    /// Per node its module, `None` for a node without weight (no module).
    pub module: Vec<Option<u32>>,
    /// Modules (of the nodes with weight).
    pub modules: usize,
    /// Newman's modularity of the partition.
    pub q: f64,
}

/// The Louvain partition of the graph on `nodes` nodes with undirected
/// `edges` `(a, b, weight)`: weights are taken as |weight|, parallel edges
/// summed, self-loops and zero weights dropped. Deterministic for a `seed`.
/// Modules are numbered by their smallest node.
pub fn partition(nodes: usize, edges: &[(u32, u32, f64)], seed: u64) -> Result<Partition, String> {
    if nodes > MAX_NODES {
        return Err(format!(
            "{nodes} nodes is more than the {MAX_NODES} a module analysis takes"
        ));
    }
    let mut summed: BTreeMap<(u32, u32), f64> = BTreeMap::new();
    for &(a, b, w) in edges {
        if a as usize >= nodes || b as usize >= nodes {
            return Err(format!("edge ({a}, {b}) names a node past {nodes}"));
        }
        if !w.is_finite() {
            return Err(format!("edge ({a}, {b}) has weight {w}"));
        }
        if a != b && w != 0.0 {
            *summed.entry((a.min(b), a.max(b))).or_default() += w.abs();
        }
    }
    if summed.is_empty() {
        return Ok(Partition {
            module: vec![None; nodes],
            modules: 0,
            q: 0.0,
        });
    }
    let edges: Vec<((u32, u32), f64)> = summed.into_iter().collect();
    let (module, modules, q) = louvain::communities(nodes, &edges, seed);
    Ok(Partition { module, modules, q })
}

/// `next`'s modules relabelled to follow `prev`'s labels: pairs of (next
/// module, prev label) taken by decreasing overlap, each label and module
/// once; a module left over gets a label `prev` does not use.
pub fn carry_labels(prev: &[Option<u32>], next: &[Option<u32>]) -> Vec<Option<u32>> {
    let mut overlap: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    for (p, n) in prev.iter().zip(next) {
        if let (Some(p), Some(n)) = (p, n) {
            *overlap.entry((*n, *p)).or_default() += 1;
        }
    }
    let mut pairs: Vec<((u32, u32), usize)> = overlap.into_iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let (mut to, mut used) = (BTreeMap::new(), HashSet::new());
    for ((n, p), _) in pairs {
        if !to.contains_key(&n) && used.insert(p) {
            to.insert(n, p);
        }
    }
    let mut fresh = prev.iter().flatten().copied().max().map_or(0, |m| m + 1);
    next.iter()
        .map(|n| {
            n.map(|n| {
                *to.entry(n).or_insert_with(|| {
                    fresh += 1;
                    fresh - 1
                })
            })
        })
        .collect()
}

/// The fraction of nodes with a module in both partitions whose module
/// differs (labels as [`carry_labels`] left them).
pub fn changed(prev: &[Option<u32>], next: &[Option<u32>]) -> f64 {
    let (mut both, mut moved) = (0usize, 0usize);
    for (p, n) in prev.iter().zip(next) {
        if let (Some(p), Some(n)) = (p, n) {
            both += 1;
            moved += (p != n) as usize;
        }
    }
    if both == 0 {
        0.0
    } else {
        moved as f64 / both as f64
    }
}

/// Q of `edges` with their weights shuffled among them (a permutation drawn
/// from `seed`): the modularity these weights give by chance on this
/// topology — the null for a dense graph whose modules, if any, are in its
/// weights.
pub fn null_q(nodes: usize, edges: &[(u32, u32, f64)], seed: u64) -> Result<f64, String> {
    use rand::seq::SliceRandom;
    use rand::SeedableRng;
    let mut w: Vec<f64> = edges.iter().map(|e| e.2).collect();
    w.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    let shuffled: Vec<(u32, u32, f64)> = edges.iter().zip(w).map(|(e, w)| (e.0, e.1, w)).collect();
    Ok(partition(nodes, &shuffled, seed)?.q)
}

/// Modules over a sequence of snapshots of one graph's weights.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModuleTrace {
    /// Per snapshot: Q, module count, and the fraction of nodes that changed
    /// module since the snapshot before (0 for the first).
    pub q: Vec<f64>,
    /// Per snapshot, the null model's Q: the same weights shuffled over the
    /// same edges (seeded), partitioned alike — what Louvain finds in a
    /// graph without the learned structure.
    pub null_q: Vec<f64>,
    pub modules: Vec<usize>,
    pub changed: Vec<f64>,
    /// Mean over nodes of each node's changes / (snapshots − 1).
    pub flexibility: f64,
}

/// [`ModuleTrace`] of the snapshots: `weights[s][e]` is edge `e`'s weight
/// in snapshot `s`, `ends[e]` its two nodes.
pub fn trace(
    nodes: usize,
    ends: &[(u32, u32)],
    weights: &[Vec<f64>],
    seed: u64,
) -> Result<ModuleTrace, String> {
    let mut t = ModuleTrace::default();
    let mut prev: Option<Vec<Option<u32>>> = None;
    let mut changes = vec![0usize; nodes];
    for (s, w) in weights.iter().enumerate() {
        if w.len() != ends.len() {
            return Err(format!(
                "snapshot {s} has {} weights for {} edges",
                w.len(),
                ends.len()
            ));
        }
        let edges: Vec<(u32, u32, f64)> =
            ends.iter().zip(w).map(|(&(a, b), &w)| (a, b, w)).collect();
        let p = partition(nodes, &edges, seed)?;
        let labels = match &prev {
            None => p.module.clone(),
            Some(prev) => carry_labels(prev, &p.module),
        };
        let moved = prev.as_ref().map_or(0.0, |prev| changed(prev, &labels));
        if let Some(prev) = &prev {
            for (c, (a, b)) in changes.iter_mut().zip(prev.iter().zip(&labels)) {
                *c += (a.is_some() && b.is_some() && a != b) as usize;
            }
        }
        t.q.push(p.q);
        t.null_q.push(null_q(nodes, &edges, seed ^ (s as u64 + 1))?);
        t.modules.push(p.modules);
        t.changed.push(moved);
        prev = Some(labels);
    }
    if weights.len() > 1 && nodes > 0 {
        let steps = (weights.len() - 1) as f64;
        t.flexibility = changes.iter().map(|&c| c as f64 / steps).sum::<f64>() / nodes as f64;
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `k` cliques of `n` nodes, each joined to the next by one edge of
    /// weight `bridge`.
    fn cliques(k: u32, n: u32, bridge: f64) -> Vec<(u32, u32, f64)> {
        let mut e = Vec::new();
        for c in 0..k {
            for i in 0..n {
                for j in i + 1..n {
                    e.push((c * n + i, c * n + j, 1.0));
                }
            }
            e.push((c * n, ((c + 1) % k) * n + 1, bridge));
        }
        e
    }

    /// Newman's Q from its definition, for a partition given per node.
    fn q_by_definition(nodes: usize, edges: &[(u32, u32, f64)], m: &[Option<u32>]) -> f64 {
        let mut a = vec![vec![0.0; nodes]; nodes];
        for &(i, j, w) in edges {
            a[i as usize][j as usize] += w.abs();
            a[j as usize][i as usize] += w.abs();
        }
        let k: Vec<f64> = a.iter().map(|r| r.iter().sum()).collect();
        let two_m: f64 = k.iter().sum();
        let mut q = 0.0;
        for i in 0..nodes {
            for j in 0..nodes {
                if m[i].is_some() && m[i] == m[j] {
                    q += a[i][j] - k[i] * k[j] / two_m;
                }
            }
        }
        q / two_m
    }

    #[test]
    fn finds_planted_cliques_and_their_modularity() {
        let e = cliques(4, 6, 0.5);
        let p = partition(24, &e, 1).unwrap();
        assert_eq!(p.modules, 4);
        for c in 0..4 {
            let m = p.module[c * 6];
            assert!((c * 6..c * 6 + 6).all(|i| p.module[i] == m));
        }
        let q = q_by_definition(24, &e, &p.module);
        assert!((p.q - q).abs() < 1e-4, "{} vs {q}", p.q);
        // Where the weights carry the modules — every pair joined, strongly
        // within four groups, weakly across — the planted Q is far above
        // what the same weights give shuffled over the same edges; where the
        // topology carries them, shuffling keeps them.
        let complete: Vec<(u32, u32, f64)> = (0..24u32)
            .flat_map(|i| (i + 1..24).map(move |j| (i, j, if i / 6 == j / 6 { 1.0 } else { 0.05 })))
            .collect();
        let planted = partition(24, &complete, 1).unwrap().q;
        let null = null_q(24, &complete, 1).unwrap();
        assert!(
            planted > 0.5 && null < 0.3,
            "planted {planted}, null {null}"
        );
        assert!(null_q(24, &e, 1).unwrap() > 0.5);
        // signs do not matter; isolated nodes have no module
        let neg: Vec<_> = e.iter().map(|&(a, b, w)| (a, b, -w)).collect();
        let p2 = partition(26, &neg, 1).unwrap();
        assert_eq!((p2.modules, p2.module[24], p2.module[25]), (4, None, None));
        assert!((p2.q - p.q).abs() < 1e-6);
    }

    #[test]
    fn flexibility_counts_moves_not_labels() {
        let a = vec![Some(0), Some(0), Some(1), Some(1), None];
        // the same partition under other labels: nobody moved
        let relabelled = carry_labels(&a, &[Some(7), Some(7), Some(3), Some(3), None]);
        assert_eq!(relabelled, a);
        assert_eq!(changed(&a, &relabelled), 0.0);
        // node 1 moves to the other module
        let moved = carry_labels(&a, &[Some(5), Some(6), Some(6), Some(6), Some(6)]);
        assert_eq!(changed(&a, &moved), 0.25);
        // a trace of three snapshots: cliques 0 and 2 become one module
        // when every pair between them gets a weight
        let mut e = cliques(3, 5, 0.1);
        let bridges = e.len();
        e.extend((0..5).flat_map(|i| (10..15).map(move |j| (i, j, 0.0))));
        let ends: Vec<(u32, u32)> = e.iter().map(|&(a, b, _)| (a, b)).collect();
        let w0: Vec<f64> = e.iter().map(|x| x.2).collect();
        let mut w1 = w0.clone();
        w1[bridges..].iter_mut().for_each(|w| *w = 1.0);
        let t = trace(15, &ends, &[w0.clone(), w0, w1], 3).unwrap();
        assert_eq!(t.modules, [3, 3, 2]);
        assert_eq!(t.changed[..2], [0.0, 0.0]);
        assert!((t.changed[2] - 5.0 / 15.0).abs() < 1e-12, "{:?}", t.changed);
        assert!((t.flexibility - 5.0 / 15.0 / 2.0).abs() < 1e-12);
    }

    /// Zachary's karate club (networkx's `karate_club_graph`, unweighted).
    const KARATE: [(u32, u32); 78] = [
        (0, 1),
        (0, 2),
        (0, 3),
        (0, 4),
        (0, 5),
        (0, 6),
        (0, 7),
        (0, 8),
        (0, 10),
        (0, 11),
        (0, 12),
        (0, 13),
        (0, 17),
        (0, 19),
        (0, 21),
        (0, 31),
        (1, 2),
        (1, 3),
        (1, 7),
        (1, 13),
        (1, 17),
        (1, 19),
        (1, 21),
        (1, 30),
        (2, 3),
        (2, 7),
        (2, 8),
        (2, 9),
        (2, 13),
        (2, 27),
        (2, 28),
        (2, 32),
        (3, 7),
        (3, 12),
        (3, 13),
        (4, 6),
        (4, 10),
        (5, 6),
        (5, 10),
        (5, 16),
        (6, 16),
        (8, 30),
        (8, 32),
        (8, 33),
        (9, 33),
        (13, 33),
        (14, 32),
        (14, 33),
        (15, 32),
        (15, 33),
        (18, 32),
        (18, 33),
        (19, 33),
        (20, 32),
        (20, 33),
        (22, 32),
        (22, 33),
        (23, 25),
        (23, 27),
        (23, 29),
        (23, 32),
        (23, 33),
        (24, 25),
        (24, 27),
        (24, 31),
        (25, 31),
        (26, 29),
        (26, 33),
        (27, 33),
        (28, 31),
        (28, 33),
        (29, 32),
        (29, 33),
        (30, 32),
        (30, 33),
        (31, 32),
        (31, 33),
        (32, 33),
    ];

    /// Louvain on the karate club, over 64 seeds, finds what networkx's
    /// does (its 64 seeds: Q 0.392 / 0.417 / 0.4198 min / median / max)
    /// and never more than the proven optimum (0.41979, Brandes et al.
    /// 2008); each Q is that of the partition returned.
    #[test]
    fn karate_club_as_networkx_finds_it() {
        let e: Vec<(u32, u32, f64)> = KARATE.iter().map(|&(a, b)| (a, b, 1.0)).collect();
        let mut qs: Vec<f64> = (0..64)
            .map(|seed| {
                let p = partition(34, &e, seed).unwrap();
                assert!((p.q - q_by_definition(34, &e, &p.module)).abs() < 1e-12);
                p.q
            })
            .collect();
        qs.sort_by(f64::total_cmp);
        let (min, median, max) = (qs[0], qs[32], qs[63]);
        assert!(
            min > 0.38 && median > 0.41 && max < 0.419791,
            "{min} {median} {max}"
        );
    }

    /// The same graph and seed give the same partition every time — on a
    /// graph with many near-ties, where a hash map's order would show.
    #[test]
    fn same_seed_same_partition() {
        let mut x = 7u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let e: Vec<(u32, u32, f64)> = (0..2000)
            .map(|_| {
                (
                    (next() % 300) as u32,
                    (next() % 300) as u32,
                    (next() % 4) as f64,
                )
            })
            .collect();
        let first = partition(300, &e, 5).unwrap();
        assert!(first.modules > 1);
        for _ in 0..10 {
            assert_eq!(partition(300, &e, 5).unwrap(), first);
        }
    }

    #[test]
    fn bad_graphs_are_errors() {
        assert!(partition(2, &[(0, 2, 1.0)], 0)
            .unwrap_err()
            .contains("node"));
        assert!(partition(2, &[(0, 1, f64::NAN)], 0).is_err());
        assert!(partition(MAX_NODES + 1, &[], 0).is_err());
        assert_eq!(partition(3, &[], 0).unwrap().modules, 0);
    }
}

/// What [`cluster_by_module`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct Clustering {
    /// The network's modules (Louvain on |w| of every synapse).
    pub modules: usize,
    /// Newman's modularity of them.
    pub q: f64,
    /// Per population, the original neuron at each new position (`None`:
    /// left in order — an output population, whose neuron order is the
    /// program's output channels).
    pub order: Vec<Option<Vec<usize>>>,
}

/// `net` with the neurons of each non-output population reordered by
/// module (then by index), so that packing cores in order puts a module on
/// as few cores as it fits: modularity-aware placement. The network
/// computes the same function; only hidden neurons' indices change.
pub fn cluster_by_module(
    net: &crate::Network,
    seed: u64,
) -> crate::Result<(crate::Network, Clustering)> {
    use crate::network::{Param, Source, Weights};
    net.validate()?;
    let invalid = |message: String| crate::CompileError::Invalid {
        network: net.name.clone(),
        message,
    };
    // node ids: inputs, then populations
    let mut first = Vec::new();
    let mut nodes = 0usize;
    for i in &net.inputs {
        first.push(nodes);
        nodes += i.size;
    }
    let pop_first: Vec<usize> = net
        .populations
        .iter()
        .map(|p| {
            let f = nodes;
            nodes += p.size;
            f
        })
        .collect();
    let node = |s: Source, i: usize| match s {
        Source::Input(k) => first[k] + i,
        Source::Population(p) => pop_first[p] + i,
    };
    let mut edges = Vec::with_capacity(net.num_synapses());
    for pr in &net.projections {
        let (src, dst) = (
            net.source(&pr.from).expect("validated"),
            net.population(&pr.to).expect("validated"),
        );
        let k = net.populations[dst].branches();
        for (s, row) in pr.weights.by_source().iter().enumerate() {
            for &(t, w) in row {
                edges.push((
                    node(src, s) as u32,
                    node(Source::Population(dst), t as usize / k) as u32,
                    w,
                ));
            }
        }
    }
    let p = partition(nodes, &edges, seed).map_err(invalid)?;
    let mut out = net.clone();
    let mut order = Vec::with_capacity(net.populations.len());
    for (pi, pop) in net.populations.iter().enumerate() {
        if net.outputs.contains(&pop.name) {
            order.push(None);
            continue;
        }
        let mut o: Vec<usize> = (0..pop.size).collect();
        // neurons without a module (no weights) after every module
        o.sort_by_key(|&i| (p.module[pop_first[pi] + i].unwrap_or(u32::MAX), i));
        let mut inv = vec![0usize; pop.size];
        for (new, &old) in o.iter().enumerate() {
            inv[old] = new;
        }
        for (_, param) in out.populations[pi].neuron.params_mut() {
            if let Param::PerNeuron(v) = param {
                *v = o.iter().map(|&i| v[i]).collect();
            }
        }
        let k = pop.branches();
        for pr in &mut out.projections {
            if pr.to == pop.name || pr.from == pop.name {
                // drawn rows cannot be renumbered in place
                pr.weights.make_listed();
            }
            if pr.to == pop.name {
                match &mut pr.weights {
                    Weights::Dense(rows) => {
                        *rows = (0..rows.len())
                            .map(|r| rows[o[r / k] * k + r % k].clone())
                            .collect();
                    }
                    Weights::Sparse { synapses, .. } => {
                        for (t, _, _) in synapses.iter_mut() {
                            let t0 = *t as usize;
                            *t = (inv[t0 / k] * k + t0 % k) as u32;
                        }
                    }
                    Weights::FixedOutDegree { .. } => {} // listed above
                }
            }
            if pr.from == pop.name {
                match &mut pr.weights {
                    Weights::Dense(rows) => {
                        for row in rows.iter_mut() {
                            *row = o.iter().map(|&i| row[i]).collect();
                        }
                    }
                    Weights::Sparse { synapses, .. } => {
                        for (_, s, _) in synapses.iter_mut() {
                            *s = inv[*s as usize] as u32;
                        }
                    }
                    Weights::FixedOutDegree { .. } => {} // listed above
                }
            }
        }
        order.push(Some(o));
    }
    Ok((
        out,
        Clustering {
            modules: p.modules,
            q: p.q,
            order,
        },
    ))
}
