# Sourced by the sweep tests (tests/app/sweep_local.sh, tests/slurm/sweep_slurm.sh).
# tiny_sweep_spec NAME OUT STEPS UPDATES GRID_LINE [TOP_LINE]: a sweep spec of tiny SAC runs
# on Pendulum over seeds 0 and 1 (a checkpoint every 100 env steps), written to stdout.
tiny_sweep_spec() {
  cat <<EOF
name = "$1"
out = "$2"
seeds = [0, 1]
${6:-}
[base]
algo = "sac"
[base.env]
name = "Pendulum"
[base.run]
total_steps = $3
initial_random_steps = 200
steps_per_iteration = 100
eval_every = 500
eval_episodes = 1
checkpoint_every = 100
[base.train]
updates_per_iteration = $4
batch = 32
[base.actor]
width = 32
[base.critic]
width = 32
[grid]
$5
EOF
}
