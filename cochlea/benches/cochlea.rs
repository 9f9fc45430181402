//! Spiketrum encoding speed: seconds of audio encoded per second of compute at
//! 16 kHz, 40 kernels, 1000 spikes/s. The input is the committed spoken word
//! repeated to 4 s; the dictionary and its cross-correlation table are built
//! once (as a running cochlea would). Criterion's "elem/s" are audio samples
//! per second: divide by 16,000 for the real-time factor.
//!
//! Run: `cargo bench -p spikefab-cochlea`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spikefab_cochlea::fixed::FixedEncoder;
use spikefab_cochlea::gammatone::Dictionary;
use spikefab_cochlea::spiketrum::{Encoder, Stop, StreamEncoder};
use spikefab_cochlea::Audio;

fn audio() -> Vec<f64> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/audio/neuromorphic.wav"
    );
    let word = Audio::read_wav(p.as_ref())
        .expect("the committed word")
        .0
        .samples;
    word.iter().cycle().take(4 * 16000).copied().collect()
}

fn encode(c: &mut Criterion) {
    let x = audio();
    let dict = Dictionary::default_for(16000.0, 40);
    let enc = Encoder::new(&dict);
    let fixed = FixedEncoder::new(&dict);
    let budget = 4000;
    let mut g = c.benchmark_group("spiketrum_16k_40k_1000ps");
    g.throughput(Throughput::Elements(x.len() as u64));
    g.sample_size(10);
    g.bench_function("whole", |b| b.iter(|| enc.encode(&x, budget, Stop::Budget)));
    g.bench_function("frames_1s", |b| {
        b.iter(|| {
            let mut s = StreamEncoder::new(&enc, 1000.0, 16000, Stop::Budget);
            let mut n = s.push(&x).len();
            n += s.finish().len();
            n
        })
    });
    g.bench_function("fixed_point", |b| b.iter(|| fixed.encode(&x, budget)));
    g.finish();
    c.bench_function("dictionary_and_tables_40x1024", |b| {
        b.iter(|| Encoder::new(&dict).xcorr_len())
    });
}

criterion_group!(benches, encode);
criterion_main!(benches);
