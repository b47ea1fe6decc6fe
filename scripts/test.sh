#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a developer's: installs what is
# missing (Python packages, Debian's postgresql and chromium), starts a throwaway
# PostgreSQL on a free port, runs pytest against SQLite and PostgreSQL, and stops the
# server whatever happens. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

echo "== Python packages"
"$PYTHON" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x /usr/bin/chromium ]; then
  echo "== Debian packages: postgresql chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql chromium >/dev/null
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

PGDIR=$(mktemp -d /tmp/audit-test-pg.XXXXXX)
PGPORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_pg() {
  pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap stop_pg EXIT

echo "== PostgreSQL on port $PGPORT"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDIR"
pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -o \
  "-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
export AUDIT_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
export AUDIT_TEST_PGCTL="$PGBIN/pg_ctl"
export AUDIT_TEST_PGDATA="$PGDIR/data"

echo "== pytest"
status=0
"$PYTHON" -m pytest "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure, not a pass." >&2
  exit 1
fi
exit "$status"
