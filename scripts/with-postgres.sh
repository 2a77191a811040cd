#!/usr/bin/env bash
# with-postgres.sh - run a command against a throwaway PostgreSQL cluster.
#
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
#   e.g. scripts/with-postgres.sh python manage.py test
#        scripts/with-postgres.sh psql -c 'select version()'
#
# Creates a temporary cluster (initdb in a mktemp -d directory), starts it on
# 127.0.0.1 (port $PG_TEST_PORT, or a free port), creates the superuser role
# and database "anbang", exports DATABASE_URL, PGHOST, PGPORT, PGUSER and
# PGDATABASE, runs COMMAND, then stops the cluster and deletes the directory
# (also on failure and Ctrl-C). Exits with COMMAND's exit status.
#
# If the PostgreSQL server is missing it is installed with apt-get when running
# as root. If it is still missing: under CI=true this is an error (exit 1);
# otherwise a warning is printed and the script exits 0 without running COMMAND.
# As root, initdb/pg_ctl run as the "postgres" system user (initdb refuses root).
set -euo pipefail

readonly PG_ROLE=anbang
readonly PG_DB=anbang
readonly START_TIMEOUT=30

log() { printf 'with-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ $# -eq 0 ]]; then
    printf 'Usage: %s COMMAND [ARGS...]\n' "${0##*/}" >&2
    exit 2
fi

is_root() { [[ $(id -u) -eq 0 ]]; }

is_ci() {
    case "${CI:-}" in
        [Tt][Rr][Uu][Ee] | 1 | [Yy][Ee][Ss]) return 0 ;;
        *) return 1 ;;
    esac
}

# Print the newest /usr/lib/postgresql/<version>/bin holding all the binaries
# we need (server and client); return 1 if there is none.
find_pg_bin() {
    local dir best="" best_ver="" ver tool ok
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -d $dir ]] || continue
        ok=1
        for tool in initdb pg_ctl postgres pg_isready psql pg_dump; do
            [[ -x $dir/$tool ]] || { ok=0; break; }
        done
        [[ $ok -eq 1 ]] || continue
        ver=${dir#/usr/lib/postgresql/}
        ver=${ver%/bin}
        if [[ -z $best_ver ]] || [[ $(printf '%s\n%s\n' "$best_ver" "$ver" | sort -V | tail -n 1) == "$ver" ]]; then
            best=$dir
            best_ver=$ver
        fi
    done
    [[ -n $best ]] || return 1
    printf '%s\n' "$best"
}

install_postgres() {
    command -v apt-get >/dev/null 2>&1 || { log "apt-get not found; cannot install PostgreSQL"; return 1; }
    log "PostgreSQL server not found; installing it with apt-get"
    apt-get update -qq >/dev/null || return 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >/dev/null || return 1
}

# ---------------------------------------------------------------- binaries --
PG_BIN=$(find_pg_bin) || PG_BIN=""
if [[ -z $PG_BIN ]] && is_root; then
    install_postgres || log "installing PostgreSQL failed"
    PG_BIN=$(find_pg_bin) || PG_BIN=""
fi
if [[ -z $PG_BIN ]]; then
    if is_ci; then
        die "PostgreSQL server is required under CI (initdb, pg_ctl, postgres, psql, pg_dump under /usr/lib/postgresql/*/bin)"
    fi
    log "warning: PostgreSQL not available: skipping the PostgreSQL run (install the postgresql and postgresql-client packages)"
    exit 0
fi
# The versioned client tools (psql, pg_dump) must match the server.
export PATH="$PG_BIN:$PATH"

