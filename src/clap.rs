//! clap support (feature `clap`): [`ListenArgs`], the listen flags every server re-declares,
//! to `#[command(flatten)]` into an app's own arguments.

use std::fmt;

use crate::config::ListenConfig;
use crate::listen::{FreeBind, ListenOptions};
use crate::target::{BindTarget, ParseError};

/// The long help of `--listen`: the grammar, as docs/grammar.md and the crate docs give it.
const LISTEN_LONG_HELP: &str = "\
Where to listen, as HOST:PORT; repeat the flag for several targets. Port 0 lets the OS pick.
  *:8080, :8080, any:8080     every address, IPv4 and IPv6
  0.0.0.0:8080                every IPv4 address
  [::]:8080                   every IPv6 address
  localhost:8080              this machine only: 127.0.0.1 and ::1 (no DNS)
  127.0.0.1:8080, [::1]:8080  this machine only, one family
  192.168.1.20:8080           one local address
  [fe80::1%eth0]:8080         a link-local address with its zone
  eth0:8080                   every address of one interface
Keywords are case-insensitive; a bare port (8080) and port: (a client's source port) are refused.";

/// The listen flags of a server, for clap's derive (feature `clap`):
///
/// | flag | meaning |
/// |---|---|
/// | `--listen TARGET` | a [`BindTarget`], repeatable; `--help` shows the grammar |
/// | `--backlog N` | [`ListenOptions::backlog`] |
/// | `--dual-stack` | [`ListenOptions::dual_stack`] |
/// | `--reuse-port` | [`ListenOptions::reuse_port`] |
/// | `--freebind[=WHEN]` | [`ListenOptions::freebind`]: `always` (the flag alone), `on-addr-not-available`, `never` |
/// | `--bind-device` | [`ListenOptions::bind_device`] |
///
/// `--listen` rejects what cannot listen at parse time, as clap's usage error (exit 2) with
/// the did-you-mean: a bare port, a `port:` source port, any grammar error.
///
/// The app gives the default: [`ListenArgs::config_or`] uses it when no `--listen` was given,
/// or `#[command(mut_arg("listen", |a| a.default_value("localhost:8080")))]` on the app's
/// struct makes clap fill it in and show it in `--help`.
///
/// ```
/// use bindpolicy::{BindTarget, ListenArgs};
/// use clap::Parser;
///
/// #[derive(Parser)]
/// struct Args {
///     #[command(flatten)]
///     listen: ListenArgs,
/// }
///
/// let args = Args::try_parse_from(["app", "--listen", "localhost:0", "--backlog", "64"])?;
/// let config = args.listen.config_or([BindTarget::loopback(8080)]);
/// assert_eq!(config.listen, ["localhost:0".parse::<BindTarget>()?]);
/// assert_eq!(config.options.get_backlog(), 64);
///
/// // No --listen: the app's default.
/// let args = Args::try_parse_from(["app"])?;
/// assert_eq!(args.listen.config_or([BindTarget::loopback(8080)]).listen[0].to_string(), "localhost:8080");
///
/// // A client's source port is a usage error, with the fix.
/// let err = Args::try_parse_from(["app", "--listen", "port:40000"]).err().unwrap();
/// assert_eq!(err.exit_code(), 2);
/// assert!(err.to_string().contains("did you mean \"*:40000\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "clap")))]
#[derive(Debug, Clone, PartialEq, Eq, Default, ::clap::Args)]
#[non_exhaustive]
pub struct ListenArgs {
    /// The `--listen` targets, in the order given.
    #[arg(
        long = "listen",
        help = "Where to listen, e.g. localhost:8080, *:8080, [::1]:8080, eth0:8080 (repeatable)",
        value_name = "TARGET",
        value_parser = parse_listen_target,
        action = ::clap::ArgAction::Append,
        long_help = LISTEN_LONG_HELP,
    )]
    pub listen: Vec<BindTarget>,

    /// `--backlog`: [`ListenOptions::backlog`].
    #[arg(
        long,
        value_name = "N",
        help = "The accept queue's length [default: 1024]"
    )]
    pub backlog: Option<u32>,

    /// `--dual-stack`: [`ListenOptions::dual_stack`].
    #[arg(
        long,
        help = "One [::] socket for IPv4 and IPv6 (IPV6_V6ONLY off) instead of one per family"
    )]
    pub dual_stack: bool,

    /// `--reuse-port`: [`ListenOptions::reuse_port`].
    #[arg(
        long,
        help = "SO_REUSEPORT: let other sockets of this user share the port (Unix)"
    )]
    pub reuse_port: bool,

    /// `--freebind[=WHEN]`: [`ListenOptions::freebind`]; the flag alone is `always`.
    #[arg(
        long,
        help = "Bind an address not assigned yet (Linux): always, on-addr-not-available or never",
        value_name = "WHEN",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "always",
        value_parser = parse_freebind,
    )]
    pub freebind: Option<FreeBind>,

    /// `--bind-device`: [`ListenOptions::bind_device`].
    #[arg(
        long,
        help = "SO_BINDTODEVICE for an interface target (Linux): only that interface's packets"
    )]
    pub bind_device: bool,
}

