//! Lowering a NIR graph to the compiler's `Network`.
//!
//! Neuron nodes become populations and top-level `Input`s become inputs.
//! Everything between them — Affine, Linear, Scale, Conv1d/2d, SumPool2d,
//! AvgPool2d, Flatten, Delay, nested graphs — is composed into one sparse
//! matrix, bias and delay per path. Continuous-time neuron ODEs are
//! discretized with forward Euler at `dt` (see `docs/nir.md`):
//!
//! ```text
//! LIF      τ dv/dt = (v_leak − v) + R·I          v ← (1 − dt/τ)·v + (dt/τ)·v_leak + (dt·R/τ)·I
//! CubaLIF  τ_syn dI/dt = −I + w_in·x            I ← (1 − dt/τ_syn)·I + (dt/τ_syn)·w_in·x
//!          τ_mem dv/dt = (v_leak − v) + R·I      v ← (1 − dt/τ_mem)·v + (dt/τ_mem)·v_leak + (dt·R/τ_mem)·I
//! IF       dv/dt = R·I                          v ← v + dt·R·I
//! ```
//!
//! Input gains fold into the incoming weights (per target neuron), leaks into
//! biases; spikes when `v > v_threshold`, reset to 0 (`v_reset` must be 0).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::error::{CompileError, Result};
use crate::network::{Input, Network, Neuron, Param, Population, Projection, Weights};
use crate::nir::{Array, NirGraph, NirNode};

/// The node types spikefab lowers.
pub const SUPPORTED: &[&str] = &[
    "Input",
    "Output",
    "Affine",
    "Linear",
    "Scale",
    "Conv1d",
    "Conv2d",
    "SumPool2d",
    "AvgPool2d",
    "Flatten",
    "Delay",
    "Threshold",
    "I",
    "IF",
    "LI",
    "LIF",
    "CubaLI",
    "CubaLIF",
    "NIRGraph",
];

const NEURONS: &[&str] = &["Threshold", "I", "IF", "LI", "LIF", "CubaLI", "CubaLIF"];

/// A sparse linear map `rows × cols`, by row.
#[derive(Clone, Debug)]
struct Sparse {
    cols: usize,
    rows: Vec<Vec<(u32, f64)>>,
}

impl Sparse {
    fn identity(n: usize) -> Self {
        Sparse {
            cols: n,
            rows: (0..n).map(|i| vec![(i as u32, 1.0)]).collect(),
        }
    }

    /// `self · m` (self: a × b, m: b × c).
    fn compose(&self, m: &Sparse) -> Sparse {
        let mut acc = vec![0.0; m.cols];
        let mut touched: Vec<u32> = Vec::new();
        let rows = self
            .rows
            .iter()
            .map(|row| {
                for &(k, a) in row {
                    for &(c, b) in &m.rows[k as usize] {
                        if acc[c as usize] == 0.0 {
                            touched.push(c);
                        }
                        acc[c as usize] += a * b;
                    }
                }
                touched.sort_unstable();
                let out = touched
                    .iter()
                    .map(|&c| (c, std::mem::take(&mut acc[c as usize])))
                    .filter(|x| x.1 != 0.0)
                    .collect();
                touched.clear();
                out
            })
            .collect();
        Sparse { cols: m.cols, rows }
    }

    fn apply(&self, v: &[f64]) -> Vec<f64> {
        self.rows
            .iter()
            .map(|row| row.iter().map(|&(c, w)| w * v[c as usize]).sum())
            .collect()
    }
}

/// A path's transform from a source population or input.
#[derive(Clone, Debug)]
struct Path {
    m: Sparse,
    bias: Vec<f64>,
    delay_s: f64,
}

struct Lowering<'g> {
    g: &'g NirGraph,
    dt: f64,
    succ: BTreeMap<&'g str, Vec<&'g str>>,
    shapes: HashMap<String, Vec<usize>>,
}

fn invalid(g: &NirGraph, message: String) -> CompileError {
    CompileError::Invalid {
        network: if g.version.is_empty() {
            "NIR graph".into()
        } else {
            format!("NIR {} graph", g.version)
        },
        message,
    }
}

fn is_top(name: &str) -> bool {
    !name.contains('.')
}

