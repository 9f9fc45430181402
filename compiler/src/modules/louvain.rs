//! Louvain community detection (Blondel et al. 2008), written so that its
//! result depends on nothing but the graph and the seed: nodes are visited
//! in a seeded shuffle, neighbouring communities in the order of the
//! node's (sorted) adjacency, ties go to the first. (graphrs's version,
//! used before, kept communities in hash maps seeded per process, so the
//! same graph and seed gave different partitions from run to run.)
//!
//! Each level moves single nodes to the neighbouring community with the
//! largest modularity gain until no move gains, then merges communities
//! into nodes; levels stop when one raises Q by no more than `THRESHOLD`
//! (networkx's and graphrs's defaults: resolution 1, threshold 1e-7).

use rand::seq::SliceRandom;
use rand::SeedableRng;

/// A level must raise Q by more than this for another to follow.
const THRESHOLD: f64 = 1e-7;

/// An undirected weighted graph: per node its weight to itself (internal
/// weight of a merged community, each edge once) and its neighbours,
/// sorted, without itself.
struct Graph {
    self_weight: Vec<f64>,
    adjacency: Vec<Vec<(u32, f64)>>,
}

impl Graph {
    fn len(&self) -> usize {
        self.adjacency.len()
    }

    /// Weighted degree: self-loops count twice.
    fn degree(&self, i: usize) -> f64 {
        2.0 * self.self_weight[i] + self.adjacency[i].iter().map(|e| e.1).sum::<f64>()
    }

    /// Newman's Q of a partition of this graph's nodes (`m`: total weight).
    fn modularity(&self, community: &[u32], m: f64) -> f64 {
        let k = community.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
        let (mut inside, mut total) = (vec![0.0; k], vec![0.0; k]);
        for i in 0..self.len() {
            let c = community[i] as usize;
            inside[c] += self.self_weight[i];
            total[c] += self.degree(i);
            for &(j, w) in &self.adjacency[i] {
                if community[j as usize] as usize == c {
                    inside[c] += w / 2.0; // each edge is seen from both ends
                }
            }
        }
        inside
            .iter()
            .zip(&total)
            .map(|(l, d)| l / m - (d / (2.0 * m)).powi(2))
            .sum()
    }

    /// The graph of `community`'s communities (numbered `0..k`).
    fn merged(&self, community: &[u32], k: usize) -> Graph {
        let mut self_weight = vec![0.0; k];
        let mut lists: Vec<Vec<(u32, f64)>> = vec![Vec::new(); k];
        for i in 0..self.len() {
            let c = community[i];
            self_weight[c as usize] += self.self_weight[i];
            for &(j, w) in &self.adjacency[i] {
                let d = community[j as usize];
                if d == c {
                    self_weight[c as usize] += w / 2.0;
                } else {
                    lists[c as usize].push((d, w));
                }
            }
        }
        let adjacency = lists
            .into_iter()
            .map(|mut l| {
                l.sort_by_key(|e| e.0);
                let mut out: Vec<(u32, f64)> = Vec::with_capacity(l.len());
                for (d, w) in l {
                    match out.last_mut() {
                        Some(last) if last.0 == d => last.1 += w,
                        _ => out.push((d, w)),
                    }
                }
                out
            })
            .collect();
        Graph {
            self_weight,
            adjacency,
        }
    }
}

