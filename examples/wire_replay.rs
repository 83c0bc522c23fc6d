//! The practical lower bound for benchmarks (see BENCHMARKS.md): a minimal blocking raw-socket
//! FTP client, against which the harness's own cost is measured.
//!
//! `wire_replay replay SCRIPT [N]` replays the wire dialogues compiled from `ftpspec run --json`
//! transcripts by `scripts/bench/replay_compile.py`: the same control connections, the same
//! command bytes, the same data connections, reading every reply (it counts complete replies, as
//! RFC 959 §4.2 defines them: the line starting with the code and a space ends a reply). It
//! prints the wall time of N back-to-back replays of the whole script, in seconds, one a line.
//!
//! `wire_replay flood HOST:PORT JOBS SECS [USER PASS]` runs JOBS threads, each looping over
//! connect, greeting, USER, PASS, NOOP, QUIT until SECS have passed, and prints sessions/s.
//!
//! Not part of ftpspec: std and socket2 only, no async runtime, no parsing beyond what the
//! bytes need, so that it measures the wire and the server, not a harness.
use socket2::SockRef;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(5);

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("replay") if args.len() >= 3 => replay_cmd(&args[2], args.get(3)),
        Some("flood") if args.len() >= 5 => flood_cmd(&args[2..]),
        _ => Err(
            "usage: wire_replay replay SCRIPT [N] | flood HOST:PORT JOBS SECS [USER PASS]".into(),
        ),
    }
}

// ---------------------------------------------------------------- control replies

/// A control connection with a buffer of bytes read past the last complete reply.
struct Control {
    stream: TcpStream,
    buf: Vec<u8>,
    passive: Vec<u16>,
}

