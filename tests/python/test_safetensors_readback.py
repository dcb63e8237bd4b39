"""maac's safetensors files, read back by the PyPI reference reader (safetensors) and
checked with PyPI xxhash: values, shapes, dtypes, metadata and the whole-file checksum.
Also the other way round: a file written by PyPI safetensors is read by maac when only
its structure is checked, and refused for lacking a checksum otherwise.

Usage: test_safetensors_readback.py SAFETENSORS_TOOL WORK_DIR
"""
import json
import os
import subprocess
import sys

from test_support import check, test_packages

with test_packages():
    import numpy as np
    import xxhash
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

KEY = b'"maac.checksum":"xxh3-64:'


def run(tool, *args, ok=True):
    r = subprocess.run([tool, *args], capture_output=True, text=True)
    if ok and r.returncode != 0:
        sys.exit(f"FAIL: {tool} {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r


def check_checksum(path):
    """XXH3-64 of the whole file with the 16 stored hex digits read as '0'."""
    data = open(path, "rb").read()
    check(data.count(KEY) == 1, f"{path}: expected one {KEY!r}, found {data.count(KEY)}")
    at = data.index(KEY) + len(KEY)
    stored = data[at:at + 16].decode()
    header_len = int.from_bytes(data[:8], "little")
    check(at + 16 <= 8 + header_len, "the checksum lies outside the header")
    zeroed = data[:at] + b"0" * 16 + data[at + 16:]
    computed = xxhash.xxh3_64(zeroed).hexdigest()
    check(stored == computed, f"{path}: stored checksum {stored}, xxhash.xxh3_64 computes {computed}")
    check(computed == f"{xxhash.xxh3_64_intdigest(zeroed):016x}", "hexdigest is 16 lowercase hex digits")
    return stored


def main():
    tool, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    ours = os.path.join(work, "maac_written.safetensors")
    run(tool, "write", ours)

    # Values, dtypes and shapes through the reference reader.
    expected = {
        "weights": np.array([[1.5, -2, 3.25], [0, 7, -1e-30]], dtype=np.float32),
        "alpha": np.array([0.125, -3e300], dtype=np.float64),
        "step": np.array([42, -7, -2**63], dtype=np.int64),
        "flags": np.array([0, 1, 127, 255], dtype=np.uint8),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "scalar": np.array(2.5, dtype=np.float64),
    }
    tensors = load_file(ours)
    check(sorted(tensors) == sorted(expected), f"tensor names {sorted(tensors)}")
    for name, want in expected.items():
        got = tensors[name]
        check(got.dtype == want.dtype, f"{name}: dtype {got.dtype}, expected {want.dtype}")
        check(got.shape == want.shape, f"{name}: shape {got.shape}, expected {want.shape}")
        check(np.array_equal(got, want), f"{name}: values {got}, expected {want}")

    # Metadata, including the checksum entry, through safe_open.
    with safe_open(ours, framework="np") as f:
        meta = f.metadata()
        check(f.get_tensor("step")[2] == -2**63, "safe_open reads a single tensor")
    check(meta.get("format") == "maac-test-readback", f"metadata {meta}")
    check(meta.get("config") == "[actor]\nhorizon = 3\n", f"config {meta.get('config')!r}")
    check(meta.get("note") == "r\u00e9sum\u00e9 \u2713", f"note {meta.get('note')!r}")
    check(set(meta) == {"format", "config", "note", "maac.checksum"}, f"metadata keys {sorted(meta)}")
    stored = check_checksum(ours)
    check(meta["maac.checksum"] == "xxh3-64:" + stored, "the metadata value is the one hashed")

    # A byte changed from Python: maac refuses it, naming the file and both checksums.
    damaged = os.path.join(work, "damaged.safetensors")
    data = bytearray(open(ours, "rb").read())
    data[-1] ^= 0x01
    open(damaged, "wb").write(data)
    r = run(tool, "read", damaged, ok=False)
    check(r.returncode == 1 and f"checkpoint '{damaged}' is corrupt: checksum xxh3-64" in r.stderr,
          f"damaged file: exit {r.returncode}, {r.stderr!r}")

    # The other way: a PyPI-written file, read by maac's structural checks only.
    theirs = os.path.join(work, "python_written.safetensors")
    save_file({"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([-1, 5], dtype=np.int64),
               "c": np.array([3, 4], dtype=np.uint8), "d": np.array([0.5], dtype=np.float64)},
              theirs, metadata={"format": "from-python"})
    seen = json.loads(run(tool, "read", theirs, "--structure-only").stdout)
    check(seen["metadata"] == {"format": "from-python"}, f"metadata {seen['metadata']}")
    want = {"a": ("F32", [2, 3], [0, 1, 2, 3, 4, 5]), "b": ("I64", [2], [-1, 5]), "c": ("U8", [2], [3, 4]),
            "d": ("F64", [1], [0.5])}
    for name, (dtype, shape, values) in want.items():
        t = seen["tensors"][name]
        check((t["dtype"], t["shape"], t["values"]) == (dtype, shape, values), f"{name} read by maac as {t}")
    r = run(tool, "read", theirs, ok=False)
    check(r.returncode == 1 and "carries no checksum (format 'from-python')" in r.stderr,
          f"a file without checksum: exit {r.returncode}, {r.stderr!r}")

    # And maac's own reader agrees with the reference reader on maac's file.
    seen = json.loads(run(tool, "read", ours).stdout)
    for name, want in expected.items():
        t = seen["tensors"][name]
        check(list(t["shape"]) == list(want.shape), f"{name}: maac shape {t['shape']}")
        check(np.array_equal(np.array(t["values"], dtype=want.dtype).reshape(want.shape), want), f"{name}: maac values")
    print(f"ok: {len(expected)} tensors, metadata and checksum {stored} read back by safetensors "
          f"{getattr(sys.modules['safetensors'], '__version__', '?')} and xxhash {xxhash.VERSION}")


if __name__ == "__main__":
    main()
