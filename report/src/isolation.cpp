#include "rigcheck/report/isolation.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace rigcheck::report {
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

IsolatedOutcome run_isolated(const std::function<nlohmann::json()>& work, double timeout_s) {
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
  std::string received;
  IsolatedOutcome outcome;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[65536];
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the child closed the pipe
    received.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
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
  auto j = nlohmann::json::parse(received, nullptr, false);
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

}  // namespace rigcheck::report
