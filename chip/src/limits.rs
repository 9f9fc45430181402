//! The stated bounds on sizes read from files and flags.
//!
//! Every size that decides an allocation is checked against what the rest of
//! the input implies *and* against one of these before anything is allocated,
//! so that a small hostile file gets a clear error instead of an attempt to
//! allocate gigabytes. They are far above what any chip or trained network of
//! today needs (Loihi 2: 1 M neurons; a board of them: a few M), and listed in
//! `docs/reliability.md`.

/// Cores of an architecture (all chips of a board together).
pub const MAX_CORES: usize = 1 << 20;
/// Channels of a spike stream (input ports, output neurons, cochlea channels).
pub const MAX_CHANNELS: u32 = 1 << 24;
/// Timesteps of a spike stream or a run.
pub const MAX_STEPS: u32 = 1 << 30;
/// Cells (steps × channels, summed over samples) of a dense spike matrix
/// held in memory or written as `.npy` (one byte each).
pub const MAX_DENSE_CELLS: u64 = 1 << 30;
/// Neurons (or inputs) of one layer.
pub const MAX_LAYER: usize = 1 << 24;
/// Neurons of a whole network.
pub const MAX_NEURONS: usize = 1 << 26;
/// Synapses of a whole network (the compiled program holds at most this many words).
pub const MAX_SYNAPSES: usize = 1 << 31;
/// Delay of a projection in timesteps (every chip field is 8 bits).
pub const MAX_DELAY: u32 = 255;
/// Layers (populations and inputs) of a network.
pub const MAX_LAYERS: usize = 1 << 16;
