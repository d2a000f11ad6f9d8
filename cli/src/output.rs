//! Presentation: colour, aligned tables, JSON lines, failures and exit codes.

use std::error::Error as _;
use std::fmt::Write as _;
use std::io::{self, Write};

use bindpolicy::{Error, ErrorKind, PolicyViolation};
use serde_json::{Value, json};

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: any runtime failure not listed below (bind, connect, I/O).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: a usage error or a target that does not parse.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the target is valid but cannot be used on this machine.
pub const EXIT_UNUSABLE: u8 = 3;
/// Exit code: the target breaks the policy.
pub const EXIT_POLICY: u8 = 4;

/// Colour: every styled text carries its escape codes, and [`print()`] and [`eprint()`] write
/// through anstream's `AutoStream`, which removes them unless the stream is a terminal
/// (`NO_COLOR` set turns colour off, `CLICOLOR_FORCE` set turns it on for a pipe).
pub mod paint {
    use anstyle::{AnsiColor, Style};

    /// `text` between a style and its reset; empty text stays empty.
    fn with(style: impl std::fmt::Display, text: &str) -> String {
        if text.is_empty() {
            String::new()
        } else {
            format!("{style}{text}{}", anstyle::Reset)
        }
    }

    /// Bold: headers and keys.
    pub fn bold(text: &str) -> String {
        with(Style::new().bold(), text)
    }

    /// Bold red: errors, as the one sequence `ESC[1;31m` the tool has always written (anstyle
    /// writes bold and red as two).
    pub fn red(text: &str) -> String {
        with("\x1b[1;31m", text)
    }

    /// Yellow: warnings.
    pub fn yellow(text: &str) -> String {
        with(Style::new().fg_color(Some(AnsiColor::Yellow.into())), text)
    }

    /// Green: things that went well.
    pub fn green(text: &str) -> String {
        with(Style::new().fg_color(Some(AnsiColor::Green.into())), text)
    }

    /// Cyan: addresses and URLs to copy.
    pub fn cyan(text: &str) -> String {
        with(Style::new().fg_color(Some(AnsiColor::Cyan.into())), text)
    }
}

/// Rows of cells printed in aligned columns, two spaces apart, with an optional bold header.
#[derive(Debug, Default)]
pub struct Table {
    /// The header's cells, if any.
    header: Option<Vec<String>>,
    /// The rows; each cell is `(plain text, painted text)`, aligned on the plain one.
    rows: Vec<Vec<(String, String)>>,
}

impl Table {
    /// A table with a header row.
    pub fn with_header(header: &[&str]) -> Table {
        Table {
            header: Some(header.iter().map(|h| (*h).to_owned()).collect()),
            rows: Vec::new(),
        }
    }

    /// A table without a header: key-value lists.
    pub fn new() -> Table {
        Table::default()
    }

