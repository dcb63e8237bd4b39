#!/usr/bin/env bash
# Bad command-line input: every case must exit non-zero with a message naming the bad
# value, and leave no run directory behind. Usage: cli_errors.sh MAAC_BINARY WORK_DIR
set -uo pipefail
maac=$1
work=$2
rm -rf "$work" && mkdir -p "$work"
failures=0

# expect_error "expected message part" maac-arguments...
expect_error() {
  local expected=$1
  shift
  local out="$work/out" err="$work/err"
  rm -rf "$out"
  if "$maac" "$@" >"$work/stdout" 2>"$err"; then
    echo "FAIL (exit 0): maac $*"
    failures=$((failures + 1))
  elif ! grep -qF -- "$expected" "$err"; then
    echo "FAIL (message): maac $*: expected '$expected' in: $(head -c 400 "$err")"
    failures=$((failures + 1))
  elif [ -e "$out" ]; then
    echo "FAIL (wrote $out): maac $*"
    failures=$((failures + 1))
  else
    echo "ok: maac $* -> $(head -n1 "$err")"
  fi
}

expect_error "--steps -5" train --steps -5 --out "$work/out"
expect_error "--steps 0" train --steps 0 --out "$work/out"
expect_error "--steps 1e3" train --steps 1e3 --out "$work/out"
expect_error "--steps 99999999999999999999" train --steps 99999999999999999999 --out "$work/out"
expect_error "--seed -1" train --seed -1 --out "$work/out"
expect_error "--seed abc" train --seed abc --out "$work/out"
expect_error "'run.total_steps' = -5" train --set run.total_steps=-5 --out "$work/out"
expect_error "'train.gamma'" train --set train.gamma=nan --out "$work/out"
expect_error "nosuch.key" train --set nosuch.key=1 --out "$work/out"
expect_error "--device" train --device tpu --out "$work/out"
expect_error "--episodes" eval --checkpoint "$0" --episodes 0
expect_error "--seed" eval --checkpoint "$0" --seed -1
# MPC's options are checked before anything is loaded or evaluated.
expect_error "MPC option candidates = 0" eval --checkpoint "$0" --mpc --mpc-candidates 0
expect_error "--mpc-horizon requires --mpc" eval --checkpoint "$0" --mpc-horizon 3
expect_error "--steps" rollout --env Pendulum --steps -3 --out "$work/out"
expect_error "--steps" rollout --env Pendulum --steps 0 --out "$work/out"
expect_error "--seed" rollout --env Pendulum --seed -2 --out "$work/out"

# A checkpoint with one flipped byte is refused by eval, naming the file.
"$maac" train --env Pendulum --set algo=sac --steps 300 --set run.initial_random_steps=300 \
  --set run.eval_every=300 --set run.eval_episodes=1 --out "$work/run" --quiet >/dev/null 2>&1 ||
  { echo "FAIL: the small run for the checkpoint case did not train"; failures=$((failures + 1)); }
ck="$work/run/checkpoint.safetensors"
python3 - "$ck" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[len(data) // 2] ^= 0x10
open(path, "wb").write(bytes(data))
PY
expect_error "checkpoint.safetensors' is corrupt" eval --checkpoint "$ck"
expect_error "checkpoint.safetensors' is corrupt" train --env Pendulum --set algo=sac --steps 600 \
  --set run.initial_random_steps=300 --set run.eval_every=300 --set run.eval_episodes=1 --out "$work/run" --resume

# maac aggregate: a bad run directory or table step is an error that writes no --out.
agg="$work/agg_run"
mkdir -p "$agg"
printf 'algo = "sac"\n[env]\nname = "Hopper"\n' >"$agg/config.toml"
printf 'env_steps,eval_return\n1000,5.5\n2000,7.25\n' >"$agg/progress.csv"
expect_error "no evaluation at 1500" aggregate "$agg" --at 1500 --out "$work/out"
expect_error "only 2 evaluations" aggregate "$agg" --last 3 --out "$work/out"
expect_error "given twice" aggregate "$agg" "$agg/." --out "$work/out"
expect_error "no column 'nosuch'" aggregate "$agg" --column nosuch --out "$work/out"
expect_error "nosuch.key" aggregate "$agg" --by algo,nosuch.key --out "$work/out"
expect_error "--reps" aggregate "$agg" --reps 0 --out "$work/out"
expect_error "no config.toml" aggregate "$work" --out "$work/out"
printf 'env_steps,eval_return\n1000,5.5\n1000,7.25\n' >"$agg/progress.csv"
expect_error "does not increase" aggregate "$agg" --out "$work/out"
printf 'env_steps,eval_return\n1000,5.5,3\n' >"$agg/progress.csv"
expect_error "line 2: 3 fields" aggregate "$agg" --out "$work/out"

# maac experiment gradient-error: every bad value named before any work is done.
ge="experiment gradient-error"
expect_error "gamma 1.5" $ge --gamma 1.5 --out "$work/out"
expect_error "horizon -1" $ge --horizons 0,-1 --out "$work/out"
expect_error "--horizons has a value twice: 2,2" $ge --horizons 2,2 --out "$work/out"
expect_error "--seeds has a value twice: 0,0" $ge --seeds 0,0 --out "$work/out"
expect_error "--seeds -3" $ge --seeds -3 --out "$work/out"
expect_error "gain has 1 values" $ge --gain 1 --out "$work/out"
expect_error "noise_std 0" $ge --noise-std 0 --out "$work/out"
expect_error "td_steps 0" $ge --td-steps 0 --out "$work/out"
expect_error "--threads 0" $ge --threads 0 --out "$work/out"
expect_error "model_transitions 4, expected 0 (all) or 5 .. 5000" $ge --model-transitions 4 --out "$work/out"
expect_error "model_transitions 201, expected 0 (all) or 5 .. 200" $ge --data-episodes 2 --model-transitions 201 --out "$work/out"
expect_error "model_transitions -1" $ge --model-transitions -1 --out "$work/out"
expect_error "hidden width 0" $ge --model-hidden 8,0 --out "$work/out"

rm -rf "$work"
[ "$failures" -eq 0 ] || { echo "$failures case(s) failed"; exit 1; }
