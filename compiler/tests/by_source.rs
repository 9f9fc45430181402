//! The quantizer's index of a projection's synapses by source gives the
//! rows of the by-source copy it replaced, in the same order, for dense and
//! sparse weights (listed in any order, or in source order, which it reads
//! in place); the synapse count needs neither.

use proptest::prelude::*;
use spikefab_compiler::Weights;

fn check(w: &Weights) -> Result<(), TestCaseError> {
    let copy = w.by_source();
    let index = w.index_by_source();
    let rows: Vec<Vec<(u32, f64)>> = index.rows().map(|r| r.collect()).collect();
    prop_assert_eq!(&rows, &copy);
    prop_assert_eq!(w.count_nonzero(), copy.iter().map(Vec::len).sum::<usize>());
    Ok(())
}

proptest! {
    #[test]
    fn sparse_rows_keep_their_order(
        sources in 1usize..12, targets in 1usize..12,
        raw in prop::collection::vec((0u32..12, 0u32..12, -2i8..3), 0..80),
    ) {
        let synapses = raw
            .into_iter()
            .map(|(t, s, w)| (t % targets as u32, s % sources as u32, w as f64 * 0.25))
            .collect();
        check(&Weights::Sparse { targets, sources, synapses })?;
    }

    #[test]
    fn sparse_rows_in_source_order_are_ranges(
        sources in 1usize..12, targets in 1usize..12,
        raw in prop::collection::vec((0u32..12, 0u32..12, -2i8..3), 0..80),
    ) {
        let mut synapses: Vec<(u32, u32, f64)> = raw
            .into_iter()
            .map(|(t, s, w)| (t % targets as u32, s % sources as u32, w as f64 * 0.25))
            .collect();
        synapses.sort_by_key(|x| x.1); // stable: a source's targets keep their order
        check(&Weights::Sparse { targets, sources, synapses })?;
    }

    #[test]
    fn dense_rows_skip_zeros(
        rows in prop::collection::vec(prop::collection::vec(-2i8..3, 5), 1..8),
    ) {
        check(&Weights::Dense(
            rows.into_iter().map(|r| r.into_iter().map(|w| w as f64).collect()).collect(),
        ))?;
    }
}
