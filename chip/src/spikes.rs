//! Spike streams in address-event representation (AER) and their file formats.
//!
//! A [`SpikeStream`] is a time-sorted list of `(timestep, channel)` events with
//! a channel count, a length in timesteps and the timestep `dt`. Files, chosen
//! by extension:
//!
//! - `.aer`: binary. Header `b"SFAER\0"`, u16 version (1), u32 channels,
//!   u32 steps, f64 dt (seconds), u64 event count; then the events as
//!   (u32 timestep, u32 channel) pairs. All little-endian.
//! - `.csv`: a `timestep,channel` header line then one event per line; the
//!   channel count and length are the largest seen plus one.
//! - `.npy`: a dense `[T, N]` array of 0/1 (bool, any int or float dtype,
//!   C or Fortran order). Written as `uint8`.
//!
//! A stream is a *set*: a channel fires at most once per timestep, as a
//! binary spike channel (and a dense `.npy` array) can. Files that list an
//! event twice are refused; encoders whose codes can coincide within one
//! timestep build their stream with [`SpikeStream::merging`].
//! Sizes are bounded by [`crate::limits`].

use npyz::WriterBuilder;
use std::io::Write;
use std::path::Path;

use crate::error::{ChipError, Result};
use crate::limits::{MAX_CHANNELS, MAX_DENSE_CELLS, MAX_STEPS};
use crate::npy::NumericArray;
use crate::program::ext;

const AER_MAGIC: &[u8; 6] = b"SFAER\0";
const AER_VERSION: u16 = 1;
const AER_HEADER_LEN: usize = 6 + 2 + 4 + 4 + 8 + 8;

/// One spike: `channel` fired at `timestep`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Spike {
    pub timestep: u32,
    pub channel: u32,
}

/// A time-sorted spike stream.
#[derive(Clone, Debug, PartialEq)]
pub struct SpikeStream {
    pub channels: u32,
    pub steps: u32,
    /// Seconds per timestep (0 when unknown, e.g. read from CSV or NPY).
    pub dt: f64,
    events: Vec<Spike>,
}

/// A stream built from events that may coincide ([`SpikeStream::merging`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    pub stream: SpikeStream,
    /// Events dropped because their `(timestep, channel)` was already listed.
    pub merged: usize,
    /// The first such event.
    pub first_duplicate: Option<Spike>,
}

/// Checks a stream's declared size against [`crate::limits`].
fn check_size(channels: u32, steps: u32) -> std::result::Result<(), String> {
    if channels > MAX_CHANNELS {
        return Err(format!(
            "{channels} channels is more than the {MAX_CHANNELS} a spike stream may have"
        ));
    }
    if steps > MAX_STEPS {
        return Err(format!(
            "{steps} timesteps is more than the {MAX_STEPS} a spike stream may have"
        ));
    }
    Ok(())
}

/// Many spike trains of one length, `[sample][step][channel]`: sample inputs
/// for `compile --inputs` and `simulate`, or recorded outputs.
pub type Samples = Vec<Vec<Vec<bool>>>;

/// Reads sample spike trains: a `.npy` of shape `[samples, steps, channels…]`
/// (trailing dimensions flattened in C order) or, for any spike file, the one
/// stream it holds. Values must be 0 or 1.
pub fn load_samples(path: &Path) -> Result<Samples> {
    let bad = |message: String| ChipError::SpikeFile {
        path: path.to_path_buf(),
        message,
    };
    if ext(path).as_deref() == Some("npy") {
        let bytes = std::fs::read(path).map_err(|e| ChipError::io(path, e))?;
        return samples_from_npy(&bytes).map_err(bad);
    }
    let s = SpikeStream::load(path)?;
    Ok(vec![s.to_rows().map_err(bad)?])
}

/// Sample spike trains from the bytes of a `.npy` (3 or more dimensions:
/// `[samples, steps, channels…]`; 2 dimensions: one sample).
pub fn samples_from_npy(bytes: &[u8]) -> std::result::Result<Samples, String> {
    let a = NumericArray::from_npy(bytes)?;
    if a.shape.len() >= 3 {
        return samples_from_array(&a);
    }
    Ok(vec![SpikeStream::from_array(&a)?.to_rows()?])
}

