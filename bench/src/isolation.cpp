#include "rigcheck/bench/isolation.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace rigcheck::bench {
namespace {

// How long a killed child may take to disappear. A process stuck in the GPU driver's teardown
// can outlive SIGKILL for a long time; the parent does not wait for it forever.
constexpr auto kReapWait = std::chrono::seconds(10);

// Writes all of `data` to `fd`; the child has nothing else to do if it fails.
void write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// In a worker: the write end of its progress pipe (-1: the parent did not ask for progress).
int g_progress_fd = -1;

struct Child {
  pid_t pid = -1;
  int fd = -1;
  int progress_fd = -1;      // read end of the progress pipe (-1: none)
  std::string progress;      // a partial progress line
  std::string received;
  bool closed = false;  // its pipe reached end of file: it finished (or died)
  bool killed = false;
  bool reaped = false;
  int status = 0;
};

Child spawn(const std::function<nlohmann::json()>& work, bool with_progress) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
  int progress[2] = {-1, -1};
  if (with_progress && ::pipe(progress) != 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
  }
  // Nothing held in a stream buffer may be written twice, once by each process.
  std::cout.flush(), std::cerr.flush();
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    if (with_progress) ::close(progress[0]), ::close(progress[1]);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // A worker holds GPUs: it must not outlive a parent that was killed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    ::close(fds[0]);
    if (with_progress) {
      ::close(progress[0]);
      g_progress_fd = progress[1];
    } else {
      g_progress_fd = -1;  // a worker's own workers do not inherit its channel
    }
    std::string out;
    int code = 0;
    try {
      out = nlohmann::json{{"ok", work()}}.dump();
    } catch (const std::exception& e) {
      out = nlohmann::json{{"error", e.what()}}.dump();
      code = 1;
    }
    write_all(fds[1], out);
    ::close(fds[1]);
    std::cout.flush(), std::cerr.flush();  // what the worker said, before _exit skips every buffer
    std::fflush(nullptr);
    ::_exit(code);  // no destructors, no atexit handlers of the parent's state
  }
  ::close(fds[1]);
  Child c;
  c.pid = pid;
  c.fd = fds[0];
  if (with_progress) {
    ::close(progress[1]);
    c.progress_fd = progress[0];
  }
  return c;
}

