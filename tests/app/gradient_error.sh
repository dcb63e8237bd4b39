#!/usr/bin/env bash
# `maac experiment gradient-error` at a tiny budget: the per-seed and summary CSVs have
# one row per estimator x H x seed and per estimator x H, finite errors, cosines in
# [-1, 1], and the PNG is written when gnuplot exists. Usage: gradient_error.sh MAAC WORK_DIR
set -euo pipefail
maac=$1
work=$2
rm -rf "$work" && mkdir -p "$work"
"$maac" experiment gradient-error --seeds 3,4 --horizons 0,2 --data-episodes 2 --estimate-episodes 4 --estimate-groups 2 \
  --td-steps 20 --model-epochs 2 --members 2 --out "$work/out" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
rows=$(tail -n +2 "$work/out/gradient_error.csv" | wc -l)
summary=$(tail -n +2 "$work/out/gradient_error_summary.csv" | wc -l)
[ "$rows" -eq 8 ] || { echo "FAIL: $rows per-seed rows, expected 2 estimators x 2 H x 2 seeds = 8"; exit 1; }
[ "$summary" -eq 4 ] || { echo "FAIL: $summary summary rows, expected 4"; exit 1; }
# l1, relative, cosine are columns 8-10 of the per-seed file; seeds counted in the summary.
awk -F, 'NR > 1 && !($8 >= 0 && $9 >= 0 && $10 >= -1 && $10 <= 1) { print "FAIL: bad row " NR ": " $0; bad = 1 }
         END { exit bad }' "$work/out/gradient_error.csv"
awk -F, 'NR > 1 && $3 != 2 { print "FAIL: summary row " NR " has " $3 " seeds"; bad = 1 } END { exit bad }' \
  "$work/out/gradient_error_summary.csv"
if command -v gnuplot >/dev/null 2>&1; then
  [ -s "$work/out/gradient_error.png" ] || { echo "FAIL: no PNG"; exit 1; }
fi
# transitions, model_transitions are columns 13-14: by default the ensemble fits on all 200.
awk -F, 'NR > 1 && !($13 == 200 && $14 == 200) { print "FAIL: row " NR " transitions " $13 ", model " $14; bad = 1 }
         END { exit bad }' "$work/out/gradient_error.csv"
echo "ok: $(tail -n 1 "$work/out/gradient_error_summary.csv")"

# --model-transitions 50 --model-hidden 8: the ensemble (one layer of 8) fits on the first
# 50 of the 200 transitions, the Q on all of them.
"$maac" experiment gradient-error --seeds 3 --horizons 0,2 --data-episodes 2 --estimate-episodes 4 --estimate-groups 2 \
  --td-steps 20 --model-epochs 2 --members 2 --model-transitions 50 --model-hidden 8 --out "$work/out50" \
  >"$work/log50" 2>&1 || { cat "$work/log50"; exit 1; }
grep -q "fit on 50 transitions" "$work/log50" || { echo "FAIL: no 'fit on 50 transitions' in the log"; cat "$work/log50"; exit 1; }
awk -F, 'NR > 1 && !($13 == 200 && $14 == 50 && $8 >= 0) { print "FAIL: row " NR ": " $0; bad = 1 }
         END { exit bad || NR != 5 }' "$work/out50/gradient_error.csv"
echo "ok: --model-transitions 50: $(tail -n 1 "$work/out50/gradient_error_summary.csv")"
rm -rf "$work"
