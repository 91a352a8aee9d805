#include "peak_rss.h"

#include "bpfcompat/error.h"

#include <cstdint>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bpfcompat::bench {

namespace {
uint64_t maxRssKb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return uint64_t(usage.ru_maxrss);
}
} // namespace

llvm::Expected<uint64_t> peakRssGrowthKb(llvm::function_ref<bool()> operation) {
  int fds[2];
  if (pipe(fds) != 0)
    return makeError("pipe failed");
  pid_t pid = fork();
  if (pid < 0)
    return makeError("fork failed");
  if (pid == 0) {
    close(fds[0]);
    uint64_t before = maxRssKb();
    bool ok = operation();
    uint64_t growth = maxRssKb() - before;
    ssize_t n = write(fds[1], &growth, sizeof growth);
    _exit(ok && n == sizeof growth ? 0 : 1);
  }
  close(fds[1]);
  uint64_t growth = 0;
  ssize_t n = read(fds[0], &growth, sizeof growth);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n != sizeof growth || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return makeError("the measured operation failed");
  return growth;
}

} // namespace bpfcompat::bench
