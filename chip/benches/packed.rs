//! What a packed table costs to read and to fill (decision 80): 2²⁰ synapse
//! words of a 10-bit target and a 9-bit zigzag weight, walked in order and
//! pushed one by one, beside the same words as a `Vec` of `(u16, i16)`.
//! Criterion reports words per second ("elem/s"). Run:
//! `cargo bench -p spikefab-chip --bench packed`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spikefab_chip::packed::Packed;
use std::hint::black_box;

const WORDS: usize = 1 << 20;

fn words() -> Vec<[u64; 2]> {
    // xorshift: any spread of values will do, the widths are what matter
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..WORDS)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            [x % 1024, (x >> 20) % 512]
        })
        .collect()
}

fn packed(c: &mut Criterion) {
    let recs = words();
    let mut p = Packed::<2>::with_capacity(WORDS);
    recs.iter().for_each(|&r| p.push(r));
    let v: Vec<(u16, i16)> = recs.iter().map(|r| (r[0] as u16, r[1] as i16)).collect();
    let mut g = c.benchmark_group("table");
    g.throughput(Throughput::Elements(WORDS as u64));
    g.bench_function("walk packed", |b| {
        b.iter(|| p.iter().fold(0u64, |s, [t, w]| s.wrapping_add(t ^ w)))
    });
    g.bench_function("walk vec", |b| {
        b.iter(|| {
            v.iter()
                .fold(0u64, |s, &(t, w)| s.wrapping_add(t as u64 ^ w as u64))
        })
    });
    g.bench_function("fill packed", |b| {
        b.iter(|| {
            let mut p = Packed::<2>::with_capacity(WORDS);
            recs.iter().for_each(|&r| p.push(r));
            black_box(p.len())
        })
    });
    g.bench_function("fill vec", |b| {
        b.iter(|| {
            let mut v = Vec::with_capacity(WORDS);
            recs.iter().for_each(|r| v.push((r[0] as u16, r[1] as i16)));
            black_box(v.len())
        })
    });
    g.finish();
}

criterion_group!(benches, packed);
criterion_main!(benches);
