#!/usr/bin/env bash
# Every file the project ships in configs/ must load: each preset resolves through the
# trainer's schema (maac train --print-config: an unknown key or a bad value is an error),
# and each sweep spec in configs/sweeps/ expands to its table (maac sweep --list).
# Usage: shipped_configs.sh MAAC_BINARY SOURCE_DIR WORK_DIR
set -uo pipefail
maac=$(readlink -f "$1")
configs=$(readlink -f "$2")/configs
work=$(readlink -m "$3")
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

presets=0
for preset in "$configs"/*.toml; do
  presets=$((presets + 1))
  if ! "$maac" train --config "$preset" --print-config >resolved.toml 2>err; then
    fail "$preset: $(cat err)"
  # The resolved config, read back as a config, resolves to itself.
  elif ! "$maac" train --config resolved.toml --print-config | cmp -s - resolved.toml; then
    fail "$preset: its resolved config does not read back to itself"
  else
    echo "ok: $(basename "$preset")"
  fi
done
[ "$presets" -ge 6 ] || fail "found $presets presets in $configs, expected at least 6"

specs=0
for spec in "$configs"/sweeps/*.toml; do
  specs=$((specs + 1))
  # --list writes the sweep directory under the spec's `out`, relative to this directory.
  if ! "$maac" sweep "$spec" --list >table.csv 2>err; then
    fail "$spec: $(cat err)"
  elif [ "$(tail -n +2 table.csv | wc -l)" -lt 1 ]; then
    fail "$spec: an empty table"
  else
    echo "ok: sweeps/$(basename "$spec"), $(tail -n +2 table.csv | wc -l) runs"
  fi
done
[ "$specs" -ge 1 ] || fail "found no sweep specs in $configs/sweeps"

[ "$failures" -eq 0 ] && echo "all shipped configs load" || exit 1
