// An offscreen OpenGL context without a window or a display server (EGL), for MuJoCo's
// renderer. Which EGL: a GPU's own device first (NVIDIA's EGL on a GPU machine), else
// Mesa's surfaceless platform, which renders on the CPU with llvmpipe when there is no
// GPU (a headless VM, CI). The context has no surface: MuJoCo draws into its own
// offscreen framebuffer.
#pragma once
#include <string>

namespace maac::envs {

class EglContext {
 public:
  // Creates the context and makes it current on the calling thread. Throws
  // std::runtime_error naming each EGL platform tried and why it failed.
  EglContext();
  ~EglContext();
  EglContext(const EglContext&) = delete;
  EglContext& operator=(const EglContext&) = delete;

  // Makes the context current on the calling thread (GL calls go to it).
  void make_current() const;
  // Where it renders: the EGL platform and GL_RENDERER, e.g. "Mesa surfaceless: llvmpipe (...)".
  const std::string& description() const { return description_; }

 private:
  void* display_ = nullptr;  // EGLDisplay
  void* context_ = nullptr;  // EGLContext
  std::string description_;
};

}  // namespace maac::envs
