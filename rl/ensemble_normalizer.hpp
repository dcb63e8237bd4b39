// Per-member input/output normalisation of the dynamics ensemble: each member has its
// own mean and std, fitted on the rows it trains on (its bootstrap sample).
//
// The tables are host vectors (fit, checkpoints and tests write them directly). A cuda
// tape reads them from a cached device copy instead of uploading them per call: every
// use compares the host tables with the copy last uploaded and re-uploads on any
// difference, so a fit, a checkpoint load or a direct write can never leave stale values
// on the device, and nobody has to remember to bump a version. The device copy keeps its
// address for the normaliser's lifetime (assignment copies the tables, not the cache), so
// a captured CUDA graph that reads it stays valid; its owner calls sync_device() before
// each replay (a graph cannot compare host tables).
#pragma once
#include <cstdint>
#include <vector>

#include "autodiff/tape.hpp"

namespace maac::rl {

template <class T>
struct EnsembleNormalizer {
  int64_t members = 0;
  int64_t dim = 0;
  std::vector<T> mean;  // [M, dim]
  std::vector<T> std;   // [M, dim]; 1 where the data is (nearly) constant

  EnsembleNormalizer() = default;
  EnsembleNormalizer(int64_t members, int64_t dim);

  // Fits member m on rows `rows` of data [N, dim].
  void fit(int64_t member, const T* data, int64_t n_data, const std::vector<int32_t>& rows);

  // Constants [M, 1, dim] for all-members evaluation (from the device copy on cuda).
  Var<T> mean_all(Tape<T>& tape) const;
  Var<T> std_all(Tape<T>& tape) const;
  Var<T> inv_std_all(Tape<T>& tape) const;
  // Constants [n, dim]: row i holds the statistics of member_of_row[i] (host ids: built
  // and uploaded per call, for routed evaluation).
  Var<T> mean_rows(Tape<T>& tape, const std::vector<int32_t>& member_of_row) const;
  Var<T> std_rows(Tape<T>& tape, const std::vector<int32_t>& member_of_row) const;
  Var<T> inv_std_rows(Tape<T>& tape, const std::vector<int32_t>& member_of_row) const;
  // The same from n ids in the tape's device memory (see select_members): no host data.
  Var<T> mean_selected(Tape<T>& tape, const int32_t* member, int64_t n) const;
  Var<T> std_selected(Tape<T>& tape, const int32_t* member, int64_t n) const;

  // Uploads the tables when they differ from the device copy (creating it on first use),
  // synchronising the whole device around the copy, so no tape's stream can be reading
  // the old values meanwhile (uploads are rare: after fits and loads). Returns whether it
  // uploaded. A stale copy during a graph capture therefore fails the capture loudly.
  bool sync_device() const;
  // Whether the host tables differ from the device copy (true before the first upload).
  bool device_stale() const;

  // The device copy: not copied with the normaliser, so its address never changes.
  struct DeviceCache {
    std::vector<T> mean, std;       // the host tables as last uploaded
    Buffer<T> d_mean, d_std, d_inv_std;  // [M, 1, dim] on cuda
    DeviceCache() = default;
    DeviceCache(const DeviceCache&) {}
    DeviceCache& operator=(const DeviceCache&) { return *this; }
  };

 private:
  Var<T> table_all(Tape<T>& tape, int which) const;
  mutable DeviceCache cache_;
};

extern template struct EnsembleNormalizer<float>;
extern template struct EnsembleNormalizer<double>;

}  // namespace maac::rl
