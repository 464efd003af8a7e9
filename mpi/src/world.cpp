#include "rigcheck/mpi/world.h"

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <thread>

#include "rigcheck/mpi/node_override.h"

namespace rigcheck::mpi {

namespace {

using Clock = std::chrono::steady_clock;

std::string error_text(int code) {
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<size_t>(length));
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw MpiError(std::string(what) + " failed: " + error_text(rc));
}

Clock::time_point deadline_after(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Between two rounds of MPI_Test: short enough not to delay a run, long enough not to take a
// core from the local tests of the node.
void pause() { std::this_thread::sleep_for(std::chrono::milliseconds(2)); }

bool raised(const std::atomic<bool>* stop) { return stop && stop->load(); }

// Polls `requests` until all are complete; false at the deadline or when `stop` is raised.
bool wait_all(std::vector<MPI_Request>& requests, Clock::time_point deadline, const std::atomic<bool>* stop, const char* what) {
  for (;;) {
    int done = 0;
    check(MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done, MPI_STATUSES_IGNORE), what);
    if (done) return true;
    if (Clock::now() >= deadline || raised(stop)) return false;
    pause();
  }
}

// Gathers of one run use their own tags, so a late answer to one is never taken for another's.
constexpr int kGatherTagBase = 4100;

}  // namespace

struct Outgoing {
  uint64_t length = 0;
  std::string data;
};

struct World::State {
  Identity id;
  std::vector<std::unique_ptr<Outgoing>> unsent;
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm leaders = MPI_COMM_NULL;
  bool aborted = false;
  int gathers = 0;
  int next_hook = 0;
  std::map<int, std::function<void()>> hooks;
};

