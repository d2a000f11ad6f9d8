//! Benchmarks for `BindTarget::resolve`: the cost of one enumeration next to raw
//! `if_addrs::get_if_addrs()`, and `resolve_with` on synthetic snapshots of 1, 100 and 1000
//! interfaces. Run: `cargo bench --bench resolve -- --measurement-time 3`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bindpolicy::{BindTarget, Interface, InterfaceAddr, Interfaces};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// Interface `i`'s IPv4 address: 10.x.y.1/24, unique for i < 65536.
fn v4(i: u32) -> IpAddr {
    let [_, _, hi, lo] = i.to_be_bytes();
    IpAddr::V4(Ipv4Addr::new(10, hi, lo, 1))
}

/// Interface `i`'s IPv6 address: fd00:0:0:i::1/64.
fn v6(i: u32) -> IpAddr {
    let i = u16::try_from(i).expect("fewer than 65536 interfaces");
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, i, 0, 0, 0, 1))
}

/// `n` interfaces `if0`..`if{n-1}`, each with one IPv4 and one IPv6 address.
fn synthetic(n: u32) -> Interfaces {
    Interfaces::from_interfaces((0..n).map(|i| {
        Interface::new(format!("if{i}"), i + 1)
            .with_addr(InterfaceAddr::new(v4(i), 24))
            .with_addr(InterfaceAddr::new(v6(i), 64))
    }))
}

fn enumerate(c: &mut Criterion) {
    let any: BindTarget = "*:8080".parse().expect("spec parses");
    let mut group = c.benchmark_group("enumerate");
    group.bench_function("if_addrs::get_if_addrs", |b| {
        b.iter(|| black_box(if_addrs::get_if_addrs().expect("enumerate")));
    });
    group.bench_function("Interfaces::current", |b| {
        b.iter(|| black_box(Interfaces::current().expect("enumerate")));
    });
    group.bench_function("resolve(*:8080)", |b| {
        b.iter(|| black_box(black_box(&any).resolve().expect("resolve")));
    });
    group.finish();
}

fn resolve_with(c: &mut Criterion) {
    let any: BindTarget = "*:8080".parse().expect("spec parses");
    let mut group = c.benchmark_group("resolve_with");
    for n in [1_u32, 100, 1000] {
        let snapshot = synthetic(n);
        let last = n - 1;
        let address = BindTarget::ip(v4(last), 8080).expect("a unicast address");
        let name = BindTarget::interface(&format!("if{last}"), 8080).expect("a valid name");
        group.throughput(Throughput::Elements(u64::from(n)));
        for (label, target) in [
            ("any", &any),
            ("last_address", &address),
            ("last_name", &name),
        ] {
            group.bench_with_input(BenchmarkId::new(label, n), &snapshot, |b, snapshot| {
                b.iter(|| black_box(black_box(target).resolve_with(snapshot).expect("resolves")));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, enumerate, resolve_with);
criterion_main!(benches);
