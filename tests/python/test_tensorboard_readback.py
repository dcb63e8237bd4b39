"""maac's TensorBoard event files, read back by PyPI tensorboard's EventAccumulator: every
tag holds, step for step, the float32 of the matching progress.csv / iterations.csv /
model_error.csv cell (docs/training.md, "TensorBoard"). Three runs: a plain one; one
resumed from a checkpoint older than its logs (as after a kill: the steps past the
checkpoint must be dropped, not duplicated); and one whose event file was removed before
the resume (a run begun before maac wrote event files: its kept rows are written anew).

Usage: test_tensorboard_readback.py MAAC_BINARY WORK_DIR
"""
import csv
import math
import os
import shutil
import subprocess
import sys

from test_support import check, test_packages

with test_packages():
    import numpy as np
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

# A run small enough for a test that passes every phase and evaluates six times.
SETTINGS = ["env.max_episode_steps=40", "run.initial_random_steps=200", "run.steps_per_iteration=100",
            "run.eval_every=100", "run.eval_episodes=2", "run.checkpoint_every=0", "run.threads=1",
            "train.updates_per_iteration=12", "train.update_blocks=2", "train.batch=32", "model.members=3",
            "model.layers=1", "model.width=16", "model.max_epochs=3", "model.batch=32", "rollout.starts=40",
            "rollout.schedule=[0, 2, 1, 3]", "actor.horizon=2", "actor.width=16", "critic.width=16"]
EVENT_FILE = "events.out.tfevents.maac"
CLOCK_TAGS = {"progress/wall_time", "progress/updates_per_sec", "progress/rss_mb", "iterations/wall_time"}


def train(maac, out, steps, resume=False):
    args = [maac, "train", "--env", "InvertedPendulum", "--steps", str(steps), "--out", out, "--quiet"]
    for s in SETTINGS:
        args += ["--set", s]
    if resume:
        args.append("--resume")
    r = subprocess.run(args, capture_output=True, text=True)
    check(r.returncode == 0, f"{' '.join(args)} exited {r.returncode}: {r.stderr}")


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def f32(cell):
    return np.float32(float(cell))  # "nan" too


def expected_scalars(run):
    """{tag: [(step, float32)]} from the run's CSV logs, as docs/training.md maps them."""
    out = {}
    for prefix, name in (("progress", "progress.csv"), ("iterations", "iterations.csv")):
        for row in read_csv(os.path.join(run, name)):
            step = int(float(row["env_steps"]))
            for column, cell in row.items():
                if column != "env_steps":
                    out.setdefault(f"{prefix}/{column}", []).append((step, f32(cell)))
    for row in read_csv(os.path.join(run, "model_error.csv")):
        out.setdefault(f"model_error/k{row['k']}", []).append((int(row["env_steps"]), f32(row["error"])))
    return out


def event_scalars(run):
    files = [f for f in os.listdir(run) if "tfevents" in f]
    check(files == [EVENT_FILE], f"{run}: event files {files}, expected [{EVENT_FILE}]")
    acc = EventAccumulator(run, size_guidance={"scalars": 0})  # 0: keep every value
    acc.Reload()
    return {tag: [(e.step, np.float32(e.value)) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


def check_run(run):
    """Every tag equals its CSV column, step for step, as float32; returns the values read."""
    want, got = expected_scalars(run), event_scalars(run)
    check(sorted(got) == sorted(want), f"{run}: tags {sorted(got)}, expected {sorted(want)}")
    values = 0
    for tag, rows in want.items():
        steps = [s for s, _ in got[tag]]
        check(steps == [s for s, _ in rows], f"{run}: {tag} steps {steps}, expected {[s for s, _ in rows]}")
        for (step, a), (_, b) in zip(got[tag], rows):
            check(same(a, b), f"{run}: {tag} at step {step} is {a!r}, the CSV holds {b!r}")
            values += 1
    return got, values


def main():
    maac, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    plain = os.path.join(work, "plain")
    train(maac, plain, 600)
    plain_values, n = check_run(plain)
    check(len(plain_values["progress/eval_return"]) == 6, "six evaluations expected")
    check(len(plain_values["iterations/holdout_nll"]) == 3, "three iterations expected")

    # Resumed from a checkpoint older than its logs: the logs hold rows up to 600 steps,
    # the checkpoint counted those up to 300; the resumed run must not repeat 400-600.
    resumed = os.path.join(work, "resumed")
    train(maac, resumed, 300)
    ck = os.path.join(resumed, "checkpoint.safetensors")
    shutil.copy(ck, ck + ".at300")
    train(maac, resumed, 600, resume=True)
    shutil.copy(ck + ".at300", ck)
    train(maac, resumed, 600, resume=True)
    resumed_values, _ = check_run(resumed)

    # An event file missing at the resume is written anew from the kept CSV rows.
    backfilled = os.path.join(work, "backfilled")
    train(maac, backfilled, 300)
    os.remove(os.path.join(backfilled, EVENT_FILE))
    train(maac, backfilled, 600, resume=True)
    backfilled_values, _ = check_run(backfilled)

    # All three runs are the same run: the same values but for the clock and memory.
    for name, values in (("resumed", resumed_values), ("backfilled", backfilled_values)):
        for tag in plain_values:
            if tag not in CLOCK_TAGS:
                check(all(s == t and same(a, b) for (s, a), (t, b) in zip(values[tag], plain_values[tag])),
                      f"{name}: {tag} differs from the uninterrupted run: {values[tag]} vs {plain_values[tag]}")
    print(f"ok: {len(plain_values)} tags, {n} values per run read back by tensorboard's EventAccumulator "
          f"equal as float32 to the CSV logs (plain, resumed past its checkpoint, backfilled)")


if __name__ == "__main__":
    main()
