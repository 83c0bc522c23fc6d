#!/usr/bin/env python3
"""pyftpdlib on loopback for ftpspec's interop runs; started by scripts/interop/pyftpdlib.

Listens on 127.0.0.1:P and, when the machine has ::1, on [::1]:P too (two listening sockets on
one IO loop, never a wildcard address), with a small passive port range. Logins: anonymous and
`ftpspec`/`ftpspec`, both with read and write access to the data root. pyftpdlib's defaults
for RFC 2577 stay as they are (no foreign addresses in PORT/EPRT, no privileged ports).

With --tls-cert (and --tls-key), the handler is pyftpdlib's TLS_FTPHandler (pyOpenSSL) and
TLS is required: AUTH TLS before USER/PASS (tls_control_required) and PROT P before any data
setup command (tls_data_required); the URLs are then ftpes:// (explicit FTPS, RFC 4217 §4;
pyftpdlib has no implicit mode).

Once listening it writes the target URLs to --url-file (first line: the URL to test with; a
second line `ipv6 ftp://[::1]:P` when ::1 is served), atomically, so the caller can wait for it.
"""

import argparse
import logging
import os
import socket
import sys

from pyftpdlib import __ver__ as PYFTPDLIB_VERSION
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib import ioloop as ioloops
from pyftpdlib.servers import FTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ports import control_listeners, has_ipv6_loopback, passive_block  # noqa: E402

# Every permission pyftpdlib has: e=cwd l=list r=retr a=appe d=dele f=rename m=mkd w=stor
# M=chmod T=mfmt. Transfer scenarios STOR `ftpspec-upload.bin` into the root.
PERMS = "elradfmwMT"

POLLERS = {
    "default": ioloops.IOLoop,
    "epoll": getattr(ioloops, "Epoll", ioloops.IOLoop),
    "poll": getattr(ioloops, "Poll", ioloops.IOLoop),
    "select": ioloops.Select,
}


def localhost_has_ipv6():
    """True when the name `localhost` resolves to ::1 as well as 127.0.0.1."""
    try:
        infos = socket.getaddrinfo("localhost", None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return any(info[4][0] == "::1" for info in infos)


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True, help="data directory served to every login")
    p.add_argument("--url-file", required=True)
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--poller", default="default", choices=["default", "epoll", "poll", "select"])
    p.add_argument("--tls-cert", help="PEM certificate chain: serve FTPS, TLS required")
    p.add_argument("--tls-key", help="PEM private key of --tls-cert")
    args = p.parse_args()

    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    ipv6 = has_ipv6_loopback()
    socks, port = control_listeners(ipv6)
    first, last = passive_block(ipv6)

    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(args.root, perm=PERMS)
    authorizer.add_user("ftpspec", "ftpspec", args.root, perm=PERMS)

    handler = FTPHandler
    scheme = "ftp"
    if args.tls_cert:
        # Imported here: plain runs need no pyOpenSSL.
        from pyftpdlib.handlers import TLS_FTPHandler

        handler = TLS_FTPHandler
        handler.certfile = args.tls_cert
        handler.keyfile = args.tls_key
        handler.tls_control_required = True
        handler.tls_data_required = True
        scheme = "ftpes"
    handler.authorizer = authorizer
    handler.passive_ports = list(range(first, last + 1))
    handler.banner = f"pyftpdlib {PYFTPDLIB_VERSION} ready (ftpspec interop)"

    ioloop = POLLERS[args.poller]()
    servers = [FTPServer(s, handler, ioloop=ioloop) for s in socks]

    host = "localhost" if ipv6 and localhost_has_ipv6() else "127.0.0.1"
    lines = [f"{scheme}://{host}:{port}"]
    if ipv6:
        lines.append(f"ipv6 {scheme}://[::1]:{port}")
    logging.info(
        "pyftpdlib %s on %s, passive ports %d-%d%s",
        PYFTPDLIB_VERSION,
        ", ".join(str(s.address) for s in servers),
        first,
        last,
        ", TLS required (%s)" % handler.__name__ if args.tls_cert else "",
    )
    write_atomically(args.url_file, "\n".join(lines) + "\n")
    servers[0].serve_forever(handle_exit=True)


if __name__ == "__main__":
    sys.exit(main())
