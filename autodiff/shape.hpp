// Tensor shapes: rank 1 to 3, row-major. Ensembles use [M, rows, cols].
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace maac {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) {
    if (dims.size() < 1 || dims.size() > 3)
      throw std::invalid_argument("Shape: rank " + std::to_string(dims.size()) + ", expected 1 to 3");
    for (int64_t d : dims) {
      if (d < 0) throw std::invalid_argument("Shape: negative dimension " + std::to_string(d));
      dims_[rank_++] = d;
    }
  }
  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_.at(i); }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[i];
    return rank_ ? n : 0;
  }
  // The last two dimensions; a rank-1 shape is one row.
  int64_t rows() const { return rank_ >= 2 ? dims_[rank_ - 2] : 1; }
  int64_t cols() const { return rank_ ? dims_[rank_ - 1] : 0; }
  // Leading (ensemble) dimension of a rank-3 shape, 1 otherwise.
  int64_t batch() const { return rank_ == 3 ? dims_[0] : 1; }
  bool operator==(const Shape& o) const {
    if (rank_ != o.rank_) return false;
    for (int i = 0; i < rank_; ++i) if (dims_[i] != o.dims_[i]) return false;
    return true;
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const {
    std::string s = "[";
    for (int i = 0; i < rank_; ++i) s += (i ? ", " : "") + std::to_string(dims_[i]);
    return s + "]";
  }

 private:
  std::array<int64_t, 3> dims_{};
  int rank_ = 0;
};

}  // namespace maac
