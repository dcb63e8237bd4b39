#!/usr/bin/env bash
# `maac experiment ablations` at a tiny budget (InvertedPendulum, 400 env steps, tiny
# networks, 2 seeds): the plan (the exact runs and their configs), the run through the
# sweep, the comparison table and PNGs, a rerun that reuses every finished run, bad input.
# Usage: experiment_ablations.sh MAAC_BINARY WORK_DIR SOURCE_DIR
set -uo pipefail
maac=$(readlink -f "$1")
work=$(readlink -m "$2")
src=$(readlink -f "$3")
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

tiny=(--config "$src/configs/inverted_pendulum_small.toml" --seeds 2 --steps 400
      --set run.initial_random_steps=200 --set run.steps_per_iteration=100 --set run.eval_every=100
      --set run.eval_episodes=1 --set train.updates_per_iteration=20 --set train.update_blocks=1 --set train.batch=32
      --set model.members=2 --set model.width=16 --set model.max_epochs=2 --set rollout.starts=50
      --set actor.width=16 --set critic.width=16)

# The plan of the whole study (the preset's H is 2): the six variants and H = 1, 4, 8; H = 0
# and H = 2 are the runs of h0 and none. Nothing runs.
"$maac" experiment ablations "${tiny[@]}" --out plan --plan >plan.out 2>&1 || fail "--plan: $(cat plan.out)"
grep -q "9 variants x 2 seeds = 18 runs" plan.out || fail "plan summary: $(head -n3 plan.out)"
grep -q "horizon figure:   H=0 (runs of h0), H=1, H=2 (runs of none), H=4, H=8" plan.out || fail "horizon figure: $(head -n3 plan.out)"
# Each row: its directory and the assignments its command adds to the base.
sed 1d plan/runs/table.csv | sed -E 's/^[0-9]+,([^,]*),.*train --config [^ ]*(.*) --seed ([0-9]+) .*/\1\2 seed \3/' >plan.rows
cat >expected.rows <<'ROWS'
none/s0 seed 0
none/s1 seed 1
h0/s0 --set ablation=h0 seed 0
h0/s1 --set ablation=h0 seed 1
no_steve/s0 --set ablation=no_steve seed 0
no_steve/s1 --set ablation=no_steve seed 1
single_sample/s0 --set ablation=single_sample seed 0
single_sample/s1 --set ablation=single_sample seed 1
real_only/s0 --set ablation=real_only seed 0
real_only/s1 --set ablation=real_only seed 1
no_entropy/s0 --set ablation=no_entropy seed 0
no_entropy/s1 --set ablation=no_entropy seed 1
H=1/s0 --set actor.horizon=1 seed 0
H=1/s1 --set actor.horizon=1 seed 1
H=4/s0 --set actor.horizon=4 seed 0
H=4/s1 --set actor.horizon=4 seed 1
H=8/s0 --set actor.horizon=8 seed 0
H=8/s1 --set actor.horizon=8 seed 1
ROWS
diff expected.rows plan.rows >plan.diff || fail "the planned runs differ: $(cat plan.diff)"
# The base every row starts from: the preset, the --set values, no early stop, one thread.
for line in 'total_steps = 400' 'width = 16' 'stop_at_return = 1e+30' 'threads = 1' 'horizon = 2' 'ablation = "none"'; do
  grep -q "^$line " plan/runs/base.toml || fail "runs/base.toml lacks '$line'"
