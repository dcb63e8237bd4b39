// H.264 MP4 from RGB frames, encoded by the `ffmpeg` program (Debian's ffmpeg package)
// reading raw frames on a pipe. Why a pipe to the program and not libavcodec: the
// command line is ffmpeg's stable interface (libav*'s API changes between Debian
// releases), its x264 settings and MP4 muxing are one line, and an encoder crash is a
// child's non-zero exit status, not ours. docs/workflow.md has the details.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace maac::envs {

struct VideoOptions {
  int width = 0, height = 0;  // pixels; even (H.264 in yuv420p halves the chroma)
  double fps = 30.0;          // frames per second of the video
  int crf = 20;               // x264 quality (0 lossless .. 51; 18-23 look good)
  std::string ffmpeg = "ffmpeg";  // the program, found on PATH
};

class VideoWriter {
 public:
  // Starts ffmpeg writing `out` (through `out`.part, renamed when it succeeds). Throws
  // std::invalid_argument for bad sizes or fps, std::runtime_error when ffmpeg is missing.
  VideoWriter(std::filesystem::path out, VideoOptions options);
  // Without finish() (an exception on the way): stops ffmpeg and removes the partial file.
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // One frame, rgb: [height, width, 3], top row first.
  void write(std::span<const uint8_t> rgb);
  // Closes the pipe, waits for ffmpeg and checks its exit status (the error names the
  // file and carries ffmpeg's own message), then moves the file into place.
  void finish();

  int64_t frames() const { return frames_; }

 private:
  void stop_child();

  std::filesystem::path out_, partial_, log_;
  VideoOptions options_;
  pid_t child_ = -1;
  int pipe_ = -1;  // ffmpeg's stdin
  int64_t frames_ = 0;
};

}  // namespace maac::envs
