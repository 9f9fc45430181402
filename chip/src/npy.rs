//! Reading numeric `.npy` arrays whatever their dtype and memory order.
//!
//! numpy writes C order by default but Fortran order for a transposed or
//! `asfortranarray` array; reading the latter as C order silently scrambles
//! it, so the order is honoured here. Sizes are checked against the bytes
//! actually present before anything is allocated.

use npyz::{DType, NpyFile, Order, TypeChar};

/// An n-dimensional array as f64 values in C (row-major) order.
#[derive(Clone, Debug, PartialEq)]
pub struct NumericArray {
    pub shape: Vec<u64>,
    pub values: Vec<f64>,
}

impl NumericArray {
    /// Parses a `.npy` file of bool, integer or float values.
    pub fn from_npy(b: &[u8]) -> Result<NumericArray, String> {
        check_header(b)?;
        let npy = NpyFile::new(b).map_err(|e| format!("not a valid .npy file: {e}"))?;
        let shape = npy.shape().to_vec();
        let order = npy.order();
        let DType::Plain(ts) = npy.dtype() else {
            return Err("structured dtypes are not supported; use bool, int or float".into());
        };
        let size = ts.size_field();
        let count = shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| format!("shape {shape:?} overflows"))?;
        // The header is part of `b`, so this bound is generous by the header's length.
        let needed = count.checked_mul(size.max(1));
        if needed.is_none_or(|n| n > b.len() as u64) {
            return Err(format!(
                "truncated: shape {shape:?} of {size}-byte values needs {} data bytes, the file has {} in all",
                needed.map_or("too many".to_string(), |n| n.to_string()),
                b.len()
            ));
        }
        let read = |e: std::io::Error| format!("could not read the array data: {e}");
        let values: Vec<f64> = match (ts.type_char(), size) {
            (TypeChar::Bool, 1) => cast(npy.into_vec::<bool>().map_err(read)?, |x| x as u8 as f64),
            (TypeChar::Uint, 1) => cast(npy.into_vec::<u8>().map_err(read)?, f64::from),
            (TypeChar::Uint, 2) => cast(npy.into_vec::<u16>().map_err(read)?, f64::from),
            (TypeChar::Uint, 4) => cast(npy.into_vec::<u32>().map_err(read)?, f64::from),
            (TypeChar::Uint, 8) => cast(npy.into_vec::<u64>().map_err(read)?, |x| x as f64),
            (TypeChar::Int, 1) => cast(npy.into_vec::<i8>().map_err(read)?, f64::from),
            (TypeChar::Int, 2) => cast(npy.into_vec::<i16>().map_err(read)?, f64::from),
            (TypeChar::Int, 4) => cast(npy.into_vec::<i32>().map_err(read)?, f64::from),
            (TypeChar::Int, 8) => cast(npy.into_vec::<i64>().map_err(read)?, |x| x as f64),
            (TypeChar::Float, 4) => cast(npy.into_vec::<f32>().map_err(read)?, f64::from),
            (TypeChar::Float, 8) => npy.into_vec::<f64>().map_err(read)?,
            (c, s) => {
                return Err(format!(
                    "dtype {c:?} of {s} bytes is not supported; use bool, int or float"
                ))
            }
        };
        if values.len() as u64 != count {
            return Err(format!(
                "array has {} values, its shape {shape:?} needs {count}",
                values.len()
            ));
        }
        let values = match order {
            Order::C => values,
            Order::Fortran => fortran_to_c(&shape, &values),
        };
        Ok(NumericArray { shape, values })
    }

    /// The C-order multi-index of flat position `k`, for messages.
    pub fn index_of(&self, mut k: usize) -> Vec<u64> {
        let mut idx = vec![0u64; self.shape.len()];
        for (d, &n) in self.shape.iter().enumerate().rev() {
            if n > 0 {
                idx[d] = k as u64 % n;
                k /= n as usize;
            }
        }
        idx
    }

    /// Checks that every value is 0 or 1 (a spike array); the error gives the index.
    pub fn check_binary(&self) -> Result<(), String> {
        match self.values.iter().position(|&x| x != 0.0 && x != 1.0) {
            None => Ok(()),
            Some(k) => Err(format!(
                "value {} at {:?} is not 0 or 1: spike arrays hold one spike per (timestep, channel) at most",
                self.values[k],
                self.index_of(k)
            )),
        }
    }
}

/// Longest header dict accepted, and how deep brackets may nest in it (a
/// real header is a dict holding one shape tuple: depth 2).
const MAX_HEADER_LEN: usize = 4096;
const MAX_HEADER_DEPTH: usize = 4;

