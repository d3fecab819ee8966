#include "nnc/nn/parallel.hpp"

#include <omp.h>

namespace nnc {

void set_threads(int threads) { omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs()); }

int max_threads() { return omp_get_max_threads(); }

}  // namespace nnc