impl<'g> Lowering<'g> {
    fn node(&self, name: &str) -> &'g NirNode {
        &self.g.nodes[name]
    }

    fn param(&self, name: &str, p: &str) -> Result<&'g Array> {
        self.node(name).params.get(p).ok_or_else(|| {
            invalid(
                self.g,
                format!(
                    "node '{name}' ({}) has no parameter '{p}'",
                    self.node(name).kind
                ),
            )
        })
    }

    fn scalar_or(&self, name: &str, p: &str, default: f64) -> f64 {
        self.node(name)
            .params
            .get(p)
            .and_then(|a| a.data.first().copied())
            .unwrap_or(default)
    }

    fn pair(&self, name: &str, p: &str, default: usize) -> Vec<usize> {
        match self.node(name).params.get(p) {
            Some(a) if a.data.len() >= 2 => a.data.iter().map(|&v| v as usize).collect(),
            Some(a) if a.data.len() == 1 => vec![a.data[0] as usize; 2],
            _ => vec![default; 2],
        }
    }

    /// Output shape of a node from its input shape.
    fn out_shape(&self, name: &str, input: &[usize]) -> Result<Vec<usize>> {
        let n = self.node(name);
        let bad = |m: String| invalid(self.g, format!("node '{name}' ({}): {m}", n.kind));
        Ok(match n.kind.as_str() {
            "Input" | "Output" if is_top(name) => self
                .param(name, "shape")
                .map(|a| a.data.iter().map(|&v| v as usize).collect())
                .unwrap_or_else(|_| input.to_vec()),
            "Affine" | "Linear" => {
                let w = self.param(name, "weight")?;
                if w.shape.len() != 2 {
                    return Err(bad(format!(
                        "weight has shape {:?}, expected 2 dimensions",
                        w.shape
                    )));
                }
                if input.iter().product::<usize>() != w.shape[1] {
                    return Err(bad(format!(
                        "weight expects {} inputs, the incoming layer has shape {input:?}",
                        w.shape[1]
                    )));
                }
                vec![w.shape[0]]
            }
            "Flatten" => vec![input.iter().product()],
            "Conv2d" | "SumPool2d" | "AvgPool2d" => {
                if input.len() != 3 {
                    return Err(bad(format!(
                        "expects a (channels, height, width) input, got {input:?}"
                    )));
                }
                let (k, c_out) = if n.kind == "Conv2d" {
                    let w = self.param(name, "weight")?;
                    (vec![w.shape[2], w.shape[3]], w.shape[0])
                } else {
                    (self.pair(name, "kernel_size", 1), input[0])
                };
                let s = self.pair(name, "stride", 1);
                let d = if n.kind == "Conv2d" {
                    self.pair(name, "dilation", 1)
                } else {
                    vec![1, 1]
                };
                let p = self.padding(name, &k, &d)?;
                let o = |i: usize| -> Result<usize> {
                    let span = input[i + 1] + 2 * p[i];
                    let need = d[i] * (k[i] - 1) + 1;
                    if span < need || s[i] == 0 {
                        return Err(bad(format!(
                            "kernel {k:?} does not fit the input {input:?}"
                        )));
                    }
                    Ok((span - need) / s[i] + 1)
                };
                vec![c_out, o(0)?, o(1)?]
            }
            "Conv1d" => {
                if input.len() != 2 {
                    return Err(bad(format!(
                        "expects a (channels, length) input, got {input:?}"
                    )));
                }
                let w = self.param(name, "weight")?;
                let k = w.shape[2];
                let s = self.scalar_or(name, "stride", 1.0) as usize;
                let d = self.scalar_or(name, "dilation", 1.0) as usize;
                let p = self.padding(name, &[k], &[d])?[0];
                let need = d * (k - 1) + 1;
                if input[1] + 2 * p < need || s == 0 {
                    return Err(bad(format!("kernel {k} does not fit the input {input:?}")));
                }
                vec![w.shape[0], (input[1] + 2 * p - need) / s + 1]
            }
            _ => input.to_vec(),
        })
    }

    /// Symmetric padding per spatial dimension ('same' for stride 1, 'valid' = 0).
    fn padding(&self, name: &str, k: &[usize], d: &[usize]) -> Result<Vec<usize>> {
        let n = self.node(name);
        if let Some(s) = n.strings.get("padding") {
            return match s.as_str() {
                "valid" => Ok(vec![0; k.len()]),
                "same" => Ok(k.iter().zip(d).map(|(&k, &d)| d * (k - 1) / 2).collect()),
                other => Err(invalid(
                    self.g,
                    format!("node '{name}': padding '{other}' is not 'same', 'valid' or a number"),
                )),
            };
        }
        Ok(match n.params.get("padding") {
            Some(a) if a.data.len() >= k.len() => {
                a.data.iter().take(k.len()).map(|&v| v as usize).collect()
            }
            Some(a) if !a.data.is_empty() => vec![a.data[0] as usize; k.len()],
            _ => vec![0; k.len()],
        })
    }

    /// The linear map of a non-neuron node from `input` shape.
    fn linear(&self, name: &str, input: &[usize]) -> Result<(Sparse, Vec<f64>, f64)> {
        let n = self.node(name);
        let len_in: usize = input.iter().product();
        let out = self.out_shape(name, input)?;
        let len_out: usize = out.iter().product();
        let bad = |m: String| invalid(self.g, format!("node '{name}' ({}): {m}", n.kind));
        let zeros = vec![0.0; len_out];
        Ok(match n.kind.as_str() {
            "Affine" | "Linear" => {
                let w = self.param(name, "weight")?;
                let rows = (0..w.shape[0])
                    .map(|r| {
                        (0..w.shape[1])
                            .filter_map(|c| {
                                let v = w.data[r * w.shape[1] + c];
                                (v != 0.0).then_some((c as u32, v))
                            })
                            .collect()
                    })
                    .collect();
                let bias = if n.kind == "Affine" {
                    self.param(name, "bias")?.data.clone()
                } else {
                    zeros
                };
                if bias.len() != len_out {
                    return Err(bad(format!(
                        "bias has {} values for {len_out} outputs",
                        bias.len()
                    )));
                }
                (Sparse { cols: len_in, rows }, bias, 0.0)
            }
            "Scale" => {
                let s = self.param(name, "scale")?;
                let at = |i: usize| {
                    if s.data.len() == 1 {
                        s.data[0]
                    } else {
                        s.data[i]
                    }
                };
                if s.data.len() != 1 && s.data.len() != len_in {
                    return Err(bad(format!(
                        "scale has {} values for {len_in} inputs",
                        s.data.len()
                    )));
                }
                (
                    Sparse {
                        cols: len_in,
                        rows: (0..len_in).map(|i| vec![(i as u32, at(i))]).collect(),
                    },
                    zeros,
                    0.0,
                )
            }
            "Delay" => {
                let d = self.param(name, "delay")?;
                let first = d.data.first().copied().unwrap_or(0.0);
                if d.data.iter().any(|&x| (x - first).abs() > 1e-12) {
                    return Err(bad(
                        "per-neuron delays differ; spikefab needs one delay per projection".into(),
                    ));
                }
                (Sparse::identity(len_in), zeros, first)
            }
            "Conv2d" | "SumPool2d" | "AvgPool2d" => {
                let (c_in, h, w) = (input[0], input[1], input[2]);
                let (c_out, ho, wo) = (out[0], out[1], out[2]);
                let conv = n.kind == "Conv2d";
                let (k, weight, groups) = if conv {
                    let wt = self.param(name, "weight")?;
                    (
                        vec![wt.shape[2], wt.shape[3]],
                        Some(wt),
                        self.scalar_or(name, "groups", 1.0) as usize,
                    )
                } else {
                    (self.pair(name, "kernel_size", 1), None, c_in)
                };
                let s = self.pair(name, "stride", 1);
                let d = if conv {
                    self.pair(name, "dilation", 1)
                } else {
                    vec![1, 1]
                };
                let p = self.padding(name, &k, &d)?;
                if groups == 0 || c_in % groups != 0 || c_out % groups != 0 {
                    return Err(bad(format!(
                        "groups {groups} must divide {c_in} input and {c_out} output channels"
                    )));
                }
                let (cin_g, cout_g) = (c_in / groups, c_out / groups);
                if let Some(wt) = weight {
                    if wt.shape[1] != cin_g {
                        return Err(bad(format!(
                            "weight has {} input channels per group, the input needs {cin_g}",
                            wt.shape[1]
                        )));
                    }
                }
                let avg = if n.kind == "AvgPool2d" {
                    1.0 / (k[0] * k[1]) as f64
                } else {
                    1.0
                };
                let mut rows = Vec::with_capacity(len_out);
                for co in 0..c_out {
                    let g = co / cout_g;
                    for y in 0..ho {
                        for x in 0..wo {
                            let mut row = Vec::new();
                            let chans: Vec<usize> = if conv {
                                (0..cin_g).map(|ci| g * cin_g + ci).collect()
                            } else {
                                vec![co]
                            };
                            for (ci_local, &ci) in chans.iter().enumerate() {
                                for ky in 0..k[0] {
                                    for kx in 0..k[1] {
                                        let iy = (y * s[0] + ky * d[0]) as isize - p[0] as isize;
                                        let ix = (x * s[1] + kx * d[1]) as isize - p[1] as isize;
                                        if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize
                                        {
                                            continue;
                                        }
                                        let v = match weight {
                                            Some(wt) => {
                                                wt.data[((co * cin_g + ci_local) * k[0] + ky)
                                                    * k[1]
                                                    + kx]
                                            }
                                            None => avg,
                                        };
                                        if v != 0.0 {
                                            row.push((
                                                ((ci * h + iy as usize) * w + ix as usize) as u32,
                                                v,
                                            ));
                                        }
                                    }
                                }
                            }
                            row.sort_unstable_by_key(|e| e.0);
                            rows.push(row);
                        }
                    }
                }
                let bias = match (conv, n.params.get("bias")) {
                    (true, Some(b)) if b.data.len() == c_out => {
                        (0..len_out).map(|i| b.data[i / (ho * wo)]).collect()
                    }
                    _ => zeros,
                };
                (Sparse { cols: len_in, rows }, bias, 0.0)
            }
            "Conv1d" => {
                let wt = self.param(name, "weight")?;
                let (c_in, l) = (input[0], input[1]);
                let (c_out, lo) = (out[0], out[1]);
                let k = wt.shape[2];
                let s = self.scalar_or(name, "stride", 1.0) as usize;
                let d = self.scalar_or(name, "dilation", 1.0) as usize;
                let groups = self.scalar_or(name, "groups", 1.0) as usize;
                let p = self.padding(name, &[k], &[d])?[0];
                if groups == 0
                    || c_in % groups != 0
                    || c_out % groups != 0
                    || wt.shape[1] != c_in / groups
                {
                    return Err(bad(format!(
                        "groups {groups} do not fit {c_in} → {c_out} channels with weight {:?}",
                        wt.shape
                    )));
                }
                let (cin_g, cout_g) = (c_in / groups, c_out / groups);
                let mut rows = Vec::with_capacity(len_out);
                for co in 0..c_out {
                    let g = co / cout_g;
                    for x in 0..lo {
                        let mut row = Vec::new();
                        for ci_local in 0..cin_g {
                            let ci = g * cin_g + ci_local;
                            for kk in 0..k {
                                let ix = (x * s + kk * d) as isize - p as isize;
                                if ix < 0 || ix >= l as isize {
                                    continue;
                                }
                                let v = wt.data[(co * cin_g + ci_local) * k + kk];
                                if v != 0.0 {
                                    row.push(((ci * l + ix as usize) as u32, v));
                                }
                            }
                        }
                        row.sort_unstable_by_key(|e| e.0);
                        rows.push(row);
                    }
                }
                let bias = match n.params.get("bias") {
                    Some(b) if b.data.len() == c_out => {
                        (0..len_out).map(|i| b.data[i / lo]).collect()
                    }
                    _ => zeros,
                };
                (Sparse { cols: len_in, rows }, bias, 0.0)
            }
            // Identity: Flatten (a relabelling of the C-order index), nested Input/Output/graphs.
            _ => (Sparse::identity(len_in), zeros, 0.0),
        })
    }
}

