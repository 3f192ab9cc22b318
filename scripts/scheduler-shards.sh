#!/usr/bin/env bash
# A real scheduler runs regen's shards (CI, not `cargo test`): three shards of
# ReGenesis as a Slurm job array on a one-node Slurm (Debian's slurm-wlm +
# munge, configured here), or — if Slurm cannot start on this machine — as
# three `ray job submit` jobs on a local Ray head from PyPI. The merged shards
# must equal one unsharded run. Prints which engine ran and why it fell back.
#
#   scripts/scheduler-shards.sh            (as root; needs target/debug/regen and regen-test-server)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=$root/target/debug
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${ray_bin:-}" ] && "$ray_bin" stop --force >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/regen-test-server" --answers stdlib/data/arith-100.jsonl --correct 0.5 >"$work/server.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/server.out" && break; sleep 0.1; done
export OPENAI_BASE_URL=$(sed -n 's/^listening on //p' "$work/server.out")
export OPENAI_API_KEY=sk-test
args=(--limit 9 --set selections=3)
wf=$root/workflows/regenesis.regen
(cd "$work" && "$bin/regen" run "$wf" --run-dir whole --store whole.sqlite "${args[@]}" --progress none >/dev/null)

slurm_up() {
  [ "$(id -u)" = 0 ] || { why="not root"; return 1; }
  if ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge) >"$work/apt.log" 2>&1 \
      || { why="apt-get could not install slurm-wlm and munge"; return 1; }
  fi
  mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge /etc/slurm /var/spool/slurmctld /var/spool/slurmd
  [ -f /etc/munge/munge.key ] || mungekey -c >/dev/null 2>&1 || { why="mungekey failed"; return 1; }
  chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
  chmod 400 /etc/munge/munge.key
  if ! pgrep -x munged >/dev/null; then
    su -s /bin/sh munge -c /usr/sbin/munged || { why="munged did not start"; return 1; }
    pids+=($(pgrep -x munged))
  fi
  munge -n | unmunge >/dev/null 2>&1 || { why="munge does not work here"; return 1; }
  host=$(hostname -s)
  mem=$(awk '/MemTotal/ {print int($2/1024) - 512}' /proc/meminfo)
  cat >/etc/slurm/slurm.conf <<CONF
ClusterName=regen
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  /usr/sbin/slurmctld >"$work/slurmctld.log" 2>&1 || { why="slurmctld did not start"; return 1; }
  pids+=($(cat /run/slurmctld.pid 2>/dev/null || pgrep -x slurmctld))
  /usr/sbin/slurmd >"$work/slurmd.log" 2>&1 || { why="slurmd did not start"; return 1; }
  pids+=($(cat /run/slurmd.pid 2>/dev/null || pgrep -x slurmd))
  for _ in $(seq 30); do sinfo -h -o %t 2>/dev/null | grep -Eq "idle|mix" && return 0; sleep 1; done
  why="the node did not become idle: $(sinfo -h 2>&1 | head -1)"
  return 1
}

engine=
if slurm_up; then
  engine="Slurm $(sinfo --version | awk '{print $2}') job array"
  (cd "$work" && REGEN="$bin/regen" timeout 600 sbatch --wait --array=0-2 --output="$work/slurm-%a.log" \
    "$root/deploy/slurm/regen-shards.sbatch" 3 "$wf" sharded "${args[@]}" >/dev/null) \
    || { cat "$work"/slurm-*.log >&2; echo "scheduler-shards: the Slurm array failed" >&2; exit 1; }
else
  echo "scheduler-shards: Slurm cannot run here ($why); falling back to Ray"
  python3 -m venv "$work/ray-venv"
  "$work/ray-venv/bin/pip" install -q "ray[default]" >"$work/ray-pip.log" 2>&1 \
    || { tail -5 "$work/ray-pip.log" >&2; echo "scheduler-shards: neither Slurm ($why) nor Ray could run" >&2; exit 1; }
  ray_bin=$work/ray-venv/bin/ray
  "$ray_bin" start --head --num-cpus 2 --disable-usage-stats >"$work/ray.log" 2>&1
  engine="Ray $("$ray_bin" --version | awk '{print $NF}') jobs"
  (cd "$work" && PATH="$work/ray-venv/bin:$PATH" REGEN="$bin/regen" timeout 600 "$root/deploy/ray/submit-shards.sh" 3 "$wf" sharded "${args[@]}" >/dev/null)
fi

(cd "$work" && "$bin/regen" merge sharded --store merged.sqlite >/dev/null)
cmp "$work/whole/train.jsonl" "$work/sharded/train.jsonl" || { echo "scheduler-shards: merged train.jsonl differs" >&2; exit 1; }
cmp <(sort "$work/whole/paths.jsonl") <(sort "$work/sharded/paths.jsonl") || { echo "scheduler-shards: merged paths.jsonl differs" >&2; exit 1; }
keys() { python3 -c "import sqlite3,sys; print('\n'.join(sorted(r[0] for r in sqlite3.connect(sys.argv[1]).execute('select key from calls'))))" "$1"; }
cmp <(keys "$work/whole.sqlite") <(keys "$work/merged.sqlite") || { echo "scheduler-shards: merged cache keys differ" >&2; exit 1; }
echo "scheduler-shards: 3 shards ran as a $engine; the merge equals the unsharded run ($(wc -l <"$work/whole/train.jsonl") training lines, $(keys "$work/whole.sqlite" | wc -l) cached calls)"
