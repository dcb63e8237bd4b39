// The CPU backend's own thread split (kernels/cpu/parallel.hpp): each element-wise entry
// that splits gives the same bits on 2 and 3 threads as on one (parts own whole rows,
// columns or elements, so no sum changes order); a split GEMM repeats its bits on a given
// thread count and agrees with one thread to rounding (a block of C is a smaller GEMM, for
// which a BLAS library may pick another kernel); the part boundaries cover the range exactly.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "autodiff/random.hpp"
#include "kernels/cpu/gemm.hpp"
#include "kernels/cpu/parallel.hpp"
#include "kernels/dense.hpp"
#include "kernels/memory.hpp"
#include "kernels/optim.hpp"
#include "kernels/philox.cuh"
#include "kernels/rows.hpp"

using namespace maac;

namespace {

const kernels::Where cpu_where{Device::cpu, nullptr};

// Runs `fill` (which returns its outputs) on 1, 2 and 3 threads. Its buffers must be the
// same on every call: Eigen's vectorised loops peel by the output's address, and another
// alignment may round the last bit differently.
void require_same_bits_on_threads(const std::function<std::vector<float>()>& fill) {
  cpu::set_threads(1);
  const std::vector<float> one = fill();
  for (int threads : {2, 3}) {
    cpu::set_threads(threads);
    const std::vector<float> many = fill();
    INFO(threads << " threads");
    REQUIRE(many.size() == one.size());
    CHECK(std::memcmp(many.data(), one.data(), one.size() * sizeof(float)) == 0);
  }
  cpu::set_threads(1);
}

// Runs `fill` twice on 1, 2 and 3 threads: the same bits both times on each thread count
// (exact resume), and within `rtol` of the largest one-thread output on every other count.
void require_repeatable_and_close_on_threads(const std::function<std::vector<float>()>& fill, float rtol) {
  for (int threads : {1, 2, 3}) {
    cpu::set_threads(threads);
    const std::vector<float> first = fill(), second = fill();
    INFO(threads << " threads");
    REQUIRE(second.size() == first.size());
    CHECK(std::memcmp(second.data(), first.data(), first.size() * sizeof(float)) == 0);
  }
  cpu::set_threads(1);
  const std::vector<float> one = fill();
  float scale = 0;
  for (float v : one) scale = std::max(scale, std::fabs(v));
  for (int threads : {2, 3}) {
    cpu::set_threads(threads);
    const std::vector<float> many = fill();
    INFO(threads << " threads, largest output " << scale);
    float worst = 0;
    for (size_t i = 0; i < one.size(); ++i) worst = std::max(worst, std::fabs(many[i] - one[i]));
    CHECK(worst <= rtol * scale);
  }
  cpu::set_threads(1);
}

}  // namespace

TEST_CASE("part_range covers [0, count) in order with aligned inner edges") {
  for (int64_t count : {1, 17, 100, 2048})
    for (int parts : {1, 2, 3, 7}) {
      int64_t next = 0;
      for (int p = 0; p < parts; ++p) {
        const cpu::Range r = cpu::part_range(count, p, parts, 16);
        CHECK(r.begin == next);
        CHECK(r.end >= r.begin);
        if (p + 1 < parts && r.end < count) CHECK(r.end % 16 == 0);
        next = r.end;
      }
      CHECK(next == count);
    }
}

TEST_CASE("dense layers repeat their bits on each thread count and agree across counts") {
  Rng rng(5);
  for (bool batched : {false, true})
    for (bool shared_x : {true, false}) {
      if (!batched && !shared_x) continue;
      kernels::DenseShape s;
      s.M = batched ? 8 : 1;
      s.n = 512, s.in = 64, s.out = 200, s.batched = batched, s.shared_x = shared_x;
      const int64_t xs = shared_x ? s.n * s.in : s.M * s.n * s.in, ys = s.M * s.n * s.out;
      const std::vector<float> x = rng.uniform_vector<float>(xs, -1, 1), W = rng.uniform_vector<float>(s.M * s.in * s.out, -1, 1),
                               b = rng.uniform_vector<float>(s.M * s.out, -1, 1), dy = rng.uniform_vector<float>(ys, -1, 1);
      INFO((batched ? "batched" : "single") << (shared_x ? ", shared x" : ""));
      std::vector<float> pre(ys), y(ys), dpre(ys), dx(xs), dW(W.size()), db(b.size());
      require_repeatable_and_close_on_threads([&] {
        for (auto* v : {&dpre, &dx, &dW, &db}) std::fill(v->begin(), v->end(), 0.f);
        kernels::dense_forward(cpu_where, math::Unary::silu, s, x.data(), W.data(), b.data(), pre.data(), y.data());
        kernels::dense_backward(cpu_where, math::Unary::silu, s, x.data(), W.data(), pre.data(), y.data(), dy.data(),
                                dpre.data(), dx.data(), dW.data(), db.data());
        std::vector<float> out = y;
        for (const auto* v : {&pre, &dpre, &dx, &dW, &db}) out.insert(out.end(), v->begin(), v->end());
        return out;
      }, 1e-5f);
    }
}

