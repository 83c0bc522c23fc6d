#!/usr/bin/env python3
"""Free loopback ports for the interop servers (scripts/interop/pyftpdlib and vsftpd).

Only loopback is ever bound: 127.0.0.1 and, when the machine has it, ::1.

- The control port is one port free on both 127.0.0.1 and ::1, so that one URL reaches the
  server over both families (`ftp://localhost:PORT` where localhost names both).
- The passive range is a small block of ports (4 by default) below the kernel's ephemeral
  range, so that the client ports ftpspec's own connections get can never collide with it,
  and free on both families.

As a program it prints `CONTROL PASV_MIN PASV_MAX IPV6` (IPV6 is 1 when ::1 can be bound),
for the vsftpd script, which must release the ports before vsftpd binds them (a small race
that the caller handles by retrying). pyftpdlib_server.py imports `control_listeners` and
keeps the sockets, so it has no race.
"""

import random
import socket
import sys

V4 = "127.0.0.1"
V6 = "::1"
# Bounded tries everywhere: a busy machine gives up with an error instead of looping.
TRIES = 200


def has_ipv6_loopback():
    """True when a socket can be bound to [::1]:0."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind((V6, 0))
        return True
    except OSError:
        return False


def _bind(family, host, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, port))
    except OSError:
        s.close()
        raise
    return s


def control_listeners(ipv6):
    """Sockets bound to 127.0.0.1:P and (when ipv6) [::1]:P for one port P, not yet listening."""
    for _ in range(TRIES):
        s4 = _bind(socket.AF_INET, V4, 0)
        port = s4.getsockname()[1]
        if not ipv6:
            return [s4], port
        try:
            s6 = _bind(socket.AF_INET6, V6, port)
        except OSError:
            s4.close()
            continue
        return [s4, s6], port
    raise SystemExit(f"no port free on both {V4} and [{V6}] after {TRIES} tries")


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def passive_block(ipv6, count=4):
    """(first, last) of `count` consecutive ports free on every loopback family, chosen at random
    between 20000 and the start of the ephemeral range."""
    low, high = 20000, _ephemeral_low() - count
    if high <= low:
        low, high = 1024 + count, 20000
    for _ in range(TRIES):
        first = random.randrange(low, high)
        held = []
        try:
            for port in range(first, first + count):
                held.append(_bind(socket.AF_INET, V4, port))
                if ipv6:
                    held.append(_bind(socket.AF_INET6, V6, port))
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
        return first, first + count - 1
    raise SystemExit(f"no block of {count} free passive ports after {TRIES} tries")


def main():
    ipv6 = has_ipv6_loopback()
    socks, port = control_listeners(ipv6)
    for s in socks:
        s.close()
    first, last = passive_block(ipv6)
    print(port, first, last, int(ipv6))


if __name__ == "__main__":
    sys.exit(main())