World::World(int* argc, char*** argv) : s_(std::make_unique<State>()) {
  int provided = 0;
  // Until MPI is initialised its error handler cannot be set: MPI_Init's failure aborts by itself.
  check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  Identity& id = s_->id;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &id.rank), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &id.size), "MPI_Comm_size");

  // A malformed override on any rank stops every rank the same way (one with a bad per-rank
  // variable would otherwise leave the others waiting in the split), after an orderly
  // MPI_Finalize, so that the launcher reports the sentence rather than a crash.
  const NodeOverride fake = fake_node(id.rank, [](const char* name) { return std::getenv(name); });
  int bad = fake.error.empty() ? 0 : 1, any_bad = 0;
  check(MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce (node override)");
  if (any_bad) {
    MPI_Finalize();
    s_->aborted = true;
    throw MpiError(bad ? fake.error : "another rank's RIGCHECK_FAKE_NODE or RIGCHECK_FAKE_NODE_SIZE is malformed (it says which)");
  }
  if (fake.node) {
    check(MPI_Comm_split(MPI_COMM_WORLD, *fake.node, id.rank, &s_->node), "MPI_Comm_split (RIGCHECK_FAKE_NODE)");
    id.faked_node = true;
  } else {
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, id.rank, MPI_INFO_NULL, &s_->node),
          "MPI_Comm_split_type (MPI_COMM_TYPE_SHARED)");
  }
  check(MPI_Comm_set_errhandler(s_->node, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  check(MPI_Comm_rank(s_->node, &id.local_rank), "MPI_Comm_rank (node)");
  check(MPI_Comm_size(s_->node, &id.local_size), "MPI_Comm_size (node)");

  // The node leaders, in world-rank order: a node's index is its leader's rank among them.
  check(MPI_Comm_split(MPI_COMM_WORLD, id.leader() ? 0 : MPI_UNDEFINED, id.rank, &s_->leaders), "MPI_Comm_split (leaders)");
  int numbers[2] = {0, 0};
  if (id.leader()) {
    check(MPI_Comm_set_errhandler(s_->leaders, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check(MPI_Comm_rank(s_->leaders, &numbers[0]), "MPI_Comm_rank (leaders)");
    check(MPI_Comm_size(s_->leaders, &numbers[1]), "MPI_Comm_size (leaders)");
  }
  // Start-up collectives block: every rank has just come out of MPI_Init, so all are there.
  check(MPI_Bcast(numbers, 2, MPI_INT, 0, s_->node), "MPI_Bcast (node index)");
  id.node_index = numbers[0];
  id.node_count = numbers[1];
  id.node_of_rank.assign(static_cast<size_t>(id.size), 0);
  check(MPI_Allgather(&id.node_index, 1, MPI_INT, id.node_of_rank.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather (nodes)");

  char host[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  check(MPI_Get_processor_name(host, &length), "MPI_Get_processor_name");
  id.hostname.assign(host, static_cast<size_t>(length));
}

World::~World() {
  if (s_->aborted) return;
  // Left by an exception: the other ranks may be waiting for this one, and MPI_Finalize would
  // wait for them. Ending the job is the only way out that cannot hang.
  if (std::uncaught_exceptions() > 0) abort(1);
  // Errors at the end are not worth an exception out of a destructor: the results are written.
  if (s_->leaders != MPI_COMM_NULL) MPI_Comm_free(&s_->leaders);
  if (s_->node != MPI_COMM_NULL) MPI_Comm_free(&s_->node);
  MPI_Finalize();
}

const Identity& World::identity() const { return s_->id; }

std::string World::library_version() const {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  check(MPI_Get_library_version(text, &length), "MPI_Get_library_version");
  std::string v(text, static_cast<size_t>(length));
  return v.substr(0, v.find_first_of("\n,"));
}

std::optional<std::string> World::broadcast(const std::string& text, double timeout_s) {
  const auto deadline = deadline_after(timeout_s);
  uint64_t length = s_->id.rank == 0 ? text.size() : 0;
  std::vector<MPI_Request> r(1);
  check(MPI_Ibcast(&length, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &r[0]), "MPI_Ibcast");
  if (!wait_all(r, deadline, nullptr, "MPI_Test (broadcast)")) return std::nullopt;
  if (length > static_cast<uint64_t>(INT32_MAX)) throw MpiError("the broadcast of " + std::to_string(length) + " bytes is larger than MPI can send at once");
  std::string out = s_->id.rank == 0 ? text : std::string(length, '\0');
  check(MPI_Ibcast(out.data(), static_cast<int>(length), MPI_CHAR, 0, MPI_COMM_WORLD, &r[0]), "MPI_Ibcast");
  if (!wait_all(r, deadline, nullptr, "MPI_Test (broadcast)")) return std::nullopt;
  return out;
}

Gathered World::gather(const std::string& mine, double timeout_s, const std::atomic<bool>* stop) {
  const auto deadline = deadline_after(timeout_s);
  const int length_tag = kGatherTagBase + 2 * s_->gathers, data_tag = length_tag + 1;
  ++s_->gathers;
  if (mine.size() > static_cast<size_t>(INT32_MAX)) throw MpiError("a gathered message of " + std::to_string(mine.size()) + " bytes is larger than MPI can send at once");
  Gathered g;
  const Identity& id = s_->id;
  if (id.rank != 0) {
    // The buffers live in the world: a send that rank 0 never takes stays posted until the job
    // ends (by rank 0's abort or this rank's), and MPI may read them until then.
    auto& out = s_->unsent.emplace_back(std::make_unique<Outgoing>());
    out->length = mine.size();
    out->data = mine;
    std::vector<MPI_Request> r(2);
    check(MPI_Isend(&out->length, 1, MPI_UINT64_T, 0, length_tag, MPI_COMM_WORLD, &r[0]), "MPI_Isend");
    check(MPI_Isend(out->data.data(), static_cast<int>(out->data.size()), MPI_CHAR, 0, data_tag, MPI_COMM_WORLD, &r[1]), "MPI_Isend");
    g.delivered = wait_all(r, deadline, stop, "MPI_Test (gather)");
    g.stopped = !g.delivered && raised(stop);
    if (g.delivered) s_->unsent.pop_back();
    return g;
  }
  g.by_rank.assign(static_cast<size_t>(id.size), std::nullopt);
  g.by_rank[0] = mine;
  // Per rank: its length first, then a receive of exactly that many bytes.
  struct Pending {
    uint64_t length = 0;
    std::string data;
    MPI_Request request = MPI_REQUEST_NULL;
    bool have_length = false;
    bool done = false;
  };
  std::vector<Pending> p(static_cast<size_t>(id.size));
  for (int r = 1; r < id.size; ++r)
    check(MPI_Irecv(&p[r].length, 1, MPI_UINT64_T, r, length_tag, MPI_COMM_WORLD, &p[r].request), "MPI_Irecv");
  int open = id.size - 1;
  while (open > 0) {
    for (int r = 1; r < id.size; ++r) {
      Pending& q = p[r];
      if (q.done) continue;
      int flag = 0;
      check(MPI_Test(&q.request, &flag, MPI_STATUS_IGNORE), "MPI_Test (gather)");
      if (!flag) continue;
      if (!q.have_length) {
        if (q.length > static_cast<uint64_t>(INT32_MAX)) throw MpiError("rank " + std::to_string(r) + " announced " + std::to_string(q.length) + " bytes, more than MPI can send at once");
        q.have_length = true;
        q.data.assign(q.length, '\0');
        check(MPI_Irecv(q.data.data(), static_cast<int>(q.length), MPI_CHAR, r, data_tag, MPI_COMM_WORLD, &q.request), "MPI_Irecv");
      } else {
        q.done = true;
        g.by_rank[r] = std::move(q.data);
        --open;
      }
    }
    if (open == 0) break;
    if (Clock::now() >= deadline || raised(stop)) break;
    pause();
  }
  g.stopped = open > 0 && raised(stop);
  for (int r = 1; r < id.size; ++r)
    if (!p[r].done) {
      g.missing.push_back(r);
      // The receive is cancelled so that its buffer can go: MPI_Wait on a receive marked for
      // cancellation returns whatever the other rank does (MPI 4.0, 3.8.4).
      if (MPI_Cancel(&p[r].request) == MPI_SUCCESS) MPI_Wait(&p[r].request, MPI_STATUS_IGNORE);
    }
  return g;
}

bool World::barrier(double timeout_s, const std::atomic<bool>* stop) {
  std::vector<MPI_Request> r(1);
  check(MPI_Ibarrier(MPI_COMM_WORLD, &r[0]), "MPI_Ibarrier");
  return wait_all(r, deadline_after(timeout_s), stop, "MPI_Test (barrier)");
}

int World::on_abort(std::function<void()> hook) {
  s_->hooks.emplace(s_->next_hook, std::move(hook));
  return s_->next_hook++;
}

void World::drop_abort_hook(int id) { s_->hooks.erase(id); }

void World::abort(int code) {
  // MPI_Abort kills the job without running destructors: what this rank has said must reach
  // mpirun first.
  std::cout.flush();
  std::cerr.flush();
  for (auto& [id, hook] : s_->hooks) {
    try {
      hook();
    } catch (...) {
      // Aborting: a hook that fails must not keep the job alive.
    }
  }
  s_->aborted = true;
  std::cout.flush();  // and what the hooks said
  std::cerr.flush();
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; if it did, this rank still ends
}

}  // namespace rigcheck::mpi
