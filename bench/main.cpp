// bpfcompat_bench: our reader, converter and loader side by side with
// libbpf on the same objects (bench/run.sh drives it; docs/performance.md).
//
//   bpfcompat_bench [--benchmark_* flags] [--load] [--work-dir=DIR]
//                   [--pin-dir=DIR] --objects=GROUP:LISTFILE...
//     Benchmarks every object listed (one path per line), prints the
//     Google Benchmark console output on stderr and markdown tables with
//     ratios on stdout. --load adds kernel loads (root only).
//   bpfcompat_bench --open-loop FILE...
//     libbpf bpf_object__open_file + bpf_object__close over FILEs in one
//     thread, the peer of `bpfcompat check`; prints "<objects> <seconds>".
//   bpfcompat_bench --list-opened FILE...
//     Prints the FILEs libbpf opens, one per line: the subset on which the
//     peer does its whole job rather than failing early.
//   bpfcompat_bench --repeat OPERATION IMPL COUNT FILE
//     Runs one operation COUNT times and nothing else, for profilers
//     (valgrind --tool=callgrind --toggle-collect='*repeatOperation*').
//     OPERATION: read, convert (IR already read), e2e, load; IMPL: ours,
//     libbpf.
#include "bpfcompat/error.h"

#include <bpf/libbpf.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <unistd.h>

#include "bpf_syscall_clock.h"
#include "operations.h"
#include "peak_rss.h"
#include "report.h"

namespace bpfcompat::bench {

namespace {

namespace fs = std::filesystem;

struct Config {
  std::vector<ObjectFile> objects;
  bool load = false;
  std::string workDir = "/dev/shm/bpfcompat-bench-" + std::to_string(getpid());
  std::string pinDir =
      "/sys/fs/bpf/bpfcompat-bench-" + std::to_string(getpid());
};

llvm::Error readList(const std::string &group, const std::string &listFile,
                     std::vector<ObjectFile> &out,
                     std::set<std::string> &names) {
  std::ifstream list(listFile);
  if (!list)
    return makeError("cannot read object list " + listFile);
  std::string path;
  while (std::getline(list, path)) {
    if (path.empty())
      continue;
    ObjectFile o;
    o.group = group;
    o.path = path;
    o.name = group + "/" + fs::path(path).filename().string();
    for (int i = 2; names.count(o.name); ++i)
      o.name = group + "/" + fs::path(path).filename().string() + "#" +
               std::to_string(i);
    names.insert(o.name);
    std::ifstream in(path, std::ios::binary);
    o.bytes.assign(std::istreambuf_iterator<char>(in), {});
    if (!in && !in.eof())
      return makeError("cannot read " + path);
    out.push_back(std::move(o));
  }
  return llvm::Error::success();
}

llvm::Expected<Config> parseArgs(int argc, char **argv) {
  Config config;
  std::set<std::string> names;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *prefix) -> std::optional<std::string> {
      if (arg.rfind(prefix, 0) != 0)
        return std::nullopt;
      return arg.substr(std::strlen(prefix));
    };
    if (arg == "--load") {
      config.load = true;
    } else if (auto v = value("--work-dir=")) {
      config.workDir = *v;
    } else if (auto v = value("--pin-dir=")) {
      config.pinDir = *v;
    } else if (auto v = value("--objects=")) {
      auto colon = v->find(':');
      if (colon == std::string::npos)
        return makeError("--objects wants GROUP:LISTFILE, got " + *v);
      if (auto err = readList(v->substr(0, colon), v->substr(colon + 1),
                              config.objects, names))
        return err;
    } else {
      return makeError("unknown argument " + arg);
    }
  }
  return config;
}

// libbpf open + close over every file; `list` prints the files it opened
// instead of the count and the time.
int openLoop(int argc, char **argv, bool list) {
  uint64_t start = nowNs();
  int opened = 0;
  for (int i = 0; i < argc; ++i) {
    bpf_object *obj = bpf_object__open_file(argv[i], nullptr);
    if (obj) {
      ++opened;
      if (list)
        std::printf("%s\n", argv[i]);
    }
    bpf_object__close(obj);
  }
  if (!list)
    std::printf("%d %.6f\n", opened, (nowNs() - start) / 1e9);
  return 0;
}

