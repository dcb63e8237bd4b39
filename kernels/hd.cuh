// MAAC_HD marks math shared by the CPU backend (g++) and the CUDA backend (nvcc).
#pragma once
#ifdef __CUDACC__
#define MAAC_HD __host__ __device__ __forceinline__
#else
#define MAAC_HD inline
#endif
