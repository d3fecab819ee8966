// Ranks of a run started by an MPI launcher (mpirun, srun), and the few collective operations
// nnc needs: data-parallel training sums gradients, a Monte Carlo gathers its chips
// (docs/design.md section 13). Built without MPI, or started without a launcher, a run is
// rank 0 of 1 and every operation is the identity; MPI is then never initialised.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace nnc::dist {

// Initialises MPI if this process was started by an MPI launcher (its environment names a
// rank: OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_RANK) and the build has MPI; else does nothing.
// Returns a warning to log when a launcher started a build without MPI ("" otherwise).
std::string start(int& argc, char**& argv);
// Ends MPI (if started). An error on one rank would leave the others waiting in a collective:
// abort(code) ends every rank with `code`.
void finish();
[[noreturn]] void abort(int code);

int rank();  // 0 without MPI
int size();  // 1 without MPI
inline bool root() { return rank() == 0; }
bool have_mpi();  // whether this build can run on several ranks

// This rank's contiguous share [begin, end) of n items: rank r gets [n r / R, n (r + 1) / R).
struct Share {
  std::size_t begin = 0, end = 0;
  std::size_t size() const { return end - begin; }
};
Share share(std::size_t n);
Share share(std::size_t n, int rank, int ranks);  // the same for any rank of any count

// Element-wise sum over ranks, the result on every rank. Each element is added in rank order
// (rank 0's + rank 1's + ...), so the result does not depend on how MPI schedules messages:
// the same inputs give the same bits on every run. Costs what a ring allreduce does: each rank
// sends and receives 2 (R - 1) / R of the vector.
void sum(std::vector<float>& v);
void sum(std::vector<double>& v);
// True on every rank if `flag` is true on any.
bool any(bool flag);
// Every rank's vector, concatenated in rank order (the lengths may differ), on every rank.
std::vector<double> gather(const std::vector<double>& mine);

}  // namespace nnc::dist