TEST_CASE("row copies, tiles and optimiser steps give the same bits on any thread count") {
  Rng rng(6);
  const int64_t rows = 2048, d = 40, times = 8;
  const std::vector<float> x = rng.uniform_vector<float>(rows * d, -1, 1), dy = rng.uniform_vector<float>(times * rows * d, -1, 1);
  std::vector<int32_t> index(rows);
  for (int64_t i = 0; i < rows; ++i) index[size_t(i)] = int32_t((i * 7919) % rows);
  std::vector<float> gathered(rows * d), tiled(times * rows * d), dx(rows * d);
  require_same_bits_on_threads([&] {
    std::fill(gathered.begin(), gathered.end(), 1.f);
    std::fill(dx.begin(), dx.end(), 0.5f);
    kernels::gather_rows(cpu_where, x.data(), index.data(), gathered.data(), rows, d, /*accumulate=*/true);
    kernels::tile(cpu_where, x.data(), tiled.data(), rows * d, times);
    kernels::tile_backward(cpu_where, dy.data(), dx.data(), rows * d, times);
    std::vector<float> out = gathered;
    out.insert(out.end(), tiled.begin(), tiled.end());
    out.insert(out.end(), dx.begin(), dx.end());
    return out;
  });
  const int64_t n = 300000;
  const std::vector<float> g = rng.uniform_vector<float>(n, -1, 1), p0 = rng.uniform_vector<float>(n, -1, 1);
  std::vector<float> p(n), m(n), v(n), target(n);
  require_same_bits_on_threads([&] {
    p = p0;
    std::fill(m.begin(), m.end(), 0.1f);
    std::fill(v.begin(), v.end(), 0.2f);
    std::fill(target.begin(), target.end(), 0.f);
    kernels::adam_update<float>(cpu_where, p.data(), g.data(), m.data(), v.data(), n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f,
                                0.001f, 0.01f);
    kernels::polyak_update<float>(cpu_where, target.data(), p.data(), n, 0.005f);
    std::vector<float> out = p;
    for (const auto* vec : {&m, &v, &target}) out.insert(out.end(), vec->begin(), vec->end());
    return out;
  });
}

TEST_CASE("WorkerPool runs every part of every job exactly once") {
  for (int workers : {0, 1, 3}) {
    cpu::WorkerPool pool(workers);
    std::vector<std::atomic<int>> runs(64);
    struct Job {
      std::vector<std::atomic<int>>* runs;
      int nested_inline = 0;
    } job{&runs};
    // Many short jobs back to back: a worker waking late must not run a part twice or run
    // a finished job's function.
    for (int rep = 0; rep < 20000; ++rep) {
      const int parts = 1 + rep % 64;
      for (auto& r : runs) r.store(0);
      pool.run(parts, [](void* ctx, int p) { (*static_cast<Job*>(ctx)->runs)[size_t(p)].fetch_add(1); }, &job);
      for (int p = 0; p < 64; ++p) {
        const int expected = p < parts ? 1 : 0;
        if (runs[size_t(p)].load() != expected) FAIL("job " << rep << " part " << p << " ran " << runs[size_t(p)].load());
      }
    }
    // A split inside a part runs inline on that thread.
    pool.run(4, [](void* ctx, int) {
      if (cpu::WorkerPool::in_part()) static_cast<Job*>(ctx)->runs->at(0).fetch_add(1);
    }, &job);
    INFO(workers << " workers");
    CHECK(runs[0].load() == 1 + 4 * (workers > 0));
  }
}

TEST_CASE("Rng's normals and the tape's gradient zeroing are the same on any thread count") {
  // The stream is Philox pairs, normal 2j and 2j+1 from counter + j: checked against that
  // loop written out here, at an odd length (the last pair's second normal unused).
  const int64_t n = 40001;
  std::vector<float> expected(n);
  for (int64_t j = 0; 2 * j < n; ++j) {
    double z0, z1;
    philox::normal_pair(philox::generate(uint64_t(100 + j), 1, 9), &z0, &z1);
    expected[size_t(2 * j)] = float(z0);
    if (2 * j + 1 < n) expected[size_t(2 * j + 1)] = float(z1);
  }
  for (int threads : {1, 2, 3}) {
    cpu::set_threads(threads);
    Rng rng(9, 100);
    std::vector<float> z(n);
    rng.fill_normal(z.data(), n);
    INFO(threads << " threads");
    CHECK(z == expected);
    CHECK(rng.counter() == uint64_t(100 + (n + 1) / 2));
    // Arrays of uneven sizes zeroed across the parts, nothing outside them touched.
    std::vector<float> a(70000, 1.f), b(3, 1.f), c(50000, 1.f), guard(2, 7.f);
    float* ptrs[] = {a.data(), b.data(), c.data() + 1};
    const int64_t counts[] = {70000, 3, 49998};
    kernels::host_zero(ptrs, counts, 3);
    CHECK(std::count(a.begin(), a.end(), 0.f) == 70000);
    CHECK(std::count(b.begin(), b.end(), 0.f) == 3);
    CHECK(c.front() == 1.f);
    CHECK(c.back() == 1.f);
    CHECK(std::count(c.begin(), c.end(), 0.f) == 49998);
  }
  cpu::set_threads(1);
}
