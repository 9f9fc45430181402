//! Reading NIR graphs (Neuromorphic Intermediate Representation) from HDF5.
//!
//! Layout (NIR 1.0, as written by `nir.write`): `/version`; `/node/type =
//! "NIRGraph"`; `/node/edges`, an (E, 2) array of names; `/node/nodes/<name>/`
//! with a `type` string and one dataset per parameter. Nested graphs recurse;
//! their nodes are named `outer.inner` and edges into them use dotted names.
//! Read with the pure-Rust `hdf5-reader` crate (no system HDF5).

use std::collections::BTreeMap;
use std::path::Path;

use hdf5_reader::{Datatype, Hdf5File};

use crate::error::{CompileError, Result};

/// A parameter array, converted to f64, with its shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

impl Array {
    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// One NIR node: its type name and its parameters (strings kept apart).
#[derive(Clone, Debug, PartialEq)]
pub struct NirNode {
    pub kind: String,
    pub params: BTreeMap<String, Array>,
    pub strings: BTreeMap<String, String>,
}

/// A flattened NIR graph: nested graphs' nodes carry dotted names.
#[derive(Clone, Debug, PartialEq)]
pub struct NirGraph {
    pub version: String,
    pub nodes: BTreeMap<String, NirNode>,
    pub edges: Vec<(String, String)>,
}

pub(crate) fn read_err(path: &Path, message: impl Into<String>) -> CompileError {
    CompileError::Read {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

impl NirGraph {
    pub fn load(path: &Path) -> Result<NirGraph> {
        let bytes = std::fs::read(path).map_err(|e| read_err(path, e.to_string()))?;
        Self::from_bytes(&bytes, path)
    }

    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<NirGraph> {
        let err = |m: String| read_err(path, m);
        let file = Hdf5File::from_bytes(bytes)
            .map_err(|e| err(format!("not a readable NIR (HDF5) file: {e}")))?;
        let version = file
            .dataset("version")
            .and_then(|d| d.read_string())
            .unwrap_or_default();
        let root = file
            .group("node")
            .map_err(|e| err(format!("no '/node' group, so not a NIR file: {e}")))?;
        spikefab_chip::text::check("the NIR version", &version, 64).map_err(err)?;
        let mut g = NirGraph {
            version,
            nodes: BTreeMap::new(),
            edges: Vec::new(),
        };
        // Nested graphs are read with an explicit stack (no recursion), at most
        // MAX_DEPTH deep and MAX_NODES nodes in all.
        let mut pending = vec![(root, String::new(), 0usize)];
        while let Some((group, prefix, depth)) = pending.pop() {
            if depth > MAX_DEPTH {
                return Err(err(format!(
                    "node '{}': graphs are nested more than {MAX_DEPTH} deep",
                    prefix.trim_end_matches('.')
                )));
            }
            for (child, name) in read_graph(&group, &prefix, &mut g, path)? {
                pending.push((child, format!("{name}."), depth + 1));
            }
            if g.nodes.len() > MAX_NODES || g.edges.len() > MAX_EDGES {
                return Err(err(format!(
                    "more than {MAX_NODES} nodes or {MAX_EDGES} edges"
                )));
            }
        }
        Ok(g)
    }
}

/// How deep graphs may nest.
pub const MAX_DEPTH: usize = 32;
/// Values of one parameter array (weights of a large conv layer fit easily).
pub const MAX_PARAM_VALUES: usize = 1 << 26;

/// The number of values of an HDF5 shape, `None` on overflow.
fn values(shape: &[u64]) -> Option<u64> {
    shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d))
}

/// Nodes (all nesting levels together) and edges of one NIR file.
pub const MAX_NODES: usize = 1 << 16;
pub const MAX_EDGES: usize = 1 << 18;

/// Reads one graph level into `g`; returns its nested graphs (group, full name)
/// for the caller to read next.
fn read_graph(
    group: &hdf5_reader::group::Group,
    prefix: &str,
    g: &mut NirGraph,
    path: &Path,
) -> Result<Vec<(hdf5_reader::group::Group, String)>> {
    let err = |m: String| read_err(path, m);
    let mut nested = Vec::new();
    let where_ = if prefix.is_empty() {
        "/node".to_string()
    } else {
        format!("node '{}'", prefix.trim_end_matches('.'))
    };
    let kind = group
        .dataset("type")
        .and_then(|d| d.read_string())
        .map_err(|e| err(format!("{where_}: no readable 'type': {e}")))?;
    if kind != "NIRGraph" {
        return Err(err(format!(
            "{where_} has type '{}', expected 'NIRGraph'",
            spikefab_chip::text::escape(&kind)
        )));
    }
    let edges = group
        .dataset("edges")
        .map_err(|e| err(format!("{where_}: no 'edges' dataset: {e}")))?;
    let edge_names = values(edges.shape());
    if edge_names.is_none_or(|n| n > 2 * MAX_EDGES as u64) {
        return Err(err(format!(
            "{where_}: 'edges' has shape {:?}, more than {MAX_EDGES} edges",
            edges.shape()
        )));
    }
    let names = if edge_names == Some(0) {
        Vec::new()
    } else {
        edges
            .read_strings()
            .map_err(|e| err(format!("{where_}: edges are not strings: {e}")))?
    };
    for n in &names {
        spikefab_chip::text::check_name(&format!("{where_}: an edge's node name"), n)
            .map_err(err)?;
    }
    if names.len() % 2 != 0 {
        return Err(err(format!(
            "{where_}: edges must be (source, target) pairs, found {} names",
            names.len()
        )));
    }
    for pair in names.chunks_exact(2) {
        g.edges.push((
            format!("{prefix}{}", pair[0]),
            format!("{prefix}{}", pair[1]),
        ));
    }
    let nodes = group
        .group("nodes")
        .map_err(|e| err(format!("{where_}: no 'nodes' group: {e}")))?;
    let (children, _) = nodes
        .members()
        .map_err(|e| err(format!("{where_}: unreadable nodes: {e}")))?;
    for child in children {
        spikefab_chip::text::check_name(&format!("{where_}: a node name"), child.name())
            .map_err(err)?;
        let name = format!("{prefix}{}", child.name());
        let ckind = child
            .dataset("type")
            .and_then(|d| d.read_string())
            .map_err(|e| err(format!("node '{name}': no readable 'type': {e}")))?;
        spikefab_chip::text::check_name(&format!("node '{name}': its type"), &ckind)
            .map_err(err)?;
        if ckind == "NIRGraph" {
            nested.push((child.clone(), name.clone()));
            // The nested graph itself stays as a node so edges to `name` can resolve.
            g.nodes.insert(
                name,
                NirNode {
                    kind: ckind,
                    params: BTreeMap::new(),
                    strings: BTreeMap::new(),
                },
            );
            continue;
        }
        let mut node = NirNode {
            kind: ckind,
            params: BTreeMap::new(),
            strings: BTreeMap::new(),
        };
        let (_, datasets) = child
            .members()
            .map_err(|e| err(format!("node '{name}': {e}")))?;
        for d in datasets {
            let pname = d.name().to_string();
            if pname == "type" {
                continue;
            }
            let e = |m: String| err(format!("node '{name}' parameter '{pname}': {m}"));
            // The declared shape decides the allocation: bound it before reading.
            if values(d.shape()).is_none_or(|n| n > MAX_PARAM_VALUES as u64) {
                return Err(e(format!(
                    "shape {:?} has more than the {MAX_PARAM_VALUES} values a parameter may have",
                    d.shape()
                )));
            }
            spikefab_chip::text::check_name("the parameter name", &pname).map_err(&e)?;
            let shape: Vec<usize> = d.shape().iter().map(|&s| s as usize).collect();
            let data: Vec<f64> = match d.dtype() {
                Datatype::FloatingPoint { size: 4, .. } => d
                    .read_array::<f32>()
                    .map_err(|x| e(x.to_string()))?
                    .iter()
                    .map(|&v| v as f64)
                    .collect(),
                Datatype::FloatingPoint { size: 8, .. } => d
                    .read_array::<f64>()
                    .map_err(|x| e(x.to_string()))?
                    .iter()
                    .copied()
                    .collect(),
                Datatype::FixedPoint {
                    size: 8,
                    signed: true,
                    ..
                } => d
                    .read_array::<i64>()
                    .map_err(|x| e(x.to_string()))?
                    .iter()
                    .map(|&v| v as f64)
                    .collect(),
                Datatype::FixedPoint {
                    size: 4,
                    signed: true,
                    ..
                } => d
                    .read_array::<i32>()
                    .map_err(|x| e(x.to_string()))?
                    .iter()
                    .map(|&v| v as f64)
                    .collect(),
                Datatype::FixedPoint {
                    size: 8,
                    signed: false,
                    ..
                } => d
                    .read_array::<u64>()
                    .map_err(|x| e(x.to_string()))?
                    .iter()
                    .map(|&v| v as f64)
                    .collect(),
                Datatype::FixedPoint {
                    size: 1,
                    signed: false,
                    ..
                } => d
                    .read_array::<u8>()
                    .map_err(|x| e(x.to_string()))?
                    .iter()
                    .map(|&v| v as f64)
                    .collect(),
                Datatype::String { .. } | Datatype::VarLen { .. } => {
                    let s = d.read_string().map_err(|x| e(x.to_string()))?;
                    node.strings.insert(pname, s);
                    continue;
                }
                other => return Err(e(format!("unsupported data type {other:?}"))),
            };
            if data.iter().any(|v| !v.is_finite()) {
                return Err(e("holds a non-finite value".into()));
            }
            let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            if count != Some(data.len()) {
                return Err(e(format!(
                    "shape {shape:?} does not match its {} values",
                    data.len()
                )));
            }
            node.params.insert(pname, Array { shape, data });
        }
        g.nodes.insert(name, node);
    }
    Ok(nested)
}
