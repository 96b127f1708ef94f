#!/usr/bin/env bash
# Runs the peers benchmark (../shared/bench/peers) against xrm, the same way the peers were
# measured: copies the harness to $PEERS_HOME/harness, drops in the xrm adapter, builds xrm in
# release mode and runs `FRESH=1 ./run.sh xrm`.
#
#   bench/peers-xrm/run.sh                 # SQLite (the default storage)
#   XRM_PG_URL=postgres://postgres@127.0.0.1:5432 bench/peers-xrm/run.sh    # PostgreSQL
#
# One documented change to the harness: xrm answers a schema-invalid create with 422
# (Unprocessable Content, RFC 9110), not 400, so the copy expects BENCH_INVALID_STATUS
# (422 here) where the harness hard-codes 400. The work measured is the same.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PEERS_SRC=${PEERS_SRC:-$ROOT/../shared/bench/peers}
: "${PEERS_HOME:=/tmp/peers}"
export PEERS_HOME
HARNESS="$PEERS_HOME/harness"
[ -d "$PEERS_SRC" ] || { echo "peers harness not found at $PEERS_SRC" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 2; }

(cd "$ROOT" && cargo build --release --locked -p xrm-host --bin xrm)
export XRM_BIN="$ROOT/target/release/xrm"

rm -rf "$HARNESS"
mkdir -p "$PEERS_HOME"
cp -r "$PEERS_SRC" "$HARNESS"
cp "$ROOT/bench/peers-xrm/xrm.sh" "$HARNESS/systems/xrm.sh"
python3 - "$HARNESS/lib" "$ROOT/bench/peers-xrm/xrm_adapter.py" <<'PY'
import re, sys
lib, adapter = sys.argv[1], open(sys.argv[2]).read()
path = f"{lib}/adapters.py"
text = open(path).read()
start, end = text.index("class Xrm(Adapter):"), text.index("ADAPTERS = {")
text = text[:start] + adapter + text[end:]
text = text.replace('("missing email", {}, "email", 400)', '("missing email", {}, "email", INVALID)')
text = re.sub(r'(\("[^"]+", \{[^}]*\}, (?:None|"\w+"), )400\)', r'\1INVALID)', text)
text = text.replace("COLLECTION = \"customers\"", "COLLECTION = \"customers\"\nINVALID = int(os.environ.get(\"BENCH_INVALID_STATUS\", \"400\"))")
open(path, "w").write(text)
path = f"{lib}/runscenario.py"
text = open(path).read()
text = text.replace('env["BENCH_EXPECT"] = "400"', 'env["BENCH_EXPECT"] = os.environ.get("BENCH_INVALID_STATUS", "400")')
open(path, "w").write(text)
PY
export BENCH_INVALID_STATUS=422
cd "$HARNESS"
FRESH=1 ./run.sh xrm
./systems/xrm.sh stop