    /// Adds a row of plain cells.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        self.rows.push(
            cells
                .iter()
                .map(|c| (c.as_ref().to_owned(), c.as_ref().to_owned()))
                .collect(),
        );
    }

    /// Adds a row whose last cell is painted by `paint` (alignment ignores the escape codes).
    pub fn row_painted<S: AsRef<str>>(&mut self, cells: &[S], paint: impl Fn(&str) -> String) {
        let last = cells.len().saturating_sub(1);
        self.rows.push(
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let plain = c.as_ref().to_owned();
                    let painted = if i == last {
                        paint(&plain)
                    } else {
                        plain.clone()
                    };
                    (plain, painted)
                })
                .collect(),
        );
    }

    /// The table as text, one line per row, each ending in a newline.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = Vec::new();
        let header = self.header.iter().map(|h| {
            h.iter()
                .map(|c| (c.clone(), paint::bold(c)))
                .collect::<Vec<_>>()
        });
        let all: Vec<Vec<(String, String)>> = header.chain(self.rows.iter().cloned()).collect();
        for row in &all {
            for (i, (plain, _)) in row.iter().enumerate() {
                let width = plain.chars().count();
                match widths.get_mut(i) {
                    Some(w) => *w = (*w).max(width),
                    None => widths.push(width),
                }
            }
        }
        let mut out = String::new();
        for row in &all {
            let mut line = String::new();
            for (i, (plain, painted)) in row.iter().enumerate() {
                if i + 1 < row.len() {
                    let pad = widths[i].saturating_sub(plain.chars().count()) + 2;
                    let _ = write!(line, "{painted}{:pad$}", "");
                } else {
                    line.push_str(painted);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Writes `text` to standard output and flushes, without its colour unless [`paint`] allows.
pub fn print(text: &str) -> io::Result<()> {
    let mut out = anstream::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes `text` to standard error, without its colour unless [`paint`] allows; a failure to
/// write there has nobody to be reported to.
pub fn eprint(text: &str) {
    let mut err = anstream::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Writes one JSON value on one line of standard output and flushes.
pub fn print_json(value: &Value) -> io::Result<()> {
    print(&format!("{value}\n"))
}

/// A library value as JSON, through its `Serialize` impl.
pub fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> io::Result<Value> {
    serde_json::to_value(value).map_err(io::Error::other)
}

/// The warnings as lines: `warning[kind]: message`.
pub fn warnings_text(warnings: &[bindpolicy::Warning]) -> String {
    let mut out = String::new();
    for w in warnings {
        let _ = writeln!(
            out,
            "{}: {w}",
            paint::yellow(&format!("warning[{}]", w.kind()))
        );
    }
    out
}

/// `warning[from nginx: ipv4_only]: ...` lines for a dialect's warnings.
pub fn dialect_warnings_text(translation: &bindpolicy::Translation) -> String {
    let mut out = String::new();
    for w in translation.warnings() {
        let label = format!("warning[{}: {}]", translation.dialect(), w.kind());
        let _ = writeln!(out, "{}: {w}", paint::yellow(&label));
    }
    out
}

/// A dialect's warnings as JSON: `[{"kind": ..., "message": ...}]`.
pub fn dialect_warnings_json(translation: &bindpolicy::Translation) -> Value {
    translation
        .warnings()
        .iter()
        .map(|w| json!({"kind": w.kind(), "message": w.to_string()}))
        .collect()
}

/// Why a command failed, and so its exit code.
#[derive(Debug)]
pub enum Failure {
    /// An error of the library.
    Lib(Error),
    /// The target breaks the `--policy`.
    Policy(PolicyViolation),
    /// A usage error the command found itself, e.g. an unreadable `--policy` file.
    Usage(String),
    /// Another tool's bind string (`--from`) was rejected.
    Dialect(bindpolicy::DialectError),
    /// The result cannot be written in the `--to` dialect.
    Write(bindpolicy::WriteError),
    /// Writing the output failed.
    Io(io::Error),
    /// A system call of the command itself failed, e.g. sending on a connected UDP socket.
    Os {
        /// What was being done, e.g. "sending a datagram to 127.0.0.1:5000".
        doing: String,
        /// The OS error.
        source: io::Error,
    },
}

impl From<Error> for Failure {
    fn from(err: Error) -> Failure {
        Failure::Lib(err)
    }
}

impl From<PolicyViolation> for Failure {
    fn from(violation: PolicyViolation) -> Failure {
        Failure::Policy(violation)
    }
}

impl From<bindpolicy::ParseError> for Failure {
    fn from(err: bindpolicy::ParseError) -> Failure {
        Failure::Lib(Error::Parse(err))
    }
}

impl From<bindpolicy::DialectError> for Failure {
    fn from(err: bindpolicy::DialectError) -> Failure {
        Failure::Dialect(err)
    }
}

impl From<bindpolicy::WriteError> for Failure {
    fn from(err: bindpolicy::WriteError) -> Failure {
        Failure::Write(err)
    }
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Failure {
        Failure::Io(err)
    }
}

impl Failure {
    /// The stable kind: [`ErrorKind::as_str`] for the library's errors, `usage` or `io`.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Lib(err) => err.kind().as_str(),
            Failure::Policy(violation) => violation.kind().as_str(),
            Failure::Usage(_) => "usage",
            Failure::Dialect(_) => "parse",
            Failure::Write(_) => "unwritable",
            Failure::Io(_) | Failure::Os { .. } => "io",
        }
    }

    /// The exit code: see the table in docs/cli.md.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Lib(err) => exit_code(err.kind()),
            Failure::Policy(violation) => exit_code(violation.kind()),
            Failure::Usage(_) | Failure::Dialect(_) | Failure::Write(_) => EXIT_USAGE,
            Failure::Io(_) | Failure::Os { .. } => EXIT_FAILURE,
        }
    }

    /// The message: a full sentence that ends with the fix.
    pub fn message(&self) -> String {
        match self {
            Failure::Lib(err) => err.to_string(),
            Failure::Policy(violation) => violation.to_string(),
            Failure::Usage(message) => message.clone(),
            Failure::Dialect(err) => err.to_string(),
            Failure::Write(err) => err.to_string(),
            Failure::Io(err) => format!("writing the output failed: {err}"),
            Failure::Os { doing, .. } => format!("{doing} failed"),
        }
    }

    /// The chain of underlying errors (the OS's), outermost first.
    pub fn causes(&self) -> Vec<String> {
        let mut causes = Vec::new();
        let first: Option<&(dyn std::error::Error + 'static)> = match self {
            Failure::Lib(err) => err.source(),
            Failure::Policy(violation) => violation.source(),
            Failure::Os { source, .. } => Some(source),
            Failure::Usage(_) | Failure::Dialect(_) | Failure::Write(_) | Failure::Io(_) => None,
        };
        {
            let mut source = first;
            while let Some(cause) = source {
                causes.push(cause.to_string());
                source = cause.source();
            }
        }
        causes
    }

    /// `{"error": {"kind": ..., "message": ..., "causes": [...]}}`: the library's JSON of
    /// its error (a parse error adds `input`, `offset` and `suggestions`), else the same keys.
    pub fn to_json(&self) -> Value {
        let error = match self {
            Failure::Lib(err) => to_json(err).ok(),
            Failure::Policy(violation) => to_json(violation).ok(),
            Failure::Dialect(err) => Some(json!({
                "kind": "parse",
                "message": err.to_string(),
                "dialect": err.dialect().name(),
                "input": err.input(),
                "offset": err.offset(),
                "causes": [],
            })),
            Failure::Usage(_) | Failure::Write(_) | Failure::Io(_) | Failure::Os { .. } => None,
        };
        let error = error.unwrap_or_else(|| {
            json!({
                "kind": self.kind(),
                "message": self.message(),
                "causes": self.causes(),
            })
        });
        json!({ "error": error })
    }

    /// `error: message`, then `  caused by: ...` lines.
    pub fn to_text(&self) -> String {
        let mut text = format!("{} {}\n", paint::red("error:"), self.message());
        for cause in self.causes() {
            let _ = writeln!(text, "  caused by: {cause}");
        }
        text
    }

    /// Reports the failure: JSON on standard output with `--json`, else text on standard error.
    pub fn report(&self, json: bool) {
        if json {
            let _ = print_json(&self.to_json());
        } else {
            eprint(&self.to_text());
        }
    }
}

/// The exit code of a library error kind.
pub fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Parse
        | ErrorKind::NotListenable
        | ErrorKind::FamilyMismatch
        | ErrorKind::SelfConnect => EXIT_USAGE,
        ErrorKind::AddrNotAvailable
        | ErrorKind::InterfaceNotFound
        | ErrorKind::NoAddress
        | ErrorKind::ZoneRequired
        | ErrorKind::DadFailed
        | ErrorKind::FamilyUnsupported
        | ErrorKind::AddressWaitTimedOut
        | ErrorKind::InheritedMismatch => EXIT_UNUSABLE,
        ErrorKind::PolicyViolation => EXIT_POLICY,
        _ => EXIT_FAILURE,
    }
}

