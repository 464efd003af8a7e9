#include "rigcheck/bench/isolation.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace rigcheck::bench {
namespace {

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

}  // namespace

namespace {

struct Child {
  pid_t pid = -1;
  int fd = -1;
  std::string received;
  bool closed = false;
};

Child spawn(const std::function<nlohmann::json()>& work) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[0]);
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
    ::_exit(code);  // no destructors, no atexit handlers of the parent's state
  }
  ::close(fds[1]);
  return Child{pid, fds[0], {}, false};
}

IsolatedOutcome collect(Child& c, bool timed_out, double timeout_s) {
  if (!c.closed) ::close(c.fd);
  if (timed_out) ::kill(c.pid, SIGKILL);
  int status = 0;
  while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  IsolatedOutcome outcome;
  if (timed_out) {
    outcome.kind = IsolatedOutcome::Kind::hang;
    outcome.detail = "did not finish within " + std::to_string(static_cast<int>(timeout_s)) + " s; killed";
    return outcome;
  }
  if (WIFSIGNALED(status)) {
    outcome.kind = IsolatedOutcome::Kind::crash;
    outcome.detail = "crashed with signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
    return outcome;
  }
  auto j = nlohmann::json::parse(c.received, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    outcome.kind = IsolatedOutcome::Kind::crash;
    outcome.detail = "exited with status " + std::to_string(WEXITSTATUS(status)) + " without a result";
  } else if (j.contains("error")) {
    outcome.kind = IsolatedOutcome::Kind::error;
    outcome.detail = j.at("error").get<std::string>();
  } else {
    outcome.result = j.at("ok");
  }
  return outcome;
}

}  // namespace

std::vector<IsolatedOutcome> run_isolated_many(const std::vector<std::function<nlohmann::json()>>& work, double timeout_s,
                                               const std::atomic<bool>* stop) {
  std::vector<Child> children;
  for (const auto& w : work) children.push_back(spawn(w));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  bool timed_out = false, stopped = false;
  for (;;) {
    if (stop && *stop) {
      stopped = timed_out = true;  // kill whatever still runs
      break;
    }
    std::vector<pollfd> fds;
    std::vector<size_t> which;
    for (size_t i = 0; i < children.size(); ++i)
      if (!children[i].closed) fds.push_back({children[i].fd, POLLIN, 0}), which.push_back(i);
    if (fds.empty()) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int r = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left.count(), 200)));
    if (r <= 0) continue;  // EINTR or timeout slice
    for (size_t k = 0; k < fds.size(); ++k) {
      if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Child& c = children[which[k]];
      char buf[65536];
      ssize_t n = ::read(c.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(c.fd);
        c.closed = true;
      } else {
        c.received.append(buf, static_cast<size_t>(n));
      }
    }
  }
  std::vector<IsolatedOutcome> out;
  // Past the deadline every worker still running is killed (NCCL ranks wait for each other, so
  // one hung rank hangs them all); those that finished keep their results.
  for (auto& c : children) {
    out.push_back(collect(c, timed_out && !c.closed, timeout_s));
    if (stopped && out.back().kind == IsolatedOutcome::Kind::hang) {
      out.back().kind = IsolatedOutcome::Kind::interrupted;
      out.back().detail = "interrupted";
    }
  }
  return out;
}

IsolatedOutcome run_isolated(const std::function<nlohmann::json()>& work, double timeout_s, const std::atomic<bool>* stop) {
  return run_isolated_many({work}, timeout_s, stop).front();
}

}  // namespace rigcheck::bench
