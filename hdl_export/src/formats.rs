//! The same words in three memory-initialisation formats, and the block-RAM estimate.

use crate::layout::Word;
use crate::tables::Memory;

fn hex(word: Word, digits: usize) -> String {
    format!("{word:0digits$x}")
}

/// `$readmemh`: one word per line, no comments, exactly `depth` lines (Vivado
/// rejects comments in .mem files).
pub fn mem(m: &Memory) -> String {
    let digits = m.width.div_ceil(4) as usize;
    let mut s = String::with_capacity(m.depth() * (digits + 1));
    for i in 0..m.depth() {
        s.push_str(&hex(m.words.get(i).copied().unwrap_or(Word::ZERO), digits));
        s.push('\n');
    }
    s
}

/// Xilinx `.coe`: radix line, then the vector, comma-separated, ending in `;`.
pub fn coe(m: &Memory) -> String {
    let digits = m.width.div_ceil(4) as usize;
    let mut s = String::from("memory_initialization_radix=16;\nmemory_initialization_vector=\n");
    for i in 0..m.depth() {
        s.push_str(&hex(m.words.get(i).copied().unwrap_or(Word::ZERO), digits));
        s.push_str(if i + 1 == m.depth() { ";\n" } else { ",\n" });
    }
    s
}

/// Intel `.mif`: DEPTH/WIDTH/radix header, `CONTENT BEGIN … END;`.
pub fn mif(m: &Memory) -> String {
    let digits = m.width.div_ceil(4) as usize;
    let mut s = format!(
        "DEPTH = {};\nWIDTH = {};\nADDRESS_RADIX = HEX;\nDATA_RADIX = HEX;\nCONTENT\nBEGIN\n",
        m.depth(),
        m.width
    );
    for i in 0..m.depth() {
        s.push_str(&format!(
            "{i:x} : {};\n",
            hex(m.words.get(i).copied().unwrap_or(Word::ZERO), digits)
        ));
    }
    s.push_str("END;\n");
    s
}

/// Xilinx RAMB18 aspect ratios (depth, width) from UG473.
pub const RAMB18_SHAPES: [(usize, usize); 6] = [
    (16384, 1),
    (8192, 2),
    (4096, 4),
    (2048, 9),
    (1024, 18),
    (512, 36),
];

/// RAMB18 blocks for a `depth × width` memory: `ceil(D/d)·ceil(W/w)` minimised
/// over the block's aspect ratios.
pub fn ramb18(depth: usize, width: usize) -> usize {
    RAMB18_SHAPES
        .iter()
        .map(|&(d, w)| depth.div_ceil(d) * width.div_ceil(w))
        .min()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(words: Vec<u128>) -> Memory {
        let words = words.into_iter().map(Word::from).collect();
        Memory {
            name: "x".into(),
            width: 10,
            words,
        }
    }

    #[test]
    fn mem_has_one_bare_word_per_line_padded_to_depth() {
        assert_eq!(mem(&m(vec![1, 0x3ff])), "001\n3ff\n");
        assert_eq!(mem(&m(vec![])), "000\n");
    }

    #[test]
    fn coe_and_mif_syntax() {
        let c = coe(&m(vec![1, 2, 3]));
        assert_eq!(
            c,
            "memory_initialization_radix=16;\nmemory_initialization_vector=\n001,\n002,\n003;\n"
        );
        let f = mif(&m(vec![1, 0x2a]));
        assert!(f.starts_with("DEPTH = 2;\nWIDTH = 10;\nADDRESS_RADIX = HEX;\nDATA_RADIX = HEX;\nCONTENT\nBEGIN\n"), "{f}");
        assert!(f.ends_with("0 : 001;\n1 : 02a;\nEND;\n"), "{f}");
    }

    #[test]
    fn bram_estimate_picks_the_best_aspect_ratio() {
        assert_eq!(ramb18(512, 36), 1);
        assert_eq!(ramb18(1024, 72), 4); // 512x36: 2 deep × 2 wide
        assert_eq!(ramb18(16384, 32), 32); // 512 Kbit need 32 blocks of 18 Kbit, whatever the shape
        assert_eq!(ramb18(256, 72), 2); // shallow and wide: 512x36 twice
        assert_eq!(ramb18(2048, 9), 1);
    }
}
