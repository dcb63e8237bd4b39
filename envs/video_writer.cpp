#include "envs/video_writer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace maac::envs {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// write() that reports a closed pipe as EPIPE instead of killing the process with
// SIGPIPE: the signal is blocked on this thread and a pending one is consumed.
bool write_all(int fd, const uint8_t* bytes, size_t n) {
  sigset_t pipe_signal, old_mask;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &old_mask);
  bool ok = true;
  while (n > 0) {
    ssize_t written = ::write(fd, bytes, n);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      ok = false;
      break;
    }
    bytes += written;
    n -= static_cast<size_t>(written);
  }
  if (!ok && errno == EPIPE) {
    const timespec no_wait{0, 0};
    sigtimedwait(&pipe_signal, nullptr, &no_wait);
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  return ok;
}

}  // namespace

VideoWriter::VideoWriter(std::filesystem::path out, VideoOptions options) : out_(std::move(out)), options_(std::move(options)) {
  if (options_.width < 2 || options_.height < 2 || options_.width % 2 || options_.height % 2)
    throw std::invalid_argument(
        fmt::format("video size {}x{}: expected even width and height (H.264 yuv420p)", options_.width, options_.height));
  if (!std::isfinite(options_.fps) || options_.fps <= 0 || options_.fps > 1000)
    throw std::invalid_argument(fmt::format("video fps {}: expected 0 < fps <= 1000", options_.fps));
  if (options_.crf < 0 || options_.crf > 51) throw std::invalid_argument(fmt::format("video crf {}: expected 0 to 51", options_.crf));
  const std::filesystem::path folder = out_.parent_path().empty() ? "." : out_.parent_path();
  if (!std::filesystem::is_directory(folder))
    throw std::runtime_error(fmt::format("video '{}': the folder '{}' does not exist", out_.string(), folder.string()));
  partial_ = out_;
  partial_ += ".part";
  log_ = out_;
  log_ += ".ffmpeg.log";

  const std::string size = fmt::format("{}x{}", options_.width, options_.height);
  const std::string fps = fmt::format("{}", options_.fps), crf = fmt::format("{}", options_.crf);
  // Raw RGB frames on stdin -> x264 in yuv420p (what every player decodes) -> MP4 with
  // its index at the front (+faststart: plays while downloading).
  std::vector<std::string> args{options_.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                                "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", size, "-framerate", fps, "-i", "pipe:0",
                                "-c:v", "libx264", "-preset", "medium", "-crf", crf, "-pix_fmt", "yuv420p",
                                "-movflags", "+faststart", "-f", "mp4", partial_.string()};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("video: pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  // ffmpeg's messages go to a file read back on failure (a second pipe could fill and block).
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  int spawned = posix_spawnp(&child_, options_.ffmpeg.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[0]);
  if (spawned != 0) {
    ::close(fds[1]);
    child_ = -1;
    std::error_code ignored;
    std::filesystem::remove(log_, ignored);
    if (spawned == ENOENT)
      throw std::runtime_error(fmt::format("video '{}': the program '{}' is not on PATH (Debian package ffmpeg; "
                                           "scripts/setup.sh installs it)",
                                           out_.string(), options_.ffmpeg));
    throw std::runtime_error(fmt::format("video '{}': cannot start '{}': {}", out_.string(), options_.ffmpeg, std::strerror(spawned)));
  }
  pipe_ = fds[1];
}

VideoWriter::~VideoWriter() {
  if (child_ < 0) return;
  stop_child();
  std::error_code ignored;
  std::filesystem::remove(partial_, ignored);
  std::filesystem::remove(log_, ignored);
}

void VideoWriter::stop_child() {
  if (pipe_ >= 0) ::close(pipe_);
  pipe_ = -1;
  if (child_ > 0) {
    kill(child_, SIGTERM);
    int status = 0;
    while (waitpid(child_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  child_ = -1;
}

void VideoWriter::write(std::span<const uint8_t> rgb) {
  const size_t expected = static_cast<size_t>(options_.width) * options_.height * 3;
  if (rgb.size() != expected)
    throw std::invalid_argument(fmt::format("video frame of {} bytes: expected {}x{}x3 = {}", rgb.size(), options_.width,
                                            options_.height, expected));
  if (pipe_ < 0) throw std::logic_error("VideoWriter::write after finish()");
  if (!write_all(pipe_, rgb.data(), rgb.size())) {
    std::string message = read_text(log_);
    throw std::runtime_error(fmt::format("video '{}': ffmpeg stopped reading frames at frame {}{}", out_.string(), frames_,
                                         message.empty() ? "" : ": " + message));
  }
  ++frames_;
}

void VideoWriter::finish() {
  if (child_ < 0) throw std::logic_error("VideoWriter::finish called twice");
  ::close(pipe_);
  pipe_ = -1;
  int status = 0;
  while (waitpid(child_, &status, 0) < 0 && errno == EINTR) {
  }
  child_ = -1;
  std::string message = read_text(log_);
  std::error_code ignored;
  std::filesystem::remove(log_, ignored);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::filesystem::remove(partial_, ignored);
    std::string how = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                        : fmt::format("signal {}", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    throw std::runtime_error(
        fmt::format("video '{}': ffmpeg failed ({}){}", out_.string(), how, message.empty() ? "" : ": " + message));
  }
  std::filesystem::rename(partial_, out_);
}

}  // namespace maac::envs
