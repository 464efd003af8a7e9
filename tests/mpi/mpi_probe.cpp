// Runs one scenario of the MPI layer (mpi/world.h) under mpirun; tests/mpi/mpi_test.sh starts it
// and checks what rank 0 prints and the job's exit status. Each scenario checks its own result
// at rank 0 and exits non-zero when it is wrong.
//
//   identity NODES     every rank's identity at rank 0; NODES is the expected node of each rank
//                      ("0,0,1,1"), and the local ranks and node count must follow from it
//   gather             strings of different sizes (up to 3 MB) from every rank, checked byte by byte
//   broadcast          rank 0's plan on every rank
//   timeout R          rank R hangs: rank 0's gather names it missing after 2 s; then the abort
//                      path (its hook, then MPI_Abort with code 7)
//   dead R             rank R exits without MPI_Finalize: rank 0's gather names it missing
//   barrier R          rank R hangs: the others' barrier fails after 1 s

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "rigcheck/mpi/world.h"

using rigcheck::mpi::World;

namespace {

std::vector<int> numbers(const std::string& csv) {
  std::vector<int> out;
  std::stringstream s(csv);
  for (std::string item; std::getline(s, item, ',');) out.push_back(std::stoi(item));
  return out;
}

std::string payload(int rank) {
  std::string s(static_cast<size_t>(rank) * 1000003 % 3000000 + 17, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>('a' + (i * 7 + static_cast<size_t>(rank)) % 26);
  return s;
}

void hang() {
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

int fail(const std::string& why) {
  std::cout << "FAIL: " << why << std::endl;
  return 1;
}

std::string missing_text(const std::vector<int>& missing) {
  std::string s;
  for (int r : missing) s += (s.empty() ? "" : ",") + std::to_string(r);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::string scenario = argv[1];
  const int arg = argc > 2 && scenario != "identity" ? std::stoi(argv[2]) : -1;
  try {
    World world(&argc, &argv);
    const auto& id = world.identity();
    if (scenario == "identity") {
      const std::string mine = std::to_string(id.rank) + " " + std::to_string(id.node_index) + " " + std::to_string(id.node_count) + " " +
                               std::to_string(id.local_rank) + " " + std::to_string(id.local_size) + " " + id.hostname;
      const auto g = world.gather(mine, 30);
      if (id.rank != 0) return g.delivered ? 0 : 1;
      const std::vector<int> want = numbers(argv[2]);
      if (static_cast<int>(want.size()) != id.size) return fail("expected nodes for " + std::to_string(want.size()) + " ranks");
      if (id.node_of_rank != want) return fail("node_of_rank differs");
      int nodes = 0;
      for (int n : want) nodes = std::max(nodes, n + 1);
      for (int r = 0; r < id.size; ++r) {
        std::istringstream in(*g.by_rank[r]);
        int rank, node, count, local, local_size;
        std::string host;
        in >> rank >> node >> count >> local >> local_size >> host;
        int expect_local = 0, expect_size = 0;
        for (int q = 0; q < id.size; ++q)
          if (want[q] == want[r]) (q < r ? ++expect_local : 0), ++expect_size;
        if (rank != r || node != want[r] || count != nodes || local != expect_local || local_size != expect_size || host.empty())
          return fail("rank " + std::to_string(r) + " says: " + *g.by_rank[r]);
        std::cout << "rank " << rank << ": node " << node << "/" << count << ", local rank " << local << "/" << local_size
                  << (id.faked_node ? " (faked)" : "") << std::endl;
      }
      std::cout << "identity ok" << std::endl;
      return 0;
    }
    if (scenario == "gather") {
      const auto g = world.gather(payload(id.rank), 30);
      if (id.rank != 0) return g.delivered ? 0 : 1;
      if (!g.missing.empty()) return fail("missing " + missing_text(g.missing));
      for (int r = 0; r < id.size; ++r)
        if (!g.by_rank[r] || *g.by_rank[r] != payload(r)) return fail("rank " + std::to_string(r) + "'s bytes differ");
      std::cout << "gather ok: " << id.size << " ranks" << std::endl;
      return 0;
    }
    if (scenario == "broadcast") {
      const auto b = world.broadcast(id.rank == 0 ? std::string("{\"stem\":\"plan-from-rank-0\"}") : std::string("wrong"), 30);
      if (!b || *b != "{\"stem\":\"plan-from-rank-0\"}") return fail("rank " + std::to_string(id.rank) + " got another plan");
      const auto g = world.gather(*b, 30);
      if (id.rank == 0) std::cout << "broadcast ok: " << id.size - g.missing.size() << " ranks have the plan" << std::endl;
      return 0;
    }
    if (scenario == "timeout" || scenario == "dead") {
      if (id.rank == arg) {
        if (scenario == "dead") _exit(1);
        hang();
      }
      const auto started = std::chrono::steady_clock::now();
      const auto g = world.gather("here", 2);
      if (id.rank != 0) {
        hang();  // as a rank stuck elsewhere would: only the abort ends it
      }
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::cout << "missing: " << missing_text(g.missing) << " after " << (waited < 10 ? "the deadline" : "too long") << std::endl;
      for (int r = 0; r < id.size; ++r)
        if ((r == arg) == static_cast<bool>(g.by_rank[r])) return fail("rank " + std::to_string(r) + " answered wrongly");
      world.on_abort([] { std::cout << "abort hook ran" << std::endl; });
      const int dropped = world.on_abort([] { std::cout << "dropped hook ran" << std::endl; });
      world.drop_abort_hook(dropped);
      world.abort(7);
    }
    if (scenario == "barrier") {
      if (id.rank == arg) hang();
      const bool together = world.barrier(1);
      std::cout << "rank " << id.rank << " barrier " << (together ? "passed" : "timed out") << std::endl;
      if (id.rank == 0) world.abort(together ? 1 : 5);
      hang();
    }
    return fail("unknown scenario " + scenario);
  } catch (const rigcheck::mpi::MpiError& e) {
    std::cout << "MpiError: " << e.what() << std::endl;
    return 3;
  }
}
