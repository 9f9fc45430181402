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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use spikefab_chip::limits::MAX_LAYER;
use spikefab_chip::text::escape;

use spikefab_chip::Reset;

use crate::error::{CompileError, Result};
use crate::exporters::{Convention, Exporter};
use crate::network::{Input, Network, Neuron, Param, Population, Projection, Weights};
use crate::nir::{Array, NirGraph, NirNode};

/// The node types spikefab lowers besides neurons ([`NEURONS`]).
const STRUCTURE: &[&str] = &[
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
    "NIRGraph",
];

/// spikefab's NIR extension for the adaptive LIF, which NIR cannot express
/// (docs/nir.md): a `LIF` node's fields plus `tau_adapt` (the adaptation's
/// time constant) and `threshold_step` (the threshold's rise per spike).
pub const ALIF_NODE: &str = "spikefab.ALIF";

/// spikefab's extension node for CE-LIF: `spikefab.ALIF`'s fields plus
/// `embedding`, the threshold offset of each step of the sequence (a 1-D
/// array; docs/nir.md, docs/models.md).
pub const CELIF_NODE: &str = "spikefab.CELIF";

/// The neuron node types spikefab lowers to populations.
const NEURONS: &[&str] = &[
    "Threshold",
    "I",
    "IF",
    "LI",
    "LIF",
    "CubaLI",
    "CubaLIF",
    ALIF_NODE,
    CELIF_NODE,
];

/// Every node type spikefab lowers.
pub fn supported() -> impl Iterator<Item = &'static str> {
    STRUCTURE.iter().chain(NEURONS).copied()
}

