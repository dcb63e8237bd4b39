# GPU benchmarks of the CUDA kernel layer; built only where nvcc exists, exit 0 without a GPU.
if(MAAC_HAVE_CUDA)
  if(COMMAND maac_bench)
    maac_bench(bench_cuda_kernels cuda_kernels.cpp)
  else()  # bench/CMakeLists.txt without the helper: the same target by hand
    find_package(benchmark REQUIRED)
    add_executable(bench_cuda_kernels cuda_kernels.cpp)
    target_link_libraries(bench_cuda_kernels PRIVATE benchmark::benchmark)
  endif()
  target_link_libraries(bench_cuda_kernels PRIVATE maac_kernels_cuda maac_kernels)
endif()

# One MAAC policy update on the GPU: op by op, as a CUDA graph, and its cuBLAS GEMM replay.
if(MAAC_HAVE_CUDA)
  add_executable(bench_cuda_maac_update cuda_maac_update.cpp)
  target_link_libraries(bench_cuda_maac_update PRIVATE maac_rl maac_kernels_cuda fmt::fmt)
endif()