// Not inlined: profilers collect inside it by name.
[[gnu::noinline]] llvm::Error
repeatOperation(const std::string &operation, const std::string &impl,
                int count, const ObjectFile &o, const ir::Object *object,
                const std::string &out, const std::string &pinDir) {
  bool ours = impl == "ours";
  for (int i = 0; i < count; ++i) {
    LoadTiming timing;
    llvm::Error err = llvm::Error::success();
    if (operation == "read")
      err = ours ? readOurs(o) : openLibbpf(o);
    else if (operation == "convert" && ours)
      err = convertOurs(*object);
    else if (operation == "e2e")
      err = ours ? readConvertWriteOurs(o, out) : linkLibbpf(o, out);
    else if (operation == "load")
      err = ours ? loadOurs(*object, pinDir, timing)
                 : loadLibbpf(o, pinDir, timing);
    else
      return makeError("unknown operation " + operation + " " + impl);
    if (err)
      return err;
  }
  return llvm::Error::success();
}

int repeat(int argc, char **argv) {
  if (argc != 4) {
    std::cerr << "usage: bpfcompat_bench --repeat OPERATION IMPL COUNT FILE\n";
    return 2;
  }
  Config config;
  std::set<std::string> names;
  std::string list = config.workDir + ".list";
  fs::create_directories(config.workDir);
  std::ofstream(list) << argv[3] << "\n";
  auto err = readList("profile", list, config.objects, names);
  fs::remove(list);
  auto ir = err ? llvm::Expected<ir::Object>(std::move(err))
                : readIr(config.objects.front());
  if (ir && std::string(argv[0]) == "load")
    fs::create_directories(config.pinDir);
  if (ir)
    err = repeatOperation(argv[0], argv[1], std::atoi(argv[2]),
                          config.objects.front(), &*ir,
                          config.workDir + "/out.o", config.pinDir);
  else
    err = ir.takeError();
  std::error_code ec;
  fs::remove_all(config.workDir, ec);
  fs::remove_all(config.pinDir, ec);
  if (err) {
    std::cerr << "bpfcompat_bench: " << llvm::toString(std::move(err)) << "\n";
    return 1;
  }
  return 0;
}

// Runs `op` once; records why the object is left out when it fails.
bool works(Extras &extras, const ObjectFile &o, const std::string &what,
           llvm::Error err) {
  if (!err)
    return true;
  extras.skipped.push_back(o.name + ": " + what + ": " +
                           llvm::toString(std::move(err)));
  return false;
}

void recordRss(Extras &extras, const std::string &name,
               llvm::function_ref<llvm::Error()> op) {
  auto kb = peakRssGrowthKb([&] { return !llvm::errorToBool(op()); });
  if (kb)
    extras.rssKb[name] = *kb;
  else
    llvm::consumeError(kb.takeError());
}

template <typename F>
void add(const std::string &name, F body, bool manualTime = false) {
  auto *b = benchmark::RegisterBenchmark(name.c_str(), body);
  b->Unit(benchmark::kMicrosecond);
  if (manualTime)
    b->UseManualTime();
}

void failed(benchmark::State &state, llvm::Error err) {
  state.SkipWithError(llvm::toString(std::move(err)).c_str());
}

