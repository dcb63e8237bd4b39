#!/usr/bin/env bash
# `maac sweep` without Slurm: spec errors, the table, the local back end (a failed row is
# reported and the others finish; SIGTERM stops every row with a checkpoint and a rerun
# resumes them), --index (resume or a fresh start), and the array job script.
# Usage: sweep_local.sh MAAC_BINARY WORK_DIR
set -uo pipefail
maac=$(readlink -f "$1")
work=$(readlink -m "$2")
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# spec NAME STEPS UPDATES GRID_LINE: a tiny SAC-on-Pendulum sweep over two seeds.
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/tiny_sweep_spec.sh"
spec() { tiny_sweep_spec "$1" "$work/runs" "$2" "$3" "$4"; }
last_steps() { tail -n1 "$1/progress.csv" | cut -d, -f1; }

# Bad specs: errors naming the problem, nothing written.
expect_error() {
  local expected=$1 file=$2
  if "$maac" sweep "$file" --list >"$work/stdout" 2>"$work/stderr"; then
    fail "exit 0 for $file"
  elif ! grep -qF -- "$expected" "$work/stderr"; then
    fail "expected '$expected' in: $(cat "$work/stderr")"
  elif [ -e "$work/runs" ]; then
    fail "$file wrote $work/runs"
  else
    ok "$(head -n1 "$work/stderr")"
  fi
}
spec bad 1000 50 '"train.gamma" = [0.9, 2.0]' >bad_value.toml
expect_error "'train.gamma' = 2" bad_value.toml
spec bad 1000 50 '"train.gama" = [0.9]' >bad_key.toml
expect_error "unknown config key 'train.gama'" bad_key.toml
{ echo 'sedes = [1]'; spec bad 1000 50 ''; } >bad_top.toml
expect_error "unknown key 'sedes'" bad_top.toml
spec bad 1000 50 'seed = [1, 2]' >bad_seed.toml
expect_error "list seeds in 'seeds'" bad_seed.toml

# The table: one row per grid value and seed, each with its command.
spec mixed 1000 50 '"env.name" = ["Pendulum", "NoSuchEnv"]' >mixed.toml
"$maac" sweep mixed.toml --list >list.csv || fail "--list"
[ "$(wc -l <list.csv)" -eq 5 ] || fail "table has $(wc -l <list.csv) lines, expected 5"
grep -q '^1,env.name=Pendulum/s1,1,Pendulum,.* train --config .*/runs/mixed/base.toml --set env.name=Pendulum --seed 1 --out .*/runs/mixed/env.name=Pendulum/s1 --quiet$' list.csv ||
  fail "row 1 of the table: $(sed -n 3p list.csv)"
cmp -s list.csv runs/mixed/table.csv || fail "--list differs from table.csv"

# Local back end: the failing rows are reported, the others finish.
"$maac" sweep mixed.toml --workers 2 >mixed.out 2>&1
status=$?
[ $status -eq 1 ] || fail "a sweep with failed rows exited $status, expected 1"
grep -q "2 done, 2 failed" mixed.out || fail "summary: $(tail -n3 mixed.out)"
grep -q "failed: row 2 (env.name=NoSuchEnv/s0), exit 1" mixed.out || fail "failed row 2 not reported: $(cat mixed.out)"
grep -q "unknown environment 'NoSuchEnv'" runs/mixed/logs/2.log || fail "row 2's log lacks its error"
for d in s0 s1; do
  [ "$(last_steps "runs/mixed/env.name=Pendulum/$d")" = 1000 ] || fail "env.name=Pendulum/$d incomplete"
done
[ $failures -eq 0 ] && ok "local back end: 2 done, 2 failed and reported"

# --index on a finished row resumes it (nothing left to do); without a checkpoint it starts fresh.
"$maac" sweep mixed.toml --index 0 >index0.out 2>&1 || fail "--index 0 on a finished row: $(cat index0.out)"
grep -q "resuming from its checkpoint" index0.out || fail "--index 0 did not resume"
rm "runs/mixed/env.name=Pendulum/s1/checkpoint.safetensors"
"$maac" sweep mixed.toml --index 1 >index1.out 2>&1 || fail "--index 1: $(cat index1.out)"
grep -q "starting fresh" index1.out || fail "--index 1 without a checkpoint did not start fresh"
[ "$(last_steps "runs/mixed/env.name=Pendulum/s1")" = 1000 ] || fail "the fresh row 1 is incomplete"
"$maac" sweep mixed.toml --index 4 >index4.out 2>&1 && fail "--index 4 of 4 rows exited 0"
grep -q "rows 0 .. 3" index4.out || fail "--index 4: $(cat index4.out)"

# A spec that expands differently is refused for the same sweep directory.
spec mixed 1000 50 '"env.name" = ["Pendulum"]' >changed.toml
"$maac" sweep changed.toml --list >changed.out 2>&1 && fail "a changed spec reused the sweep directory"
grep -q "expands differently" changed.out || fail "changed spec: $(cat changed.out)"

# SIGTERM stops every running row with a checkpoint; running the sweep again resumes them.
spec long 3000 300 '"train.gamma" = [0.9]' >long.toml
"$maac" sweep long.toml --workers 2 >long1.out 2>&1 &
sweep_pid=$!
for _ in $(seq 600); do
  [ -f "runs/long/train.gamma=0.9/s0/checkpoint.safetensors" ] && [ -f "runs/long/train.gamma=0.9/s1/checkpoint.safetensors" ] && break
  sleep 0.1
done
kill -TERM $sweep_pid
wait $sweep_pid
status=$?
[ $status -eq 143 ] || fail "a sweep stopped by SIGTERM exited $status, expected 143: $(cat long1.out)"
grep -q "stopped (checkpoint written)" long1.out || fail "no row stopped: $(cat long1.out)"
"$maac" sweep long.toml --workers 2 >long2.out 2>&1 || fail "the rerun: $(cat long2.out)"
grep -q "resuming" long2.out || fail "the rerun resumed nothing: $(cat long2.out)"
for d in s0 s1; do
  [ "$(last_steps "runs/long/train.gamma=0.9/$d")" = 3000 ] || fail "train.gamma=0.9/$d incomplete after the rerun"
done
[ $failures -eq 0 ] && ok "SIGTERM: rows stopped with checkpoints, the rerun resumed and finished"

# The Slurm back end writes an array job script that runs each row through --index.
"$maac" sweep mixed.toml --backend slurm >slurm.out 2>&1 || fail "--backend slurm: $(cat slurm.out)"
script=runs/mixed/sweep.sbatch
for line in '#SBATCH --array=0-3' '#SBATCH --requeue' '#SBATCH --cpus-per-task=1' '#SBATCH --open-mode=append' \
  "#SBATCH --output=$work/runs/mixed/logs/%a.log" "sweep $work/mixed.toml --index \"\$SLURM_ARRAY_TASK_ID\""; do
  grep -qF -- "$line" "$script" || fail "sweep.sbatch lacks '$line'"
done
bash -n "$script" || fail "sweep.sbatch is not valid bash"

[ $failures -eq 0 ] && echo "PASS" || echo "$failures failures"
exit $((failures > 0))
