//! What a run needs to know: the target, its credentials, the files to transfer, the limits.

use crate::session::TlsClient;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// A password that never prints: `Debug` and `Display` show `****`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    /// The real value, for the one place that sends it (the `PASS` command).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("****")
    }
}

/// The server under test.
#[derive(Debug, Clone)]
pub struct Target {
    /// Every address the target answers on (IPv4 and/or IPv6); scenarios pick by family.
    pub addrs: Vec<SocketAddr>,
    /// `None` means anonymous.
    pub user: Option<String>,
    pub password: Option<Secret>,
    /// How to show the target to people: `ftp://bob@127.0.0.1:2121` (never the password).
    pub display: String,
    /// Addresses of the same server in a family `addrs` lacks, lent by another target of a
    /// several-target run (its IPv6 endpoint, say): a scenario that needs that family runs
    /// there instead of being SKIP, with a note saying so.
    pub lent: Vec<Lent>,
}

/// An address of another endpoint of the same server (see [`Target::lent`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lent {
    pub addr: SocketAddr,
    /// The lending target as shown to people: `ftp://[::1]:2121`.
    pub from: String,
}

impl Target {
    /// An anonymous login on these addresses, shown to people as `display`.
    pub fn anonymous(addrs: Vec<SocketAddr>, display: impl Into<String>) -> Target {
        Target {
            addrs,
            user: None,
            password: None,
            display: display.into(),
            lent: Vec::new(),
        }
    }

    /// The login name: the URL's user, else `anonymous`.
    pub fn user_name(&self) -> &str {
        self.user.as_deref().unwrap_or("anonymous")
    }
    /// The password: the URL's, else the conventional anonymous one (RFC 1635).
    pub fn password_value(&self) -> &str {
        self.password
            .as_ref()
            .map(Secret::expose)
            .unwrap_or("ftpspec@example.com")
    }
}

/// Names of files the target serves, used by transfer scenarios (`${file.small}` …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    /// A small file to RETR (the reference server's `hello.txt`).
    pub small: String,
    /// A file of several MiB, for ABOR during a transfer.
    pub large: String,
    /// A name STOR may write to.
    pub upload: String,
}

impl Default for Files {
    fn default() -> Self {
        Files {
            small: "hello.txt".into(),
            large: "large.bin".into(),
            upload: "ftpspec-upload.bin".into(),
        }
    }
}

/// The command line the `transfer` step (and `${transfer}`) sends, chosen once per run by the
/// preflight or pinned with `--transfer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferChoice {
    /// This command line: `NLST`, `LIST`, `RETR hello.txt`.
    Command(String),
    /// No transfer command worked in the preflight; the reason lists what was tried.
    Unavailable(String),
}

/// The transfer command used when no preflight ran and none was pinned (`run_one`).
pub const DEFAULT_TRANSFER: &str = "NLST";

/// Everything the runner needs, validated by the CLI.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub target: Target,
    pub files: Files,
    /// A failed SHOULD is FAIL instead of WARN.
    pub strict: bool,
    /// Scenarios in flight at once, each with its own control connection (≥ 1).
    pub jobs: usize,
    /// Limit for each wait inside a step: a reply, a connection, a transfer.
    pub step_timeout: Duration,
    /// Wall-clock limit for a whole scenario; past it the scenario is ERROR.
    pub scenario_timeout: Duration,
    /// Most bytes read from one data connection.
    pub max_data_bytes: usize,
    /// Runs of each scenario (≥ 1); differing verdicts are reported as flaky.
    pub repeat: u32,
    /// How many times `repeat ${burst}` runs its body: the length of the TIME_WAIT bursts.
    pub burst: u32,
    /// The transfer command; `None` lets the run's preflight choose it.
    pub transfer: Option<TransferChoice>,
    /// Command verb → the scenario that tests it on its own (`covers` headers of every loaded
    /// scenario), named by BLOCKED verdicts whose setup failed on that command.
    pub coverage: BTreeMap<String, String>,
    /// FTPS (RFC 4217): every control connection is protected, explicitly (AUTH TLS) or
    /// implicitly, and data connections are TLS after `PROT P`. `None`: plain FTP.
    pub tls: Option<TlsClient>,
    /// The target refuses clear sessions (`--tls-required`): scenarios with `needs
    /// tls-required` check how (RFC 4217 §11).
    pub tls_required: bool,
}

impl RunConfig {
    /// The transfer command line, or why there is none.
    pub fn transfer_command(&self) -> Result<&str, &str> {
        match &self.transfer {
            None => Ok(DEFAULT_TRANSFER),
            Some(TransferChoice::Command(c)) => Ok(c),
            Some(TransferChoice::Unavailable(why)) => Err(why),
        }
    }

    pub fn new(target: Target) -> RunConfig {
        RunConfig {
            target,
            files: Files::default(),
            strict: false,
            jobs: 4,
            step_timeout: Duration::from_secs(5),
            scenario_timeout: Duration::from_secs(120),
            max_data_bytes: 64 * 1024 * 1024,
            repeat: 1,
            burst: 200,
            transfer: None,
            coverage: BTreeMap::new(),
            tls: None,
            tls_required: false,
        }
    }
}
