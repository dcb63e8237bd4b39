# Environment throughput: env steps/s beside raw mj_step on the same model, and the
# vector of envs at 1 and 2 threads.
maac_bench(bench_envs envs.cpp)
target_link_libraries(bench_envs PRIVATE maac_envs)
