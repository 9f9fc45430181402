//! The mesh network-on-chip: dimension-order (XY) routing between tiles,
//! hop counts by kind, and per-link load for the drain-time model.

use spikefab_chip::{EventCosts, TileCoord, Topology};

use crate::counters::Counters;

/// Direction of a directed link leaving a tile.
const EAST: usize = 0;
const WEST: usize = 1;
const NORTH: usize = 2;
const SOUTH: usize = 3;

/// Static routing facts of one mesh, shared read-only by all workers.
#[derive(Clone, Debug)]
pub struct Mesh {
    topo: Topology,
    width: u32,
    ew_ns: f64,
    ns_ns: f64,
    chip_ns: f64,
    /// `x_cut[x]`: the link between columns x and x + 1 crosses a chip's
    /// edge (and `y_cut` for rows). Looked up per hop: the division in
    /// [`Topology::chip_of`] was most of the routing loop on large meshes.
    x_cut: Vec<bool>,
    y_cut: Vec<bool>,
}

impl Mesh {
    pub fn new(topo: Topology, costs: &EventCosts) -> Self {
        let (width, height) = topo.mesh_size();
        let cuts = |n: u32, per_chip: u32| -> Vec<bool> {
            (0..n).map(|i| (i + 1) % per_chip.max(1) == 0).collect()
        };
        Mesh {
            topo,
            width,
            ew_ns: costs.hop_east_west.latency_ns,
            ns_ns: costs.hop_north_south.latency_ns,
            chip_ns: costs.hop_chip.latency_ns,
            x_cut: cuts(width, topo.tiles_x),
            y_cut: cuts(height, topo.tiles_y),
        }
    }

    /// Directed links: four per tile (E, W, N, S).
    pub fn num_links(&self) -> usize {
        self.topo.num_tiles() * 4
    }

    /// Serialisation time of one message on a link.
    pub fn link_ns(&self, link: usize) -> f64 {
        if link % 4 < 2 {
            self.ew_ns
        } else {
            self.ns_ns
        }
    }

    /// Routes one message X-then-Y from `src` to `dst`: adds its hops to
    /// `counters`, one message to each link it crosses in `link_load`, and
    /// returns its head latency in ns.
    #[inline]
    pub fn route(
        &self,
        src: TileCoord,
        dst: TileCoord,
        counters: &mut Counters,
        link_load: &mut [u32],
    ) -> f64 {
        let mut ns = 0.0;
        let (mut x, y) = (src.x, src.y);
        while x != dst.x {
            let (dir, nx) = if dst.x > x {
                (EAST, x + 1)
            } else {
                (WEST, x - 1)
            };
            link_load[((y * self.width + x) as usize) * 4 + dir] += 1;
            ns += self.hop(self.x_cut[x.min(nx) as usize], counters, true);
            x = nx;
        }
        let mut y = y;
        while y != dst.y {
            let (dir, ny) = if dst.y > y {
                (NORTH, y + 1)
            } else {
                (SOUTH, y - 1)
            };
            link_load[((y * self.width + x) as usize) * 4 + dir] += 1;
            ns += self.hop(self.y_cut[y.min(ny) as usize], counters, false);
            y = ny;
        }
        ns
    }

    /// One hop's kind and time; `chip_edge`: it crosses from one chip to the next.
    #[inline]
    fn hop(&self, chip_edge: bool, counters: &mut Counters, east_west: bool) -> f64 {
        if chip_edge {
            counters.hops_chip += 1;
            self.chip_ns
        } else if east_west {
            counters.hops_east_west += 1;
            self.ew_ns
        } else {
            counters.hops_north_south += 1;
            self.ns_ns
        }
    }

