#!/usr/bin/env bash
# `pip install` works: maturin (from PyPI) builds a wheel from a copy of the
# tracked sources, the copy is deleted (an installed regen must not need its
# source folder), the wheel goes into a fresh venv, and the installed binaries
# lint the shipped workflows, run one against the installed test server, and
# start a project elsewhere with `regen new`.
#
#   scripts/pip-install-check.sh        (CI; PROFILE=release for the wheel users get)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/src"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$work/src"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "maturin>=1.5,<2"
# Debug profile and the clone's target folder: CI pays only for this crate, not its dependencies again.
(cd "$work/src" && CARGO_TARGET_DIR="$root/target" "$work/venv/bin/maturin" build --quiet --profile "${PROFILE:-dev}" -o "$work/wheels")
rm -rf "$work/src"
"$work/venv/bin/pip" install -q "$work"/wheels/*.whl
export PATH="$work/venv/bin:$PATH"
for b in regen regen-test-server; do
  [ "$(command -v "$b")" = "$work/venv/bin/$b" ] || { echo "pip-install-check: $b is not on the venv's PATH" >&2; exit 1; }
done
regen lint "$root/workflows/" >/dev/null
regen-test-server --answers "$root/stdlib/data/arith-100.jsonl" >"$work/server.out" 2>&1 &
server=$!
for _ in $(seq 50); do grep -q listening "$work/server.out" && break; sleep 0.1; done
export OPENAI_BASE_URL=$(sed -n 's/^listening on //p' "$work/server.out") OPENAI_API_KEY=sk-test
regen run "$root/workflows/regenesis.regen" --limit 2 --set selections=1 --run-dir "$work/out" --store "$work/s.sqlite" --progress none >/dev/null
test -s "$work/out/train.jsonl" || test -f "$work/out/train.jsonl"
# Away from any clone: the stdlib and workflows come from the binary itself.
mkdir -p "$work/elsewhere" && cd "$work/elsewhere"
REGEN_CACHE="$work/cache" regen new demo --from regenesis >/dev/null
REGEN_CACHE="$work/cache" regen lint demo/demo.regen >/dev/null
REGEN_CACHE="$work/cache" regen run demo/demo.regen --limit 1 --set selections=1 --run-dir out --progress none >/dev/null
echo "pip-install-check: the wheel installs regen and regen-test-server into a venv; they lint, run, and work away from the source"
