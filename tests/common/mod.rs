//! Helpers shared by the binary's integration tests.

/// A `.npy` file with a hand-written header dict (so tests can state shapes
/// and orders no writer would produce) followed by `body`.
pub fn npy_with_header(header: &str, body: &[u8]) -> Vec<u8> {
    let mut h = header.to_string();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(h.len() as u16).to_le_bytes());
    b.extend_from_slice(h.as_bytes());
    b.extend_from_slice(body);
    b
}