fn samples_from_array(a: &NumericArray) -> std::result::Result<Samples, String> {
    let (samples, steps) = (a.shape[0], a.shape[1]);
    let channels: u64 = a.shape[2..].iter().product();
    if samples == 0 || steps == 0 || channels == 0 {
        return Err(format!(
            "shape {:?} holds no spikes: expected [samples ≥ 1, steps ≥ 1, channels ≥ 1…]",
            a.shape
        ));
    }
    check_size(
        channels.min(u32::MAX as u64 + 1) as u32,
        steps.min(u32::MAX as u64 + 1) as u32,
    )
    .map_err(|e| format!("shape {:?}: {e}", a.shape))?;
    if a.values.len() as u64 > MAX_DENSE_CELLS {
        return Err(format!(
            "shape {:?} has more than the {MAX_DENSE_CELLS} cells a dense spike matrix may hold",
            a.shape
        ));
    }
    a.check_binary()?;
    let (steps, channels) = (steps as usize, channels as usize);
    Ok(a.values
        .chunks_exact(steps * channels)
        .map(|sample| {
            sample
                .chunks_exact(channels)
                .map(|row| row.iter().map(|&v| v == 1.0).collect())
                .collect()
        })
        .collect())
}

impl SpikeStream {
    /// Builds a stream; events are sorted and checked against `channels` and
    /// `steps` (and those against [`crate::limits`]). An event listed twice is an error.
    pub fn new(
        channels: u32,
        steps: u32,
        dt: f64,
        events: Vec<Spike>,
    ) -> std::result::Result<Self, String> {
        let s = Self::merging(channels, steps, dt, events)?;
        if s.merged > 0 {
            let dup = s.first_duplicate.expect("a merge has a first duplicate");
            return Err(format!(
                "event (t={}, channel={}) is listed more than once ({} duplicate events in all); a channel fires at most once per timestep",
                dup.timestep, dup.channel, s.merged
            ));
        }
        Ok(s.stream)
    }

    /// Builds a stream from events that may coincide, keeping one spike per
    /// `(timestep, channel)`; says how many were merged.
    pub fn merging(
        channels: u32,
        steps: u32,
        dt: f64,
        mut events: Vec<Spike>,
    ) -> std::result::Result<Merged, String> {
        check_size(channels, steps)?;
        if !(dt.is_finite() && dt >= 0.0) {
            return Err(format!(
                "dt is {dt}, expected a non-negative number of seconds"
            ));
        }
        events.sort_unstable();
        if let Some(e) = events
            .iter()
            .find(|e| e.channel >= channels || e.timestep >= steps)
        {
            return Err(format!(
                "event (t={}, channel={}) lies outside {steps} steps × {channels} channels",
                e.timestep, e.channel
            ));
        }
        let before = events.len();
        let first_duplicate = events.windows(2).find(|w| w[0] == w[1]).map(|w| w[0]);
        events.dedup();
        Ok(Merged {
            merged: before - events.len(),
            first_duplicate,
            stream: SpikeStream {
                channels,
                steps,
                dt,
                events,
            },
        })
    }

    /// From dense rows (`rows[t][channel]`), padded with silence to `steps` steps.
    pub fn from_rows(rows: &[Vec<bool>], steps: u32, dt: f64) -> std::result::Result<Self, String> {
        let channels = rows.first().map_or(0, Vec::len) as u32;
        let events = rows
            .iter()
            .enumerate()
            .flat_map(|(t, row)| {
                row.iter()
                    .enumerate()
                    .filter(|(_, &s)| s)
                    .map(move |(c, _)| Spike {
                        timestep: t as u32,
                        channel: c as u32,
                    })
            })
            .collect();
        Self::new(channels, steps.max(rows.len() as u32), dt, events)
    }

