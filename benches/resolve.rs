//! Benchmarks for `BindTarget::resolve` on Linux, next to the raw rtnetlink floor in the same
//! run, inside network namespaces of 1, 100 and 1000 veth pairs (each end with one IPv4
//! address and its IPv6 link-local one: 4 addresses a pair), and `resolve_with` on synthetic
//! snapshots.
//!
//! Run as root: `cargo bench --bench resolve -- --measurement-time 3`. The namespaces are
//! named `bp-bench-PID-N`, built with `ip -batch`, entered by the benchmark thread with
//! setns(2), and deleted at the end (also on panic, by their guards).
//!
//! The floor:
//! - `raw_filtered_dump`: one RTM_GETADDR dump filtered in the kernel to the last interface
//!   (NETLINK_GET_STRICT_CHK and ifa_index), replies only counted;
//! - `raw_addr_dump`: one RTM_GETADDR dump of every address;
//! - `raw_link_addr_dump`: one RTM_GETLINK (statistics skipped) and one RTM_GETADDR dump.

use std::fs::File;
use std::hint::black_box;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::{Command, Stdio};

use bindpolicy::{BindTarget, Interface, InterfaceAddr, Interfaces};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};
use nix::sched::{CloneFlags, setns};

// ---------------------------------------------------------------------------------------------
// Namespaces
// ---------------------------------------------------------------------------------------------

/// A namespace of `pairs` veth pairs `va{i}`/`vb{i}`, removed on drop.
struct Namespace {
    name: String,
}

