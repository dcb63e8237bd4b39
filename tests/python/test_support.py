"""What every python test here shares: its verdict (check) and its imports of the PyPI test
packages, where a missing package is a failure, not a skip, because CI installs them
(scripts/test.sh creates the venv ${BUILD_DIR}/pyenv from scripts/test_requirements.txt)."""
import contextlib
import sys

REQUIREMENTS = "scripts/test_requirements.txt"


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")


@contextlib.contextmanager
def test_packages():
    """Wrap a test's third-party imports: an ImportError becomes a FAIL that says how to install."""
    try:
        yield
    except ImportError as e:
        sys.exit(f"FAIL: {sys.executable} cannot import {e.name!r}; install the test packages with\n"
                 f"  {sys.executable} -m pip install -r {REQUIREMENTS}\n"
                 f"(scripts/test.sh creates the venv ${{BUILD_DIR}}/pyenv and does this)")
