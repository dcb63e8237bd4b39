// GPU discovery. Plain C++ header: callable from g++ translation units.
#pragma once
#include <string>

namespace maac::cuda {

// Number of usable GPUs; 0 when there is no GPU or no driver (any error counts as none).
int device_count();
// Why device_count() is 0, for messages: the CUDA error and the runtime and driver
// versions (a driver older than the runtime looks like "no GPU"); "" when there is one.
std::string device_unavailable_reason();
// Name and memory of device 0, for reports; throws when there is no GPU.
std::string device_description();

}  // namespace maac::cuda