/// Entries of one composed linear map (and multiply-adds to compute it): a
/// NIR file of a few kilobytes can describe a convolution over a huge input.
pub const MAX_SYNAPSES: usize = 1 << 27;
/// Distinct delays on the paths from one source through one node.
pub const MAX_DELAYS_PER_NODE: usize = 256;

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

    fn nonzeros(&self) -> usize {
        self.rows.iter().map(Vec::len).sum()
    }

    /// `self · m` (self: a × b, m: b × c), or `None` when the work or the
    /// result would exceed [`MAX_SYNAPSES`] (multiply-adds or entries).
    fn compose(&self, m: &Sparse) -> Option<Sparse> {
        let mut work = 0usize;
        for row in &self.rows {
            for &(k, _) in row {
                work += m.rows[k as usize].len();
            }
            if work > MAX_SYNAPSES {
                return None;
            }
        }
        let mut acc = vec![0.0; m.cols];
        let mut hit = vec![false; m.cols];
        let mut touched: Vec<u32> = Vec::new();
        let rows = self
            .rows
            .iter()
            .map(|row| {
                for &(k, a) in row {
                    for &(c, b) in &m.rows[k as usize] {
                        if !std::mem::replace(&mut hit[c as usize], true) {
                            touched.push(c);
                        }
                        acc[c as usize] += a * b;
                    }
                }
                touched.sort_unstable();
                let out = touched
                    .iter()
                    .map(|&c| {
                        hit[c as usize] = false;
                        (c, std::mem::take(&mut acc[c as usize]))
                    })
                    .filter(|x| x.1 != 0.0)
                    .collect();
                touched.clear();
                out
            })
            .collect();
        Some(Sparse { cols: m.cols, rows })
    }

    /// `self + m` (same shape): parallel paths with the same delay sum.
    fn add(&mut self, m: &Sparse) {
        for (a, b) in self.rows.iter_mut().zip(&m.rows) {
            if b.is_empty() {
                continue;
            }
            let mut merged = Vec::with_capacity(a.len() + b.len());
            let (mut i, mut j) = (0, 0);
            while i < a.len() || j < b.len() {
                match (a.get(i), b.get(j)) {
                    (Some(x), Some(y)) if x.0 == y.0 => {
                        merged.push((x.0, x.1 + y.1));
                        i += 1;
                        j += 1;
                    }
                    (Some(x), Some(y)) if x.0 < y.0 => {
                        merged.push(*x);
                        i += 1;
                    }
                    (Some(x), None) => {
                        merged.push(*x);
                        i += 1;
                    }
                    (_, Some(y)) => {
                        merged.push(*y);
                        j += 1;
                    }
                    (None, None) => unreachable!(),
                }
            }
            merged.retain(|x| x.1 != 0.0);
            *a = merged;
        }
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
    convention: Convention,
    allow_growing_decay: bool,
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

    /// An integer parameter (stride, dilation, kernel size, padding, groups…)
    /// as `count` values: absent → `default`, one value → repeated. Every
    /// value must be a whole number in `min..=MAX_LAYER`.
    fn ints(
        &self,
        name: &str,
        p: &str,
        default: usize,
        count: usize,
        min: usize,
    ) -> Result<Vec<usize>> {
        let node = self.node(name);
        let bad = |m: String| {
            invalid(
                self.g,
                format!("node '{name}' ({}): '{p}' {m}", escape(&node.kind)),
            )
        };
        let raw: Vec<f64> = match node.params.get(p) {
            None => return Ok(vec![default; count]),
            Some(a) if a.data.len() == count => a.data.clone(),
            Some(a) if a.data.len() == 1 => vec![a.data[0]; count],
            Some(a) => {
                return Err(bad(format!(
                    "has {} values, expected 1 or {count}",
                    a.data.len()
                )))
            }
        };
        raw.iter()
            .map(|&v| {
                if v.fract() == 0.0 && v >= min as f64 && v <= MAX_LAYER as f64 {
                    Ok(v as usize)
                } else {
                    Err(bad(format!(
                        "is {v}; expected a whole number in {min}..={MAX_LAYER}"
                    )))
                }
            })
            .collect()
    }

    fn int(&self, name: &str, p: &str, default: usize, min: usize) -> Result<usize> {
        Ok(self.ints(name, p, default, 1, min)?[0])
    }

    /// A weight array's shape, which must have `dims` dimensions of at least 1.
    fn weight(&self, name: &str, dims: usize) -> Result<&'g Array> {
        let w = self.param(name, "weight")?;
        if w.shape.len() != dims || w.shape.contains(&0) {
            return Err(invalid(
                self.g,
                format!(
                    "node '{name}' ({}): weight has shape {:?}, expected {dims} dimensions of at least 1",
                    escape(&self.node(name).kind),
                    w.shape
                ),
            ));
        }
        Ok(w)
    }

    /// `shape` without its leading axes — the fewest that make it what every
    /// linear layer it feeds expects, when the whole shape is not: an
    /// exporter that traced the model on `[batch, …]` or `[batch, time, …]`
    /// data wrote those axes into it.
    fn leading_axes_dropped(&self, input: &str, shape: &[usize]) -> Option<Vec<usize>> {
        let next = self.succ.get(input).filter(|n| !n.is_empty())?;
        let expects = |b: &str| -> Option<usize> {
            matches!(self.node(b).kind.as_str(), "Affine" | "Linear")
                .then(|| self.weight(b, 2).ok().map(|w| w.shape[1]))
                .flatten()
        };
        let want = expects(next[0])?;
        if shape.iter().product::<usize>() == want || next.iter().any(|b| expects(b) != Some(want))
        {
            return None;
        }
        (1..shape.len())
            .map(|k| shape[k..].to_vec())
            .find(|rest| rest.iter().product::<usize>() == want)
    }

    /// Output shape of a node from its input shape; every size is checked
    /// (whole, positive, the product at most `MAX_LAYER`).
    fn out_shape(&self, name: &str, input: &[usize]) -> Result<Vec<usize>> {
        let n = self.node(name);
        let bad = |m: String| invalid(self.g, format!("node '{name}' ({}): {m}", escape(&n.kind)));
        let shape = match n.kind.as_str() {
            "Input" | "Output" if is_top(name) => match n.params.get("shape") {
                Some(a) => {
                    let dims = a.data.len().max(1);
                    self.ints(name, "shape", 1, dims, 1)?
                }
                None => input.to_vec(),
            },
            "Affine" | "Linear" => {
                let w = self.weight(name, 2)?;
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
                let (k, s, d, p, c_out) = self.conv2d_geometry(name, input[0])?;
                let o = |i: usize| -> Result<usize> {
                    let span = input[i + 1] + 2 * p[i];
                    let need = d[i] * (k[i] - 1) + 1;
                    if span < need {
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
                let (k, s, d, p, c_out) = self.conv1d_geometry(name)?;
                let need = d * (k - 1) + 1;
                if input[1] + 2 * p < need {
                    return Err(bad(format!("kernel {k} does not fit the input {input:?}")));
                }
                vec![c_out, (input[1] + 2 * p - need) / s + 1]
            }
            _ => input.to_vec(),
        };
        let size = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if size.is_none_or(|n| n > MAX_LAYER) {
            return Err(bad(format!(
                "output shape {shape:?} has more than the {MAX_LAYER} values a layer may have"
            )));
        }
        Ok(shape)
    }

    /// Kernel, stride, dilation, padding (per spatial dimension) and output
    /// channels of a Conv2d or 2-D pooling node.
    #[allow(clippy::type_complexity)]
    fn conv2d_geometry(
        &self,
        name: &str,
        c_in: usize,
    ) -> Result<(Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>, usize)> {
        let conv = self.node(name).kind == "Conv2d";
        let (k, c_out) = if conv {
            let w = self.weight(name, 4)?;
            (vec![w.shape[2], w.shape[3]], w.shape[0])
        } else {
            (self.ints(name, "kernel_size", 1, 2, 1)?, c_in)
        };
        let s = self.ints(name, "stride", 1, 2, 1)?;
        let d = if conv {
            self.ints(name, "dilation", 1, 2, 1)?
        } else {
            vec![1, 1]
        };
        let p = self.padding(name, &k, &d)?;
        Ok((k, s, d, p, c_out))
    }

    /// Kernel, stride, dilation, padding and output channels of a Conv1d node.
    fn conv1d_geometry(&self, name: &str) -> Result<(usize, usize, usize, usize, usize)> {
        let w = self.weight(name, 3)?;
        let k = w.shape[2];
        let s = self.int(name, "stride", 1, 1)?;
        let d = self.int(name, "dilation", 1, 1)?;
        let p = self.padding(name, &[k], &[d])?[0];
        Ok((k, s, d, p, w.shape[0]))
    }

    /// Adds the transforms from source `s` to every neuron node it reaches
    /// through linear nodes (one per distinct delay), and marks `s` as an
    /// output if it feeds a top-level Output directly.
    fn paths_from(
        &self,
        s: &str,
        is_neuron: &dyn Fn(&str) -> bool,
        paths: &mut Vec<(String, String, Path)>,
        outputs: &mut BTreeSet<String>,
    ) -> Result<()> {
        let g = self.g;
        let succ = |at: &str| self.succ.get(at).map(Vec::as_slice).unwrap_or(&[]);
        let is_top_output = |n: &str| g.nodes[n].kind == "Output" && is_top(n);
        let passes = |n: &str| !(is_neuron(n) || is_top_output(n));
        // The linear nodes reachable from s, and their in-degree within that set.
        let mut reach: Vec<&str> = Vec::new();
        let mut indeg: HashMap<&str, usize> = HashMap::new();
        let mut stack = vec![s];
        let mut seen: HashSet<&str> = HashSet::new();
        while let Some(at) = stack.pop() {
            for &next in succ(at) {
                if passes(next) {
                    *indeg.entry(next).or_default() += 1;
                    if seen.insert(next) {
                        reach.push(next);
                        stack.push(next);
                    }
                }
            }
        }
        // (transform, whether a node on the way changed the values), by delay.
        type ByDelay = BTreeMap<u64, (Path, bool)>;
        let mut arriving: HashMap<&str, ByDelay> = HashMap::new();
        let n = self.shapes[s].iter().product();
        let start = Path {
            m: Sparse::identity(n),
            bias: vec![0.0; n],
            delay_s: 0.0,
        };
        // Kahn's order: s first, then each linear node once all its inputs are in.
        let mut ready: Vec<(&str, ByDelay)> = vec![(s, BTreeMap::from([(0u64, (start, false))]))];
        let mut done = 0usize;
        while let Some((at, here)) = ready.pop() {
            for &next in succ(at) {
                let kind = g.nodes[next].kind.as_str();
                if is_neuron(next) {
                    for (path, _) in here.values() {
                        paths.push((s.to_string(), next.to_string(), path.clone()));
                    }
                    continue;
                }
                if kind == "Output" && is_top(next) {
                    if here.values().any(|(_, transformed)| *transformed) || !is_neuron(s) {
                        return Err(invalid(
                            g,
                            format!(
                                "output '{}' is fed through non-neuron nodes from '{}'; spikefab reads spikes out of neuron layers",
                                escape(next),
                                escape(s)
                            ),
                        ));
                    }
                    outputs.insert(s.to_string());
                    continue;
                }
                let in_shape = self.shapes.get(at).cloned().unwrap_or_default();
                let (m, b, d) = self.linear(next, &in_shape)?;
                // Nested graphs' Input/Output nodes only pass values through.
                let identity = matches!(kind, "Input" | "Output" | "NIRGraph");
                let slot = arriving.entry(next).or_default();
                for (path, transformed) in here.values() {
                    let composed = Path {
                        bias: {
                            let mut v = m.apply(&path.bias);
                            v.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                            v
                        },
                        m: m.compose(&path.m).ok_or_else(|| {
                            invalid(
                                g,
                                format!(
                                    "the map from '{}' through '{}' would hold more than {MAX_SYNAPSES} synapses",
                                    escape(s),
                                    escape(next)
                                ),
                            )
                        })?,
                        delay_s: path.delay_s + d,
                    };
                    let t = transformed | !identity;
                    match slot.get_mut(&composed.delay_s.to_bits()) {
                        Some((p, tr)) => {
                            p.m.add(&composed.m);
                            p.bias
                                .iter_mut()
                                .zip(&composed.bias)
                                .for_each(|(x, y)| *x += y);
                            *tr |= t;
                        }
                        None => {
                            slot.insert(composed.delay_s.to_bits(), (composed, t));
                        }
                    }
                    if slot.len() > MAX_DELAYS_PER_NODE {
                        return Err(invalid(
                            g,
                            format!(
                                "more than {MAX_DELAYS_PER_NODE} different delays reach '{}' from '{}'",
                                escape(next),
                                escape(s)
                            ),
                        ));
                    }
                }
                let k = indeg.get_mut(next).expect("reachable");
                *k -= 1;
                if *k == 0 {
                    let paths_here = arriving.remove(next).unwrap_or_default();
                    ready.push((next, paths_here));
                    done += 1;
                }
            }
        }
        if done < reach.len() {
            let stuck = reach
                .iter()
                .find(|n| indeg.get(*n).is_some_and(|&k| k > 0))
                .expect("some node is left");
            return Err(invalid(
                g,
                format!(
                    "a loop of non-neuron nodes runs through '{}'",
                    escape(stuck)
                ),
            ));
        }
        Ok(())
    }

    /// Refuses a node whose synapses (the product of `factors`) would exceed [`MAX_SYNAPSES`].
    fn budget(&self, name: &str, factors: &[usize]) -> Result<()> {
        let n = factors.iter().try_fold(1usize, |a, &f| a.checked_mul(f));
        if n.is_none_or(|n| n > MAX_SYNAPSES) {
            return Err(invalid(
                self.g,
                format!(
                    "node '{name}' ({}) would make more than {MAX_SYNAPSES} synapses",
                    escape(&self.node(name).kind)
                ),
            ));
        }
        Ok(())
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
                    format!(
                        "node '{name}': padding '{}' is not 'same', 'valid' or a number",
                        escape(other)
                    ),
                )),
            };
        }
        // NIR writes (pad_h, pad_w) or one value; a 2·k-long list (per side) keeps its first k.
        match n.params.get("padding") {
            Some(a) if a.data.len() > k.len() && a.data.len() == 2 * k.len() => {
                let mut v = self.ints(name, "padding", 0, a.data.len(), 0)?;
                v.truncate(k.len());
                Ok(v)
            }
            _ => self.ints(name, "padding", 0, k.len(), 0),
        }
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
                let w = self.weight(name, 2)?;
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
                if first < 0.0 {
                    return Err(bad(format!("delay {first} s is negative")));
                }
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
                let (k, s, d, p, _) = self.conv2d_geometry(name, c_in)?;
                let (weight, groups) = if conv {
                    (Some(self.weight(name, 4)?), self.int(name, "groups", 1, 1)?)
                } else {
                    (None, c_in)
                };
                if c_in % groups != 0 || c_out % groups != 0 {
                    return Err(bad(format!(
                        "groups {groups} must divide {c_in} input and {c_out} output channels"
                    )));
                }
                let (cin_g, cout_g) = (c_in / groups, c_out / groups);
                let taps = if conv { cin_g } else { 1 };
                self.budget(name, &[c_out, ho, wo, taps, k[0], k[1]])?;
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
                let wt = self.weight(name, 3)?;
                let (c_in, l) = (input[0], input[1]);
                let (c_out, lo) = (out[0], out[1]);
                let (k, s, d, p, _) = self.conv1d_geometry(name)?;
                let groups = self.int(name, "groups", 1, 1)?;
                if c_in % groups != 0 || c_out % groups != 0 || wt.shape[1] != c_in / groups {
                    return Err(bad(format!(
                        "groups {groups} do not fit {c_in} → {c_out} channels with weight {:?}",
                        wt.shape
                    )));
                }
                let (cin_g, cout_g) = (c_in / groups, c_out / groups);
                self.budget(name, &[c_out, lo, cin_g, k])?;
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

