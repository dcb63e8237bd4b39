#!/usr/bin/env bash
# `maac video` as a user runs it: a small InvertedPendulum checkpoint, one episode to
# MP4; ffprobe (a separate decoder) must count one frame per step plus the reset frame
# at the asked size, and the episode's return must be `maac eval`'s episode 0 with the
# same seed. Usage: video.sh MAAC_BINARY WORK_DIR
set -uo pipefail
maac=$1
work=$2
rm -rf "$work" && mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
command -v ffprobe >/dev/null || fail "ffprobe not found (Debian package ffmpeg; scripts/setup.sh installs it)"

"$maac" train --env InvertedPendulum --set algo=sac --steps 300 --set run.initial_random_steps=300 \
  --set run.eval_every=300 --set run.eval_episodes=1 --out "$work/run" --quiet >"$work/train.log" 2>&1 ||
  fail "the small run did not train: $(tail -n 3 "$work/train.log")"
ck="$work/run/checkpoint.safetensors"

"$maac" video --checkpoint "$ck" --out "$work/policy.mp4" --seed 7 --width 320 --height 240 >"$work/video.log" 2>&1 ||
  fail "maac video: $(cat "$work/video.log")"
cat "$work/video.log"
frames=$(sed -n 's/^wrote .*: \([0-9]*\) frames 320x240 .*/\1/p' "$work/video.log")
steps=$(sed -n 's/.* \([0-9]*\) steps, return .*/\1/p' "$work/video.log")
[ -n "$frames" ] && [ -n "$steps" ] || fail "no frame or step count in the output"
[ "$frames" -eq $((steps + 1)) ] || fail "$frames frames for $steps steps (expected steps + 1)"
probed=$(ffprobe -v error -count_frames -select_streams v:0 \
  -show_entries stream=codec_name,width,height,nb_read_frames -of csv=p=0 "$work/policy.mp4")
[ "$probed" = "h264,320,240,$frames" ] || fail "ffprobe: '$probed', expected 'h264,320,240,$frames'"

video_return=$(sed -n 's/.* return \([-0-9.]*\) (.*/\1/p' "$work/video.log")
"$maac" eval --checkpoint "$ck" --episodes 1 --seed 7 >"$work/eval.log" 2>&1 || fail "maac eval: $(cat "$work/eval.log")"
eval_return=$(sed -n 's/^  episode 0: \([-0-9.]*\)$/\1/p' "$work/eval.log")
[ "$video_return" = "$eval_return" ] || fail "video return $video_return, eval episode 0 return $eval_return"

# --steps cuts the episode: steps + 1 frames.
"$maac" video --checkpoint "$ck" --out "$work/short.mp4" --steps 3 --width 64 --height 48 >"$work/short.log" 2>&1 ||
  fail "maac video --steps 3: $(cat "$work/short.log")"
probed=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$work/short.mp4")
[ "$probed" = "4" ] || fail "--steps 3: $probed frames, expected 4"

# run.eval_video: every evaluation films its episode 0, which is `maac video`'s episode for
# the run's seed (here two evaluations, at 200 and 400 env steps).
"$maac" train --env InvertedPendulum --set algo=sac --steps 400 --set run.initial_random_steps=400 \
  --set run.eval_every=200 --set run.eval_episodes=1 --set run.eval_video=true --out "$work/evalvideo" --quiet \
  >"$work/evalvideo.log" 2>&1 || fail "run.eval_video: $(tail -n 3 "$work/evalvideo.log")"
for steps in 200 400; do
  f="$work/evalvideo/videos/eval_$steps.mp4"
  probed=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=codec_name,nb_read_frames -of csv=p=0 "$f") ||
    fail "run.eval_video wrote no readable $f"
  [[ "$probed" == h264,* ]] && [ "${probed#h264,}" -ge 2 ] || fail "$f: ffprobe '$probed'"
done
"$maac" video --checkpoint "$work/evalvideo/checkpoint.safetensors" --seed 0 --out "$work/again.mp4" >"$work/again.log" 2>&1 ||
  fail "maac video of the eval_video run: $(cat "$work/again.log")"
cmp -s <(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$work/again.mp4") \
  <(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$work/evalvideo/videos/eval_400.mp4") ||
  fail "the last evaluation's video and maac video --seed 0 of the final checkpoint differ in length"
echo "ok: run.eval_video wrote videos/eval_200.mp4 and eval_400.mp4"

# Errors name the bad value and write nothing.
expect_error() {
  local expected=$1
  shift
  if "$maac" "$@" >"$work/err.log" 2>&1; then fail "exit 0: maac $*"; fi
  grep -qF -- "$expected" "$work/err.log" || fail "maac $*: expected '$expected' in: $(cat "$work/err.log")"
  [ ! -e "$work/x.mp4" ] || fail "maac $* wrote $work/x.mp4"
  echo "ok: maac $* -> $(head -n 1 "$work/err.log")"
}
expect_error "camera 'nosuch'" video --checkpoint "$ck" --out "$work/x.mp4" --camera nosuch
expect_error "101x240" video --checkpoint "$ck" --out "$work/x.mp4" --width 101 --height 240
"$maac" train --env Pendulum --set algo=sac --steps 200 --set run.initial_random_steps=200 \
  --set run.eval_every=200 --set run.eval_episodes=1 --out "$work/pendulum" --quiet >/dev/null 2>&1 ||
  fail "the small Pendulum run did not train"
expect_error "no MuJoCo model" video --checkpoint "$work/pendulum/checkpoint.safetensors" --out "$work/x.mp4"
echo "video: all checks passed"
