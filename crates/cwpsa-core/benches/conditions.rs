//! Parse and print throughput of a typical ~150-character condition.
//!
//! Run: `cargo bench -p cwpsa-core --bench conditions`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cwpsa_core::conditions::parse;

const TYPICAL: &str = r#"status/name not in ("Closed", "Resolved") and priority/id <= 2 and (board/name = "Help Desk" or board/name like "Service*") and lastUpdated > [2024-01-01T00:00:00Z]"#;

const SMALL: &str = "company/id=12345 and status/id!=5 and priority/id<=2";

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("conditions");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_typical", |b| b.iter(|| parse(black_box(TYPICAL))));
    group.bench_function("parse_small", |b| b.iter(|| parse(black_box(SMALL))));
    let Ok(expr) = parse(TYPICAL) else {
        eprintln!("the benchmark condition no longer parses");
        return;
    };
    group.bench_function("print_typical", |b| b.iter(|| black_box(&expr).to_string()));
    group.bench_function("roundtrip_typical", |b| {
        b.iter(|| parse(black_box(TYPICAL)).map(|e| e.to_string()));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
