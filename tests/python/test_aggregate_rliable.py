"""`maac aggregate` against the rliable package (PyPI), the reference implementation of the
interquartile mean and the stratified-bootstrap percentile intervals (Agarwal et al. 2021).

Synthetic run directories (config.toml + progress.csv with fixed scores): algorithm maac
on three envs with 5 runs each (one run stops early, one row is nan), and sac on one env.
maac aggregate writes curves.csv and table.csv; the same score matrices go to rliable.

Point estimates must agree to rounding (relative 1e-12: same definitions, only the
floating-point summation order differs). Interval endpoints cannot agree bit for bit:
both sides draw 50,000 bootstrap resamples, but from different generators (numpy's
RandomState vs maac's mt19937_64). Their Monte Carlo error, measured by rerunning rliable
with 8 seeds on 5x1 and 5x3 matrices, has a standard deviation of at most 0.7 % of the
interval's width (0.3 % for the smooth cases), so the difference of two independent
estimates has at most ~1 %. The test allows 4 % of rliable's width (4 standard deviations
in the lumpiest case); both seeds are fixed, so the outcome is deterministic. To show the
tolerance still discriminates, maac's 90 % intervals must fail the same comparison.

Usage: test_aggregate_rliable.py MAAC WORK_DIR
"""
import csv
import os
import shutil
import subprocess
import sys

from test_support import check, test_packages

with test_packages():
    import numpy as np
    from rliable import library as rly
    from rliable import metrics

REPS = 50000
REL_POINT = 1e-12
WIDTH_TOL = 0.04
ENVS = {"Hopper": 1000.0, "Walker2d": 2500.0, "HalfCheetah": 400.0}  # score scales differ on purpose
RUNS = 5
STEPS = [1000, 2000, 3000, 4000, 5000]
SHORT_RUN = ("Walker2d", 3)  # this run stops at 4000 env steps
NAN_ROW = ("HalfCheetah", 1, 3000)  # this evaluation is nan: the curve skips 3000 for that env


def write_run(path, algo, env, seed, steps, returns):
    os.makedirs(path)
    with open(os.path.join(path, "config.toml"), "w") as f:
        f.write(f'algo = "{algo}"\nseed = {seed}\n\n[env]\nname = "{env}"\n')
    with open(os.path.join(path, "progress.csv"), "w") as f:
        f.write("env_steps,wall_time,iteration,episodes,train_return,eval_return,actor_loss\n")
        for i, (s, r) in enumerate(zip(steps, returns)):
            f.write(f"{s},{0.5 * i},{i},{3 * i},{r * 0.9!r},{r!r},nan\n")


def make_runs(work):
    rng = np.random.default_rng(20211214)
    scores = {}  # (algo, env) -> [run][step] (nan where missing)
    dirs = []
    for algo, envs in (("maac", list(ENVS)), ("sac", ["Hopper"])):
        for env in envs:
            table = np.full((RUNS, len(STEPS)), np.nan)
            for run in range(RUNS):
                # Skewed returns, rising with steps, so mean and IQM differ.
                curve = ENVS[env] * (np.arange(1, len(STEPS) + 1) / len(STEPS)) * rng.lognormal(0, 0.5, len(STEPS))
                steps = list(STEPS)
                if algo == "maac" and (env, run) == SHORT_RUN:
                    steps = STEPS[:4]
                values = [float(v) for v in curve[:len(steps)]]
                if algo == "maac" and (env, run) == NAN_ROW[:2]:
                    values[STEPS.index(NAN_ROW[2])] = float("nan")
                table[run, :len(values)] = values
                path = os.path.join(work, "runs", f"{algo}_{env}_s{run}")
                write_run(path, algo, env, run, steps, values)
                dirs.append(path)
            scores[(algo, env)] = table
    return scores, dirs


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def matrix(scores, algo, env, column):
    """[runs, tasks] for one column of STEPS (or a [runs] -> value function) in rliable's layout."""
    envs = list(ENVS) if env == "all" else [env]
    return np.stack([column(scores[(algo, e)]) for e in envs], axis=1)


def at_step(step):
    return lambda t: t[:, STEPS.index(step)]


