//! Probes: state registers of chosen neurons, read after every step's
//! update and handed to a sink one step at a time (so that a long run's
//! traces stream to disk instead of growing in memory).
//!
//! A probe names a neuron by its layer and index in the layer; the compiler
//! may have split the layer across cores (groups named `layer[a..b]`), so
//! [`resolve`] finds the core and core-local neuron of each.

use std::ops::Range;

use spikefab_chip::model::{Model, VisitKind};
use spikefab_chip::{CoreProgram, ModelKind};

use crate::EmulatorError;

/// One state register of one neuron.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Index in `CoreProgram::cores`.
    pub core: usize,
    /// Core-local neuron id.
    pub neuron: u32,
    /// Index in the neuron's model's `STATE_VARS`.
    pub var: usize,
}

/// The state registers a model can be probed for.
pub fn state_vars(kind: ModelKind) -> &'static [&'static str] {
    struct Vars;
    impl VisitKind for Vars {
        type Out = &'static [&'static str];
        fn visit<M: Model>(self) -> Self::Out {
            M::STATE_VARS
        }
    }
    kind.visit(Vars)
}

/// A slice of a layer on one core: `(core, first core-local id, first layer index, len, model)`.
type Slice = (usize, u32, usize, usize, ModelKind);

/// Where layer `layer`'s neurons are, and how many it has.
fn slices_of(p: &CoreProgram, layer: &str) -> (Vec<Slice>, usize) {
    let mut out = Vec::new();
    let mut size = 0;
    for (c, core) in p.cores.iter().enumerate() {
        let mut first = 0u32;
        for g in &core.groups {
            // `layer` whole, or `layer[a..b]` as the compiler splits it
            let start = if g.name == layer {
                Some(0)
            } else {
                g.name
                    .strip_prefix(layer)
                    .and_then(|r| r.strip_prefix('['))
                    .and_then(|r| r.strip_suffix(']'))
                    .and_then(|r| r.split_once(".."))
                    .and_then(|(a, _)| a.parse::<usize>().ok())
            };
            // (a name from a program file: a start past any real layer is ignored)
            if let Some(end) = start.and_then(|a| a.checked_add(g.len())) {
                out.push((c, first, end - g.len(), g.len(), g.model()));
                size = size.max(end);
            }
            first += g.len() as u32;
        }
    }
    (out, size)
}

/// The probes of variable `var` on neurons `neurons` (default: all) of
/// layer `layer`, in neuron order. Errors name what does not exist.
pub fn resolve(
    p: &CoreProgram,
    layer: &str,
    neurons: Option<Range<usize>>,
    var: &str,
) -> Result<Vec<Probe>, EmulatorError> {
    let bad = |m: String| Err(EmulatorError::Probe(m));
    let name = spikefab_chip::text::escape(layer);
    let (slices, size) = slices_of(p, layer);
    if slices.is_empty() {
        return bad(format!("the program has no layer '{name}'"));
    }
    // The compiler's slices tile 0..size; a program file whose names say
    // otherwise is refused before anything is sized from them.
    if slices.iter().map(|sl| sl.3).sum::<usize>() != size {
        return bad(format!(
            "the groups of layer '{name}' do not tile its neurons 0..{size}"
        ));
    }
    let range = neurons.unwrap_or(0..size);
    if range.is_empty() || range.end > size {
        return bad(format!(
            "layer '{name}' has neurons 0..{size}; {}..{} is not a non-empty range of them",
            range.start, range.end
        ));
    }
    let mut out = Vec::with_capacity(range.len());
    for i in range {
        let Some(&(core, first, a, _, model)) = slices
            .iter()
            .find(|&&(_, _, a, len, _)| (a..a + len).contains(&i))
        else {
            return bad(format!("neuron {i} of layer '{name}' is on no core"));
        };
        let vars = state_vars(model);
        let Some(k) = vars.iter().position(|v| *v == var) else {
            return bad(format!(
                "layer '{name}' runs {model}, whose state is {}; it has no '{}'",
                vars.join(", "),
                spikefab_chip::text::escape(var)
            ));
        };
        out.push(Probe {
            core,
            neuron: first + (i - a) as u32,
            var: k,
        });
    }
    Ok(out)
}

/// Checks probes made by hand against the program (resolved ones pass).
pub(crate) fn check(p: &CoreProgram, probes: &[Probe]) -> Result<(), EmulatorError> {
    for pr in probes {
        let ok = p.cores.get(pr.core).is_some_and(|core| {
            let mut first = 0usize;
            core.groups.iter().any(|g| {
                let here = (first..first + g.len()).contains(&(pr.neuron as usize))
                    && pr.var < state_vars(g.model()).len();
                first += g.len();
                here
            })
        });
        if !ok {
            return Err(EmulatorError::Probe(format!(
                "core {} neuron {} register {} does not exist in the program",
                pr.core, pr.neuron, pr.var
            )));
        }
    }
    Ok(())
}