impl Control {
    fn connect(addr: &str) -> Res<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(WAIT))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::new(),
            passive: Vec::new(),
        })
    }

    /// Reads until `n` complete replies have arrived (a reply ends with a line `DDD <text>`).
    fn replies(&mut self, n: usize) -> Res<()> {
        let mut got = 0;
        let mut chunk = [0u8; 8192];
        for _ in 0..100_000 {
            while let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..pos + 2).collect();
                if is_final(&line) {
                    self.note_passive(&line);
                    got += 1;
                    if got == n {
                        return Ok(());
                    }
                }
            }
            let k = self.stream.read(&mut chunk)?;
            if k == 0 {
                return Err("control connection closed before the reply".into());
            }
            self.buf.extend_from_slice(&chunk[..k]);
        }
        Err("too many reads for one reply".into())
    }

    fn note_passive(&mut self, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        if let Some(rest) = text.strip_prefix("229 ") {
            let port = rest.split("|||").nth(1).and_then(|s| s.split('|').next());
            if let Some(p) = port.and_then(|p| p.parse().ok()) {
                self.passive.push(p);
            }
        } else if let Some(rest) = text.strip_prefix("227 ") {
            let nums: Vec<u16> = rest
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|s| s.parse().ok())
                .collect();
            if nums.len() >= 6 {
                self.passive.push(nums[4] * 256 + nums[5]);
            }
        }
    }

    /// `expect-silence`: waits `ms`, and any reply in that window is kept for later.
    fn silence(&mut self, ms: u64) -> Res<()> {
        let end = Instant::now() + Duration::from_millis(ms);
        let mut chunk = [0u8; 8192];
        for _ in 0..10_000 {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.stream.set_read_timeout(Some(left))?;
            match self.stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(k) => self.buf.extend_from_slice(&chunk[..k]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.stream.set_read_timeout(Some(WAIT))?;
        Ok(())
    }
}

fn is_final(line: &[u8]) -> bool {
    line.len() >= 4 && line[..3].iter().all(u8::is_ascii_digit) && line[3] == b' '
}

// ---------------------------------------------------------------- replay

enum Data {
    Stream(TcpStream),
    Draining(JoinHandle<io::Result<u64>>),
}

#[derive(Default)]
struct Scenario {
    control: Option<Control>,
    data: HashMap<String, Data>,
    /// Listeners stay open across accepts, as ftpspec's do (several PORTs to one listener).
    listeners: HashMap<String, TcpListener>,
    /// Transcript port -> this run's port, for our own listeners (PORT/EPRT arguments).
    ports: Vec<(u16, u16)>,
}

fn replay_cmd(script: &str, n: Option<&String>) -> Res<()> {
    let text = std::fs::read_to_string(script)?;
    let ops: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    let n: usize = n.map(|s| s.parse()).transpose()?.unwrap_or(1);
    for _ in 0..n {
        let mut misses = 0u32;
        let start = Instant::now();
        let mut sc = Scenario::default();
        let mut id = "";
        let mut diverged = "";
        for op in &ops {
            if op[0] == "S" {
                id = op[1];
                sc = Scenario::default();
                continue;
            }
            if id == diverged {
                continue;
            }
            // A data step that fails (the server's timing differs from the recording's) is
            // counted and skipped; a control step that fails abandons the scenario, which is
            // named on stderr so that the benchmark can leave it out on both sides.
            if let Err(e) = step(&mut sc, op) {
                if !"DKEJYXA".contains(op[0]) {
                    eprintln!("DIVERGED {id} at {op:?}: {e}");
                    diverged = id;
                    sc = Scenario::default();
                    continue;
                }
                misses += 1;
                eprintln!("wire_replay: {id}: {op:?}: {e} (skipped)");
            }
        }
        drop(sc);
        println!("{:.6} {misses}", start.elapsed().as_secs_f64());
    }
    Ok(())
}

fn control(sc: &mut Scenario) -> Res<&mut Control> {
    sc.control
        .as_mut()
        .ok_or_else(|| "no control connection".into())
}

fn step(sc: &mut Scenario, op: &[&str]) -> Res<()> {
    match op[0] {
        "C" => {
            // Passive replies are numbered per scenario, across its control connections.
            let seen = sc.control.take().map(|c| c.passive).unwrap_or_default();
            let mut c = Control::connect(op[1])?;
            c.passive = seen;
            sc.control = Some(c);
        }
        "R" => control(sc)?.replies(op[1].parse()?)?,
        "W" => {
            let bytes = map_ports(&hex(op[1])?, &sc.ports);
            control(sc)?.stream.write_all(&bytes)?;
        }
        "O" => {
            SockRef::from(&control(sc)?.stream).send_out_of_band(&[0xf2])?;
        }
        "Q" => control(sc)?.silence(op[1].parse()?)?,
        "L" => listen(sc, op[1], op[2], op.get(3) == Some(&"reuse"))?,
        "A" => accept(sc, op[1])?,
        "D" | "F" => connect_data(sc, op)?,
        "K" => read_exact(sc, op[1], op[2].parse()?)?,
        "G" => background(sc, op[1])?,
        "E" => read_to_end(sc, op[1])?,
        "J" => join(sc, op[1])?,
        "Y" => stream(sc, op[1])?.write_all(&hex(op[2])?)?,
        "X" => drop(sc.data.remove(op[1])),
        other => return Err(format!("unknown op {other}").into()),
    }
    Ok(())
}

fn listen(sc: &mut Scenario, name: &str, addr: &str, reuse: bool) -> Res<()> {
    let orig: SocketAddr = addr.parse()?;
    let mut bind = orig;
    // A port listened on again in the recording (TIME_WAIT reuse) is listened on again here.
    let again = mapped(&sc.ports, orig.port()).filter(|_| reuse);
    bind.set_port(again.unwrap_or(0));
    drop(sc.listeners.remove(name));
    let l = TcpListener::bind(bind)?;
    SockRef::from(&l).set_read_timeout(Some(WAIT))?;
    let port = l.local_addr()?.port();
    sc.ports.push((orig.port(), port));
    sc.listeners.insert(name.into(), l);
    Ok(())
}

fn accept(sc: &mut Scenario, name: &str) -> Res<()> {
    let l = sc.listeners.get(name).ok_or("accept without a listener")?;
    let (s, _) = l.accept()?;
    s.set_read_timeout(Some(WAIT))?;
    sc.data.insert(name.into(), Data::Stream(s));
    Ok(())
}

fn connect_data(sc: &mut Scenario, op: &[&str]) -> Res<()> {
    let mut addr: SocketAddr = op[2].parse()?;
    let k: i64 = op[3].parse()?;
    if k >= 0 {
        let passive = &control(sc)?.passive;
        let p = *passive
            .get(k as usize)
            .ok_or("fewer passive replies than recorded")?;
        addr.set_port(p);
    }
    let res = TcpStream::connect_timeout(&addr, WAIT);
    match (op[0], res) {
        ("D", Ok(s)) => {
            s.set_read_timeout(Some(WAIT))?;
            sc.data.insert(op[1].into(), Data::Stream(s));
        }
        ("D", Err(e)) => return Err(e.into()),
        _ => {} // F: a probe that was refused when recorded; the outcome does not matter here
    }
    Ok(())
}

fn stream<'a>(sc: &'a mut Scenario, name: &str) -> Res<&'a mut TcpStream> {
    match sc.data.get_mut(name) {
        Some(Data::Stream(s)) => Ok(s),
        _ => Err(format!("no data stream {name}").into()),
    }
}

fn read_exact(sc: &mut Scenario, name: &str, n: usize) -> Res<()> {
    let mut buf = vec![0u8; n];
    stream(sc, name)?.read_exact(&mut buf)?;
    Ok(())
}

