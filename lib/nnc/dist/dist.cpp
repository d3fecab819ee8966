#include "nnc/dist/dist.hpp"

#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#ifdef NNC_MPI
#define OMPI_SKIP_MPICXX 1  // MPI's C interface only, without its deprecated C++ bindings
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace nnc::dist {

namespace {
int g_rank = 0, g_size = 1;
bool g_started = false;

// The variable an MPI launcher sets in each process it starts, if any.
const char* launcher_variable() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
    if (std::getenv(name) != nullptr) return name;
  }
  return nullptr;
}
}  // namespace

int rank() { return g_rank; }
int size() { return g_size; }

Share share(std::size_t n, int rank, int ranks) {
  const auto r = static_cast<std::size_t>(rank), R = static_cast<std::size_t>(ranks);
  return {n * r / R, n * (r + 1) / R};
}
Share share(std::size_t n) { return share(n, g_rank, g_size); }

#ifdef NNC_MPI

namespace {
void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI: ") + what + " failed");
}

template <class T>
MPI_Datatype type_of();
template <>
MPI_Datatype type_of<float>() { return MPI_FLOAT; }
template <>
MPI_Datatype type_of<double>() { return MPI_DOUBLE; }

// Reduce-scatter then all-gather, by hand: rank k owns slice k of the vector, receives every
// rank's slice k, adds them in rank order, and sends the sum back to all.
template <class T>
void sum_in_rank_order(std::vector<T>& v) {
  if (g_size == 1 || v.empty()) return;
  const std::size_t n = v.size(), R = static_cast<std::size_t>(g_size);
  if (n > static_cast<std::size_t>(INT32_MAX)) throw std::runtime_error("MPI: vector too long to sum");
  std::vector<int> counts(R), offsets(R);
  for (std::size_t k = 0; k < R; ++k) {
    offsets[k] = static_cast<int>(n * k / R);
    counts[k] = static_cast<int>(n * (k + 1) / R) - offsets[k];
  }
  const int mine = counts[static_cast<std::size_t>(g_rank)];
  std::vector<int> recv_counts(R, mine), recv_offsets(R);
  for (std::size_t k = 0; k < R; ++k) recv_offsets[k] = static_cast<int>(k) * mine;
  std::vector<T> slices(R * static_cast<std::size_t>(mine));
  check(MPI_Alltoallv(v.data(), counts.data(), offsets.data(), type_of<T>(), slices.data(), recv_counts.data(),
                      recv_offsets.data(), type_of<T>(), MPI_COMM_WORLD),
        "Alltoallv");
  std::vector<T> total(slices.begin(), slices.begin() + mine);
  for (std::size_t k = 1; k < R; ++k) {
    const T* s = slices.data() + k * static_cast<std::size_t>(mine);
    for (int i = 0; i < mine; ++i) total[static_cast<std::size_t>(i)] += s[i];
  }
  check(MPI_Allgatherv(total.data(), mine, type_of<T>(), v.data(), counts.data(), offsets.data(), type_of<T>(),
                       MPI_COMM_WORLD),
        "Allgatherv");
}
}  // namespace

std::string start(int& argc, char**& argv) {
  if (g_started || launcher_variable() == nullptr) return {};
  int provided = 0;
  // OpenMP threads compute; only the main thread calls MPI.
  check(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "Init");
  g_started = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  return {};
}

void finish() {
  if (!g_started) return;
  g_started = false;
  MPI_Finalize();
}

void abort(int code) {
  if (g_started && g_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

bool have_mpi() { return true; }

void sum(std::vector<float>& v) { sum_in_rank_order(v); }
void sum(std::vector<double>& v) { sum_in_rank_order(v); }

bool any(bool flag) {
  if (g_size == 1) return flag;
  int in = flag ? 1 : 0, out = 0;
  check(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "Allreduce");
  return out != 0;
}

std::vector<double> gather(const std::vector<double>& mine) {
  if (g_size == 1) return mine;
  const auto R = static_cast<std::size_t>(g_size);
  int n = static_cast<int>(mine.size());
  std::vector<int> counts(R), offsets(R);
  check(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "Allgather");
  std::size_t total = 0;
  for (std::size_t k = 0; k < R; ++k) {
    offsets[k] = static_cast<int>(total);
    total += static_cast<std::size_t>(counts[k]);
  }
  std::vector<double> all(total);
  check(MPI_Allgatherv(mine.data(), n, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE,
                       MPI_COMM_WORLD),
        "Allgatherv");
  return all;
}

#else  // built without MPI: one rank, every collective the identity

std::string start(int&, char**&) {
  const char* var = launcher_variable();
  if (var == nullptr || g_started) return {};
  g_started = true;
  return std::string("started by an MPI launcher (") + var +
         " is set) but built without MPI: every process runs the whole job alone";
}
void finish() {}
void abort(int code) { std::exit(code); }
bool have_mpi() { return false; }
void sum(std::vector<float>&) {}
void sum(std::vector<double>&) {}
bool any(bool flag) { return flag; }
std::vector<double> gather(const std::vector<double>& mine) { return mine; }

#endif

}  // namespace nnc::dist