    pub fn empty(channels: u32, steps: u32, dt: f64) -> Self {
        SpikeStream {
            channels,
            steps,
            dt,
            events: Vec::new(),
        }
    }

    pub fn events(&self) -> &[Spike] {
        &self.events
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events of timestep `t`, found from `*cursor` onward, which it
    /// advances: walking the steps in order costs O(events) in all and no
    /// memory per step (a file's step count alone never decides an allocation).
    pub fn events_at(&self, t: u32, cursor: &mut usize) -> &[Spike] {
        let ev = &self.events;
        while *cursor < ev.len() && ev[*cursor].timestep < t {
            *cursor += 1;
        }
        let start = *cursor;
        let mut end = start;
        while end < ev.len() && ev[end].timestep == t {
            end += 1;
        }
        &ev[start..end]
    }

    /// Cells of the dense matrix, checked against [`MAX_DENSE_CELLS`].
    pub fn dense_cells(&self) -> std::result::Result<u64, String> {
        let cells = self.steps as u64 * self.channels as u64;
        if cells > MAX_DENSE_CELLS {
            return Err(format!(
                "{} steps × {} channels is {cells} cells, more than the {MAX_DENSE_CELLS} a dense spike matrix may hold",
                self.steps, self.channels
            ));
        }
        Ok(cells)
    }

    /// Dense `[steps][channels]` rows (for the float reference), bounded by [`MAX_DENSE_CELLS`].
    pub fn to_rows(&self) -> std::result::Result<Vec<Vec<bool>>, String> {
        self.dense_cells()?;
        let mut rows = vec![vec![false; self.channels as usize]; self.steps as usize];
        for e in &self.events {
            rows[e.timestep as usize][e.channel as usize] = true;
        }
        Ok(rows)
    }

    /// Dense `[steps][channels]` 0/1 matrix, row-major. For streams this
    /// program made (outputs); check [`Self::dense_cells`] first for others.
    pub fn to_dense(&self) -> Vec<u8> {
        let mut m = vec![0u8; self.steps as usize * self.channels as usize];
        for e in &self.events {
            m[e.timestep as usize * self.channels as usize + e.channel as usize] = 1;
        }
        m
    }

    // ---- files ----

    /// Reads `.aer`, `.csv` or `.npy` by extension.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| ChipError::io(path, e))?;
        let bad = |message: String| ChipError::SpikeFile {
            path: path.to_path_buf(),
            message,
        };
        match ext(path).as_deref() {
            Some("aer") => Self::from_aer(&bytes).map_err(bad),
            Some("csv") => Self::from_csv(&bytes).map_err(bad),
            Some("npy") => Self::from_npy(&bytes).map_err(bad),
            _ => Err(ChipError::Extension {
                path: path.to_path_buf(),
                expected: ".aer, .csv or .npy",
            }),
        }
    }

