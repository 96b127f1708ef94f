#!/usr/bin/env bash
# End-to-end cost of plugins over HTTP, and host start-up with 20 installed plugins.
#
#   bench/plugins/run.sh            # SQLite in a scratch data dir; needs wrk (apt-get install -y wrk)
#
# 1. `wrk -t2 -c32 -d20s` creates of a 1 KB record on a type without plugins, then the same
#    with one trivial validate hook (the hostile test plugin in its harmless mode, subscribed to
#    validate only), then with the same plugin subscribed to after-create only (an outbox
#    delivery per create, run after commit), and the time the outbox takes to drain.
# 2. 20 packages (copies of contract-rules under other names) installed, the host restarted with
#    its compiled-code cache warm, and the time from exec to "listening" measured 5 times.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 2; }
cargo build --release --locked -p xrm-host --bin xrm
./scripts/build-plugins >/dev/null
XRM="$ROOT/target/release/xrm"
WORK=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=18471
URL="http://127.0.0.1:$PORT"

start() {
  local started=$(date +%s%N)
  XRM_BOOTSTRAP_ADMIN_EMAIL=bench@xrm.local XRM_BOOTSTRAP_ADMIN_PASSWORD=bench-admin-password \
    "$XRM" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" --log warn --allow-unsigned-packages > "$WORK/out" 2>> "$WORK/err" &
  PID=$!
  until grep -q "listening" "$WORK/out" 2>/dev/null; do
    kill -0 "$PID" 2>/dev/null || { echo "xrm did not start:" >&2; cat "$WORK/err" >&2; exit 1; }
    sleep 0.005
  done
  STARTUP_MS=$(( ($(date +%s%N) - started) / 1000000 ))
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; }

tar_of() { # package dir -> tar file
  tar -C "$(dirname "$1")" -cf "$2" "$(basename "$1")"
}

start
# Sign in as the bootstrapped admin and make an API token for the run.
SESSION=$(curl -sf -c "$WORK/cookies" -XPOST "$URL/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"workspace": "default", "email": "bench@xrm.local", "password": "bench-admin-password"}')
CSRF=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["csrf_token"])' "$SESSION")
EXPIRES=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
TOKEN=$(curl -sf -b "$WORK/cookies" -XPOST "$URL/api/v1/tokens" -H 'content-type: application/json' -H "x-csrf-token: $CSRF" \
  -d "{\"name\": \"bench\", \"role\": \"admin\", \"expires_at\": \"$EXPIRES\"}" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
AUTH="authorization: Bearer $TOKEN"
curl -sf -XPOST "$URL/api/v1/entity-types" -H "$AUTH" -H 'content-type: application/json' -d '{
  "type": "object", "additionalProperties": false, "required": ["name"],
  "properties": {"name": {"type": "string"}, "mode": {"type": "string"}, "note": {"type": "string"}},
  "x-xrm": {"name": "hostile_target", "display_name": "Target", "title_field": "name"}}' >/dev/null

NOTE=$(python3 -c 'print("x" * 900)')
cat > "$WORK/create.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.body = '{"name": "bench", "mode": "none", "note": "$NOTE"}'
LUA
run() {
  wrk -t2 -c32 -d20s --latency -s "$WORK/create.lua" "$URL/api/v1/records/hostile_target" \
    | awk -v label="$1" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$5}
        END {printf "%-34s %10s req/s  p50 %8s  p99 %8s  non-2xx %s\n", label, rps, p50, p99, bad+0}'
}
run "create, no plugin"

# The hostile plugin subscribed to validate only, in its harmless mode: a trivial hook.
mkdir -p "$WORK/pkg/trivial"
cp target/test-packages/hostile/hostile_plugin.wasm "$WORK/pkg/trivial/"
python3 - "$ROOT/target/test-packages/hostile/xrm-package.json" "$WORK/pkg/trivial/xrm-package.json" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
manifest["name"] = "trivial"
manifest["plugins"][0]["hooks"] = [{"hook": "validate", "entity_type": "hostile_target"}]
json.dump(manifest, open(sys.argv[2], "w"))
PY
tar_of "$WORK/pkg/trivial" "$WORK/trivial.tar"
curl -sf -XPOST "$URL/api/v1/packages" -H "$AUTH" -H 'content-type: application/x-tar' --data-binary @"$WORK/trivial.tar" >/dev/null
run "create, one trivial validate hook"

# The same plugin subscribed to after-create instead: every create also writes a delivery to
# the outbox in its transaction, and the delivery worker runs the hook after commit. The run
# ends when wrk stops; the drain is the time until the outbox is empty again.
curl -sf -XDELETE "$URL/api/v1/packages/trivial" -H "$AUTH" >/dev/null
mkdir -p "$WORK/pkg/observer"
cp target/test-packages/hostile/hostile_plugin.wasm "$WORK/pkg/observer/"
python3 - "$ROOT/target/test-packages/hostile/xrm-package.json" "$WORK/pkg/observer/xrm-package.json" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
manifest["name"] = "observer"
manifest["plugins"][0]["hooks"] = [{"hook": "after-create", "entity_type": "hostile_target"}]
json.dump(manifest, open(sys.argv[2], "w"))
PY
tar_of "$WORK/pkg/observer" "$WORK/observer.tar"
curl -sf -XPOST "$URL/api/v1/packages" -H "$AUTH" -H 'content-type: application/x-tar' --data-binary @"$WORK/observer.tar" >/dev/null
run "create, one after-create subscriber"
drain_started=$(date +%s%N)
until [ "$(curl -sf "$URL/api/v1/plugin-jobs?status=pending&\$top=1" -H "$AUTH" \
          | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["value"]))')" = 0 ]; do
  sleep 0.1
done
echo "outbox drained $(( ($(date +%s%N) - drain_started) / 1000000 )) ms after the run"
dead=$(curl -sf "$URL/api/v1/plugin-jobs?status=dead&\$top=1" -H "$AUTH" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["value"]))')
echo "dead deliveries: $dead"

# 20 installed plugins, then restarts with a warm cache.
for i in $(seq -w 1 20); do
  dir="$WORK/pkg/rules-$i"
  mkdir -p "$dir"
  cp -r target/packages/contract-rules/. "$dir/"
  python3 - "$ROOT/target/packages/contract-rules/xrm-package.json" "$dir/xrm-package.json" "rules-$i" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
manifest["name"] = sys.argv[3]
# The first copy brings the customer and contract types; a type belongs to one package at most.
if sys.argv[3] != "rules-01":
    manifest.pop("entity_types", None)
manifest.pop("sample_data", None)
# Action and report names are unique in a workspace.
for plugin in manifest["plugins"]:
    for entry in plugin.get("actions", []) + plugin.get("reports", []):
        entry["name"] += "-" + sys.argv[3]
json.dump(manifest, open(sys.argv[2], "w"))
PY
  tar_of "$dir" "$WORK/rules-$i.tar"
  curl -sS --fail-with-body -XPOST "$URL/api/v1/packages" -H "$AUTH" -H 'content-type: application/x-tar' --data-binary @"$WORK/rules-$i.tar" -o "$WORK/installed.json" \
    || { cat "$WORK/installed.json" >&2; exit 1; }
done
stop
installed=$(( 20 + 1 ))
for round in 1 2 3 4 5; do
  : > "$WORK/out"
  start
  echo "start-up with $installed installed plugins (warm cache), round $round: ${STARTUP_MS} ms to listening"
  stop
done