# Run a server-side command as the cluster owner (postgres when we are root).
as_pg() {
    if is_root; then
        (cd "$TMP_DIR" && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

if is_root && ! id -u postgres >/dev/null 2>&1; then
    log "creating the postgres system user"
    useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql \
        --shell /usr/sbin/nologin postgres
fi

# ----------------------------------------------------------------- cleanup --
TMP_DIR=""
CLEANED=0
# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup() {
    local rc=$?
    set +e
    if [[ $CLEANED -eq 0 ]]; then
        CLEANED=1
        if [[ -n $TMP_DIR && -f $TMP_DIR/data/postmaster.pid ]]; then
            as_pg pg_ctl -D "$TMP_DIR/data" -m fast -t 30 -w stop >/dev/null 2>&1 ||
                as_pg pg_ctl -D "$TMP_DIR/data" -m immediate -t 30 -w stop >/dev/null 2>&1 ||
                log "warning: could not stop the PostgreSQL server in $TMP_DIR/data"
        fi
        if [[ -n $TMP_DIR && -d $TMP_DIR ]]; then
            rm -rf -- "$TMP_DIR"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ initdb --
TMP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/anbang-pg.XXXXXX")
if is_root; then
    chown postgres: "$TMP_DIR"
    if ! runuser -u postgres -- test -w "$TMP_DIR"; then
        # e.g. TMPDIR below /root: the postgres user cannot reach it.
        rm -rf -- "$TMP_DIR"
        TMP_DIR=$(mktemp -d /tmp/anbang-pg.XXXXXX)
        chown postgres: "$TMP_DIR"
    fi
fi
as_pg mkdir -m 700 "$TMP_DIR/sock"

locales=$(locale -a 2>/dev/null || true)
if grep -qixE 'c\.utf-?8' <<<"$locales"; then
    pg_locale=C.UTF-8
else
    pg_locale=C
fi
run_initdb() {
    as_pg initdb --pgdata="$TMP_DIR/data" --auth=trust --username=postgres \
        --encoding=UTF8 --locale="$1" >"$TMP_DIR/initdb.log" 2>&1
}
if ! run_initdb "$pg_locale"; then
    if [[ $pg_locale != C ]]; then
        as_pg rm -rf "$TMP_DIR/data"
        pg_locale=C
        run_initdb "$pg_locale" || { cat "$TMP_DIR/initdb.log" >&2; die "initdb failed"; }
    else
        cat "$TMP_DIR/initdb.log" >&2
        die "initdb failed"
    fi
fi

# ------------------------------------------------------------------- start --
if [[ -n ${PG_TEST_PORT:-} ]]; then
    [[ $PG_TEST_PORT =~ ^[0-9]+$ ]] || die "PG_TEST_PORT must be a port number, got '$PG_TEST_PORT'"
    PORT=$PG_TEST_PORT
else
    PORT=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()')
fi

# Throwaway test server: durability off, loopback only, socket in TMP_DIR.
as_pg tee -a "$TMP_DIR/data/postgresql.conf" >/dev/null <<EOF

# --- added by with-postgres.sh (throwaway test cluster) ---
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$TMP_DIR/sock'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

server_failed() {
    log "error: $*"
    log "----- server log ($TMP_DIR/server.log) -----"
    cat "$TMP_DIR/server.log" >&2 2>/dev/null || true
    exit 1
}

deadline=$((SECONDS + START_TIMEOUT))
as_pg pg_ctl -D "$TMP_DIR/data" -l "$TMP_DIR/server.log" -w -t "$START_TIMEOUT" start >/dev/null ||
    server_failed "PostgreSQL server failed to start on 127.0.0.1:$PORT"
until pg_isready -q -h 127.0.0.1 -p "$PORT" -t 1; do
    if ((SECONDS >= deadline)); then
        server_failed "PostgreSQL server not ready on 127.0.0.1:$PORT after ${START_TIMEOUT}s"
    fi
    sleep 0.2
done

# --------------------------------------------------------- role, database --
psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres \
    -c "CREATE ROLE $PG_ROLE LOGIN SUPERUSER CREATEDB" \
    -c "CREATE DATABASE $PG_DB OWNER $PG_ROLE" >/dev/null ||
    die "could not create role/database $PG_ROLE"
server_version=$(psql -X -A -t -h 127.0.0.1 -p "$PORT" -U "$PG_ROLE" -d "$PG_DB" -c 'SHOW server_version')
server_version=${server_version%% *}

# --------------------------------------------------------------------- run --
export DATABASE_URL="postgres://$PG_ROLE@127.0.0.1:$PORT/$PG_DB"
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=$PG_ROLE PGDATABASE=$PG_DB
printf 'PostgreSQL %s throwaway cluster on 127.0.0.1:%s\n' "$server_version" "$PORT" >&2

status=0
"$@" || status=$?
exit "$status"
