// GPU discovery. Plain C++ header: callable from g++ translation units.
#pragma once
#include <string>

namespace maac::cuda {

// Number of usable GPUs; 0 when there is no GPU or no driver (any error counts as none).
int device_count();
// Name and memory of device 0, for reports; throws when there is no GPU.
std::string device_description();

}  // namespace maac::cuda
