#!/bin/sh
# Coverage-guided fuzzing of every reader of untrusted input (spikefab::readers)
# with cargo-fuzz (libFuzzer + AddressSanitizer; needs a nightly toolchain and
# `cargo install cargo-fuzz`).
#
#   sh tools/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Each target runs for SECONDS (default 60) with a 3 GiB RSS limit, a 2 GiB
# limit on any single allocation and 10 s per input: an input that panics,
# aborts, hangs or asks for more memory is a finding, saved under
# fuzz/artifacts/TARGET/. Corpora (fuzz/corpus/TARGET/) are seeded from the
# repository's examples and test data and grow across runs; the last lines of
# each run (exec count, coverage) go to fuzz/logs/TARGET.log. CI runs the
# stable smoke test instead (tests/fuzz_smoke.rs).
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-$(ls fuzz/fuzz_targets | sed 's/\.rs$//')}
mkdir -p fuzz/logs
seed() { # target, files...
  t=$1; shift
  mkdir -p "fuzz/corpus/$t"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "fuzz/corpus/$t/seed-$(basename "$f")"; done
  return 0
}
for t in $targets; do
  case $t in
    aer) seed $t examples/spikes/*.aer ;;
    csv) mkdir -p fuzz/corpus/csv; printf 'timestep,channel\n0,1\n2,3\n5,0\n' > fuzz/corpus/csv/seed.csv ;;
    npy|samples_npy) seed $t compiler/tests/data/*.npy ;;
    sfc) mkdir -p fuzz/corpus/sfc
         cargo run -q --release -- compile examples/networks/mlp.ron --arch fpga-small -o fuzz/corpus/sfc/seed-mlp.sfc >/dev/null ;;
    program_ron) seed $t examples/programs/*.ron ;;
    arch_ron) seed $t examples/arch/*.ron ;;
    network_ron) seed $t examples/networks/*.ron ;;
    placement_ron) seed $t examples/placements/*.ron ;;
    nir) seed $t compiler/tests/data/*.nir compiler/tests/data/hostile/*.nir ;;
    wav) seed $t examples/audio/*.wav ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
  echo "== $t: $secs s"
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=3072 -malloc_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 > "fuzz/logs/$t.log" 2>&1 || echo "   FINDING: see fuzz/logs/$t.log and fuzz/artifacts/$t/"
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE' "fuzz/logs/$t.log" | tail -n 3 | sed 's/^/   /'
done