/// Lowers a NIR graph at timestep `dt` (seconds).
pub fn lower(g: &NirGraph, name: &str, dt: f64) -> Result<Network> {
    // Resolve edges that name a nested graph itself to its input/output node.
    let resolve = |n: &str, incoming: bool| -> String {
        match g.nodes.get(n) {
            Some(node) if node.kind == "NIRGraph" => {
                format!("{n}.{}", if incoming { "input" } else { "output" })
            }
            _ => n.to_string(),
        }
    };
    let edges: Vec<(String, String)> = g
        .edges
        .iter()
        .map(|(a, b)| (resolve(a, false), resolve(b, true)))
        .collect();
    for (a, b) in &edges {
        for n in [a, b] {
            if !g.nodes.contains_key(n.as_str()) {
                return Err(invalid(
                    g,
                    format!("edge '{a}' → '{b}' names '{n}', which is not a node of the graph"),
                ));
            }
        }
    }
    for (n, node) in &g.nodes {
        if !SUPPORTED.contains(&node.kind.as_str()) {
            return Err(invalid(
                g,
                format!(
                    "node '{n}' has type '{}', which spikefab does not support (supported: {})",
                    node.kind,
                    SUPPORTED.join(", ")
                ),
            ));
        }
    }
    let mut succ: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in &edges {
        succ.entry(a.as_str()).or_default().push(b.as_str());
    }
    let mut lw = Lowering {
        g,
        dt,
        succ,
        shapes: HashMap::new(),
    };

    // Shapes: from the inputs along edges until nothing changes.
    let top_inputs: Vec<&str> = g
        .nodes
        .iter()
        .filter(|(n, x)| x.kind == "Input" && is_top(n))
        .map(|(n, _)| n.as_str())
        .collect();
    if top_inputs.is_empty() {
        return Err(invalid(g, "the graph has no top-level Input node".into()));
    }
    for &i in &top_inputs {
        let s = lw.out_shape(i, &[])?;
        lw.shapes.insert(i.to_string(), s);
    }
    for _ in 0..=g.nodes.len() {
        let mut changed = false;
        for (a, b) in &edges {
            if let (Some(sa), false) = (lw.shapes.get(a).cloned(), lw.shapes.contains_key(b)) {
                let s = lw.out_shape(b, &sa)?;
                lw.shapes.insert(b.clone(), s);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Neuron nodes take their size from their parameters where the graph gives none.
    let is_neuron = |n: &str| NEURONS.contains(&g.nodes[n].kind.as_str());
    let neuron_names: Vec<&str> = g
        .nodes
        .keys()
        .map(String::as_str)
        .filter(|n| is_neuron(n))
        .collect();
    for &n in &neuron_names {
        if !lw.shapes.contains_key(n) {
            return Err(invalid(
                g,
                format!(
                    "node '{n}' ({}) is not reachable from any Input",
                    g.nodes[n].kind
                ),
            ));
        }
    }

    // Paths from every source (input or neuron node) through linear nodes.
    let sources: Vec<&str> = top_inputs
        .iter()
        .copied()
        .chain(neuron_names.iter().copied())
        .collect();
    let mut paths: Vec<(String, String, Path)> = Vec::new();
    let mut outputs: BTreeSet<String> = BTreeSet::new();
    for &s in &sources {
        let n = lw.shapes[s].iter().product();
        // (node, transform so far, nodes passed, whether any of them changed the values)
        let start = Path {
            m: Sparse::identity(n),
            bias: vec![0.0; n],
            delay_s: 0.0,
        };
        let mut stack = vec![(s, start, 0usize, false)];
        while let Some((at, path, depth, transformed)) = stack.pop() {
            if depth > g.nodes.len() {
                return Err(invalid(
                    g,
                    format!("a loop of non-neuron nodes runs through '{at}'"),
                ));
            }
            for &next in lw.succ.get(at).map(Vec::as_slice).unwrap_or(&[]) {
                let kind = g.nodes[next].kind.as_str();
                if is_neuron(next) {
                    paths.push((s.to_string(), next.to_string(), path.clone()));
                } else if kind == "Output" && is_top(next) {
                    if transformed || !is_neuron(s) {
                        return Err(invalid(
                            g,
                            format!("output '{next}' is fed through non-neuron nodes from '{s}'; spikefab reads spikes out of neuron layers"),
                        ));
                    }
                    outputs.insert(s.to_string());
                } else {
                    let in_shape = lw.shapes.get(at).cloned().unwrap_or_default();
                    let (m, b, d) = lw.linear(next, &in_shape)?;
                    // Nested graphs' Input/Output nodes only pass values through.
                    let identity = matches!(kind, "Input" | "Output" | "NIRGraph");
                    let composed = Path {
                        bias: {
                            let mut v = m.apply(&path.bias);
                            v.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                            v
                        },
                        m: m.compose(&path.m),
                        delay_s: path.delay_s + d,
                    };
                    stack.push((next, composed, depth + 1, transformed || !identity));
                }
            }
        }
    }

    if outputs.is_empty() {
        return Err(invalid(
            g,
            "no neuron layer feeds a top-level Output node".into(),
        ));
    }

    // Population order: depth-first from the inputs; edges back to a node on the stack are recurrent.
    let mut order: Vec<&str> = Vec::new();
    let mut state: HashMap<&str, u8> = HashMap::new(); // 1 = on stack, 2 = done
    fn visit<'a>(
        n: &'a str,
        paths: &'a [(String, String, Path)],
        state: &mut HashMap<&'a str, u8>,
        order: &mut Vec<&'a str>,
    ) {
        state.insert(n, 1);
        for (_, b, _) in paths.iter().filter(|p| p.0 == n) {
            if !state.contains_key(b.as_str()) {
                visit(b.as_str(), paths, state, order);
            }
        }
        state.insert(n, 2);
        order.push(n);
    }
    for &i in &top_inputs {
        visit(i, &paths, &mut state, &mut order);
    }
    order.reverse();
    let pop_order: Vec<&str> = order.into_iter().filter(|n| is_neuron(n)).collect();

    // Build the network: neuron dynamics, folded gains, summed biases.
    let mut net = Network {
        name: name.to_string(),
        dt,
        inputs: top_inputs
            .iter()
            .map(|&i| Input {
                name: i.to_string(),
                size: lw.shapes[i].iter().product(),
            })
            .collect(),
        populations: Vec::new(),
        projections: Vec::new(),
        outputs: pop_order
            .iter()
            .filter(|p| outputs.contains(**p))
            .map(|p| p.to_string())
            .collect(),
    };
    for &p in &pop_order {
        let size: usize = lw.shapes[p].iter().product();
        let (neuron, gain) = discretize(&lw, p, size)?;
        let mut bias_in = vec![0.0; size];
        for (_, _, path) in paths.iter().filter(|x| x.1 == p) {
            bias_in
                .iter_mut()
                .zip(&path.bias)
                .for_each(|(a, b)| *a += b);
        }
        let neuron = add_input_bias(neuron, &bias_in, &gain);
        net.populations.push(Population {
            name: p.to_string(),
            size,
            neuron,
        });
        let gain = &gain;
        for (s, _, path) in paths.iter().filter(|x| x.1 == p) {
            let steps = (path.delay_s / dt).round();
            let synapses = path
                .m
                .rows
                .iter()
                .enumerate()
                .flat_map(|(t, row)| row.iter().map(move |&(c, w)| (t as u32, c, w * gain[t])))
                .filter(|x| x.2 != 0.0)
                .collect();
            net.projections.push(Projection {
                from: s.clone(),
                to: p.to_string(),
                weights: Weights::Sparse {
                    targets: size,
                    sources: path.m.cols,
                    synapses,
                },
                delay: steps as u32,
            });
        }
    }
    net.validate()?;
    Ok(net)
}

fn vec_param(
    lw: &Lowering,
    n: &str,
    p: &str,
    size: usize,
    default: Option<f64>,
) -> Result<Vec<f64>> {
    match (lw.g.nodes[n].params.get(p), default) {
        (Some(a), _) if a.data.len() == size => Ok(a.data.clone()),
        (Some(a), _) if a.data.len() == 1 => Ok(vec![a.data[0]; size]),
        (Some(a), _) => Err(invalid(
            lw.g,
            format!(
                "node '{n}': '{p}' has {} values for {size} neurons",
                a.data.len()
            ),
        )),
        (None, Some(d)) => Ok(vec![d; size]),
        (None, None) => Err(invalid(
            lw.g,
            format!("node '{n}' ({}) has no parameter '{p}'", lw.g.nodes[n].kind),
        )),
    }
}

/// The discrete neuron and the gain its input current gets (folded into weights).
fn discretize(lw: &Lowering, n: &str, size: usize) -> Result<(Neuron, Vec<f64>)> {
    let kind = lw.g.nodes[n].kind.as_str();
    let dt = lw.dt;
    let v = |p: &str, d: Option<f64>| vec_param(lw, n, p, size, d);
    if let Ok(reset) = v("v_reset", Some(0.0)) {
        if reset.iter().any(|&r| r != 0.0) {
            return Err(invalid(
                lw.g,
                format!("node '{n}' ({kind}) resets to v_reset ≠ 0; spikefab's chips reset to 0"),
            ));
        }
    }
    let pv = Param::PerNeuron;
    Ok(match kind {
        "LIF" | "LI" => {
            let tau = v("tau", None)?;
            let r = v("r", Some(1.0))?;
            let leak = v("v_leak", Some(0.0))?;
            let beta: Vec<f64> = tau.iter().map(|t| 1.0 - dt / t).collect();
            let gain: Vec<f64> = tau.iter().zip(&r).map(|(t, r)| dt * r / t).collect();
            let bias: Vec<f64> = tau.iter().zip(&leak).map(|(t, l)| dt / t * l).collect();
            let neuron = if kind == "LIF" {
                Neuron::Lif {
                    beta: pv(beta),
                    threshold: pv(v("v_threshold", None)?),
                    bias: pv(bias),
                }
            } else {
                Neuron::Li {
                    beta: pv(beta),
                    bias: pv(bias),
                }
            };
            (neuron, gain)
        }
        "CubaLIF" | "CubaLI" => {
            let ts = v("tau_syn", None)?;
            let tm = v("tau_mem", None)?;
            let r = v("r", Some(1.0))?;
            let leak = v("v_leak", Some(0.0))?;
            let w_in = v("w_in", Some(1.0))?;
            let alpha: Vec<f64> = ts.iter().map(|t| 1.0 - dt / t).collect();
            let beta: Vec<f64> = tm.iter().map(|t| 1.0 - dt / t).collect();
            // i is kept pre-scaled by the membrane's input gain dt·R/τ_mem.
            let gain: Vec<f64> = (0..size)
                .map(|i| (dt / ts[i]) * w_in[i] * dt * r[i] / tm[i])
                .collect();
            let bias: Vec<f64> = tm.iter().zip(&leak).map(|(t, l)| dt / t * l).collect();
            let neuron = if kind == "CubaLIF" {
                Neuron::CubaLif {
                    alpha: pv(alpha),
                    beta: pv(beta),
                    threshold: pv(v("v_threshold", None)?),
                    bias: pv(bias),
                    current_bias: Param::Scalar(0.0),
                }
            } else {
                Neuron::CubaLi {
                    alpha: pv(alpha),
                    beta: pv(beta),
                    bias: pv(bias),
                    current_bias: Param::Scalar(0.0),
                }
            };
            (neuron, gain)
        }
        "IF" | "I" => {
            let r = v("r", Some(1.0))?;
            let gain: Vec<f64> = r.iter().map(|r| dt * r).collect();
            let neuron = if kind == "IF" {
                Neuron::If {
                    threshold: pv(v("v_threshold", None)?),
                    bias: Param::Scalar(0.0),
                }
            } else {
                Neuron::Li {
                    beta: Param::Scalar(1.0),
                    bias: Param::Scalar(0.0),
                }
            };
            (neuron, gain)
        }
        "Threshold" => (
            Neuron::Lif {
                beta: Param::Scalar(0.0),
                threshold: pv(v("threshold", None)?),
                bias: Param::Scalar(0.0),
            },
            vec![1.0; size],
        ),
        other => {
            return Err(invalid(
                lw.g,
                format!("node '{n}' has type '{other}', which is not a neuron"),
            ))
        }
    })
}

/// Adds a constant input current (e.g. an Affine bias), scaled by the input
/// gain: onto the membrane for LIF/IF/LI, onto the current for CUBA models.
fn add_input_bias(neuron: Neuron, bias_in: &[f64], gain: &[f64]) -> Neuron {
    let add = |p: Param| -> Param {
        Param::PerNeuron(
            (0..bias_in.len())
                .map(|i| p.get(i) + bias_in[i] * gain[i])
                .collect(),
        )
    };
    match neuron {
        Neuron::Lif {
            beta,
            threshold,
            bias,
        } => Neuron::Lif {
            beta,
            threshold,
            bias: add(bias),
        },
        Neuron::If { threshold, bias } => Neuron::If {
            threshold,
            bias: add(bias),
        },
        Neuron::Li { beta, bias } => Neuron::Li {
            beta,
            bias: add(bias),
        },
        Neuron::CubaLif {
            alpha,
            beta,
            threshold,
            bias,
            current_bias,
        } => Neuron::CubaLif {
            alpha,
            beta,
            threshold,
            bias,
            current_bias: add(current_bias),
        },
        Neuron::CubaLi {
            alpha,
            beta,
            bias,
            current_bias,
        } => Neuron::CubaLi {
            alpha,
            beta,
            bias,
            current_bias: add(current_bias),
        },
    }
}
