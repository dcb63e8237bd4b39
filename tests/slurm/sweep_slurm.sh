#!/usr/bin/env bash
# `maac sweep --backend slurm` on a real single-node Slurm that this test starts itself:
# munged, slurmctld -D and slurmd -D on localhost with a slurm.conf in a temp dir (no
# systemd), stopped by their PIDs on every exit. A 4-task array of tiny Pendulum runs;
# one task is requeued mid-run (`scontrol requeue`): Slurm's SIGTERM makes it write its
# checkpoint, the requeued task resumes from it, and its run must equal an uninterrupted
# run of the same row (logs apart from the clock and memory columns, every checkpoint
# tensor). Exit 77 (skipped) only without the Slurm/munge programs or without root.
# Usage: sweep_slurm.sh MAAC_BINARY WORK_DIR
set -euo pipefail
maac=$(readlink -f "$1")
work=$(readlink -m "$2")

skip() { echo "SKIPPED: $*"; exit 77; }
for tool in munged slurmctld slurmd sbatch scontrol sinfo squeue python3; do
  command -v "$tool" >/dev/null || skip "'$tool' is not installed (scripts/test.sh installs slurmctld slurmd slurm-client munge)"
done
[ "$(id -u)" -eq 0 ] || skip "slurmd and munged run as root here (SlurmUser=root); run the test as root"

# Daemon state in a short /tmp path (the munge socket path must stay under 108 bytes).
cluster=$(mktemp -d /tmp/maac-slurm.XXXXXX)
chmod 755 "$cluster"  # munged wants its socket folder reachable by every client
pids=()
stop_cluster() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
    for f in slurmctld.log slurmd.log munged.log; do
      echo "--- tail of $f"; tail -n 30 "$cluster/$f" 2>/dev/null || true
    done
  fi
  rm -rf "$cluster"
  exit "$status"
}
trap stop_cluster EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*"; exit 1; }
# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local end=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -lt $end ] || fail "timed out after ${seconds} s waiting for $what"
    sleep 0.2
  done
}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

rm -rf "$work" && mkdir -p "$work"
mkdir -p "$cluster/state" "$cluster/spool"

# munge: a fresh key, a socket of its own (AuthInfo below points Slurm at it).
dd if=/dev/urandom of="$cluster/munge.key" bs=1024 count=1 status=none
chmod 400 "$cluster/munge.key"
munged --foreground --force --key-file="$cluster/munge.key" --socket="$cluster/munge.sock" \
  --pid-file="$cluster/munged.pid" --log-file="$cluster/munged.log" --seed-file="$cluster/munged.seed" \
  >"$cluster/munged.out" 2>&1 &
pids+=($!)
wait_for 20 "munged's socket" test -S "$cluster/munge.sock"

ctl_port=0
for _ in $(seq 50); do
  p=$((20000 + RANDOM % 30000))
  if port_free "$p" && port_free $((p + 1)); then ctl_port=$p; break; fi