impl ListenArgs {
    /// The options the flags give ([`ListenOptions::default`] for those not given).
    ///
    /// ```
    /// use bindpolicy::{FreeBind, ListenArgs};
    /// use clap::Parser;
    ///
    /// #[derive(Parser)]
    /// struct Args {
    ///     #[command(flatten)]
    ///     listen: ListenArgs,
    /// }
    ///
    /// let args = Args::try_parse_from(["app", "--reuse-port", "--freebind=on-addr-not-available"])?;
    /// let options = args.listen.options();
    /// assert!(options.is_reuse_port());
    /// assert_eq!(options.get_freebind(), FreeBind::OnAddrNotAvailable);
    /// # Ok::<(), clap::Error>(())
    /// ```
    pub fn options(&self) -> ListenOptions {
        let mut options = ListenOptions::new()
            .dual_stack(self.dual_stack)
            .reuse_port(self.reuse_port)
            .bind_device(self.bind_device);
        if let Some(backlog) = self.backlog {
            options = options.backlog(backlog);
        }
        if let Some(freebind) = self.freebind {
            options = options.freebind(freebind);
        }
        options
    }

    /// The listen section: the `--listen` targets (none if none was given) with the
    /// options, and the permissive policy. [`ListenConfig::listen`] lints and binds it.
    pub fn config(&self) -> ListenConfig {
        ListenConfig {
            options: self.options(),
            ..ListenConfig::new(self.listen.iter().cloned())
        }
    }

    /// As [`ListenArgs::config`], with `default` as the targets when no `--listen` was given.
    pub fn config_or(&self, default: impl IntoIterator<Item = BindTarget>) -> ListenConfig {
        let mut config = self.config();
        if config.listen.is_empty() {
            config.listen = default.into_iter().collect();
        }
        config
    }
}

/// Why a `--listen` value was refused: [`parse_listen_target`]'s error (feature `clap`).
#[cfg_attr(docsrs, doc(cfg(feature = "clap")))]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListenTargetError {
    /// The value is not a bind target; the parser's message, with its did-you-mean.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A `port:` target: a client's source port, which cannot listen.
    #[error("{}", not_listenable_message(.0))]
    NotListenable(BindTarget),
}

fn not_listenable_message(target: &BindTarget) -> String {
    let port = target.port();
    if target.ports().len() > 1 {
        format!(
            "{target} is a client's source port range and cannot listen; a listener has one \
             port, e.g. \"*:{port}\" (all interfaces) or \"localhost:{port}\" (this machine only)"
        )
    } else {
        format!(
            "{target} pins a client's source port and cannot listen; did you mean \"*:{port}\" \
             (all interfaces) or \"localhost:{port}\" (this machine only)?"
        )
    }
}

/// Parses a target that can listen (feature `clap`): [`BindTarget`]'s grammar without
/// `port:`. It is the value parser of [`ListenArgs`]'s `--listen`; use it for a flag of your
/// own with `#[arg(value_parser = bindpolicy::parse_listen_target)]`.
///
/// # Errors
///
/// [`ListenTargetError::Parse`] for anything the grammar refuses,
/// [`ListenTargetError::NotListenable`] for a `port:` target.
///
/// ```
/// use bindpolicy::parse_listen_target;
///
/// assert_eq!(parse_listen_target("*:8080")?.to_string(), "*:8080");
/// assert!(parse_listen_target("port:40000").unwrap_err().to_string().contains("did you mean"));
/// assert!(parse_listen_target("8080").unwrap_err().to_string().contains("did you mean"));
/// # Ok::<(), bindpolicy::ListenTargetError>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "clap")))]
pub fn parse_listen_target(value: &str) -> Result<BindTarget, ListenTargetError> {
    let target: BindTarget = value.parse()?;
    if target.is_port_only() {
        return Err(ListenTargetError::NotListenable(target));
    }
    Ok(target)
}

/// `--freebind`'s values.
fn parse_freebind(value: &str) -> Result<FreeBind, FreeBindValueError> {
    match value.to_ascii_lowercase().as_str() {
        "always" => Ok(FreeBind::Always),
        "on-addr-not-available" => Ok(FreeBind::OnAddrNotAvailable),
        "never" => Ok(FreeBind::Never),
        _ => Err(FreeBindValueError),
    }
}

#[derive(Debug)]
struct FreeBindValueError;

impl fmt::Display for FreeBindValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected always, on-addr-not-available or never")
    }
}

impl std::error::Error for FreeBindValueError {}
