// Deterministic parallelism: work is cut into chunks whose size does not depend on the
// thread count, each chunk's result is computed the same way by whichever thread runs it,
// and results are combined in chunk order. So `--threads` never changes a number.
#pragma once
#include <algorithm>
#include <cstddef>

namespace nnc {

// Samples per chunk in the layers' batch loops: fixed, never derived from the thread count.
inline constexpr int kSampleChunk = 16;

inline int num_chunks(int n, int chunk) { return (n + chunk - 1) / chunk; }

// Calls fn(chunk_index, begin, end) for each chunk of [0, n), in parallel.
template <class Fn>
void parallel_chunks(int n, int chunk, Fn&& fn) {
  const int chunks = num_chunks(n, chunk);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int k = 0; k < chunks; ++k) {
    fn(k, k * chunk, std::min(n, (k + 1) * chunk));
  }
}

// Calls fn(i) for each i in [0, n), in parallel; fn must only write what belongs to i.
template <class Fn>
void parallel_for(int n, Fn&& fn) {
#pragma omp parallel for schedule(static) if (n > 1)
  for (int i = 0; i < n; ++i) fn(i);
}

void set_threads(int threads);  // 0: the machine's cores
int max_threads();

// Has malloc keep freed memory for the next allocation: the conv layers free their Winograd
// buffers after every pass so that the next layer reuses the memory (nn/layers.cpp), and
// glibc's default returns such blocks to the system and faults fresh pages in each time
// (VGG-16's training ran at 107 images/s instead of 154, two threads). Allocations below 32
// MB then come from the heap, which is never trimmed. Called once by every tool (cli/tool.cpp)
// and nnc-bench; nothing with another C library.
void keep_freed_memory();

}  // namespace nnc