def last3(t):
    return np.array([row[~np.isnan(row)][-3:].mean() for row in t])


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def run_maac(maac, out, *extra):
    r = subprocess.run([maac, "aggregate", *extra, "--out", out], capture_output=True, text=True)
    check(r.returncode == 0, f"maac aggregate exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def main():
    maac, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    scores, dirs = make_runs(work)
    out = os.path.join(work, "out")
    args = [*dirs, "--across-envs", "--at", "2000,4000", "--last", "3", "--reps", str(REPS), "--seed", "7"]
    r = run_maac(maac, out, *args)
    print(r.stdout)
    curves, table = read_csv(os.path.join(out, "curves.csv")), read_csv(os.path.join(out, "table.csv"))

    # Which steps each curve has: exact steps where every run of the group evaluated.
    expected_steps = {("maac", "Hopper"): STEPS, ("maac", "Walker2d"): STEPS[:4],
                      ("maac", "HalfCheetah"): [1000, 2000, 4000, 5000], ("maac", "all"): [1000, 2000, 4000],
                      ("sac", "Hopper"): STEPS}
    for (algo, env), steps in expected_steps.items():
        got = [int(row["env_steps"]) for row in curves if (row["group"], row["env"]) == (algo, env)]
        check(got == steps, f"curve of {algo} on {env}: steps {got}, expected {steps}")
    check(len(curves) == sum(len(s) for s in expected_steps.values()), f"curves.csv has {len(curves)} rows")
    check(len(table) == 3 * len(expected_steps), f"table.csv has {len(table)} rows, expected 3 per group")

    # Point estimates: every row, against rliable's aggregate_mean / aggregate_iqm.
    def reference_matrix(row, at):
        column = last3 if at == "last3" else at_step(int(at))
        return matrix(scores, row["group"], row["env"], column)

    for row in curves + table:
        at = row.get("env_steps") or row["at"]
        x = reference_matrix(row, at)
        check(int(row["runs"]) == x.shape[0] and int(row["tasks"]) == x.shape[1],
              f"{row['group']} {row['env']} {at}: {row['runs']}x{row['tasks']}, expected {x.shape}")
        for name, ref in (("mean", metrics.aggregate_mean(x)), ("iqm", metrics.aggregate_iqm(x))):
            got = float(row[name])
            check(close(got, ref, REL_POINT), f"{row['group']} {row['env']} {at} {name}: maac {got!r}, rliable {ref!r}")
    print(f"point estimates: {len(curves) + len(table)} rows agree with rliable to {REL_POINT:g}")

    # Intervals: one rliable call per group, its table columns as frames of a
    # [runs, tasks, frames] matrix (rliable's recipe for curves; frames share resamples).
    ats = ["2000", "4000", "last3"]

    def interval_rows(table_rows, group, env):
        rows = {row["at"]: row for row in table_rows if (row["group"], row["env"]) == (group, env)}
        return [rows[a] for a in ats]

    reference = {}
    for group, env in (("maac", "all"), ("maac", "Hopper")):
        x = np.stack([reference_matrix({"group": group, "env": env}, a) for a in ats], axis=-1)
        frames = x.shape[-1]

        def func(s):
            return np.array([metrics.aggregate_mean(s[..., f]) for f in range(frames)] +
                            [metrics.aggregate_iqm(s[..., f]) for f in range(frames)])

        np.random.seed(11)  # rliable's StratifiedBootstrap draws from numpy's global generator
        points, intervals = rly.get_interval_estimates({"x": x}, func, reps=REPS, confidence_interval_size=0.95)
        reference[(group, env)] = (points["x"], intervals["x"])

    def compare(table_rows, label):
        failures = []
        worst = 0.0
        for (group, env), (points, intervals) in reference.items():
            for f, row in enumerate(interval_rows(table_rows, group, env)):
                for m, name in enumerate(("mean", "iqm")):
                    k = m * len(ats) + f
                    lower, upper = intervals[0][k], intervals[1][k]
                    width = upper - lower
                    check(width > 0, f"rliable interval of {group} {env} {row['at']} {name} is empty")
                    for side, ref in (("lower", lower), ("upper", upper)):
                        got = float(row[f"{name}_{side}"])
                        off = abs(got - ref) / width
                        worst = max(worst, off)
                        if off > WIDTH_TOL:
                            failures.append(f"{group} {env} {row['at']} {name}_{side}: maac {got:.6g}, rliable {ref:.6g} "
                                            f"({100 * off:.2f} % of the width {width:.6g})")
        print(f"{label}: largest endpoint difference {100 * worst:.2f} % of rliable's interval width")
        return failures

    failures = compare(table, "95 % intervals")
    check(not failures, "intervals differ from rliable's by more than "
          f"{100 * WIDTH_TOL:g} % of the width:\n  " + "\n  ".join(failures))

    # The tolerance discriminates: 90 % intervals from maac must not pass as rliable's 95 %.
    out90 = os.path.join(work, "out90")
    run_maac(maac, out90, *args, "--confidence", "0.9")
    failures = compare(read_csv(os.path.join(out90, "table.csv")), "90 % intervals (must fail)")
    check(len(failures) > 0, "maac's 90 % intervals pass as rliable's 95 %: the tolerance is too loose")

    # The PNG: written with gnuplot, or its absence said.
    pngs = [f for f in os.listdir(out) if f.endswith(".png")]
    check(sorted(pngs) == sorted(f"curves_{e}.png" for e in [*ENVS, "all"]) or "PNG skipped" in r.stderr,
          f"PNGs {pngs}, stderr: {r.stderr}")
    for p in pngs:
        with open(os.path.join(out, p), "rb") as f:
            check(f.read(8) == b"\x89PNG\r\n\x1a\n", f"{p} is not a PNG")
    print("PASS")


if __name__ == "__main__":
    main()
