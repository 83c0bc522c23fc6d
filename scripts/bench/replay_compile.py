#!/usr/bin/env python3
"""Compile `ftpspec run --json` transcripts into a wire-replay script for examples/wire_replay.rs.

The script replays, per scenario, exactly what ftpspec put on the wire: the same control
connections, the same command bytes (`sent` entries), the same data connections (listen, accept,
connect, reads to EOF or of N bytes, writes, closes) and waits for the same number of complete
replies per `received` chunk. Ports that differ from run to run (passive ports named in 227/229
replies, our own listeners for PORT/EPRT) are mapped at replay time. An `expect-silence` window
(a control `sent` followed by another `sent` with no reply between, after a gap of 100 ms or
more) is kept as a wait of the same length, because the scenario waits on purpose.

Output: one op per line, tab-separated; byte strings as hex.
    S id | C addr | R n | W hex | O | Q ms | L name addr reuse|fresh | A name | D name addr k | F name addr k
    K name n | G name | E name | J name | Y name hex | X name
"""
import json
import re
import sys

PASV_RE = re.compile(rb"^(227|229) ")


def unescape(text: str) -> bytes:
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "x":
                out.append(int(text[i + 2 : i + 4], 16))
                i += 4
                continue
            out += {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}[n]
            i += 2
            continue
        out += c.encode("latin-1")
        i += 1
    return bytes(out)


TRUNC_RE = re.compile(r"\.\.\. \((\d+) bytes in all\)$")


def sent_bytes(text: str, password: str) -> bytes:
    m = TRUNC_RE.search(text)
    if m:
        # A long entry keeps only its start: rebuild one of the same length (the start, then
        # its last byte repeated, then CRLF), which is what send-long sends.
        total = int(m.group(1))
        head = unescape(text[: m.start()])
        fill = head[-1:] or b"A"
        return head + fill * max(0, total - len(head) - 2) + b"\r\n"
    data = unescape(text)
    if data.startswith(b"PASS ****"):
        data = b"PASS " + password.encode() + data[len(b"PASS ****") :]
    return data


def final_lines(data: bytes) -> int:
    return sum(1 for line in data.split(b"\r\n") if re.match(rb"^\d{3} ", line))


def addr_of(text: str) -> str:
    return text.split()[2] if text.startswith("connected to") else text.split()[-1]


def port_of(addr: str) -> int:
    return int(addr.rsplit(":", 1)[1])


def last_index(ports, port):
    """The latest passive reply naming this port (a small passive range repeats ports)."""
    for k in range(len(ports) - 1, -1, -1):
        if ports[k] == port:
            return k
    return -1


def compile_scenario(sc, password, out):
    out.append(f"S\t{sc['id']}")
    entries = sc["transcript"]
    passive = []  # transcript passive ports, in order
    pending_final = 0
    last_sent_at = None
    drained_bg = set()
    later_eof = {}
    for i, t in enumerate(entries):
        ch = t["channel"].split(":", 1)[-1]
        if t["direction"] == "event" and t["text"].startswith("EOF after"):
            later_eof.setdefault(ch, []).append(i)
    for i, t in enumerate(entries):
        chan, d, text = t["channel"], t["direction"], t["text"]
        name = chan.split(":", 1)[-1]
        if chan == "control":
            if d == "event" and text.startswith("connected to"):
                out.append(f"C\t{addr_of(text)}")
            elif d == "event" and text.startswith("urgent data"):
                out.append("O")
            elif d == "sent":
                if last_sent_at is not None and t["at_ms"] - last_sent_at >= 100:
                    out.append(f"Q\t{int(t['at_ms'] - last_sent_at)}")
                out.append(f"W\t{sent_bytes(text, password).hex()}")
                last_sent_at = t["at_ms"]
            elif d == "received":
                data = unescape(text)
                n = final_lines(data)
                for line in data.split(b"\r\n"):
                    if PASV_RE.match(line):
                        m = re.search(rb"\(\|\|\|(\d+)\|\)", line) or re.search(
                            rb"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", line
                        )
                        if m and len(m.groups()) == 1:
                            passive.append(int(m.group(1)))
                        elif m:
                            passive.append(int(m.group(5)) * 256 + int(m.group(6)))
                if n:
                    out.append(f"R\t{n}")
                last_sent_at = None
            continue
        # data channels
        if d == "event":
            if text.startswith("listening on"):
                reuse = "reuse" if "SO_REUSEADDR" in text else "fresh"
                out.append(f"L\t{name}\t{text.split()[2]}\t{reuse}")
            elif text.startswith("accepted from"):
                out.append(f"A\t{name}")
            elif text.startswith("connected to"):
                a = addr_of(text)
                k = last_index(passive, port_of(a))
                out.append(f"D\t{name}\t{a}\t{k}")
            elif text.startswith("not accepted: cannot connect to"):
                a = text.split("cannot connect to ", 1)[1].split(":")
                a = ":".join(a[:-1]) if False else text.split("cannot connect to ", 1)[1].rsplit(": ", 1)[0]
                # "127.0.0.1:22154: Connection refused ..." -> "127.0.0.1:22154"
                a = re.match(r"(\[[^\]]+\]:\d+|[\d.]+:\d+)", a).group(1)
                k = last_index(passive, port_of(a))
                out.append(f"F\t{name}\t{a}\t{k}")
            elif text.startswith("read ") and "stream left open" in text:
                n = int(text.split()[1])
                out.append(f"K\t{name}\t{n}")
                if any(j > i for j in later_eof.get(name, [])):
                    out.append(f"G\t{name}")
                    drained_bg.add(name)
            elif text.startswith("EOF after"):
                if name in drained_bg:
                    out.append(f"J\t{name}")
                    drained_bg.discard(name)
                else:
                    out.append(f"E\t{name}")
            elif text.startswith("closed by"):
                out.append(f"X\t{name}")
        elif d == "sent":
            out.append(f"Y\t{name}\t{unescape(text).hex()}")


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: replay_compile.py REPORT.json [PASSWORD [EXCLUDED-IDS]] > script")
    password = sys.argv[2] if len(sys.argv) > 2 else "ftpspec@example.org"
    exclude = set(sys.argv[3].split()) if len(sys.argv) > 3 else set()
    report = json.load(open(sys.argv[1]))
    out = []
    dropped = 0
    for sc in report["scenarios"]:
        if sc["verdict"] == "SKIP" or not sc["transcript"] or sc["id"] in exclude:
            continue
        dropped += sc.get("transcript_dropped", 0)
        compile_scenario(sc, password, out)
    if dropped:
        print(f"replay_compile: {dropped} transcript entries were dropped; replay incomplete", file=sys.stderr)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