/// What an exit code means, in a sentence (for `explain`).
pub fn exit_code_meaning(code: u8) -> &'static str {
    match code {
        EXIT_OK => "success",
        EXIT_USAGE => "the command line or the target is not valid",
        EXIT_UNUSABLE => "the target is valid but cannot be used on this machine",
        EXIT_POLICY => "the target breaks the policy",
        _ => "the operation failed at run time",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_on_the_text_not_the_escape_codes() {
        let mut table = Table::with_header(&["A", "LONG HEADER", "C"]);
        table.row_painted(&["first", "x", "painted"], paint::cyan);
        table.row(&["f", "", ""]);
        let coloured = table.render();
        // What `AutoStream` writes to a pipe.
        assert_eq!(
            anstream::adapter::strip_str(&coloured).to_string(),
            "A      LONG HEADER  C\nfirst  x            painted\nf\n"
        );
        assert!(coloured.contains("first  x            \x1b[36mpainted\x1b[0m\n"));
        assert!(coloured.starts_with("\x1b[1mA\x1b[0m      \x1b[1mLONG HEADER\x1b[0m  "));
    }

    #[test]
    fn exit_codes_follow_the_documented_table() {
        assert_eq!(exit_code(ErrorKind::Parse), EXIT_USAGE);
        assert_eq!(exit_code(ErrorKind::NotListenable), EXIT_USAGE);
        assert_eq!(exit_code(ErrorKind::AddrNotAvailable), EXIT_UNUSABLE);
        assert_eq!(exit_code(ErrorKind::InterfaceNotFound), EXIT_UNUSABLE);
        assert_eq!(exit_code(ErrorKind::NoAddress), EXIT_UNUSABLE);
        assert_eq!(exit_code(ErrorKind::ZoneRequired), EXIT_UNUSABLE);
        assert_eq!(exit_code(ErrorKind::FamilyUnsupported), EXIT_UNUSABLE);
        assert_eq!(exit_code(ErrorKind::DadFailed), EXIT_UNUSABLE);
        assert_eq!(exit_code(ErrorKind::InheritedMismatch), EXIT_UNUSABLE);
        assert_eq!(exit_code(ErrorKind::AddressWaitTimedOut), EXIT_UNUSABLE);
        assert_eq!(exit_code(ErrorKind::AddrInUse), EXIT_FAILURE);
        assert_eq!(exit_code(ErrorKind::ConnectionRefused), EXIT_FAILURE);
        assert_eq!(exit_code(ErrorKind::Io), EXIT_FAILURE);
        assert_eq!(Failure::Usage("x".into()).exit_code(), EXIT_USAGE);
    }
}
