# MAAC_SANITIZE=ON builds every project target with AddressSanitizer and
# UndefinedBehaviorSanitizer (scripts/test_sanitized.sh runs the unit tests so). Any
# finding aborts the program: a sanitizer report is a test failure, never a warning.
# CPU only: nvcc device code cannot be instrumented. No benchmarks: timings mean nothing here.
option(MAAC_SANITIZE "Build with -fsanitize=address,undefined (CPU only, no benchmarks)" OFF)
if(MAAC_SANITIZE)
  if(MAAC_HAVE_CUDA)
    message(FATAL_ERROR "MAAC_SANITIZE=ON needs a CPU-only build: configure with -DMAAC_CUDA=OFF")
  endif()
  set(MAAC_BUILD_BENCH OFF)  # a normal variable: shadows the cache entry, leaves it as the user set it
  set(_maac_sanitize_flags -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  # Directory scope: reaches every target defined after this include (all of the project's).
  add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:${_maac_sanitize_flags}>")
  add_link_options(${_maac_sanitize_flags})
  message(STATUS "maac: sanitizers ON (address, undefined), benchmarks OFF")
endif()

# MAAC_FUZZERS=ON adds the libFuzzer targets fuzz_config_toml and fuzz_actions_csv
# (tests/fuzz/CMakeLists.txt); libFuzzer comes with clang, so clang must compile.
option(MAAC_FUZZERS "Build the libFuzzer targets (needs clang: -DCMAKE_CXX_COMPILER=clang++)" OFF)
if(MAAC_FUZZERS AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "MAAC_FUZZERS=ON needs clang (libFuzzer); configure with -DCMAKE_CXX_COMPILER=clang++")
endif()
