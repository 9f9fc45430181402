//! The mesh network-on-chip: dimension-order (XY) routing between tiles,
//! hop counts by kind, and per-link load for the drain-time model.

use spikefab_chip::{EventCosts, TileCoord, Topology};

use crate::counters::Counters;

/// Direction of a directed link leaving a tile.
const EAST: usize = 0;
const WEST: usize = 1;
const NORTH: usize = 2;
const SOUTH: usize = 3;

/// A path's hops of each kind (on-chip hops exclude chip crossings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hops {
    pub east_west: u64,
    pub north_south: u64,
    pub chip: u64,
}

/// Static routing facts of one mesh, shared read-only by all workers.
#[derive(Clone, Debug)]
pub struct Mesh {
    topo: Topology,
    ew_ns: f64,
    ns_ns: f64,
    chip_ns: f64,
    /// `x_cuts[x]`: how many of the links between columns 0..=x cross a
    /// chip's edge (and `y_cuts` for rows), so that a leg's chip crossings
    /// are one subtraction.
    x_cuts: Vec<u32>,
    y_cuts: Vec<u32>,
}

impl Mesh {
    pub fn new(topo: Topology, costs: &EventCosts) -> Self {
        let (width, height) = topo.mesh_size();
        // prefix counts: the link between i and i + 1 is a chip edge when
        // i + 1 is a multiple of the chip's width
        let cuts = |n: u32, per_chip: u32| -> Vec<u32> {
            let mut acc = 0;
            let mut v = vec![0];
            for i in 0..n {
                acc += u32::from((i + 1) % per_chip.max(1) == 0);
                v.push(acc);
            }
            v
        };
        Mesh {
            topo,
            ew_ns: costs.hop_east_west.latency_ns,
            ns_ns: costs.hop_north_south.latency_ns,
            chip_ns: costs.hop_chip.latency_ns,
            x_cuts: cuts(width, topo.tiles_x),
            y_cuts: cuts(height, topo.tiles_y),
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
    /// `counters`, one message to each link it crosses in `links`, and
    /// returns its head latency in ns: its hops of each kind times that
    /// kind's latency. Constant time whatever the distance — on a board of
    /// chips a message crosses tens of tiles.
    #[inline]
    pub fn route(
        &self,
        src: TileCoord,
        dst: TileCoord,
        counters: &mut Counters,
        links: &mut LinkTally,
    ) -> f64 {
        let h = self.hops(src, dst);
        self.route_many(src, dst, h, 1, counters, links);
        self.latency_ns(h)
    }

    /// Routes `n` messages from `src` to `dst`, whose hops are `h`
    /// ([`Mesh::hops`]): what `n` calls of [`Mesh::route`] count, in one.
    /// A spike's routes come in core order, and a tile's cores are
    /// consecutive, so its messages to one tile are routed together.
    #[inline]
    pub fn route_many(
        &self,
        src: TileCoord,
        dst: TileCoord,
        h: Hops,
        n: u32,
        counters: &mut Counters,
        links: &mut LinkTally,
    ) {
        let (x0, x1, y0, y1) = (src.x, dst.x, src.y, dst.y);
        // X first along row y0, then Y along column x1.
        if x1 != x0 {
            links.row_leg(y0, x0, x1, n as i32);
        }
        if y1 != y0 {
            links.column_leg(x1, y0, y1, n as i32);
        }
        counters.hops_east_west += n as u64 * h.east_west;
        counters.hops_north_south += n as u64 * h.north_south;
        counters.hops_chip += n as u64 * h.chip;
    }

    /// A sender at `src` whose messages are routed as they are sent, those
    /// to one tile in a row together ([`Sends::send`]).
    pub fn sends_from(&self, src: TileCoord) -> Sends<'_> {
        Sends {
            mesh: self,
            src,
            run: None,
        }
    }

    /// The hops of each kind of the X-then-Y path from `src` to `dst`.
    #[inline]
    pub fn hops(&self, src: TileCoord, dst: TileCoord) -> Hops {
        let span = |a: u32, b: u32, cuts: &[u32]| {
            let (lo, hi) = (a.min(b) as usize, a.max(b) as usize);
            let chip = (cuts[hi] - cuts[lo]) as u64;
            ((hi - lo) as u64 - chip, chip)
        };
        let (east_west, chip_x) = span(src.x, dst.x, &self.x_cuts);
        let (north_south, chip_y) = span(src.y, dst.y, &self.y_cuts);
        Hops {
            east_west,
            north_south,
            chip: chip_x + chip_y,
        }
    }

    /// A message's head latency over `hops`: each kind's hops times its latency.
    #[inline]
    pub fn latency_ns(&self, h: Hops) -> f64 {
        h.east_west as f64 * self.ew_ns
            + h.north_south as f64 * self.ns_ns
            + h.chip as f64 * self.chip_ns
    }

    /// An empty tally of this mesh's links.
    pub fn tally(&self) -> LinkTally {
        let (w, h) = self.topo.mesh_size();
        let (w, h) = (w as usize, h as usize);
        LinkTally {
            width: w,
            height: h,
            rows: vec![0; 2 * h * (w + 1)],
            columns: vec![0; 2 * w * (h + 1)],
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

/// One sender's messages, routed in runs: a spike's routes come in core
/// order and a tile's cores are consecutive, so most of a neuron's
/// messages go to the tile its previous one went to (P16k: 16 messages a
/// spike into 4 tiles). A run is counted once, with its length: the same
/// integer hops and link loads as routing each message alone.
pub struct Sends<'m> {
    mesh: &'m Mesh,
    src: TileCoord,
    /// The tile of the messages in the run, their hops, how many, and
    /// their head latency.
    run: Option<(TileCoord, Hops, u32, f64)>,
}

impl Sends<'_> {
    /// Sends one message to `dst` and returns its head latency; its hops
    /// and link loads reach `counters` and `links` when its run ends.
    #[inline]
    pub fn send(&mut self, dst: TileCoord, counters: &mut Counters, links: &mut LinkTally) -> f64 {
        if let Some((tile, _, n, head)) = &mut self.run {
            if *tile == dst {
                *n += 1;
                return *head;
            }
        }
        self.finish(counters, links);
        let h = self.mesh.hops(self.src, dst);
        let head = self.mesh.latency_ns(h);
        self.run = Some((dst, h, 1, head));
        head
    }

    /// Counts the messages of the run so far.
    pub fn finish(&mut self, counters: &mut Counters, links: &mut LinkTally) {
        if let Some((dst, h, n, _)) = self.run.take() {
            self.mesh.route_many(self.src, dst, h, n, counters, links);
        }
    }
}

/// One worker's per-link message counts for a step, kept as difference
/// arrays along each row (east- and westbound links) and each column
/// (north- and southbound): a leg adds ±1 at its two ends, whatever its
/// length, and [`LinkTally::drain_into`] turns them into per-link counts.
#[derive(Clone, Debug)]
pub struct LinkTally {
    width: usize,
    height: usize,
    /// `[east | west][y][x]`, `width + 1` a row.
    rows: Vec<i32>,
    /// `[north | south][x][y]`, `height + 1` a column.
    columns: Vec<i32>,
}

impl LinkTally {
    /// `n` messages along row `y` from column `x0` to `x1` (≠ `x0`).
    #[inline]
    fn row_leg(&mut self, y: u32, x0: u32, x1: u32, n: i32) {
        let (w, y, x0, x1) = (self.width + 1, y as usize, x0 as usize, x1 as usize);
        if x1 > x0 {
            // eastbound links leave tiles x0..x1
            let at = y * w;
            self.rows[at + x0] += n;
            self.rows[at + x1] -= n;
        } else {
            // westbound links leave tiles x1 + 1..=x0
            let at = (self.height + y) * w;
            self.rows[at + x1 + 1] += n;
            self.rows[at + x0 + 1] -= n;
        }
    }

    /// `n` messages along column `x` from row `y0` to `y1` (≠ `y0`).
    #[inline]
    fn column_leg(&mut self, x: u32, y0: u32, y1: u32, n: i32) {
        let (h, x, y0, y1) = (self.height + 1, x as usize, y0 as usize, y1 as usize);
        if y1 > y0 {
            // northbound links leave tiles y0..y1
            let at = x * h;
            self.columns[at + y0] += n;
            self.columns[at + y1] -= n;
        } else {
            // southbound links leave tiles y1 + 1..=y0
            let at = (self.width + x) * h;
            self.columns[at + y1 + 1] += n;
            self.columns[at + y0 + 1] -= n;
        }
    }

    /// Adds the tallied messages to `load` (four links a tile: E, W, N, S)
    /// and empties the tally.
    pub fn drain_into(&mut self, load: &mut [u32]) {
        let (w, h) = (self.width, self.height);
        let rows = [EAST, WEST]
            .into_iter()
            .zip(self.rows.chunks_mut(h * (w + 1)));
        for (dir, half) in rows {
            for (y, row) in half.chunks_mut(w + 1).enumerate() {
                let mut run = 0i32;
                for (x, d) in row[..w].iter_mut().enumerate() {
                    run += std::mem::take(d);
                    load[(y * w + x) * 4 + dir] += run as u32;
                }
                row[w] = 0;
            }
        }
        let columns = [NORTH, SOUTH]
            .into_iter()
            .zip(self.columns.chunks_mut(w * (h + 1)));
        for (dir, half) in columns {
            for (x, column) in half.chunks_mut(h + 1).enumerate() {
                let mut run = 0i32;
                for (y, d) in column[..h].iter_mut().enumerate() {
                    run += std::mem::take(d);
                    load[(y * w + x) * 4 + dir] += run as u32;
                }
                column[h] = 0;
            }
        }
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
        let mut tally = mesh.tally();
        let ns = mesh.route(
            TileCoord { x: 1, y: 0 },
            TileCoord { x: 4, y: 2 },
            &mut c,
            &mut tally,
        );
        tally.drain_into(&mut load);
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
            &mut tally,
        );
        tally.drain_into(&mut load);
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
        mesh.route(
            TileCoord { x: 0, y: 0 },
            TileCoord { x: 3, y: 0 },
            &mut c,
            &mut mesh.tally(),
        );
        assert_eq!((c.hops_east_west, c.hops_chip), (2, 1));
        // every route agrees with Topology::chip_of on a 3 x 2 board of 2 x 2 chips
        arch.topology.chips_y = 2;
        arch.topology.chips_x = 3;
        let mesh = Mesh::new(arch.topology, &arch.costs);
        let (w, h) = arch.topology.mesh_size();
        let tiles = || (0..w).flat_map(move |x| (0..h).map(move |y| TileCoord { x, y }));
        let mut tally = mesh.tally();
        for a in tiles() {
            for b in tiles() {
                let mut c = Counters::default();
                mesh.route(a, b, &mut c, &mut tally);
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

    /// The route's per-link counts and latency, hop by hop: what the
    /// tally's difference arrays and the hop-count formula must reproduce.
    fn walk(mesh: &Mesh, arch: &Arch, a: TileCoord, b: TileCoord, load: &mut [u32]) -> f64 {
        let (w, _) = arch.topology.mesh_size();
        let chip_edge =
            |p: TileCoord, q: TileCoord| arch.topology.chip_of(p) != arch.topology.chip_of(q);
        let (mut p, mut ns) = (a, 0.0);
        while p != b {
            let (dir, q) = if p.x < b.x {
                (EAST, TileCoord { x: p.x + 1, ..p })
            } else if p.x > b.x {
                (WEST, TileCoord { x: p.x - 1, ..p })
            } else if p.y < b.y {
                (NORTH, TileCoord { y: p.y + 1, ..p })
            } else {
                (SOUTH, TileCoord { y: p.y - 1, ..p })
            };
            load[((p.y * w + p.x) as usize) * 4 + dir] += 1;
            ns += if chip_edge(p, q) {
                mesh.chip_ns
            } else if dir < NORTH {
                mesh.ew_ns
            } else {
                mesh.ns_ns
            };
            p = q;
        }
        ns
    }

    #[test]
    fn tallied_links_and_latencies_match_a_hop_by_hop_walk() {
        let mut arch = Arch::preset("fpga-small").unwrap();
        arch.costs.hop_east_west.latency_ns = 4.1; // three distinct, inexact latencies
        arch.costs.hop_north_south.latency_ns = 6.5;
        arch.costs.hop_chip.latency_ns = 65.3;
        arch.topology.chips_x = 3; // a 3 x 2 board of 2 x 2 chips
        arch.topology.chips_y = 2;
        let mesh = Mesh::new(arch.topology, &arch.costs);
        let (w, h) = arch.topology.mesh_size();
        let tiles = || (0..w).flat_map(move |x| (0..h).map(move |y| TileCoord { x, y }));
        let (mut tally, mut load, mut expect) = (
            mesh.tally(),
            vec![0; mesh.num_links()],
            vec![0; mesh.num_links()],
        );
        for (k, a) in tiles().enumerate() {
            for b in tiles() {
                let ns = mesh.route(a, b, &mut Counters::default(), &mut tally);
                let walked = walk(&mesh, &arch, a, b, &mut expect);
                assert!(
                    (ns - walked).abs() < 1e-9,
                    "{a:?} -> {b:?}: {ns} vs {walked}"
                );
            }
            if k % 5 == 0 {
                // drained now and then: a tally empties as it drains
                tally.drain_into(&mut load);
            }
        }
        tally.drain_into(&mut load);
        assert_eq!(load, expect);
    }

    proptest::proptest! {
        /// Sends routed in runs count what routing every message alone
        /// counts, and each gets its own head latency: destinations drawn
        /// from a few tiles of a 3 × 2 board, so that runs of every length
        /// occur.
        #[test]
        fn sends_in_runs_count_as_messages_routed_alone(
            src in (0u32..6, 0u32..4),
            few in proptest::collection::vec((0u32..6, 0u32..4), 1..5),
            picks in proptest::collection::vec(0usize..4, 0..40),
        ) {
            let mut arch = Arch::preset("fpga-small").unwrap();
            arch.costs.hop_east_west.latency_ns = 4.1;
            arch.costs.hop_chip.latency_ns = 65.3;
            arch.topology.chips_x = 3; // 2 x 2 chips: a 6 x 4 mesh
            arch.topology.chips_y = 2;
            let mesh = Mesh::new(arch.topology, &arch.costs);
            let tile = |(x, y): (u32, u32)| TileCoord { x, y };
            let (mut c_alone, mut c_runs) = (Counters::default(), Counters::default());
            let (mut t_alone, mut t_runs) = (mesh.tally(), mesh.tally());
            let mut sends = mesh.sends_from(tile(src));
            for k in picks {
                let dst = tile(few[k % few.len()]);
                let alone = mesh.route(tile(src), dst, &mut c_alone, &mut t_alone);
                proptest::prop_assert_eq!(sends.send(dst, &mut c_runs, &mut t_runs), alone);
            }
            sends.finish(&mut c_runs, &mut t_runs);
            proptest::prop_assert_eq!(c_runs, c_alone);
            let (mut l_alone, mut l_runs) = (vec![0; mesh.num_links()], vec![0; mesh.num_links()]);
            t_alone.drain_into(&mut l_alone);
            t_runs.drain_into(&mut l_runs);
            proptest::prop_assert_eq!(l_runs, l_alone);
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
