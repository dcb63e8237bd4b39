#!/usr/bin/env bash
# Builds everything (installing packages if needed) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "$@"
# Debian packages only the tests need (not the quick start's): a single-node Slurm that the
# slurm-labelled test starts itself (tests/slurm/sweep_slurm.sh).
test_packages=(slurmctld slurmd slurm-client munge)
missing=()
for p in "${test_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Python packages for the tests labelled python (tests/python), in a venv inside the build dir.
PYENV="${BUILD_DIR:-build}/pyenv"
[ -x "$PYENV/bin/python3" ] || python3 -m venv "$PYENV"
"$PYENV/bin/pip" install -q -r scripts/test_requirements.txt
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
# The unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan, cpu only).
scripts/test_sanitized.sh
