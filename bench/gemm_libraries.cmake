# bench_gemm_libraries: OpenBLAS and Eigen against the small-matrix GEMM libraries Debian
# ships, on the GEMMs of one MAAC update and one model-fit step. Built only where at
# least one of them is installed (libxsmm-dev, libdnnl-dev, libblis-dev); each is
# optional and compiled in where found. The engine itself never needs them.
pkg_check_modules(LIBXSMM QUIET IMPORTED_TARGET libxsmmext)  # libxsmmext requires libxsmm
find_package(dnnl CONFIG QUIET)
find_path(BLIS_INCLUDE_DIR blis.h PATH_SUFFIXES x86_64-linux-gnu)
find_library(BLIS_LIBRARY NAMES libblis.so.4 blis)

set(gemm_library_sources gemm_libraries.cpp gemm_libraries_builtin.cpp)
set(gemm_library_defs)
set(gemm_library_libs)
if(LIBXSMM_FOUND)
  list(APPEND gemm_library_sources gemm_libraries_xsmm.cpp)
  list(APPEND gemm_library_defs MAAC_BENCH_HAVE_LIBXSMM)
  list(APPEND gemm_library_libs PkgConfig::LIBXSMM)
endif()
if(dnnl_FOUND)
  list(APPEND gemm_library_sources gemm_libraries_dnnl.cpp)
  list(APPEND gemm_library_defs MAAC_BENCH_HAVE_DNNL)
  list(APPEND gemm_library_libs DNNL::dnnl)
endif()
if(BLIS_INCLUDE_DIR AND BLIS_LIBRARY)
  # Not linked: loaded with dlopen (bench/gemm_libraries_blis.cpp says why).
  list(APPEND gemm_library_sources gemm_libraries_blis.cpp)
  list(APPEND gemm_library_defs MAAC_BENCH_HAVE_BLIS)
  list(APPEND gemm_library_libs ${CMAKE_DL_LIBS})
endif()

if(gemm_library_defs)
  add_executable(bench_gemm_libraries ${gemm_library_sources})
  target_compile_definitions(bench_gemm_libraries PRIVATE ${gemm_library_defs}
                             MAAC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  if(BLIS_INCLUDE_DIR)
    set_source_files_properties(gemm_libraries_blis.cpp PROPERTIES INCLUDE_DIRECTORIES ${BLIS_INCLUDE_DIR})
  endif()
  # libxsmm's fallback calls BLAS (sgemm_): OpenBLAS, after it on the link line.
  target_link_libraries(bench_gemm_libraries PRIVATE maac_rl CLI11::CLI11 fmt::fmt ${gemm_library_libs}
                        PkgConfig::OPENBLAS OpenMP::OpenMP_CXX)
  message(STATUS "bench_gemm_libraries: with ${gemm_library_defs}")
else()
  message(STATUS "bench_gemm_libraries: not built (none of libxsmm, oneDNN, BLIS found)")
endif()