// Waits for the child to end, at most kReapWait once it was killed. False when it is still there.
bool reap(Child& c) {
  if (c.reaped) return true;
  const auto deadline = std::chrono::steady_clock::now() + kReapWait;
  for (;;) {
    pid_t r = ::waitpid(c.pid, &c.status, c.killed ? WNOHANG : 0);
    if (r == c.pid) return c.reaped = true;
    if (r < 0 && errno != EINTR) return c.reaped = true;  // not our child any more: nothing to wait for
    if (c.killed && std::chrono::steady_clock::now() > deadline) return false;
    if (r == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void kill_child(Child& c) {
  if (c.reaped || c.killed) return;
  ::kill(c.pid, SIGKILL);
  c.killed = true;
}

// A finished child's JSON says whether its work failed; a child that died without one failed.
bool failed(const Child& c) {
  auto j = nlohmann::json::parse(c.received, nullptr, false);
  return j.is_discarded() || !j.is_object() || !j.contains("ok");
}

// Hands every complete progress line read so far to `sink`; false once the pipe is at its end.
bool read_progress(Child& c, const ProgressSink& sink) {
  char buf[4096];
  ssize_t n = ::read(c.progress_fd, buf, sizeof buf);
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) {
    ::close(c.progress_fd);
    c.progress_fd = -1;
    return false;
  }
  c.progress.append(buf, static_cast<size_t>(n));
  for (size_t nl; (nl = c.progress.find('\n')) != std::string::npos;) {
    if (sink) sink(c.progress.substr(0, nl));
    c.progress.erase(0, nl + 1);
  }
  if (c.progress.size() > 4096) c.progress.clear();  // a line that long is not progress
  return true;
}

IsolatedOutcome outcome_of(Child& c, IsolatedOutcome::Kind killed_as, const std::string& killed_why) {
  IsolatedOutcome outcome;
  if (c.progress_fd >= 0) ::close(c.progress_fd), c.progress_fd = -1;
  if (!c.closed) ::close(c.fd);
  const bool gone = reap(c);
  if (c.killed && !c.closed) {
    outcome.kind = killed_as;
    outcome.detail = killed_why;
    if (!gone) outcome.detail += "; it did not exit after SIGKILL (stuck in the GPU driver?)";
    return outcome;
  }
  if (WIFSIGNALED(c.status)) {
    outcome.kind = IsolatedOutcome::Kind::crash;
    outcome.detail = "crashed with signal " + std::to_string(WTERMSIG(c.status)) + " (" + strsignal(WTERMSIG(c.status)) + ")";
    return outcome;
  }
  auto j = nlohmann::json::parse(c.received, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    // A crash handler (ASan's, for one) exits instead of dying by the signal: still a crash.
    outcome.kind = IsolatedOutcome::Kind::crash;
    outcome.detail = "exited with status " + std::to_string(WEXITSTATUS(c.status)) + " without a result";
  } else if (j.contains("error")) {
    outcome.kind = IsolatedOutcome::Kind::error;
    outcome.detail = j.at("error").get<std::string>();
  } else {
    outcome.result = j.at("ok");
  }
  return outcome;
}

std::string seconds_text(double s) {
  return s >= 10 || s == static_cast<int>(s) ? std::to_string(static_cast<int>(s)) : std::to_string(s).substr(0, 4);
}

}  // namespace

void report_progress(const std::string& line) {
  if (g_progress_fd < 0) return;
  std::string l = line;
  for (char& ch : l)
    if (ch == '\n') ch = ' ';
  write_all(g_progress_fd, l + "\n");
}

const char* IsolatedOutcome::to_string(Kind k) {
  switch (k) {
    case Kind::ok: return "ok";
    case Kind::hang: return "hang";
    case Kind::crash: return "crash";
    case Kind::error: return "error";
    case Kind::interrupted: return "interrupted";
  }
  return "error";
}

GroupOutcome run_isolated_group(const std::vector<std::function<nlohmann::json()>>& work, const GroupOptions& options) {
  std::vector<Child> children;
  for (const auto& w : work) children.push_back(spawn(w, static_cast<bool>(options.on_progress)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(options.timeout_s);
  GroupOutcome group;
  bool timed_out = false, stopped = false;
  for (;;) {
    if (options.stop && *options.stop) {
      stopped = true;
      break;
    }
    if (options.fail_fast && group.first_failure >= 0) break;
    std::vector<pollfd> fds;
    std::vector<size_t> which;
    for (size_t i = 0; i < children.size(); ++i)
      if (!children[i].closed) fds.push_back({children[i].fd, POLLIN, 0}), which.push_back(i);
    if (fds.empty()) break;
    // Progress pipes after the result pipes: fds[k] for k >= results is children[progress_of[k - results]].
    const size_t results = fds.size();
    std::vector<size_t> progress_of;
    for (size_t i = 0; i < children.size(); ++i)
      if (children[i].progress_fd >= 0) fds.push_back({children[i].progress_fd, POLLIN, 0}), progress_of.push_back(i);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int r = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left.count(), 200)));
    if (r <= 0) continue;  // EINTR or timeout slice
    for (size_t k = results; k < fds.size(); ++k)
      if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) read_progress(children[progress_of[k - results]], options.on_progress);
    for (size_t k = 0; k < results; ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Child& c = children[which[k]];
      char buf[65536];
      ssize_t n = ::read(c.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(c.fd);
        c.closed = true;
        if (group.first_failure < 0 && failed(c)) group.first_failure = static_cast<int>(which[k]);
      } else {
        c.received.append(buf, static_cast<size_t>(n));
      }
    }
  }
  // Whatever still runs is killed: past the deadline, on the user's stop, or (fail_fast) once a
  // sibling failed (NCCL ranks wait for each other, so one failed rank would hang the rest).
  for (auto& c : children)
    if (!c.closed) kill_child(c);
  IsolatedOutcome::Kind killed_as = IsolatedOutcome::Kind::hang;
  std::string why = "did not finish within " + seconds_text(options.timeout_s) + " s; killed";
  if (stopped) killed_as = IsolatedOutcome::Kind::interrupted, why = "interrupted";
  else if (!timed_out && group.first_failure >= 0)
    killed_as = IsolatedOutcome::Kind::error, why = "stopped after worker " + std::to_string(group.first_failure) + " failed";
  for (auto& c : children) group.outcomes.push_back(outcome_of(c, killed_as, why));
  return group;
}

std::vector<IsolatedOutcome> run_isolated_many(const std::vector<std::function<nlohmann::json()>>& work, double timeout_s,
                                               const std::atomic<bool>* stop) {
  return run_isolated_group(work, {timeout_s, stop, false, {}}).outcomes;
}

IsolatedOutcome run_isolated(const std::function<nlohmann::json()>& work, double timeout_s, const std::atomic<bool>* stop,
                             const ProgressSink& on_progress) {
  GroupOptions options{timeout_s, stop, false, on_progress};
  return run_isolated_group({work}, options).outcomes.front();
}

}  // namespace rigcheck::bench
