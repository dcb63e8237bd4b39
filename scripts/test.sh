#!/usr/bin/env bash
# Builds everything (installing packages if needed) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "$@"
# Debian packages only the tests need (not the quick start's): a single-node Slurm that the
# slurm-labelled test starts itself (tests/slurm/sweep_slurm.sh).
source scripts/install_packages.sh
install_packages slurmctld slurmd slurm-client munge
# Python packages for the tests labelled python (tests/python), in a venv inside the build dir.
PYENV="${BUILD_DIR:-build}/pyenv"
[ -x "$PYENV/bin/python3" ] || python3 -m venv "$PYENV"
"$PYENV/bin/pip" install -q -r scripts/test_requirements.txt
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
# The unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan, cpu only).
scripts/test_sanitized.sh
