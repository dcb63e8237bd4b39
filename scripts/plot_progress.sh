#!/usr/bin/env bash
# Draws a learning curve (eval and train return against env steps) from one or more
# progress.csv files into a PNG with gnuplot.
# Usage: scripts/plot_progress.sh OUT.png TITLE RUN_DIR[=LABEL] [RUN_DIR[=LABEL] ...]
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 OUT.png TITLE RUN_DIR[=LABEL] ..." >&2
  exit 2
fi
out=$1; title=$2; shift 2
plots=()
for spec in "$@"; do
  dir=${spec%%=*}; label=${spec#*=}; [ "$label" = "$spec" ] && label=$(basename "$dir")
  csv="$dir/progress.csv"
  [ -f "$csv" ] || { echo "$0: no $csv" >&2; exit 1; }
  # Columns are looked up by name so the script survives new columns.
  header=$(head -1 "$csv")
  col() { echo "$header" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
  steps=$(col env_steps); eval_col=$(col eval_return)
  [ -n "$steps" ] && [ -n "$eval_col" ] || { echo "$0: $csv lacks env_steps or eval_return" >&2; exit 1; }
  plots+=("'$csv' every ::1 using $steps:$eval_col with linespoints title '$label'")
done
joined=$(IFS=,; echo "${plots[*]}")
gnuplot <<GP
set datafile separator ','
set datafile missing 'nan'
set terminal pngcairo size 900,560 noenhanced font 'sans,11'
set output '$out'
set title '$title'
set xlabel 'environment steps'
set ylabel 'evaluation return (deterministic policy)'
set grid
set key bottom right
plot $joined
GP
echo "wrote $out"
