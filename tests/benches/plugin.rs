//! The plugin's process() per block through a real CLAP host (the test bundle, so build it
//! first: `cargo xtask bench` does), at 48 kHz stereo: what the audio thread costs a DAW.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use timbrescope_tests::clap_host::LoadedPlugin;
use timbrescope_tests::sine;

const RATE: u32 = 48_000;

fn process_per_block(c: &mut Criterion) {
    let mut group = c.benchmark_group("plugin process() per block, 48 kHz stereo");
    for block in [64usize, 512] {
        let mut plugin = LoadedPlugin::load();
        let mut blocks = plugin.activate(2, RATE, block);
        let tone = sine(440.0, 1.0, RATE);
        let mut offset = 0;
        group.throughput(Throughput::Elements(block as u64));
        group.bench_with_input(BenchmarkId::from_parameter(block), &block, |b, &block| {
            b.iter(|| {
                if offset + block > tone.len() {
                    offset = 0;
                }
                let left = &tone[offset..offset + block];
                blocks.process(&[left, left]);
                offset += block;
            })
        });
        plugin.deactivate(blocks);
    }
    group.finish();
}

criterion_group!(benches, process_per_block);
criterion_main!(benches);
