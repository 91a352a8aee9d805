// `bpfcompat load` and `unload`: our loader from the command line.
// Persistence is through pins (maps by their convention, programs with
// --pin-progs); a record of everything created lets `unload` remove exactly
// that, never pins that existed before.
#include "bpfcompat/document.h"
#include "bpfcompat/elf_writer.h"
#include "bpfcompat/error.h"
#include "bpfcompat/link.h"
#include "bpfcompat/loader.h"
#include "bpfcompat/reader.h"

#include <llvm/ADT/StringExtras.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <iostream>
#include <sys/stat.h>

#include "args.h"

namespace bpfcompat::cli {

namespace {

constexpr const char *kStateDir = "/run/bpfcompat";

std::string defaultRecord(const ir::Object &object) {
  return std::string(kStateDir) + "/" +
         llvm::sys::path::stem(object.path).str() + "-" +
         object.sha1.substr(0, 12) + ".json";
}

llvm::Error parseAssignments(const std::vector<std::string> &values,
                             const char *option,
                             std::map<std::string, std::string> &out) {
  for (const std::string &value : values) {
    auto [name, rest] = llvm::StringRef(value).split('=');
    if (name.empty() || rest.empty())
      return makeError(llvm::Twine("--") + option + " takes NAME=VALUE, got '" +
                       value + "'");
    out[name.str()] = rest.str();
  }
  return llvm::Error::success();
}

llvm::Error writeRecord(const std::string &path, const ir::Object &object,
                        const load::Collection &loaded) {
  doc::Array created, maps, programs;
  for (const std::string &p : loaded.createdPaths)
    created.push_back(p);
  for (const load::LoadedMap &m : loaded.maps)
    maps.push_back(doc::Object{{"name", m.name},
                               {"id", m.id},
                               {"pin", m.pinPath},
                               {"reused", m.reused}});
  for (const load::LoadedProgram &p : loaded.programs)
    programs.push_back(
        doc::Object{{"name", p.name}, {"id", p.id}, {"pin", p.pinPath}});
  std::string text =
      doc::toJson(doc::Object{{"object", object.path},
                              {"sha1", object.sha1},
                              {"created", std::move(created)},
                              {"maps", std::move(maps)},
                              {"programs", std::move(programs)}});
  ::mkdir(llvm::sys::path::parent_path(path).str().c_str(), 0700);
  return elf::writeFileAtomically(
      path, llvm::ArrayRef<uint8_t>(
                reinterpret_cast<const uint8_t *>(text.data()), text.size()));
}

void printPlan(const ir::Object &object, const load::Options &options) {
  std::cout << object.path << ": dry run, nothing loaded ("
            << ir::conventionName(object.verdict.convention) << ")\n";
  for (const ir::Map &map : object.maps) {
    auto path = load::pinPath(map, object, options);
    std::cout << "  map " << map.name << " " << mapTypeName(map.shape.type);
    if (!path)
      std::cout << " ERROR " << llvm::toString(path.takeError());
    else if (!path->empty())
      std::cout << " pin " << *path;
    std::cout << "\n";
  }
  for (const ir::Program &prog : object.programs) {
    if (prog.subprogram)
      continue;
    auto linked = link::linkProgram(object, prog);
    std::cout << "  program " << prog.name << " "
              << progTypeName(prog.type.progType);
    if (!linked)
      std::cout << " ERROR " << llvm::toString(linked.takeError());
    else
      std::cout << " " << linked->insns.size() << " insns";
    std::cout << "\n";
  }
}

} // namespace

int runLoad(const std::vector<std::string> &argv) {
  OptionSpec spec{{"convention", "pin-root", "bpffs", "pin-progs", "map-size",
                   "gobpf-pin", "iproute2-pinning", "verifier-log", "record"},
                  {"dry-run"}};
  auto args = parseArgs(argv, spec);
  if (!args || args->positional.size() != 1) {
    std::cerr << "bpfcompat load: "
              << (args ? std::string("expected one object")
                       : llvm::toString(args.takeError()))
              << "\nusage: bpfcompat load OBJ [--convention NAME] [--pin-root "
                 "DIR] [--bpffs DIR] [--pin-progs DIR] [--map-size NAME=N]... "
                 "[--gobpf-pin NAME=PATH]... [--iproute2-pinning FILE] "
                 "[--verifier-log FILE] [--record FILE] [--dry-run]\n";
    return kExitUsage;
  }
  load::Options options;
  options.pinRoot = args->value("pin-root").value_or(options.pinRoot);
  options.bpffs = args->value("bpffs").value_or(options.bpffs);
  options.pinProgs = args->value("pin-progs").value_or("");
  options.iproute2PinningFile =
      args->value("iproute2-pinning").value_or(options.iproute2PinningFile);
  options.verifierLog = args->value("verifier-log").has_value();
  std::map<std::string, std::string> sizes;
  if (llvm::Error err =
          parseAssignments(args->all["map-size"], "map-size", sizes)) {
    std::cerr << "bpfcompat load: " << llvm::toString(std::move(err)) << "\n";
    return kExitUsage;
  }
  for (const auto &[name, text] : sizes) {
    unsigned long long n;
    if (llvm::getAsUnsignedInteger(text, 0, n) || n == 0 || n > UINT32_MAX) {
      std::cerr << "bpfcompat load: --map-size " << name << "=" << text
                << " is not a positive 32-bit number\n";
      return kExitUsage;
    }
    options.maxEntries[name] = uint32_t(n);
  }
  if (llvm::Error err = parseAssignments(args->all["gobpf-pin"], "gobpf-pin",
                                         options.gobpfCustomPaths)) {
    std::cerr << "bpfcompat load: " << llvm::toString(std::move(err)) << "\n";
    return kExitUsage;
  }
  ReadOptions readOptions;
  if (auto name = args->value("convention")) {
    readOptions.convention = ir::conventionFromName(*name);
    if (!readOptions.convention ||
        *readOptions.convention == ir::Convention::Unknown) {
      std::cerr << "bpfcompat load: unknown --convention '" << *name << "'\n";
      return kExitUsage;
    }
  }

  auto object = readObject(args->positional.front(), readOptions);
  if (!object) {
    std::cerr << "bpfcompat: error: " << llvm::toString(object.takeError())
              << "\n";
    return kExitFailed;
  }
  if (args->flag("dry-run")) {
    printPlan(*object, options);
    return kExitOk;
  }
  auto loaded = load::loadObject(*object, options, kern::systemKernel());
  if (!loaded) {
    std::string message;
    std::string log;
    llvm::handleAllErrors(
        loaded.takeError(),
        [&](const kern::KernelError &e) {
          message = e.message();
          log = e.verifierLog();
        },
        [&](const llvm::ErrorInfoBase &e) { message = e.message(); });
    std::cerr << "bpfcompat: error: " << message << "\n";
    if (!log.empty()) {
      if (auto file = args->value("verifier-log"))
        (void)elf::writeFileAtomically(
            *file,
            llvm::ArrayRef<uint8_t>(
                reinterpret_cast<const uint8_t *>(log.data()), log.size()));
      std::cerr << "verifier log:\n" << log << "\n";
    }
    return kExitFailed;
  }
  for (const load::LoadedMap &m : loaded->maps)
    std::cout << "map " << m.name << " id " << m.id
              << (m.pinPath.empty() ? "" : " pinned " + m.pinPath)
              << (m.reused ? " (reused)" : "") << "\n";
  for (const load::LoadedProgram &p : loaded->programs)
    std::cout << "program " << p.name << " id " << p.id
              << (p.pinPath.empty() ? "" : " pinned " + p.pinPath) << "\n";
  for (const std::string &note : loaded->notes)
    std::cout << "note: " << note << "\n";
  if (auto file = args->value("verifier-log")) {
    std::string logs;
    for (const load::LoadedProgram &p : loaded->programs)
      logs += "== " + p.name + " ==\n" + p.verifierLog + "\n";
    if (llvm::Error err = elf::writeFileAtomically(
            *file,
            llvm::ArrayRef<uint8_t>(
                reinterpret_cast<const uint8_t *>(logs.data()), logs.size())))
      std::cerr << "bpfcompat: warning: " << llvm::toString(std::move(err))
                << "\n";
  }
  std::string record = args->value("record").value_or(defaultRecord(*object));
  if (!loaded->createdPaths.empty()) {
    if (llvm::Error err = writeRecord(record, *object, *loaded)) {
      std::cerr << "bpfcompat: error: cannot record the load for unload: "
                << llvm::toString(std::move(err)) << "\n";
      return kExitFailed;
    }
    std::cout << "recorded in " << record << "\n";
  }
  return kExitOk;
}

int runUnload(const std::vector<std::string> &argv) {
  auto args = parseArgs(argv, {{}, {}});
  if (!args || args->positional.size() != 1) {
    std::cerr << "usage: bpfcompat unload OBJ|RECORD\n";
    return kExitUsage;
  }
  std::string record = args->positional.front();
  if (!llvm::StringRef(record).endswith(".json")) {
    auto object = readObject(record);
    if (!object) {
      std::cerr << "bpfcompat: error: " << llvm::toString(object.takeError())
                << "\n";
      return kExitFailed;
    }
    record = defaultRecord(*object);
  }
  YAML::Node node;
  try {
    node = YAML::LoadFile(record); // JSON is YAML
  } catch (const std::exception &e) {
    std::cerr << "bpfcompat: error: " << record << ": no readable load record ("
              << e.what() << ")\n";
    return kExitFailed;
  }
  std::vector<std::string> created;
  for (const YAML::Node &path : node["created"])
    created.push_back(path.as<std::string>());
  int status = kExitOk;
  kern::Kernel &k = kern::systemKernel();
  for (auto it = created.rbegin(); it != created.rend(); ++it) {
    struct stat st;
    if (::lstat(it->c_str(), &st) != 0)
      continue; // already gone
    int rc = S_ISDIR(st.st_mode) ? k.rmdir(*it) : k.unlink(*it);
    if (rc == -ENOTEMPTY)
      continue; // something else lives there now; keep it
    if (rc != 0) {
      std::cerr << "bpfcompat: error: cannot remove " << *it << ": "
                << std::strerror(-rc) << "\n";
      status = kExitFailed;
    } else {
      std::cout << "removed " << *it << "\n";
    }
  }
  if (status == kExitOk)
    ::unlink(record.c_str());
  return status;
}

} // namespace bpfcompat::cli