fn drain(mut s: TcpStream) -> io::Result<u64> {
    let mut buf = vec![0u8; 65536];
    let mut total = 0u64;
    for _ in 0..10_000_000 {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(k) => total += k as u64,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

fn background(sc: &mut Scenario, name: &str) -> Res<()> {
    let Some(Data::Stream(s)) = sc.data.remove(name) else {
        return Err("background drain without a stream".into());
    };
    sc.data.insert(
        name.into(),
        Data::Draining(std::thread::spawn(move || drain(s))),
    );
    Ok(())
}

fn read_to_end(sc: &mut Scenario, name: &str) -> Res<()> {
    match sc.data.remove(name) {
        Some(Data::Stream(s)) => drain(s).map(drop).or_else(|e| {
            // expect-no-data on a thief may end in silence: a timeout is what was recorded too.
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) {
                Ok(())
            } else {
                Err(e)
            }
        })?,
        None => return Err(format!("no data stream {name} to read").into()),
        Some(Data::Draining(h)) => drop(h.join()),
    }
    Ok(())
}

fn join(sc: &mut Scenario, name: &str) -> Res<()> {
    match sc.data.remove(name) {
        Some(Data::Draining(h)) => h.join().map_err(|_| "drain thread panicked")??,
        _ => return Err("join without a background drain".into()),
    };
    Ok(())
}

/// Rewrites recorded listener ports in a PORT/EPRT argument to this run's listener ports: the
/// decimal form (EPRT, RFC 2428 §2) and the `p1,p2` form (PORT, RFC 959 §4.1.2).
/// The latest mapping wins, and only one is applied, so that mappings never chain.
fn map_ports(bytes: &[u8], ports: &[(u16, u16)]) -> Vec<u8> {
    for &(from, to) in ports.iter().rev() {
        let out = replace_number(
            bytes,
            from.to_string().as_bytes(),
            to.to_string().as_bytes(),
        );
        if out != bytes {
            return out;
        }
        let f = format!(",{},{}\r", from / 256, from % 256);
        let t = format!(",{},{}\r", to / 256, to % 256);
        let out = replace(bytes, f.as_bytes(), t.as_bytes());
        if out != bytes {
            return out;
        }
    }
    bytes.to_vec()
}

fn mapped(ports: &[(u16, u16)], from: u16) -> Option<u16> {
    ports.iter().rev().find(|p| p.0 == from).map(|p| p.1)
}

fn replace(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    match hay.windows(from.len()).position(|w| w == from) {
        Some(i) => [&hay[..i], to, &hay[i + from.len()..]].concat(),
        None => hay.to_vec(),
    }
}

/// Replaces `from` where it stands as a whole number (no digit either side).
fn replace_number(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let n = from.len();
    for i in 0..hay.len().saturating_sub(n - 1) {
        let whole = &hay[i..i + n] == from
            && (i == 0 || !hay[i - 1].is_ascii_digit())
            && hay.get(i + n).is_none_or(|b| !b.is_ascii_digit());
        if whole {
            return [&hay[..i], to, &hay[i + n..]].concat();
        }
    }
    hay.to_vec()
}

fn hex(s: &str) -> Res<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(Into::into))
        .collect()
}

// ---------------------------------------------------------------- flood

fn flood_cmd(args: &[String]) -> Res<()> {
    let addr = args[0].clone();
    let jobs: usize = args[1].parse()?;
    let secs: f64 = args[2].parse()?;
    let user = args.get(3).cloned().unwrap_or_else(|| "anonymous".into());
    let pass = args
        .get(4)
        .cloned()
        .unwrap_or_else(|| "ftpspec@example.org".into());
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let handles: Vec<_> = (0..jobs)
        .map(|_| {
            let (addr, user, pass) = (addr.clone(), user.clone(), pass.clone());
            std::thread::spawn(move || -> Res<u64> {
                let mut n = 0u64;
                // Bounded: the deadline ends it; the cap only guards a broken clock.
                for _ in 0..100_000_000u64 {
                    if Instant::now() >= end {
                        break;
                    }
                    session(&addr, &user, &pass)?;
                    n += 1;
                }
                Ok(n)
            })
        })
        .collect();
    let mut total = 0;
    for h in handles {
        total += h.join().map_err(|_| "flood thread panicked")??;
    }
    let el = start.elapsed().as_secs_f64();
    println!("{total} {el:.3} {:.1}", total as f64 / el);
    Ok(())
}

/// One session: greeting, USER, PASS, NOOP, QUIT, each reply read in full.
fn session(addr: &str, user: &str, pass: &str) -> Res<()> {
    let mut c = Control::connect(addr)?;
    c.replies(1)?;
    for cmd in [
        format!("USER {user}\r\n"),
        format!("PASS {pass}\r\n"),
        "NOOP\r\n".into(),
        "QUIT\r\n".into(),
    ] {
        c.stream.write_all(cmd.as_bytes())?;
        c.replies(1)?;
    }
    Ok(())
}