    /// Time to drain one timestep's traffic: the slowest message's head latency
    /// plus the queueing on the busiest link, where each message after the
    /// first waits one link-serialisation time.
    pub fn drain_ns(&self, max_head_ns: f64, link_load: &[u32]) -> f64 {
        let queue = link_load
            .iter()
            .enumerate()
            .filter(|(_, &l)| l > 1)
            .map(|(i, &l)| (l - 1) as f64 * self.link_ns(i))
            .fold(0.0, f64::max);
        max_head_ns + queue
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spikefab_chip::Arch;

    /// Link index on the 8-wide loihi mesh.
    fn link(x: usize, y: usize, dir: usize) -> usize {
        (y * 8 + x) * 4 + dir
    }

    #[test]
    fn xy_route_counts_hops_and_loads_links() {
        let arch = Arch::preset("loihi").unwrap();
        let mesh = Mesh::new(arch.topology, &arch.costs);
        let mut c = Counters::default();
        let mut load = vec![0; mesh.num_links()];
        let ns = mesh.route(
            TileCoord { x: 1, y: 0 },
            TileCoord { x: 4, y: 2 },
            &mut c,
            &mut load,
        );
        assert_eq!((c.hops_east_west, c.hops_north_south), (3, 2));
        assert!((ns - (3.0 * 4.1 + 2.0 * 6.5)).abs() < 1e-9);
        assert_eq!(load.iter().sum::<u32>(), 5);
        // X first along row 0, then up column 4.
        assert_eq!(load[link(1, 0, EAST)], 1);
        assert_eq!(load[link(3, 0, EAST)], 1);
        assert_eq!(load[link(4, 0, NORTH)], 1);
        assert_eq!(load[link(4, 1, NORTH)], 1);
        // Back the other way uses the opposite links.
        mesh.route(
            TileCoord { x: 4, y: 2 },
            TileCoord { x: 1, y: 0 },
            &mut c,
            &mut load,
        );
        assert_eq!(load[link(4, 2, WEST)], 1);
        assert_eq!(load[link(1, 1, SOUTH)], 1);
        assert_eq!(load[link(1, 2, SOUTH)], 1);
        assert_eq!(load[link(1, 0, SOUTH)], 0);
    }

    #[test]
    fn chip_boundaries_cost_chip_hops() {
        let mut arch = Arch::preset("fpga-small").unwrap();
        arch.topology.chips_x = 2; // two 2x2 chips side by side
        let mesh = Mesh::new(arch.topology, &arch.costs);
        let mut c = Counters::default();
        let mut load = vec![0; mesh.num_links()];
        mesh.route(
            TileCoord { x: 0, y: 0 },
            TileCoord { x: 3, y: 0 },
            &mut c,
            &mut load,
        );
        assert_eq!((c.hops_east_west, c.hops_chip), (2, 1));
        // every route agrees with Topology::chip_of on a 3 x 2 board of 2 x 2 chips
        arch.topology.chips_y = 2;
        arch.topology.chips_x = 3;
        let mesh = Mesh::new(arch.topology, &arch.costs);
        let (w, h) = arch.topology.mesh_size();
        let tiles = || (0..w).flat_map(move |x| (0..h).map(move |y| TileCoord { x, y }));
        let mut load = vec![0; mesh.num_links()];
        for a in tiles() {
            for b in tiles() {
                let mut c = Counters::default();
                mesh.route(a, b, &mut c, &mut load);
                let (ca, cb) = (arch.topology.chip_of(a), arch.topology.chip_of(b));
                let crossings = ca.0.abs_diff(cb.0) + ca.1.abs_diff(cb.1);
                assert_eq!(c.hops_chip, crossings as u64, "{a:?} -> {b:?}");
                assert_eq!(
                    c.hops_chip + c.hops_east_west + c.hops_north_south,
                    (a.x.abs_diff(b.x) + a.y.abs_diff(b.y)) as u64
                );
            }
        }
    }

    #[test]
    fn drain_adds_queueing_on_the_busiest_link() {
        let arch = Arch::preset("loihi").unwrap();
        let mesh = Mesh::new(arch.topology, &arch.costs);
        let mut load = vec![0; mesh.num_links()];
        load[EAST] = 5;
        load[NORTH] = 3;
        let d = mesh.drain_ns(10.0, &load);
        assert!((d - (10.0 + (4.0 * 4.1f64).max(2.0 * 6.5))).abs() < 1e-9);
    }
}
