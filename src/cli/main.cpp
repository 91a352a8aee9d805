// bpfcompat: read, convert, load and check BPF ELF objects of every loader
// convention. Each verb lives in its own file; this only dispatches.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "args.h"

namespace {

constexpr const char *kUsage =
    "usage: bpfcompat <verb> [options]\n"
    "\n"
    "verbs:\n"
    "  inspect FILE... [--format text|yaml|json] [--convention NAME]\n"
    "                  [--no-insns] [--summary]\n"
    "      read objects of any convention and print the IR\n"
    "  convert IN -o OUT [--for libbpf|tc] [--report FILE] [--strict]\n"
    "                  [--pin-root DIR] [--bpffs DIR] [--convention NAME]\n"
    "                  [--quiet]\n"
    "      re-emit an object as a libbpf 1.x-style object\n"
    "  diff A B [--pin-root DIR] [--pin-root-a DIR] [--bpffs DIR]\n"
    "           [--convention-a NAME] [--convention-b NAME]\n"
    "           [--format text|yaml|json]\n"
    "      compare two objects semantically; exit 0 when equivalent\n"
    "  load OBJ [--convention NAME] [--pin-root DIR] [--bpffs DIR]\n"
    "           [--pin-progs DIR] [--map-size NAME=N]... [--gobpf-pin "
    "NAME=PATH]...\n"
    "           [--iproute2-pinning FILE] [--verifier-log FILE] [--record "
    "FILE]\n"
    "           [--attach [PROG=]KIND[:ARG]]... [--dev IFACE] [--netns NAME]\n"
    "           [--cgroup PATH] [--pin-links DIR] [--dry-run]\n"
    "      load an object with its own convention's semantics (our loader)\n"
    "  unload OBJ|RECORD\n"
    "      remove what a load pinned, as recorded by that load\n"
    "  check PATH... [-j N] [--kernel] [--scan-embedded]\n"
    "           [--format text|json|yaml|junit|csv] [-o FILE]\n"
    "           [--baseline PREV.json] [--fail-on STAGE[,STAGE...]]\n"
    "           [--time-limit SECONDS] [--memory-limit MIB] [--btf FILE]\n"
    "           [--quiet]\n"
    "      check whole corpora: detect, read, convert, reopen with libbpf,\n"
    "      and with --kernel load both; reports for people and machines\n"
    "\n"
    "conventions: libbpf, libbpf-legacy, iproute2, gobpf, perf, samples, zig\n"
    "exit status: 0 success, 1 an object failed, 2 bad usage\n";

} // namespace

int main(int argc, char **argv) {
  using namespace bpfcompat::cli;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  std::string verb = argv[1];
  std::vector<std::string> rest(argv + 2, argv + argc);
  if (verb == "-h" || verb == "--help" || verb == "help") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (verb == "inspect")
    return runInspect(rest);
  if (verb == "convert")
    return runConvert(rest);
  if (verb == "diff")
    return runDiff(rest);
  if (verb == "load")
    return runLoad(rest);
  if (verb == "unload")
    return runUnload(rest);
  if (verb == "check")
    return runCheck(rest);
  std::fprintf(stderr, "bpfcompat: unknown verb '%s'\n\n%s", verb.c_str(),
               kUsage);
  return kExitUsage;
}