done
[ "$ctl_port" -ne 0 ] || fail "no two free ports"
export SLURM_CONF="$cluster/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=maactest
SlurmctldHost=localhost
SlurmctldPort=$ctl_port
SlurmdPort=$((ctl_port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire is also how long a requeued job waits before it may start again (default 120 s);
# the scheduler passes every 2 s instead of 60.
AuthInfo=socket=$cluster/munge.sock,cred_expire=10
SchedulerParameters=sched_interval=2,bf_interval=1
StateSaveLocation=$cluster/state
SlurmdSpoolDir=$cluster/spool
SlurmctldPidFile=$cluster/slurmctld.pid
SlurmdPidFile=$cluster/slurmd.pid
SlurmctldLogFile=$cluster/slurmctld.log
SlurmdLogFile=$cluster/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
KillWait=30
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=maactest Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -i -f "$SLURM_CONF" >"$cluster/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$cluster/slurmd.out" 2>&1 &
pids+=($!)
node_idle() { sinfo -h -n localhost -o %t 2>/dev/null | grep -qx idle; }
wait_for 60 "the node to be idle in sinfo" node_idle
echo "slurm: $(sinfo -h -o '%P %t %c' | head -n1) (ports $ctl_port, $((ctl_port + 1)))"

# Tiny SAC runs on Pendulum, long enough (a few seconds) to requeue one mid-run;
# a checkpoint every 100 env steps.
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../app/tiny_sweep_spec.sh"
tiny_sweep_spec slurm-test "$work/runs" 3000 300 '"train.gamma" = [0.9, 0.99]' "threads = 1" >"$work/sweep.toml"
cd "$work"
"$maac" sweep sweep.toml --backend slurm --submit | tee "$work/submit.out"
sweep_dir="$work/runs/slurm-test"
job=$(cat "$sweep_dir/slurm_job_id")
[ -n "$job" ] || fail "no job id"
grep -q -- '--requeue' "$sweep_dir/sweep.sbatch" || fail "sweep.sbatch lacks --requeue"

# Requeue row 1 once it has written a checkpoint and is not yet done.
target=1
target_dir="$sweep_dir/train.gamma=0.9/s1"
mid_run() {
  [ -f "$target_dir/checkpoint.safetensors" ] || return 1
  local steps
  steps=$(tail -n1 "$target_dir/progress.csv" 2>/dev/null | cut -d, -f1)
  [ -n "$steps" ] && [ "$steps" != env_steps ] && [ "$steps" -ge 300 ] && [ "$steps" -lt 2400 ]
}
wait_for 180 "row $target to be mid-run" mid_run
echo "requeue ${job}_$target at $(tail -n1 "$target_dir/progress.csv" | cut -d, -f1) env steps"
scontrol requeue "${job}_$target"

all_done() { [ -z "$(squeue -h -j "$job" 2>/dev/null)" ]; }
wait_for 400 "the array job to finish" all_done

# Every task completed; the requeued one restarted once.
scontrol show job "$job" >"$work/jobs.txt"
completed=$(grep -c 'JobState=COMPLETED' "$work/jobs.txt" || true)
[ "$completed" -eq 4 ] || { cat "$work/jobs.txt"; fail "$completed of 4 tasks COMPLETED"; }
grep -A6 "ArrayTaskId=$target " "$work/jobs.txt" | grep -q 'Restarts=1' || { cat "$work/jobs.txt"; fail "task $target did not restart"; }
log="$sweep_dir/logs/$target.log"
stopped_at=$(sed -n 's/^interrupted (checkpoint written) at \([0-9]*\) env steps.*/\1/p' "$log")
[ -n "$stopped_at" ] && [ "$stopped_at" -lt 3000 ] || { cat "$log"; fail "the requeued task did not checkpoint mid-run on SIGTERM"; }
echo "ok: task $target wrote its checkpoint at $stopped_at env steps on Slurm's SIGTERM and resumed from it"
grep -q 'starting fresh' "$sweep_dir/logs/0.log" || fail "row 0 did not start fresh"

grep -q 'resuming from its checkpoint' "$log" || { cat "$log"; fail "the requeued task did not resume"; }

# Each run directory is complete; the requeued row equals an uninterrupted run of its command.
python3 - "$sweep_dir" "$target" "$work/reference" <<'PY'
import csv, json, shlex, struct, subprocess, sys
sweep, target, reference = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = list(csv.DictReader(open(f"{sweep}/table.csv")))
assert len(rows) == 4, rows

def table(path):
    lines = list(csv.reader(open(path)))
    keep = [i for i, c in enumerate(lines[0]) if c not in ("wall_time", "updates_per_sec", "rss_mb")]
    return [[line[i] for i in keep] for line in lines]

def tensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    return {k: data[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]] for k, v in header.items()}

for row in rows:
    d = f"{sweep}/{row['dir']}"
    progress = table(f"{d}/progress.csv")
    assert progress[-1][0] == "3000", (d, progress[-1])
    tensors(f"{d}/checkpoint.safetensors")
    print(f"ok: row {row['index']} ({row['dir']}) complete at {progress[-1][0]} env steps")

argv = shlex.split(rows[target]["command"])
argv[argv.index("--out") + 1] = reference
subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
run = f"{sweep}/{rows[target]['dir']}"
for name in ("progress.csv", "iterations.csv", "model_error.csv"):
    assert table(f"{run}/{name}") == table(f"{reference}/{name}"), f"{name} differs from the uninterrupted run"
a, b = tensors(f"{run}/checkpoint.safetensors"), tensors(f"{reference}/checkpoint.safetensors")
assert a.keys() == b.keys()
differ = [k for k in a if k != "trainer.elapsed_seconds" and a[k] != b[k]]
assert not differ, f"checkpoint tensors differ from the uninterrupted run: {differ[:5]}"
print(f"ok: the requeued row {target} equals an uninterrupted run ({len(a)} tensors, logs)")
PY
echo "PASS"
