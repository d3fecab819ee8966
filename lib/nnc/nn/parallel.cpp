#include "nnc/nn/parallel.hpp"

#include <omp.h>
#include <xmmintrin.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace nnc {

void set_threads(int threads) {
  omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs());
  // Flush denormals to zero (FTZ, DAZ) on every thread: on x86 an operation on a denormal
  // float takes a microcode assist, 100x a normal one. The threads of later parallel regions
  // are these or inherit their floating-point environment.
#pragma omp parallel
  _mm_setcsr(_mm_getcsr() | 0x8040);
}

int max_threads() { return omp_get_max_threads(); }

void keep_freed_memory() {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

}  // namespace nnc