impl Namespace {
    fn new(pairs: u32) -> Namespace {
        let name = format!("bp-bench-{}-{pairs}", std::process::id());
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ip netns add {name} (run the benchmark as root)");
        let ns = Namespace { name };
        ns.sysctl("net.ipv6.conf.default.accept_dad=0");
        ns.sysctl("net.ipv6.conf.all.accept_dad=0");
        let mut batch = String::from("link set lo up\n");
        for i in 0..pairs {
            batch.push_str(&format!("link add va{i} type veth peer name vb{i}\n"));
        }
        for i in 0..pairs {
            let [_, _, hi, lo] = i.to_be_bytes();
            batch.push_str(&format!("addr add 198.18.{hi}.{lo}/32 dev va{i}\n"));
            batch.push_str(&format!("addr add 198.19.{hi}.{lo}/32 dev vb{i}\n"));
            batch.push_str(&format!("link set va{i} up\nlink set vb{i} up\n"));
        }
        let mut child = Command::new("ip")
            .args(["-n", &ns.name, "-batch", "-"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("ip -batch");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(batch.as_bytes())
            .expect("write the batch");
        assert!(child.wait().expect("ip -batch").success(), "ip -batch");
        ns
    }

    fn sysctl(&self, kv: &str) {
        let ok = Command::new("ip")
            .args(["netns", "exec", &self.name, "sysctl", "-q", "-w", kv])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "sysctl {kv} in {}", self.name);
    }

    /// Moves this thread into the namespace.
    fn enter(&self) {
        let file = File::open(format!("/run/netns/{}", self.name)).expect("netns file");
        setns(file, CloneFlags::CLONE_NEWNET).expect("setns");
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

// ---------------------------------------------------------------------------------------------
// The raw floor
// ---------------------------------------------------------------------------------------------

struct Raw {
    socket: Socket,
    buf: Vec<u8>,
    seq: u32,
}

impl Raw {
    fn open() -> Raw {
        let mut socket = Socket::new(NETLINK_ROUTE).expect("netlink socket");
        socket.bind_auto().expect("bind");
        socket.connect(&SocketAddr::new(0, 0)).expect("connect");
        socket
            .set_netlink_get_strict_chk(true)
            .expect("strict checking");
        Raw {
            socket,
            buf: Vec::with_capacity(64 * 1024),
            seq: 0,
        }
    }

    /// Sends a dump request and counts the replies until NLMSG_DONE.
    fn dump(&mut self, request: RouteNetlinkMessage) -> usize {
        self.seq += 1;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_DUMP;
        header.sequence_number = self.seq;
        let mut message = NetlinkMessage::new(header, NetlinkPayload::from(request));
        message.finalize();
        let mut bytes = vec![0; message.buffer_len()];
        message.serialize(&mut bytes);
        self.socket.send(&bytes, 0).expect("send");
        let mut count = 0;
        loop {
            self.buf.clear();
            let len = self.socket.recv(&mut self.buf, 0).expect("recv");
            let mut offset = 0;
            while offset + 16 <= len {
                let length = u32::from_ne_bytes(self.buf[offset..offset + 4].try_into().unwrap());
                let kind = u16::from_ne_bytes(self.buf[offset + 4..offset + 6].try_into().unwrap());
                if kind == 3 {
                    return count;
                }
                count += 1;
                offset += (length as usize + 3) & !3;
            }
        }
    }

    fn addrs(&mut self, index: u32) -> usize {
        let mut message = AddressMessage::default();
        message.header.index = index;
        self.dump(RouteNetlinkMessage::GetAddress(message))
    }

    fn links(&mut self) -> usize {
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        self.dump(RouteNetlinkMessage::GetLink(message))
    }
}

fn ifindex(name: &str) -> u32 {
    nix::net::if_::if_nametoindex(name).expect("if_nametoindex")
}

fn netlink(c: &mut Criterion) {
    let home = File::open("/proc/thread-self/ns/net").expect("this namespace");
    let any: BindTarget = "*:8080".parse().expect("spec parses");
    let mut group = c.benchmark_group("netlink");
    for pairs in [1_u32, 100, 1000] {
        let ns = Namespace::new(pairs);
        ns.enter();
        let last = pairs - 1;
        let [_, _, hi, lo] = last.to_be_bytes();
        let name = BindTarget::interface(&format!("vb{last}"), 8080).expect("a name");
        let address: BindTarget = format!("198.19.{hi}.{lo}:8080").parse().expect("address");
        let index = ifindex(&format!("vb{last}"));
        let mut raw = Raw::open();
        // Each resolve is checked once: the right answer, not only a fast one.
        assert_eq!(name.resolve().expect("name").addrs().len(), 2);
        assert_eq!(address.resolve().expect("address").addrs().len(), 1);
        assert_eq!(raw.addrs(index), 2);
        group.throughput(Throughput::Elements(u64::from(pairs)));
        group.bench_function(BenchmarkId::new("raw_filtered_dump", pairs), |b| {
            b.iter(|| black_box(raw.addrs(black_box(index))));
        });
        group.bench_function(BenchmarkId::new("resolve_name", pairs), |b| {
            b.iter(|| black_box(black_box(&name).resolve().expect("resolves")));
        });
        group.bench_function(BenchmarkId::new("resolve_address", pairs), |b| {
            b.iter(|| black_box(black_box(&address).resolve().expect("resolves")));
        });
        group.bench_function(BenchmarkId::new("raw_addr_dump", pairs), |b| {
            b.iter(|| black_box(raw.addrs(0)));
        });
        group.bench_function(BenchmarkId::new("resolve_any", pairs), |b| {
            b.iter(|| black_box(black_box(&any).resolve().expect("resolves")));
        });
        group.bench_function(BenchmarkId::new("raw_link_addr_dump", pairs), |b| {
            b.iter(|| black_box(raw.links() + raw.addrs(0)));
        });
        group.bench_function(BenchmarkId::new("Interfaces::current", pairs), |b| {
            b.iter(|| black_box(Interfaces::current().expect("enumerates")));
        });
        setns(&home, CloneFlags::CLONE_NEWNET).expect("back home");
        drop(ns);
    }
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// resolve_with: the pure resolver
// ---------------------------------------------------------------------------------------------

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

criterion_group!(benches, netlink, resolve_with);
criterion_main!(benches);
