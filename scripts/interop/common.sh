# shellcheck shell=bash
# Shared by scripts/interop/{pyftpdlib,vsftpd,run}: paths, the known file set, PID files and
# bounded waits. Sourced, not run. Everything lives under target/interop/ and only loopback
# addresses are ever used.

INTEROP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$INTEROP_DIR/../.." && pwd)"
# shellcheck disable=SC2034 # used by the scripts that source this file
WORK="${FTPSPEC_INTEROP_WORK:-$REPO/target/interop}"
PYTHON="${PYTHON:-python3}"
# No __pycache__ beside the scripts (pyftpdlib_server.py imports ports.py).
export PYTHONDONTWRITEBYTECODE=1

log() { printf '%s: %s\n' "${SCRIPT_NAME:-interop}" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# make_fileset DIR: the files the transfer scenarios expect (ftpspec's defaults):
#   hello.txt  a small text file            (--file-small)
#   large.bin  4 MiB, byte i = i % 251      (--file-large; deterministic, so a transfer can
#              be checked byte for byte and is long enough to ABOR in the middle)
# ftpspec-upload.bin (--file-upload) is not created: STOR creates it.
make_fileset() {
    local dir=$1
    mkdir -p "$dir"
    printf 'Hello from the ftpspec interop file set.\r\n' >"$dir/hello.txt"
    "$PYTHON" - "$dir/large.bin" <<'PY'
import sys
size = 4 * 1024 * 1024
block = bytes(range(251))
data = (block * (size // len(block) + 1))[:size]
with open(sys.argv[1], "wb") as f:
    f.write(data)
PY
}

# pid_of PIDFILE MARKER: prints the PID in PIDFILE if that process is alive and its command
# line contains MARKER (so a recycled PID is never mistaken for our server).
pid_of() {
    local pidfile=$1 marker=$2 pid
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ -r /proc/$pid/cmdline ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker" || return 1
    printf '%s\n' "$pid"
}

# stop_pidfile PIDFILE MARKER: stops the process group we started (its leader's PID is in
# PIDFILE, started with setsid): TERM, up to 5 s, then KILL. Quiet when nothing runs.
stop_pidfile() {
    local pidfile=$1 marker=$2 pid i
    if pid=$(pid_of "$pidfile" "$marker"); then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "process $pid did not stop on TERM; sending KILL"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        fi
        log "stopped process $pid"
    fi
    rm -f "$pidfile"
}

# wait_for_file FILE PID SECONDS: waits until FILE exists (the server writes it once it
# listens), failing early if PID dies. Bounded: at most SECONDS.
wait_for_file() {
    local file=$1 pid=$2 secs=$3 i
    for ((i = 0; i < secs * 10; i++)); do
        [[ -s $file ]] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# greets HOST PORT [CA]: true when a 220 greeting arrives on HOST:PORT within 5 s. With CA
# (a PEM file), the connection is implicit TLS from the first byte, checked against CA.
greets() {
    "$PYTHON" - "$1" "$2" "${3:-}" <<'PY'
import socket, ssl, sys
host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    with socket.create_connection((host, port), timeout=5) as raw:
        s = raw
        if ca:
            s = ssl.create_default_context(cafile=ca).wrap_socket(raw, server_hostname=host)
        s.settimeout(5)
        ok = s.recv(512).startswith(b"220")
        s.sendall(b"QUIT\r\n")
except (OSError, ssl.SSLError):
    ok = False
sys.exit(0 if ok else 1)
PY
}

# make_cert DIR: a throw-away certificate authority and a server certificate it signs, for
# the TLS interop servers (openssl CLI; ftpspec itself has no OpenSSL in it):
#   DIR/ca.pem                 the CA certificate: what `ftpspec run --tls-ca` trusts
#   DIR/server.pem, server.key the server's certificate (then the CA's: the chain) and key,
#                              for localhost, 127.0.0.1 and ::1 (subjectAltName), so that
#                              rustls checks it against the host in the target URL
# ECDSA P-256 keys, valid for 30 days, made afresh at each start: nothing outlives the run.
# The CA key is deleted once it has signed.
make_cert() {
    local dir=$1
    if ! command -v openssl >/dev/null; then
        log "installing openssl (apt-get), to make the test certificate"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq openssl >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null && apt-get install -y -qq openssl >/dev/null; } ||
            die "cannot install openssl (the command), needed to make the test certificate"
    fi
    mkdir -p "$dir"
    rm -f "$dir"/ca.* "$dir"/server.*
    (
        cd "$dir"
        umask 077
        openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout ca.key -out ca.pem -days 30 -subj "/CN=ftpspec interop test CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
        printf '%s\n' \
            "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature" \
            "extendedKeyUsage=serverAuth" \
            "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" >server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 30 -extfile server.ext -out server.crt 2>/dev/null
        cat server.crt ca.pem >server.pem
        rm -f ca.key ca.srl server.csr server.ext server.crt
        chmod 0644 ca.pem server.pem
    ) || die "cannot make the test certificate in $dir"
}
