// dist-bench (issue 21): the time of dist::sum, the rank-order gradient sum of data-parallel
// training, for vectors of given parameter counts; run it under mpirun. Prints one JSON line
// per size from rank 0. e.g.: mpirun -np 2 build/bin/dist-bench 431080 962282 15249354
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "nnc/dist/dist.hpp"

int main(int argc, char** argv) {
  nnc::dist::start(argc, argv);
  for (int a = 1; a < argc; ++a) {
    const auto n = static_cast<std::size_t>(std::strtoull(argv[a], nullptr, 10));
    std::vector<float> v(n, 1.0f);
    nnc::dist::sum(v);  // warm-up: buffers and connections
    const int reps = n > 5000000 ? 5 : 20;
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) nnc::dist::sum(v);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
    if (nnc::dist::root()) {
      std::printf("{\"ranks\": %d, \"params\": %zu, \"bytes\": %zu, \"seconds_per_sum\": %.6f, \"gb_per_s\": %.3f}\n",
                  nnc::dist::size(), n, 4 * n, s, 4.0 * static_cast<double>(n) / s / 1e9);
    }
  }
  nnc::dist::finish();
  return 0;
}
