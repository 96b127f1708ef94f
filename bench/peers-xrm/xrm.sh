#!/usr/bin/env bash
# xrm for the peers benchmark (copied over systems/xrm.sh by bench/peers-xrm/run.sh).
# usage: systems/xrm.sh up|install|start|setup|env|stop|reset|status|version
#   XRM_BIN       the xrm binary (run.sh builds it in release mode)
#   XRM_PG_URL    PostgreSQL server URL without database (postgres://postgres@127.0.0.1:5432);
#                 when set, xrm runs on the database XRM_PG_DB there instead of SQLite.
set -euo pipefail
SYSTEM=xrm
. "$(dirname "$0")/../lib/common.sh"

: "${XRM_ADDR:=127.0.0.1:8080}"      # loopback only
: "${XRM_DATA:=$PEERS_HOME/xrm_data}"
: "${XRM_PG_DB:=xrm_bench}"
# The instance admin the adapter signs in as (bootstrapped on the first start only).
export XRM_BOOTSTRAP_ADMIN_EMAIL=${XRM_BOOTSTRAP_ADMIN_EMAIL:-bench@xrm.local}
export XRM_BOOTSTRAP_ADMIN_PASSWORD=${XRM_BOOTSTRAP_ADMIN_PASSWORD:-bench-admin-password}
PIDFILE="$PEERS_HOME/xrm.pid"
export BASE_URL="http://$XRM_ADDR"
case "$XRM_ADDR" in 127.0.0.1:*|localhost:*) ;; *) die "XRM_ADDR must be loopback";; esac

install() {
  [ -x "${XRM_BIN:-}" ] || die "XRM_BIN must point at a built xrm binary (bench/peers-xrm/run.sh builds it)"
}

start() {
  if pid=$(pid_alive "$PIDFILE" xrm); then log "already running (pid $pid)"; return; fi
  port_free "$XRM_ADDR" || die "$XRM_ADDR already in use by another process"
  local db=()
  if [ -n "${XRM_PG_URL:-}" ]; then
    psql "$XRM_PG_URL/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$XRM_PG_DB'" | grep -q 1 \
      || psql "$XRM_PG_URL/postgres" -qc "CREATE DATABASE $XRM_PG_DB" >&2
    db=(--database-url "$XRM_PG_URL/$XRM_PG_DB")
  fi
  local pre=(); [ -n "${SERVER_CPUS:-}" ] && pre=(taskset -c "$SERVER_CPUS")
  start_bg "$PIDFILE" "$PEERS_HOME/logs/xrm.log" \
    "${pre[@]}" "$XRM_BIN" serve --listen "$XRM_ADDR" --data-dir "$XRM_DATA" "${db[@]}" --log warn
  wait_http "$BASE_URL/readyz" 60 "$PIDFILE"
  log "running, pid $(cat "$PIDFILE")"
}

setup() { python3 "$LIB/adapters.py" xrm setup; }

reset_data() {
  rm -rf "$XRM_DATA"
  if [ -n "${XRM_PG_URL:-}" ]; then psql "$XRM_PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $XRM_PG_DB WITH (FORCE)" >&2; fi
}

env_() {
  python3 "$LIB/adapters.py" xrm env
  echo "export SERVER_PID=$(pid_alive "$PIDFILE" xrm || true)"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  setup) setup ;;
  env) env_ ;;
  up) install; start; setup; env_ ;;
  stop) stop_pid "$PIDFILE" xrm ;;
  reset) stop_pid "$PIDFILE" xrm; reset_data; log "data wiped" ;;
  status) pid_alive "$PIDFILE" xrm || { echo "stopped"; exit 1; } ;;
  version) "$XRM_BIN" --version ;;
  *) sed -n '2,6p' "$0"; exit 2 ;;
esac