done
ls -d plan/runs/*/ 2>/dev/null | grep -qv logs && fail "--plan made run directories: $(ls plan/runs)"
[ $failures -eq 0 ] && ok "plan: 18 runs, the coinciding ones once, each with its assignments"

# A smaller study runs: 3 ablations and H in {0, 2, 4}: 4 variants x 2 seeds.
small=("${tiny[@]}" --out study --variants none,h0,no_steve --horizons 0,2,4 --workers 2 --last 2)
"$maac" experiment ablations "${small[@]}" >run1.out 2>&1 || fail "the run: $(tail -n20 run1.out)"
grep -q "8 done, 0 failed" run1.out || fail "sweep summary: $(grep 'maac sweep' run1.out)"
grep -q '^horizon = 0 ' study/runs/h0/s1/config.toml || fail "h0's config has no horizon 0"
grep -q '^target = "td" ' study/runs/no_steve/s0/config.toml || fail "no_steve's config has no TD target"
grep -q '^horizon = 4 ' study/runs/H=4/s0/config.toml || fail "H=4's config has no horizon 4"
cut -d, -f1-6 study/table.csv >table.cols
cat >expected.cols <<'COLS'
figure,variant,runs_of,env,at,runs
ablations,none,none,InvertedPendulum,last2,2
ablations,h0,h0,InvertedPendulum,last2,2
ablations,no_steve,no_steve,InvertedPendulum,last2,2
horizon,H=0,h0,InvertedPendulum,last2,2
horizon,H=2,none,InvertedPendulum,last2,2
horizon,H=4,H=4,InvertedPendulum,last2,2
COLS
diff expected.cols table.cols >table.diff || fail "table.csv rows differ: $(cat table.diff)"
# none against itself is 1; H = 2 is none's runs, so the same numbers.
[ "$(sed -n 2p study/table.csv | cut -d, -f16)" = 1 ] || fail "none's iqm_vs_none: $(sed -n 2p study/table.csv)"
[ "$(sed -n 2p study/table.csv | cut -d, -f7-12)" = "$(sed -n 6p study/table.csv | cut -d, -f7-12)" ] ||
  fail "H=2 differs from none: $(sed -n '2p;6p' study/table.csv)"
for fig in ablations horizon; do
  [ -s "study/$fig/curves.csv" ] || fail "no $fig/curves.csv"
  png="study/$fig/curves_InvertedPendulum.png"
  [ "$(head -c 8 "$png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$png is not a PNG"
done
[ $failures -eq 0 ] && ok "run: 8 runs, table rows per variant, curves and PNGs"

# The same command again reuses every finished run: each resumes at its end, nothing changes.
md5sum study/runs/*/s*/progress.csv >progress.md5
"$maac" experiment ablations "${small[@]}" >run2.out 2>&1 || fail "the rerun: $(tail -n20 run2.out)"
[ "$(grep -c ', resuming$' run2.out)" -eq 8 ] || fail "the rerun did not resume all 8 runs: $(grep 'start row' run2.out)"
md5sum -c --quiet progress.md5 || fail "the rerun changed a finished run's progress.csv"
[ $failures -eq 0 ] && ok "rerun: all 8 runs reused"

# Bad input: errors naming the value, nothing written.
expect_error() {
  local expected=$1
  shift
  if "$maac" experiment ablations "$@" >err.out 2>&1; then
    fail "exit 0 for $*"
  elif ! grep -qF -- "$expected" err.out; then
    fail "expected '$expected' in: $(cat err.out)"
  else
    ok "$(head -n1 err.out)"
  fi
}
expect_error "--variants h1: config key 'ablation' = 'h1': expected one of none, h0" "${tiny[@]}" --out bad --variants none,h1
expect_error "--seeds: Value 0 not in range" "${tiny[@]}" --out bad --seeds 0
expect_error "--seeds: Value x not in range" "${tiny[@]}" --out bad --seeds x
expect_error "--horizons 1: listed twice" "${tiny[@]}" --out bad --horizons 1,1
expect_error "--horizons 101: config key 'actor.horizon' = 101" "${tiny[@]}" --out bad --horizons 101
expect_error "ablation = 'h0' in the base config" "${tiny[@]}" --out bad --set ablation=h0
[ -e bad ] && fail "bad input wrote $work/bad"
# Other settings in a finished study's directory are refused: its runs belong to its settings.
expect_error "study/base_config.toml' differs from what this command writes" "${small[@]}" --set model.width=32

[ $failures -eq 0 ] && echo "PASS" || echo "$failures failures"
exit $((failures > 0))
