#!/bin/sh
# keyuan's start, the same in the container image (ENTRYPOINT) and on a bare server (systemd
# ExecStart), installed beside the `keyuan` console script as bin/keyuan-entrypoint.
#
#   keyuan-entrypoint [serve] [ARGS]  migrate the store (`keyuan init`: alembic upgrade head,
#                                     the vault key on first start), make the office CA and
#                                     this machine's certificate when missing (`keyuan tls init
#                                     --if-missing`), then `keyuan serve ARGS` in its place
#   keyuan-entrypoint healthcheck     exit 0 when /healthz answers 200 (Docker HEALTHCHECK)
#   keyuan-entrypoint COMMAND ...     any other `keyuan` command (`user add`, `backup`, ...)
#
# Settings come from the environment (KEYUAN_*, README "Configuration"); secrets from files named
# by KEYUAN_*_FILE (Docker secrets, systemd credentials). Only for the certificate:
# TLS_NAMES / TLS_IPS, space-separated extra host names / addresses it should name.
set -eu

here=$(dirname "$0")
KEYUAN=${KEYUAN_BIN:-$here/keyuan}
[ -x "$KEYUAN" ] || KEYUAN=keyuan
PYTHON=${KEYUAN_PYTHON:-$here/python}
[ -x "$PYTHON" ] || PYTHON=python3

command=${1:-serve}
[ $# -gt 0 ] && shift

case "$command" in
serve)
    echo "keyuan-entrypoint: migrating the store"
    "$KEYUAN" init
    if [ "${KEYUAN_TLS__MODE:-auto}" = auto ]; then
        tls_args=""
        for name in ${TLS_NAMES:-}; do tls_args="$tls_args --name $name"; done
        for ip in ${TLS_IPS:-}; do tls_args="$tls_args --ip $ip"; done
        # shellcheck disable=SC2086  # host names and addresses hold no spaces
        "$KEYUAN" tls init --if-missing $tls_args
    fi
    exec "$KEYUAN" serve "$@"
    ;;
healthcheck)
    exec "$PYTHON" - <<'PY'
import os, ssl, sys, urllib.request

mode = os.environ.get("KEYUAN_TLS__MODE", "auto")
host = os.environ.get("KEYUAN_HOST", "127.0.0.1")
loopback = host in ("127.0.0.1", "::1", "localhost")
if mode == "files" or (mode == "auto" and not loopback):
    url = f"https://127.0.0.1:{os.environ.get('KEYUAN_TLS__PORT', '8443')}/healthz"
    context = ssl._create_unverified_context()  # its own loopback: the answer is the check
else:
    url = f"http://127.0.0.1:{os.environ.get('KEYUAN_PORT', '8000')}/healthz"
    context = None
try:
    with urllib.request.urlopen(url, timeout=5, context=context) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except Exception as exc:
    print(f"healthcheck: {url}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
    ;;
*)
    exec "$KEYUAN" "$command" "$@"
    ;;
esac
