#!/usr/bin/env python3
"""A hostile FTP server for the browser check of the HTML matrix: its greeting and replies
carry markup, quotes and bytes that are not UTF-8, so that a real `ftpspec run --json` against
it puts them in a report exactly as a hostile server would.

It listens on 127.0.0.1 port 0 (never anything but loopback), prints the port on the first line
of stdout, and answers USER 331, PASS 230, QUIT 221 (then closes) and everything else 500 with
more markup. It stops by itself after --lifetime seconds. Standard library only."""

import argparse
import socket
import socketserver
import sys
import threading

GREETING = b"220 <script>window.pwned=1</script> \"&' \xff\xfe\r\n"
REFUSAL = b"500 <img src=x onerror=\"window.pwned=2\"> </pre></details><b>&amp; \xc3\x28\r\n"
REPLIES = {
    b"USER": b"331 <i>any</i> password\r\n",
    b"PASS": b"230 logged in\r\n",
    b"QUIT": b"221 bye\r\n",
}


class Session(socketserver.StreamRequestHandler):
    timeout = 20  # seconds a silent client may hold its session

    def handle(self):
        self.wfile.write(GREETING)
        for _ in range(10_000):  # bounded, like every loop here
            try:
                line = self.rfile.readline(16_384)
            except OSError:
                return
            if not line:
                return
            verb = line.strip().split(b" ", 1)[0].upper()
            self.wfile.write(REPLIES.get(verb, REFUSAL))
            if verb == b"QUIT":
                return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifetime", type=float, default=300.0)
    args = parser.parse_args()
    with Server(("127.0.0.1", 0), Session) as server:
        print(server.server_address[1], flush=True)
        threading.Timer(args.lifetime, server.shutdown).start()
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
