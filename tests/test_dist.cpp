// lib/nnc/dist without a launcher (docs/design.md section 13): one rank, every collective the
// identity, MPI never initialised, whether or not the build has MPI. tests/cli/mpi.sh runs the
// tools on 2 ranks.
#include <doctest/doctest.h>

#include <cstdlib>

#include "nnc/dist/dist.hpp"

using namespace nnc;

TEST_CASE("dist: without a launcher, one rank and identities") {
  if (std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK")) {
    MESSAGE("skipped: the test itself runs under an MPI launcher");
    return;
  }
  int argc = 1;
  char name[] = "nnc_tests";
  char* args[] = {name, nullptr};
  char** argv = args;
  CHECK(dist::start(argc, argv).empty());
  CHECK(dist::rank() == 0);
  CHECK(dist::size() == 1);
  CHECK(dist::root());
  const dist::Share s = dist::share(10);
  CHECK(s.begin == 0);
  CHECK(s.end == 10);
  std::vector<float> f{1.5f, -2.0f};
  dist::sum(f);
  CHECK(f == std::vector<float>{1.5f, -2.0f});
  std::vector<double> d{3.0};
  dist::sum(d);
  CHECK(d == std::vector<double>{3.0});
  CHECK(dist::any(true));
  CHECK_FALSE(dist::any(false));
  CHECK(dist::gather({1.0, 2.0}) == std::vector<double>{1.0, 2.0});
  dist::finish();
}

TEST_CASE("dist: shares of a batch are contiguous, cover it, and differ by at most one") {
  for (int ranks : {1, 2, 3, 7, 64}) {
    std::size_t next = 0;
    const std::size_t least = 64 / static_cast<std::size_t>(ranks);
    for (int r = 0; r < ranks; ++r) {
      const dist::Share s = dist::share(64, r, ranks);
      CHECK(s.begin == next);
      CHECK((s.size() == least || s.size() == least + 1));
      next = s.end;
    }
    CHECK(next == 64);
  }
  CHECK(dist::share(64, 1, 3).begin == 21);
  CHECK(dist::share(64, 2, 3).begin == 42);
}