    /// Writes `.aer`, `.csv` or `.npy` by extension, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = match ext(path).as_deref() {
            Some("aer") => self.to_aer(),
            Some("csv") => self.to_csv(),
            Some("npy") => self.to_npy(),
            _ => {
                return Err(ChipError::Extension {
                    path: path.to_path_buf(),
                    expected: ".aer, .csv or .npy",
                })
            }
        };
        crate::write_atomic(path, &bytes)
    }

    pub fn to_aer(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(AER_HEADER_LEN + 8 * self.events.len());
        b.extend_from_slice(AER_MAGIC);
        b.extend_from_slice(&AER_VERSION.to_le_bytes());
        b.extend_from_slice(&self.channels.to_le_bytes());
        b.extend_from_slice(&self.steps.to_le_bytes());
        b.extend_from_slice(&self.dt.to_le_bytes());
        b.extend_from_slice(&(self.events.len() as u64).to_le_bytes());
        for e in &self.events {
            b.extend_from_slice(&e.timestep.to_le_bytes());
            b.extend_from_slice(&e.channel.to_le_bytes());
        }
        b
    }

    pub fn from_aer(b: &[u8]) -> std::result::Result<Self, String> {
        if b.len() < AER_HEADER_LEN {
            return Err(format!(
                "{} bytes is shorter than the {AER_HEADER_LEN}-byte AER header",
                b.len()
            ));
        }
        if &b[..6] != AER_MAGIC {
            return Err("missing the 'SFAER' magic at byte 0".into());
        }
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let version = u16::from_le_bytes([b[6], b[7]]);
        if version != AER_VERSION {
            return Err(format!(
                "AER version {version} at byte 6; this spikefab reads version {AER_VERSION}"
            ));
        }
        let channels = u32_at(8);
        let steps = u32_at(12);
        let dt = f64::from_le_bytes(b[16..24].try_into().expect("8 bytes"));
        let count = u64::from_le_bytes(b[24..32].try_into().expect("8 bytes"));
        let body = &b[AER_HEADER_LEN..];
        if body.len() as u64 != count.saturating_mul(8) {
            return Err(format!(
                "header at byte 24 announces {count} events ({} bytes), but {} bytes follow the header",
                count.saturating_mul(8),
                body.len()
            ));
        }
        if !(dt.is_finite() && dt >= 0.0) {
            return Err(format!(
                "dt at byte 16 is {dt}, expected a non-negative number of seconds"
            ));
        }
        check_size(channels, steps).map_err(|e| format!("header at byte 8: {e}"))?;
        let mut events = Vec::with_capacity(count as usize);
        for (k, chunk) in body.chunks_exact(8).enumerate() {
            let e = Spike {
                timestep: u32::from_le_bytes(chunk[..4].try_into().expect("4 bytes")),
                channel: u32::from_le_bytes(chunk[4..].try_into().expect("4 bytes")),
            };
            if e.channel >= channels || e.timestep >= steps {
                return Err(format!(
                    "event {k} at byte {} is (t={}, channel={}), outside the header's {steps} steps × {channels} channels",
                    AER_HEADER_LEN + 8 * k,
                    e.timestep,
                    e.channel
                ));
            }
            events.push(e);
        }
        Self::new(channels, steps, dt, events)
    }

    pub fn to_csv(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(16 + 12 * self.events.len());
        b.extend_from_slice(b"timestep,channel\n");
        for e in &self.events {
            writeln!(b, "{},{}", e.timestep, e.channel).expect("writing to a Vec cannot fail");
        }
        b
    }

    pub fn from_csv(b: &[u8]) -> std::result::Result<Self, String> {
        let text = std::str::from_utf8(b).map_err(|e| format!("not UTF-8 text: {e}"))?;
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, h)) if h.trim().replace(' ', "") == "timestep,channel" => {}
            Some((_, h)) => {
                return Err(format!(
                    "line 1 is '{h}', expected the header 'timestep,channel'"
                ))
            }
            None => return Err("empty file: expected the header 'timestep,channel'".into()),
        }
        let mut events = Vec::new();
        for (i, line) in lines {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let parse = |s: Option<&str>| s.and_then(|s| s.trim().parse::<u32>().ok());
            let mut f = line.split(',');
            match (parse(f.next()), parse(f.next()), f.next()) {
                (Some(timestep), Some(channel), None) => {
                    if timestep >= MAX_STEPS || channel >= MAX_CHANNELS {
                        return Err(format!(
                            "line {}: (t={timestep}, channel={channel}) lies beyond the {MAX_STEPS} steps × {MAX_CHANNELS} channels a spike stream may have",
                            i + 1
                        ));
                    }
                    events.push(Spike { timestep, channel })
                }
                _ => {
                    return Err(format!(
                    "line {}: '{line}' is not 'timestep,channel' with two non-negative integers",
                    i + 1
                ))
                }
            }
        }
        let channels = events.iter().map(|e| e.channel + 1).max().unwrap_or(0);
        let steps = events.iter().map(|e| e.timestep + 1).max().unwrap_or(0);
        Self::new(channels, steps, 0.0, events)
    }

    pub fn to_npy(&self) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = npyz::WriteOptions::<u8>::new()
                .default_dtype()
                .shape(&[self.steps as u64, self.channels as u64])
                .writer(&mut out)
                .begin_nd()
                .expect("writing to a Vec cannot fail");
            w.extend(self.to_dense())
                .expect("writing to a Vec cannot fail");
            w.finish().expect("writing to a Vec cannot fail");
        }
        out
    }

    pub fn from_npy(b: &[u8]) -> std::result::Result<Self, String> {
        Self::from_array(&NumericArray::from_npy(b)?)
    }

    /// A `[timesteps, channels]` array of 0/1 as a stream.
    fn from_array(a: &NumericArray) -> std::result::Result<Self, String> {
        let shape = &a.shape;
        if shape.len() != 2 {
            return Err(format!(
                "array has shape {shape:?}; expected 2 dimensions [timesteps, channels]"
            ));
        }
        let (steps, channels) = (shape[0], shape[1]);
        if steps > MAX_STEPS as u64 || channels > MAX_CHANNELS as u64 {
            return Err(format!(
                "shape {shape:?} is beyond the {MAX_STEPS} steps × {MAX_CHANNELS} channels a spike stream may have"
            ));
        }
        a.check_binary()?;
        let events = a
            .values
            .iter()
            .enumerate()
            .filter(|(_, &x)| x == 1.0)
            .map(|(k, _)| Spike {
                timestep: (k as u64 / channels) as u32,
                channel: (k as u64 % channels) as u32,
            })
            .collect();
        Self::new(channels as u32, steps as u32, 0.0, events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stream() -> impl Strategy<Value = SpikeStream> {
        (1u32..40, 1u32..60).prop_flat_map(|(ch, steps)| {
            proptest::collection::btree_set((0..steps, 0..ch), 0..200).prop_map(move |set| {
                let ev = set
                    .into_iter()
                    .map(|(t, c)| Spike {
                        timestep: t,
                        channel: c,
                    })
                    .collect();
                SpikeStream::new(ch, steps, 1e-3, ev).unwrap()
            })
        })
    }

    proptest! {
        #[test]
        fn aer_round_trips(s in stream()) {
            prop_assert_eq!(SpikeStream::from_aer(&s.to_aer()).unwrap(), s);
        }

        #[test]
        fn npy_round_trips_up_to_dt(s in stream()) {
            let back = SpikeStream::from_npy(&s.to_npy()).unwrap();
            prop_assert_eq!(back.events(), s.events());
            prop_assert_eq!((back.channels, back.steps), (s.channels, s.steps));
        }

        #[test]
        fn csv_round_trips_its_events(s in stream()) {
            let back = SpikeStream::from_csv(&s.to_csv()).unwrap();
            prop_assert_eq!(back.events(), s.events());
        }

        /// Truncating an AER file anywhere gives an error, never a panic or a shorter stream.
        #[test]
        fn truncated_aer_is_an_error(s in stream(), cut in 0usize..2000) {
            let b = s.to_aer();
            if cut < b.len() {
                prop_assert!(SpikeStream::from_aer(&b[..cut]).is_err());
            }
        }

        /// Arbitrary bytes never panic the readers.
        #[test]
        fn garbage_never_panics(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = SpikeStream::from_aer(&b);
            let _ = SpikeStream::from_npy(&b);
            let _ = SpikeStream::from_csv(&b);
        }
    }

    #[test]
    fn npy_rejects_non_binary_values_with_position() {
        let mut s = SpikeStream::new(3, 2, 0.0, vec![]).unwrap().to_npy();
        let n = s.len();
        s[n - 1] = 7; // last element of a uint8 array
        let e = SpikeStream::from_npy(&s).unwrap_err();
        assert!(e.contains("[1, 2]"), "{e}");
    }

    #[test]
    fn csv_errors_name_the_line() {
        let e = SpikeStream::from_csv(b"timestep,channel\n0,1\n3,x\n").unwrap_err();
        assert!(e.contains("line 3"), "{e}");
    }
}