/// How to read a NIR graph.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LowerOptions {
    /// Timestep, in the file's time unit (seconds for most exporters).
    pub dt: f64,
    /// The exporter's reading of the file (units, discretization, reset).
    pub convention: Convention,
    /// Accept negative time constants: a learned per-step decay β above 1,
    /// which snnTorch exports as τ = dt/(1 − β) < 0. The float network keeps
    /// the growing membrane; a chip cannot (its decay stops at "none").
    pub allow_growing_decay: bool,
}

impl LowerOptions {
    /// NIR's own reading at `dt`.
    pub fn at(dt: f64) -> Self {
        LowerOptions {
            dt,
            convention: Exporter::Nir.convention(),
            allow_growing_decay: false,
        }
    }
}

/// Lowers a NIR graph at timestep `dt` (seconds) with NIR's own reading.
pub fn lower(g: &NirGraph, name: &str, dt: f64) -> Result<Network> {
    lower_with(g, name, LowerOptions::at(dt)).map(|(net, _)| net)
}

/// Lowers a NIR graph as `options` say; also returns what the reading had
/// to assume or change, one warning each.
pub fn lower_with(
    g: &NirGraph,
    name: &str,
    options: LowerOptions,
) -> Result<(Network, Vec<String>)> {
    let dt = options.dt;
    let mut warnings = Vec::new();
    if !(dt.is_finite() && dt > 0.0) {
        return Err(invalid(
            g,
            format!("dt must be a positive number, found {dt}"),
        ));
    }
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
        if !supported().any(|k| k == node.kind) {
            return Err(invalid(
                g,
                format!(
                    "node '{n}' has type '{}', which spikefab does not support (supported: {})",
                    node.kind,
                    supported().collect::<Vec<_>>().join(", ")
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
        convention: options.convention,
        allow_growing_decay: options.allow_growing_decay,
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
        let mut s = lw.out_shape(i, &[])?;
        if lw.convention.input_leading_axis {
            if let Some(rest) = lw.leading_axes_dropped(i, &s) {
                warnings.push(format!(
                    "input '{i}': shape {s:?} read as {:?} × {rest:?} ({} convention): its leading (batch or time) axes are dropped",
                    &s[..s.len() - rest.len()],
                    lw.convention.exporter.name()
                ));
                s = rest;
            }
        }
        lw.shapes.insert(i.to_string(), s);
    }
    // Breadth-first, each node once: linear in nodes + edges.
    let mut queue: std::collections::VecDeque<String> =
        top_inputs.iter().map(|s| s.to_string()).collect();
    while let Some(a) = queue.pop_front() {
        let sa = lw.shapes[&a].clone();
        for &b in lw.succ.get(a.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
            if !lw.shapes.contains_key(b) {
                let s = lw.out_shape(b, &sa)?;
                lw.shapes.insert(b.to_string(), s);
                queue.push_back(b.to_string());
            }
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

    // Transforms from every source (input or neuron node) through the linear
    // nodes to the neurons it feeds. Each source's linear subgraph is walked
    // in topological order, summing the maps of parallel branches that arrive
    // with the same delay, so the work grows with nodes × edges × delays —
    // never with the number of paths (which a ladder of branches makes
    // exponential).
    let sources: Vec<&str> = top_inputs
        .iter()
        .copied()
        .chain(neuron_names.iter().copied())
        .collect();
    let mut paths: Vec<(String, String, Path)> = Vec::new();
    let mut outputs: BTreeSet<String> = BTreeSet::new();
    for &s in &sources {
        lw.paths_from(s, &is_neuron, &mut paths, &mut outputs)?;
    }
    for (s, t, path) in &paths {
        if path.m.nonzeros() == 0 {
            return Err(invalid(
                g,
                format!(
                    "every weight from '{}' to '{}' is zero: the lowered network would drop the connection silently",
                    escape(s),
                    escape(t)
                ),
            ));
        }
    }

    if outputs.is_empty() {
        return Err(invalid(
            g,
            "no neuron layer feeds a top-level Output node".into(),
        ));
    }

    // Population order: depth-first from the inputs (post-order, reversed);
    // edges back to a node on the stack are recurrent. Iterative, so a deep
    // chain of layers cannot overflow the stack.
    let mut next: HashMap<&str, Vec<&str>> = HashMap::new();
    for (a, b, _) in &paths {
        next.entry(a.as_str()).or_default().push(b.as_str());
    }
    let mut order: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for &i in &top_inputs {
        if !seen.insert(i) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(i, 0)];
        while let Some((n, k)) = stack.pop() {
            match next.get(n).and_then(|v| v.get(k)) {
                Some(&b) => {
                    stack.push((n, k + 1));
                    if seen.insert(b) {
                        stack.push((b, 0));
                    }
                }
                None => order.push(n),
            }
        }
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
        noise_seed: None,
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
        // NIR states no reset rule: the exporter's convention does.
        let reset = if neuron.spiking() {
            lw.convention.reset
        } else {
            Reset::Zero
        };
        net.populations.push(Population {
            name: p.to_string(),
            size,
            neuron,
            reset,
            schedule: embedding(&lw, p)?,
            noise: None,
            dendrites: None,
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
                plasticity: None,
            });
        }
    }
    net.validate()?;
    if let Some(m) = silent_layer(&net) {
        return Err(invalid(g, m));
    }
    Ok((net, warnings))
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

/// A CE-LIF node's contextual embedding as the population's threshold
/// schedule; `None` for every other node.
fn embedding(lw: &Lowering, n: &str) -> Result<Option<crate::network::Schedule>> {
    let node = &lw.g.nodes[n];
    if node.kind != CELIF_NODE {
        return Ok(None);
    }
    let bad = |m: String| invalid(lw.g, format!("node '{n}' ({CELIF_NODE}): {m}"));
    let e = node.params.get("embedding").ok_or_else(|| {
        bad("it has no parameter 'embedding' (a threshold offset per step)".into())
    })?;
    if e.shape.len() != 1
        || e.data.is_empty()
        || e.len() > spikefab_chip::model::schedule::MAX_SCHEDULE_LEN
    {
        return Err(bad(format!(
            "embedding has shape {:?}; it is one offset per step, 1..={} of them",
            e.shape,
            spikefab_chip::model::schedule::MAX_SCHEDULE_LEN
        )));
    }
    if let Some(k) = e.data.iter().position(|x| !x.is_finite()) {
        return Err(bad(format!("embedding[{k}] is not finite")));
    }
    Ok(Some(crate::network::Schedule {
        threshold: e.data.iter().map(|&x| Some(x)).collect(),
        input_shift: Vec::new(),
    }))
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
            let tau = time_constant(lw, n, "tau", v("tau", None)?)?;
            let r = v("r", Some(1.0))?;
            let leak = v("v_leak", Some(0.0))?;
            // per step: the decay kept and the input's gain, as the exporter
            // discretized them; v_leak gets the gain at r = 1
            let c = &lw.convention;
            let step: Vec<(f64, f64)> = (0..size)
                .map(|i| c.membrane(kind, dt, tau[i], r[i]))
                .collect();
            let beta: Vec<f64> = step.iter().map(|s| s.0).collect();
            let gain: Vec<f64> = step.iter().map(|s| s.1).collect();
            let bias: Vec<f64> = (0..size)
                .map(|i| c.membrane(kind, dt, tau[i], 1.0).1 * leak[i])
                .collect();
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
        ALIF_NODE | CELIF_NODE => {
            // the LIF's membrane, read with the exporter's convention
            let tau = time_constant(lw, n, "tau", v("tau", None)?)?;
            let tau_a = time_constant(lw, n, "tau_adapt", v("tau_adapt", None)?)?;
            let r = v("r", Some(1.0))?;
            let leak = v("v_leak", Some(0.0))?;
            let step = v("threshold_step", None)?;
            if let Some((i, s)) = step.iter().enumerate().find(|(_, s)| **s < 0.0) {
                return Err(invalid(
                    lw.g,
                    format!("node '{n}' ({kind}): threshold_step[{i}] = {s}; spikes raise the threshold (≥ 0)"),
                ));
            }
            let c = &lw.convention;
            let mem: Vec<(f64, f64)> = (0..size)
                .map(|i| c.membrane("LIF", dt, tau[i], r[i]))
                .collect();
            let bias: Vec<f64> = (0..size)
                .map(|i| c.membrane("LIF", dt, tau[i], 1.0).1 * leak[i])
                .collect();
            let neuron = Neuron::Alif {
                alpha: Param::Scalar(0.0),
                beta: pv(mem.iter().map(|m| m.0).collect()),
                threshold: pv(v("v_threshold", None)?),
                bias: pv(bias),
                adaptation: pv((0..size)
                    .map(|i| c.membrane("LIF", dt, tau_a[i], 1.0).0)
                    .collect()),
                threshold_step: pv(step),
            };
            (neuron, mem.iter().map(|m| m.1).collect())
        }
        "CubaLIF" | "CubaLI" => {
            let ts = time_constant(lw, n, "tau_syn", v("tau_syn", None)?)?;
            let tm = time_constant(lw, n, "tau_mem", v("tau_mem", None)?)?;
            let r = v("r", Some(1.0))?;
            let leak = v("v_leak", Some(0.0))?;
            let w_in = v("w_in", Some(1.0))?;
            let c = &lw.convention;
            let cur: Vec<(f64, f64)> = (0..size).map(|i| c.current(dt, ts[i], w_in[i])).collect();
            let mem: Vec<(f64, f64)> = (0..size)
                .map(|i| c.membrane(kind, dt, tm[i], r[i]))
                .collect();
            let alpha: Vec<f64> = cur.iter().map(|s| s.0).collect();
            let beta: Vec<f64> = mem.iter().map(|s| s.0).collect();
            // i is kept pre-scaled by the membrane's input gain.
            let gain: Vec<f64> = (0..size).map(|i| cur[i].1 * mem[i].1).collect();
            let bias: Vec<f64> = (0..size)
                .map(|i| c.membrane(kind, dt, tm[i], 1.0).1 * leak[i])
                .collect();
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
            let gain: Vec<f64> = r.iter().map(|&r| lw.convention.integrator(dt, r)).collect();
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

/// The first spiking population none of whose neurons can ever reach its
/// threshold, even with every source firing every step into its positive
/// weights: the membrane's steady state `(Σ w⁺ + biases) / (1 − α) / (1 − β)`
/// stays at or below θ. A whole silent layer in a trained network means the
/// reading of the file is wrong — usually an exporter's gain convention
/// (`w_in`, `r`) or time unit — not that the network is.
fn silent_layer(net: &Network) -> Option<String> {
    for (q, pop) in net.populations.iter().enumerate() {
        if !pop.neuron.spiking() {
            continue;
        }
        let mut drive = vec![0.0f64; pop.size];
        for pr in net.projections.iter().filter(|p| p.to == pop.name) {
            for row in pr.weights.by_source() {
                for (t, w) in row {
                    drive[t as usize] += w.max(0.0);
                }
            }
        }
        let reachable = (0..pop.size).any(|i| {
            let d = pop.neuron.dynamics(i);
            let steady = |x: f64, keep: f64| {
                if keep >= 1.0 {
                    if x > 0.0 {
                        f64::INFINITY
                    } else {
                        x
                    }
                } else {
                    x / (1.0 - keep)
                }
            };
            let u = steady(drive[i] + d.current_bias, d.alpha);
            let v = steady(u + d.bias, d.beta);
            // at the threshold itself, rounding on the chip decides: reachable
            d.threshold.is_none_or(|th| v >= th * (1.0 - 1e-6))
        });
        if !reachable {
            let d = pop.neuron.dynamics(0);
            return Some(format!(
                "layer '{}' (population {q}) can never fire: even with every input spiking every step, \
                 no neuron's membrane reaches its threshold (neuron 0: decay {:.4}, threshold {}, largest input per step {:.4}). \
                 The exporter's gain convention (w_in, r) or time unit was probably read wrong",
                pop.name,
                d.beta,
                d.threshold.unwrap_or(f64::NAN),
                drive[0]
            ));
        }
    }
    None
}

/// A node's time constants, checked against dt: each positive, and dt/τ at
/// most 1, so that the per-step decay 1 − dt/τ lies in [0, 1). dt/τ = 1 (a
/// stage without memory) is how snnTorch writes α = 0; above 1 the membrane
/// would flip sign every step and grow, and the cause is nearly always a
/// file whose time unit is not the dt it is compiled with.
fn time_constant(lw: &Lowering, n: &str, what: &str, tau: Vec<f64>) -> Result<Vec<f64>> {
    let kind = &lw.g.nodes[n].kind;
    let dt = lw.dt;
    if let Some((i, &t)) = tau
        .iter()
        .enumerate()
        .find(|(_, t)| !t.is_finite() || **t == 0.0)
    {
        return Err(invalid(
            lw.g,
            format!("node '{n}' ({kind}): {what}[{i}] = {t} is not a time constant"),
        ));
    }
    if !lw.allow_growing_decay {
        if let Some((i, &t)) = tau.iter().enumerate().find(|(_, t)| **t < 0.0) {
            return Err(invalid(
                lw.g,
                format!(
                    "node '{n}' ({kind}): {what}[{i}] = {t} is negative: a per-step decay 1 − dt/{what} = {:.4} above 1, \
                     a membrane that grows (snnTorch writes a learned β > 1 as τ = dt/(1 − β) < 0). \
                     A chip's decay stops at \"none\": compile with --allow-growing-decay to accept the difference",
                    1.0 - dt / t
                ),
            ));
        }
    }
    // A relative tolerance: dt / (dt / (1 - 0)) may round a hair above 1.
    // (The exact discretization decays into (0, 1) whatever dt/τ.)
    let euler = lw.convention.euler();
    if let Some((i, &t)) = tau
        .iter()
        .enumerate()
        .find(|(_, t)| euler && dt / **t > 1.0 + 1e-9)
    {
        return Err(invalid(
            lw.g,
            format!(
                "node '{n}' ({kind}): dt/{what} = {:.4} at dt = {dt} s ({what}[{i}] = {t}), so the per-step decay 1 − dt/{what} = {:.4} is outside [0, 1]. \
                 The file's time constants are probably in another unit than dt (SpikingJelly writes seconds for dt = 1e-4, Rockpool for 1e-3, Sinabs counts steps): \
                 compile with the exporter's --dt",
                dt / t,
                1.0 - dt / t
            ),
        ));
    }
    Ok(tau)
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
        // NIR has no adaptive threshold, so no NIR layer lowers to ALIF; a
        // bias onto its membrane is what its delta-synapse form (α = 0) needs.
        Neuron::Alif {
            alpha,
            beta,
            threshold,
            bias,
            adaptation,
            threshold_step,
        } => Neuron::Alif {
            alpha,
            beta,
            threshold,
            bias: add(bias),
            adaptation,
            threshold_step,
        },
    }
}
