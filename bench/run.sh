#!/usr/bin/env bash
# regen's benchmarks: builds the release binaries, makes a venv with the Python
# peers (openai; distilabel if it installs), runs bench/run.py and writes
# bench/RESULTS.md. Not part of CI (it takes ~15-20 minutes on 2 cores).
#   bench/run.sh                       # P1-P4 at the sizes of issue #6
#   bench/run.sh --only p1 --p1-calls 2000 --concs 64   # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bins --example bare-client
venv=${REGEN_BENCH_VENV:-bench/.venv}
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check openai httpx
fi
distilabel=()
if "$venv/bin/python" -c "import distilabel.models" 2>/dev/null || "$venv/bin/pip" install -q --disable-pip-version-check distilabel requests >/dev/null 2>&1; then
  distilabel=(--distilabel)
else
  distilabel=(--distilabel-note "did not install here (pip install distilabel failed)")
fi
# Bespoke Curator in a venv of its own (its dependencies pin versions distilabel's do not take).
cvenv=${REGEN_BENCH_CURATOR_VENV:-bench/.venv-curator}
curator=()
if [ -x "$cvenv/bin/python" ] && "$cvenv/bin/python" -c "import bespokelabs.curator" 2>/dev/null; then
  curator=(--curator "$cvenv/bin/python")
elif python3 -m venv "$cvenv" && "$cvenv/bin/pip" install -q --disable-pip-version-check bespokelabs-curator >"$cvenv.log" 2>&1 \
    && "$cvenv/bin/python" -c "import bespokelabs.curator" >>"$cvenv.log" 2>&1; then
  curator=(--curator "$cvenv/bin/python")
else
  curator=(--curator-note "did not install here: $(tail -1 "$cvenv.log" 2>/dev/null | cut -c1-200)")
fi
exec "$venv/bin/python" bench/run.py --python "$venv/bin/python" "${distilabel[@]}" "${curator[@]}" "$@"
