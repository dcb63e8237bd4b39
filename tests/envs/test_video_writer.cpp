// MP4 writing through ffmpeg: the file decodes (ffprobe, a separate program) to the
// frames and size written, and every failure is a clear error that leaves no file.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "envs/video_writer.hpp"

using namespace maac::envs;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("maac_test_video_" + std::to_string(getpid()));
  fs::create_directories(dir);
  return dir / name;
}

// `ffprobe` output for the first video stream: "codec,width,height,frames" (frames counted by decoding).
std::string probe(const fs::path& file) {
  const std::string command = "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
                              "stream=codec_name,width,height,nb_read_frames -of csv=p=0 '" + file.string() + "' 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  REQUIRE(pipe);
  std::string out;
  std::array<char, 256> buffer;
  while (fgets(buffer.data(), buffer.size(), pipe.get())) out += buffer.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

// A frame whose colours depend on its index (a moving gradient).
std::vector<uint8_t> test_frame(int width, int height, int index) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(x * 4 + index * 9);
      p[1] = static_cast<uint8_t>(y * 4);
      p[2] = static_cast<uint8_t>(128 + index * 5);
    }
  return rgb;
}

}  // namespace

TEST_CASE("an MP4 decodes to the frames and size written", "[video]") {
  const fs::path out = scratch("gradient.mp4");
  VideoOptions o;
  o.width = 96;
  o.height = 64;
  o.fps = 25;
  {
    VideoWriter video(out, o);
    for (int i = 0; i < 17; ++i) video.write(test_frame(o.width, o.height, i));
    CHECK(video.frames() == 17);
    video.finish();
  }
  REQUIRE(fs::is_regular_file(out));
  CHECK_FALSE(fs::exists(out.string() + ".part"));
  CHECK_FALSE(fs::exists(out.string() + ".ffmpeg.log"));
  CHECK(probe(out) == "h264,96,64,17");
  fs::remove_all(out.parent_path());
}

TEST_CASE("video errors are clear and leave no file", "[video]") {
  const fs::path out = scratch("bad.mp4");
  VideoOptions o;
  o.width = 32;
  o.height = 32;

  VideoOptions odd = o;
  odd.width = 33;
  CHECK_THROWS_WITH(VideoWriter(out, odd), Catch::Contains("33x32") && Catch::Contains("even"));
  VideoOptions no_fps = o;
  no_fps.fps = 0;
  CHECK_THROWS_AS(VideoWriter(out, no_fps), std::invalid_argument);
  CHECK_THROWS_WITH(VideoWriter(out.parent_path() / "nosuch" / "x.mp4", o), Catch::Contains("does not exist"));

  VideoOptions missing = o;
  missing.ffmpeg = "maac-no-such-ffmpeg";
  CHECK_THROWS_WITH(VideoWriter(out, missing), Catch::Contains("'maac-no-such-ffmpeg' is not on PATH") &&
                                                   Catch::Contains("ffmpeg"));

  {
    VideoWriter video(out, o);
    CHECK_THROWS_WITH(video.write(std::vector<uint8_t>(10)), Catch::Contains("10 bytes") && Catch::Contains("3072"));
  }  // abandoned: the destructor stops ffmpeg and removes the partial file

  // A program that exits with status 1 at once (`false`) stands in for a failing ffmpeg.
  VideoOptions failing = o;
  failing.ffmpeg = "false";
  CHECK_THROWS_WITH(
      [&] {
        VideoWriter video(out, failing);
        for (int i = 0; i < 200; ++i) video.write(test_frame(o.width, o.height, i));
        video.finish();
      }(),
      Catch::Contains("bad.mp4") && (Catch::Contains("exit status 1") || Catch::Contains("stopped reading frames")));

  CHECK_FALSE(fs::exists(out));
  CHECK_FALSE(fs::exists(out.string() + ".part"));
  CHECK_FALSE(fs::exists(out.string() + ".ffmpeg.log"));
  fs::remove_all(out.parent_path());
}
