#include "envs/egl_context.hpp"

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <fmt/core.h>

#include <stdexcept>
#include <vector>

namespace maac::envs {
namespace {

std::string egl_error_name(EGLint code) {
  switch (code) {
    case EGL_SUCCESS: return "EGL_SUCCESS";
    case EGL_NOT_INITIALIZED: return "EGL_NOT_INITIALIZED";
    case EGL_BAD_ACCESS: return "EGL_BAD_ACCESS";
    case EGL_BAD_ALLOC: return "EGL_BAD_ALLOC";
    case EGL_BAD_ATTRIBUTE: return "EGL_BAD_ATTRIBUTE";
    case EGL_BAD_CONFIG: return "EGL_BAD_CONFIG";
    case EGL_BAD_CONTEXT: return "EGL_BAD_CONTEXT";
    case EGL_BAD_DISPLAY: return "EGL_BAD_DISPLAY";
    case EGL_BAD_MATCH: return "EGL_BAD_MATCH";
    case EGL_BAD_PARAMETER: return "EGL_BAD_PARAMETER";
    default: return fmt::format("EGL error 0x{:x}", code);
  }
}

bool has_extension(const char* extensions, const std::string& name) {
  if (!extensions) return false;
  std::string all = std::string(" ") + extensions + " ";
  return all.find(" " + name + " ") != std::string::npos;
}

// A display that is initialised and has a desktop-GL context, or an error text.
struct Attempt {
  EGLDisplay display = EGL_NO_DISPLAY;
  EGLContext context = EGL_NO_CONTEXT;
  std::string error;
};

Attempt try_display(EGLDisplay display) {
  Attempt a;
  if (display == EGL_NO_DISPLAY) return {EGL_NO_DISPLAY, EGL_NO_CONTEXT, "no display (" + egl_error_name(eglGetError()) + ")"};
  EGLint major = 0, minor = 0;
  if (!eglInitialize(display, &major, &minor)) return {EGL_NO_DISPLAY, EGL_NO_CONTEXT, "eglInitialize: " + egl_error_name(eglGetError())};
  auto fail = [&](const std::string& what) {
    return Attempt{EGL_NO_DISPLAY, EGL_NO_CONTEXT, what + ": " + egl_error_name(eglGetError())};
  };
  // MuJoCo 2.x draws with compatibility-profile OpenGL into its own framebuffer. The
  // surface type defaults to windows, which surfaceless and device displays have none of.
  const EGLint config_attributes[] = {EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8, EGL_DEPTH_SIZE, 24,
                                      EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
  EGLConfig config = nullptr;
  EGLint configs = 0;
  if (!eglChooseConfig(display, config_attributes, &config, 1, &configs) || configs < 1) return fail("eglChooseConfig (RGB8, depth 24, OpenGL)");
  if (!eglBindAPI(EGL_OPENGL_API)) return fail("eglBindAPI(EGL_OPENGL_API)");
  EGLContext context = eglCreateContext(display, config, EGL_NO_CONTEXT, nullptr);
  if (context == EGL_NO_CONTEXT) return fail("eglCreateContext");
  if (!eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
    eglDestroyContext(display, context);
    return fail("eglMakeCurrent without a surface");
  }
  a.display = display;
  a.context = context;
  return a;
}

template <class F>
F egl_function(const char* name) {
  return reinterpret_cast<F>(eglGetProcAddress(name));
}

// GL_RENDERER of the current context ("llvmpipe (LLVM 15.0.6, 256 bits)", "NVIDIA H200/PCIe/SSE2").
std::string gl_renderer() {
  using GetString = const unsigned char* (*)(unsigned);
  constexpr unsigned kGlRenderer = 0x1F01;
  auto get_string = egl_function<GetString>("glGetString");
  const unsigned char* name = get_string ? get_string(kGlRenderer) : nullptr;
  return name ? reinterpret_cast<const char*>(name) : "unknown renderer";
}

}  // namespace

EglContext::EglContext() {
  std::vector<std::string> errors;
  const char* client_extensions = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  auto get_platform_display = egl_function<PFNEGLGETPLATFORMDISPLAYEXTPROC>("eglGetPlatformDisplayEXT");

  // 1. A GPU's EGL device (NVIDIA without X). Mesa's software device is left to step 2.
  if (get_platform_display && has_extension(client_extensions, "EGL_EXT_platform_device")) {
    auto query_devices = egl_function<PFNEGLQUERYDEVICESEXTPROC>("eglQueryDevicesEXT");
    auto query_device_string = egl_function<PFNEGLQUERYDEVICESTRINGEXTPROC>("eglQueryDeviceStringEXT");
    EGLDeviceEXT devices[16];
    EGLint count = 0;
    if (query_devices && query_devices(16, devices, &count)) {
      for (EGLint i = 0; i < count; ++i) {
        const char* device_extensions = query_device_string ? query_device_string(devices[i], EGL_EXTENSIONS) : nullptr;
        if (has_extension(device_extensions, "EGL_MESA_device_software")) continue;
        Attempt a = try_display(get_platform_display(EGL_PLATFORM_DEVICE_EXT, devices[i], nullptr));
        if (a.context != EGL_NO_CONTEXT) {
          display_ = a.display;
          context_ = a.context;
          description_ = fmt::format("EGL device {}: {}", i, gl_renderer());
          return;
        }
        errors.push_back(fmt::format("EGL device {}: {}", i, a.error));
      }
    }
  }
  // 2. Mesa's surfaceless platform: the GPU's render node if Mesa drives it, else llvmpipe.
  if (get_platform_display && has_extension(client_extensions, "EGL_MESA_platform_surfaceless")) {
    Attempt a = try_display(get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, nullptr));
    if (a.context != EGL_NO_CONTEXT) {
      display_ = a.display;
      context_ = a.context;
      description_ = "Mesa surfaceless: " + gl_renderer();
      return;
    }
    errors.push_back("Mesa surfaceless: " + a.error);
  } else {
    errors.push_back("Mesa surfaceless: not offered (install libegl-mesa0 and libgl1-mesa-dri)");
  }
  std::string message = "cannot create an offscreen OpenGL context with EGL:";
  for (const std::string& e : errors) message += "\n  " + e;
  throw std::runtime_error(message);
}

// The display stays initialised: EGL displays are one per process, shared by every
// context on them, and eglTerminate would pull it from under another EglContext.
EglContext::~EglContext() {
  if (display_) {
    eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    if (context_) eglDestroyContext(display_, context_);
  }
}

void EglContext::make_current() const {
  if (!eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, context_))
    throw std::runtime_error("eglMakeCurrent: " + egl_error_name(eglGetError()));
}

}  // namespace maac::envs
