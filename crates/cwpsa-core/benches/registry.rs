//! Time to build the schema registry from the embedded API description (771 schemas, 2,812
//! operations, about 600 entities): what the first call of `registry()` costs.
//!
//! Run: `cargo bench -p cwpsa-core --bench registry`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use cwpsa_core::schema::Registry;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("registry");
    group.sample_size(20);
    group.bench_function("load", |b| b.iter(|| black_box(Registry::load())));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
