//! The compiler's flat table builder (`from_sorted_sources`, linear in the
//! synapses) gives exactly the table of the per-axon builder it replaced.

use proptest::prelude::*;
use spikefab_chip::program::{RowSynapse, SynapseTable};

proptest! {
    #[test]
    fn sorted_sources_build_the_table_of_their_rows(
        entries in prop::collection::vec(
            (0u32..40, any::<u16>(), any::<i16>(), 0u8..4, 0u8..3, 0u8..2), 0..200),
    ) {
        let mut entries: Vec<(u32, RowSynapse)> = entries
            .into_iter()
            .map(|(g, target, weight, delay, rule, shift)| {
                (g, RowSynapse { target, weight, delay, rule, shift })
            })
            .collect();
        entries.sort_by_key(|&(g, _)| g);
        let (axons, table) = SynapseTable::from_sorted_sources(&entries);
        // Rows by distinct source, in order, each keeping the entries' order.
        let mut expect_axons: Vec<u32> = entries.iter().map(|e| e.0).collect();
        expect_axons.dedup();
        let rows: Vec<Vec<RowSynapse>> = expect_axons
            .iter()
            .map(|&g| entries.iter().filter(|e| e.0 == g).map(|e| e.1).collect())
            .collect();
        prop_assert_eq!(axons, expect_axons);
        prop_assert_eq!(table, SynapseTable::from_ruled_rows(&rows));
    }
}
