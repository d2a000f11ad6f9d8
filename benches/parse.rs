//! Parsing cost: `BindTarget::from_str` on representative specs, next to std's
//! `SocketAddr::from_str` on the IP forms both accept, in one group ("parse") so the ratio reads
//! straight off the report. Run: `cargo bench --bench parse -- --noplot`.

use std::hint::black_box;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use bindpolicy::BindTarget;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// Forms std parses too: each is benchmarked with both parsers.
const IP_FORMS: &[&str] = &[
    "127.0.0.1:8080",
    "192.168.71.67:5000",
    "[::1]:8080",
    "[2001:db8::5]:80",
    "[fe80::1%3]:80",
];

/// Forms only bindpolicy has.
const OTHER_FORMS: &[&str] = &["*:8080", "localhost:5000", "eth0:8080", "port:40000-40100"];

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for &spec in IP_FORMS {
        // Both must accept the spec, or the comparison means nothing.
        assert!(BindTarget::from_str(spec).is_ok() && spec.parse::<SocketAddr>().is_ok());
        group.bench_with_input(BenchmarkId::new("bindpolicy", spec), spec, |b, spec| {
            b.iter(|| BindTarget::from_str(black_box(spec)))
        });
        group.bench_with_input(BenchmarkId::new("std", spec), spec, |b, spec| {
            b.iter(|| black_box(spec).parse::<SocketAddr>())
        });
    }
    for &spec in OTHER_FORMS {
        assert!(BindTarget::from_str(spec).is_ok());
        group.bench_with_input(BenchmarkId::new("bindpolicy", spec), spec, |b, spec| {
            b.iter(|| BindTarget::from_str(black_box(spec)))
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