/// Checks the header's framing before the header parser sees it: the parser
/// npyz uses takes exponential time on deeply nested brackets (a 126-byte
/// header of `{{{{…(` stalled it for minutes; found by fuzzing).
fn check_header(b: &[u8]) -> Result<(), String> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        return Err("not a valid .npy file: no '\\x93NUMPY' magic".into());
    }
    let (len, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 if b.len() >= 12 => (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12),
        v => return Err(format!("not a valid .npy file: format version {v}")),
    };
    if len > MAX_HEADER_LEN {
        return Err(format!(
            "not a valid .npy file: a {len}-byte header (at most {MAX_HEADER_LEN})"
        ));
    }
    let header = b
        .get(start..start + len)
        .ok_or("not a valid .npy file: truncated header")?;
    let mut depth = 0usize;
    for &c in header {
        match c {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_HEADER_DEPTH {
                    return Err(format!(
                        "not a valid .npy file: brackets nest more than {MAX_HEADER_DEPTH} deep in the header"
                    ));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    check_shape(header, b.len())
}

/// The header's `'shape'` must be a tuple of plain non-negative integers
/// whose product fits the file: npyz multiplies the dimensions unchecked (an
/// overflow panic in checked builds, a wrapped count in release ones; found
/// by fuzzing), and its literal parser accepts expressions such as `1-7`.
fn check_shape(header: &[u8], file_len: usize) -> Result<(), String> {
    let bad = |why: &str| Err(format!("not a valid .npy file: the header's shape {why}"));
    let text = String::from_utf8_lossy(header);
    let Some(at) = text.find("'shape'").or_else(|| text.find("\"shape\"")) else {
        return bad("is missing");
    };
    let rest = &text[at + 7..];
    let (Some(open), Some(close)) = (rest.find('('), rest.find(')')) else {
        return bad("is not a tuple");
    };
    if close < open || !rest[..open].trim_start().starts_with(':') {
        return bad("is not a tuple");
    }
    let mut count = 1u64;
    for dim in rest[open + 1..close].split(',').map(str::trim) {
        if dim.is_empty() {
            continue; // `(5,)` and `()`
        }
        let digits = dim.strip_suffix('L').unwrap_or(dim); // Python 2's longs
        if !digits.bytes().all(|c| c.is_ascii_digit()) {
            return bad(&format!(
                "has a dimension '{dim}' that is not a plain integer"
            ));
        }
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("not a valid .npy file: shape dimension '{dim}' is too large"))?;
        count = count.saturating_mul(n);
    }
    // Every value takes at least one byte of the file.
    if count > file_len as u64 {
        return Err(format!(
            "truncated: the header's shape has {count} values, more than the file's {file_len} bytes can hold"
        ));
    }
    Ok(())
}

fn cast<T>(v: Vec<T>, f: impl Fn(T) -> f64) -> Vec<f64> {
    v.into_iter().map(f).collect()
}

/// Reorders column-major values into row-major order.
fn fortran_to_c(shape: &[u64], values: &[f64]) -> Vec<f64> {
    if shape.len() < 2 {
        return values.to_vec();
    }
    // Fortran strides: the first index varies fastest.
    let mut strides = vec![1usize; shape.len()];
    for d in 1..shape.len() {
        strides[d] = strides[d - 1] * shape[d - 1] as usize;
    }
    let mut idx = vec![0usize; shape.len()];
    let mut out = Vec::with_capacity(values.len());
    for _ in 0..values.len() {
        out.push(values[idx.iter().zip(&strides).map(|(i, s)| i * s).sum::<usize>()]);
        // advance the C-order index: last dimension fastest
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if (idx[d] as u64) < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use npyz::WriterBuilder;

    fn write(shape: &[u64], order: Order, data: &[f64]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = npyz::WriteOptions::<f64>::new()
            .default_dtype()
            .shape(shape)
            .order(order)
            .writer(&mut out)
            .begin_nd()
            .unwrap();
        w.extend(data.iter().copied()).unwrap();
        w.finish().unwrap();
        out
    }

    #[test]
    fn fortran_order_is_read_as_the_array_it_stands_for() {
        // a[i][j][k] = 100 i + 10 j + k, shape (2, 3, 4), stored column-major.
        let shape = [2u64, 3, 4];
        let c: Vec<f64> = (0..2)
            .flat_map(|i| {
                (0..3).flat_map(move |j| (0..4).map(move |k| (100 * i + 10 * j + k) as f64))
            })
            .collect();
        let mut f = Vec::new();
        for k in 0..4 {
            for j in 0..3 {
                for i in 0..2 {
                    f.push((100 * i + 10 * j + k) as f64);
                }
            }
        }
        let a = NumericArray::from_npy(&write(&shape, Order::Fortran, &f)).unwrap();
        assert_eq!(a.values, c);
        let b = NumericArray::from_npy(&write(&shape, Order::C, &c)).unwrap();
        assert_eq!(b.values, c);
        assert_eq!(a.index_of(23), vec![1, 2, 3]);
    }

    /// A `.npy` with a hand-written header and no data.
    pub(crate) fn header_only(descr: &str, shape: &str, fortran: bool) -> Vec<u8> {
        let mut dict = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
            if fortran { "True" } else { "False" }
        );
        while (10 + dict.len() + 1) % 64 != 0 {
            dict.push(' ');
        }
        dict.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        b.extend_from_slice(dict.as_bytes());
        b
    }

    /// Found by fuzzing: the header parser is exponential in bracket depth.
    #[test]
    fn deeply_nested_headers_are_refused_quickly() {
        let started = std::time::Instant::now();
        let e = NumericArray::from_npy(&header_only("|u2", &format!("{}(", "{".repeat(30)), false))
            .unwrap_err();
        assert!(e.contains("nest"), "{e}");
        assert!(started.elapsed().as_secs_f64() < 1.0);
    }

    #[test]
    fn huge_shapes_in_small_files_are_refused_before_allocating() {
        for shape in [
            "(4294967295, 4294967295)",
            "(4294967295, 1, 1)",
            "(18446744073709551615, 2)",
        ] {
            let e = NumericArray::from_npy(&header_only("<f8", shape, false)).unwrap_err();
            assert!(e.contains("can hold"), "{shape}: {e}");
        }
        // Found by fuzzing: npyz evaluates `1-7` in a shape and multiplies the
        // dimensions unchecked; such shapes never reach it.
        for shape in ["(14543964319919782, 10-7777, 3)", "(-1, 2)", "(2 * 3,)"] {
            let e = NumericArray::from_npy(&header_only("|u1", shape, false)).unwrap_err();
            assert!(e.contains("not a plain integer"), "{shape}: {e}");
        }
        // a zero-length dimension holds nothing and allocates nothing
        let a = NumericArray::from_npy(&header_only("|u1", "(4294967295, 0)", false)).unwrap();
        assert!(a.values.is_empty());
    }
}
