//! Every public type is `Send + Sync`, checked at compile time: a type that loses either (say, by
//! holding an `Rc` or a `Cell`) stops this file from compiling. Add each new public type here.

use bindpolicy::{
    BindPolicy, BindTarget, Bound, Cause, ConfigError, Connector, Deployment, Error, ErrorKind,
    Exposure, Family, FreeBind, Interface, InterfaceAddr, InterfaceName, Interfaces, ListenConfig,
    ListenOptions, Listeners, LocalAddress, LocalInterface, Network, Overlap, ParseError,
    ParseErrorKind, Phase, PolicyRule, PortHolder, PortPrivilege, PortRange, Reach, Reachable,
    Resolved, ResolvedAddr, Scope, ScopeError, UdpSockets, Warning, Zone,
};

/// Compiles only if `T` is `Send + Sync`.
const fn assert_send_sync<T: Send + Sync>() {}

/// The list of public types. Evaluated at compile time, and called by the test below so that it
/// also shows up in a test run.
const fn all_public_types_are_send_and_sync() {
    assert_send_sync::<BindTarget>();
    assert_send_sync::<Family>();
    assert_send_sync::<LocalInterface>();
    assert_send_sync::<LocalAddress>();
    assert_send_sync::<Zone>();
    assert_send_sync::<InterfaceName>();
    assert_send_sync::<PortRange>();
    assert_send_sync::<ParseError>();
    assert_send_sync::<ParseErrorKind>();
    assert_send_sync::<Error>();
    assert_send_sync::<ErrorKind>();
    assert_send_sync::<Phase>();
    assert_send_sync::<PortHolder>();
    assert_send_sync::<Interfaces>();
    assert_send_sync::<Interface>();
    assert_send_sync::<InterfaceAddr>();
    assert_send_sync::<PortPrivilege>();
    assert_send_sync::<Deployment>();
    assert_send_sync::<Scope>();
    assert_send_sync::<Resolved>();
    assert_send_sync::<ResolvedAddr>();
    assert_send_sync::<Exposure>();
    assert_send_sync::<Reach>();
    assert_send_sync::<Reachable>();
    assert_send_sync::<Network>();
    assert_send_sync::<Warning>();
    assert_send_sync::<ListenOptions>();
    assert_send_sync::<FreeBind>();
    assert_send_sync::<Listeners>();
    assert_send_sync::<UdpSockets>();
    assert_send_sync::<Bound<std::net::TcpListener>>();
    assert_send_sync::<Connector>();
    assert_send_sync::<BindPolicy>();
    assert_send_sync::<PolicyRule>();
    assert_send_sync::<Cause>();
    assert_send_sync::<ConfigError>();
    assert_send_sync::<bindpolicy::PolicyViolation>();
    assert_send_sync::<bindpolicy::ScopeError>();
    assert_send_sync::<ScopeError>();
    assert_send_sync::<ListenConfig>();
    assert_send_sync::<Overlap>();
    assert_send_sync::<bindpolicy::Accepted>();
    assert_send_sync::<bindpolicy::Received>();
    assert_send_sync::<bindpolicy::Incoming<'static>>();
    assert_send_sync::<bindpolicy::PortStatus>();
    assert_send_sync::<bindpolicy::PortInUse>();
    // The crate's Result, as it crosses threads in `JoinHandle<bindpolicy::Result<_>>`.
    assert_send_sync::<bindpolicy::Result<BindTarget>>();
}

/// The types behind features.
#[allow(dead_code)]
const fn feature_types_are_send_and_sync() {
    #[cfg(feature = "tokio")]
    {
        assert_send_sync::<bindpolicy::TokioListeners>();
        assert_send_sync::<bindpolicy::TokioUdpSockets>();
        assert_send_sync::<bindpolicy::Accepted<tokio::net::TcpStream>>();
    }
    #[cfg(feature = "axum")]
    assert_send_sync::<bindpolicy::Peer>();
    #[cfg(feature = "hyper")]
    assert_send_sync::<bindpolicy::PinnedConnector>();
    #[cfg(feature = "clap")]
    {
        assert_send_sync::<bindpolicy::ListenArgs>();
        assert_send_sync::<bindpolicy::ListenTargetError>();
    }
}

const _: () = all_public_types_are_send_and_sync();
const _: () = feature_types_are_send_and_sync();

#[test]
fn public_types_are_send_and_sync() {
    all_public_types_are_send_and_sync();
    // Errors also need 'static to be boxed into io::Error or anyhow::Error.
    fn boxable<E: std::error::Error + Send + Sync + 'static>(_: &E) {}
    let err = "8080".parse::<BindTarget>().unwrap_err();
    boxable(&err);
    boxable(&Error::from(err));
}