/// Louvain communities of the graph on `nodes` nodes with the undirected
/// `edges` `(a, b, w)` — distinct pairs `a < b`, `w > 0`, sorted — and their
/// modularity. Returns per node its community (numbered by first node),
/// `None` for nodes without edges.
pub(super) fn communities(
    nodes: usize,
    edges: &[((u32, u32), f64)],
    seed: u64,
) -> (Vec<Option<u32>>, usize, f64) {
    let mut adjacency: Vec<Vec<(u32, f64)>> = vec![Vec::new(); nodes];
    for &((a, b), w) in edges {
        adjacency[a as usize].push((b, w));
        adjacency[b as usize].push((a, w));
    }
    // edges come sorted by (a, b): a's list is sorted, b's gets a's in order
    // of a — both ascending; no sort needed.
    let mut graph = Graph {
        self_weight: vec![0.0; nodes],
        adjacency,
    };
    let m: f64 = edges.iter().map(|e| e.1).sum();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    // The original nodes' community, refined level by level.
    let mut of_node: Vec<u32> = (0..nodes as u32).collect();
    let singletons: Vec<u32> = (0..nodes as u32).collect();
    let mut q = graph.modularity(&singletons, m);
    loop {
        let (community, k, moved) = one_level(&graph, m, &mut rng);
        if !moved {
            break;
        }
        let next_q = graph.modularity(&community, m);
        for c in &mut of_node {
            *c = community[*c as usize];
        }
        let gain = next_q - q;
        q = next_q;
        if gain <= THRESHOLD {
            break;
        }
        graph = graph.merged(&community, k);
    }
    // number communities by their first node; edgeless nodes have none
    let mut touched = vec![false; nodes];
    for &((a, b), _) in edges {
        touched[a as usize] = true;
        touched[b as usize] = true;
    }
    let mut label = vec![u32::MAX; nodes];
    let mut count = 0u32;
    let module = (0..nodes)
        .map(|i| {
            touched[i].then(|| {
                let c = of_node[i] as usize;
                if label[c] == u32::MAX {
                    label[c] = count;
                    count += 1;
                }
                label[c]
            })
        })
        .collect();
    (module, count as usize, q)
}

/// Passes over the nodes a level makes at most: every move raises Q, so a
/// level ends, but rounding could in principle let two moves undo each
/// other forever; real graphs settle in tens of passes.
const MAX_PASSES: usize = 1000;

/// One level: each node, in a seeded order, moves to the neighbouring
/// community that raises Q most, pass after pass until none does. Returns
/// the communities (numbered `0..k` by first node), `k`, and whether any
/// node moved.
fn one_level(g: &Graph, m: f64, rng: &mut rand_chacha::ChaCha8Rng) -> (Vec<u32>, usize, bool) {
    let n = g.len();
    let mut community: Vec<u32> = (0..n as u32).collect();
    let degree: Vec<f64> = (0..n).map(|i| g.degree(i)).collect();
    // Σ_tot: the degrees of each community's nodes
    let mut total = degree.clone();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(rng);
    // the node's weight to each neighbouring community, and which those are
    let mut to_community = vec![0.0f64; n];
    let mut seen = vec![false; n];
    let mut neighbours: Vec<usize> = Vec::new();
    let mut moved = false;
    for _ in 0..MAX_PASSES {
        let mut moves = 0usize;
        for &u in &order {
            let u = u as usize;
            let here = community[u] as usize;
            let k = degree[u];
            neighbours.clear();
            for &(v, w) in &g.adjacency[u] {
                let c = community[v as usize] as usize;
                if !seen[c] {
                    seen[c] = true;
                    to_community[c] = 0.0;
                    neighbours.push(c);
                }
                to_community[c] += w;
            }
            // ΔQ of taking u out of its community, then of putting it into c
            total[here] -= k;
            let w_here = if seen[here] { to_community[here] } else { 0.0 };
            let out = -w_here / m + total[here] * k / (2.0 * m * m);
            let (mut best, mut best_gain) = (here, 0.0);
            for &c in &neighbours {
                let gain = out + to_community[c] / m - total[c] * k / (2.0 * m * m);
                if gain > best_gain {
                    (best, best_gain) = (c, gain);
                }
                seen[c] = false;
            }
            total[best] += k;
            if best != here {
                community[u] = best as u32;
                moves += 1;
                moved = true;
            }
        }
        if moves == 0 {
            break;
        }
    }
    let mut label = vec![u32::MAX; n];
    let mut k = 0u32;
    for c in &mut community {
        let l = &mut label[*c as usize];
        if *l == u32::MAX {
            *l = k;
            k += 1;
        }
        *c = *l;
    }
    (community, k as usize, moved)
}