// Registers the benchmarks of one object and measures its peak RSS.
void registerObject(const Config &config, const ObjectFile &o, Extras &extras) {
  auto ir = readIr(o);
  bool ours = works(extras, o, "our reader", ir.takeError());
  bool libbpf = works(extras, o, "libbpf open", openLibbpf(o));
  std::string out = config.workDir + "/" + fs::path(o.path).filename().string();

  if (ours) {
    add(benchName("read", "ours", o.name), [&o](benchmark::State &state) {
      for (auto _ : state)
        if (auto err = readOurs(o))
          return failed(state, std::move(err));
    });
    recordRss(extras, benchName("read", "ours", o.name),
              [&] { return readOurs(o); });
  }
  if (libbpf) {
    add(benchName("read", "libbpf", o.name), [&o](benchmark::State &state) {
      for (auto _ : state)
        if (auto err = openLibbpf(o))
          return failed(state, std::move(err));
    });
    recordRss(extras, benchName("read", "libbpf", o.name),
              [&] { return openLibbpf(o); });
  }

  std::shared_ptr<ir::Object> object;
  if (ours) {
    object = std::make_shared<ir::Object>(std::move(*ir));
    if (works(extras, o, "our converter", convertOurs(*object))) {
      add(benchName("convert", "ours", o.name),
          [object](benchmark::State &state) {
            for (auto _ : state)
              if (auto err = convertOurs(*object))
                return failed(state, std::move(err));
          });
      add(benchName("e2e", "ours", o.name), [&o, out](benchmark::State &state) {
        for (auto _ : state)
          if (auto err = readConvertWriteOurs(o, out))
            return failed(state, std::move(err));
      });
      recordRss(extras, benchName("e2e", "ours", o.name),
                [&] { return readConvertWriteOurs(o, out); });
    }
  }
  if (works(extras, o, "libbpf linker", linkLibbpf(o, out))) {
    add(benchName("e2e", "libbpf", o.name), [&o, out](benchmark::State &state) {
      for (auto _ : state)
        if (auto err = linkLibbpf(o, out))
          return failed(state, std::move(err));
    });
    recordRss(extras, benchName("e2e", "libbpf", o.name),
              [&] { return linkLibbpf(o, out); });
  }

  if (!config.load || !ours || !libbpf)
    return;
  // Only objects both loaders load on this kernel are compared.
  LoadTiming t;
  if (!works(extras, o, "our load", loadOurs(*object, config.pinDir, t)) ||
      !works(extras, o, "libbpf load", loadLibbpf(o, config.pinDir, t)))
    return;
  auto loadBench = [](auto load) {
    return [load](benchmark::State &state) {
      uint64_t bpfNs = 0;
      for (auto _ : state) {
        LoadTiming timing;
        if (auto err = load(timing))
          return failed(state, std::move(err));
        state.SetIterationTime(timing.wallNs / 1e9);
        bpfNs += timing.bpfNs;
      }
      state.counters["bpf_us"] =
          benchmark::Counter(bpfNs / 1e3, benchmark::Counter::kAvgIterations);
    };
  };
  std::string pinDir = config.pinDir;
  add(benchName("load", "ours", o.name),
      loadBench([object, pinDir](LoadTiming &t) {
        return loadOurs(*object, pinDir, t);
      }),
      true);
  add(benchName("load", "libbpf", o.name),
      loadBench(
          [&o, pinDir](LoadTiming &t) { return loadLibbpf(o, pinDir, t); }),
      true);
  recordRss(extras, benchName("load", "ours", o.name), [&] {
    auto fresh = readIr(o);
    if (!fresh)
      return fresh.takeError();
    return loadOurs(*fresh, config.pinDir, t);
  });
  recordRss(extras, benchName("load", "libbpf", o.name),
            [&] { return loadLibbpf(o, config.pinDir, t); });
}

int run(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  quietLibbpf();
  if (argc > 1 && std::string(argv[1]) == "--open-loop")
    return openLoop(argc - 2, argv + 2, /*list=*/false);
  if (argc > 1 && std::string(argv[1]) == "--list-opened")
    return openLoop(argc - 2, argv + 2, /*list=*/true);
  if (argc > 1 && std::string(argv[1]) == "--repeat")
    return repeat(argc - 2, argv + 2);
  auto config = parseArgs(argc, argv);
  if (!config) {
    std::cerr << "bpfcompat_bench: " << llvm::toString(config.takeError())
              << "\n";
    return 2;
  }
  if (config->load && geteuid() != 0) {
    std::cerr << "bpfcompat_bench: --load needs root; loads not measured\n";
    config->load = false;
  }
  fs::create_directories(config->workDir);
  if (config->load)
    fs::create_directories(config->pinDir);

  Extras extras;
  for (const ObjectFile &o : config->objects)
    registerObject(*config, o, extras);
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  printTables(config->objects, reporter, extras, config->load);

  std::error_code ec;
  fs::remove_all(config->workDir, ec);
  if (config->load)
    fs::remove_all(config->pinDir, ec);
  benchmark::Shutdown();
  return 0;
}

} // namespace

} // namespace bpfcompat::bench

int main(int argc, char **argv) { return bpfcompat::bench::run(argc, argv); }
