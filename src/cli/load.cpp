// `bpfcompat load` and `unload`: our loader from the command line.
// Persistence is through pins (maps by their convention, programs with
// --pin-progs, links of --attach); a record of everything created lets
// `unload` remove exactly that, never pins that existed before.
//
// Load and attach form one transaction: the loader commits its pins when it
// returns, so if an attach fails, everything the load created and every link
// pinned so far is removed here, and the command leaves nothing behind.
#include "bpfcompat/attach.h"
#include "bpfcompat/document.h"
#include "bpfcompat/elf_writer.h"
#include "bpfcompat/error.h"
#include "bpfcompat/link.h"
#include "bpfcompat/loader.h"
#include "bpfcompat/names.h"
#include "bpfcompat/reader.h"
#include "bpfcompat/render.h"

#include <llvm/ADT/StringExtras.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
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

// One --attach: the program (by IR name) and where it goes.
struct Attachment {
  const ir::Program *program;
  attach::Request request;
};

// An attachment made, for the output and the record.
struct LinkMade {
  std::string program;
  std::string what;
  uint32_t id = 0;
  std::string pin;
};

// Reads every --attach SPEC (PROGRAM=KIND[:ARG], or KIND[:ARG] when the
// object has one program) with --dev, --netns and --cgroup, before anything
// is loaded, so a mistake in them costs nothing.
llvm::Expected<std::vector<Attachment>>
parseAttachments(const Args &args, const ir::Object &object) {
  std::vector<const ir::Program *> entries;
  for (const ir::Program &prog : object.programs)
    if (!prog.subprogram)
      entries.push_back(&prog);
  std::vector<Attachment> out;
  auto specs = args.all.find("attach");
  if (specs == args.all.end())
    return out;
  for (const std::string &spec : specs->second) {
    auto [name, kind] = llvm::StringRef(spec).split('=');
    const ir::Program *program = nullptr;
    if (spec.find('=') != std::string::npos && !name.contains(':')) {
      program = object.findProgram(name);
      if (!program || program->subprogram)
        return makeError("--attach " + spec + ": no program '" + name +
                         "' in " + object.path);
    } else if (entries.size() == 1) {
      program = entries.front();
      kind = spec;
    } else {
      return makeError("--attach " + spec + ": " + object.path + " has " +
                       llvm::Twine(entries.size()) +
                       " programs; name one as PROGRAM=KIND");
    }
    auto request = attach::parseRequest(*program, kind);
    if (!request)
      return prefixError(request.takeError(), "--attach " + spec);
    bool onDevice =
        request->kind == attach::Kind::Tc || request->kind == attach::Kind::Xdp;
    request->device = args.value("dev").value_or("");
    request->netns = args.value("netns").value_or("");
    request->cgroup = args.value("cgroup").value_or("");
    if (onDevice && request->device.empty())
      return makeError("--attach " + spec + " needs --dev IFACE");
    if (request->kind == attach::Kind::Cgroup && request->cgroup.empty())
      return makeError("--attach " + spec + " needs --cgroup PATH");
    out.push_back({program, std::move(*request)});
  }
  return out;
}

// Creates `dir` and missing parents, appending each to `created`.
llvm::Error makeDirs(kern::Kernel &k, llvm::StringRef dir,
                     std::vector<std::string> &created) {
  if (dir.empty() || dir == "/")
    return llvm::Error::success();
  if (llvm::Error err = makeDirs(k, llvm::sys::path::parent_path(dir), created))
    return err;
  int rc = k.mkdir(dir.str(), 0700);
  if (rc == 0)
    created.push_back(dir.str());
  else if (rc != -EEXIST)
    return llvm::make_error<kern::KernelError>("mkdir '" + dir.str() + "'",
                                               -rc);
  return llvm::Error::success();
}

// Attaches and pins each link as <dir>/link_<program> ("-2", "-3", ... for
// further links of the same program: bpffs refuses names with '.', and
// kernelSafeName never makes a '-'), appending the pins to
// loaded.createdPaths. The pins keep the links, so `links` closing detaches
// nothing once this succeeds.
llvm::Error attachAll(kern::Kernel &k, const std::vector<Attachment> &todo,
                      const std::string &dir, load::Collection &loaded,
                      std::vector<LinkMade> &made) {
  if (todo.empty())
    return llvm::Error::success();
  if (llvm::Error err = makeDirs(k, dir, loaded.createdPaths))
    return err;
  std::map<std::string, unsigned> perProgram;
  for (const Attachment &a : todo) {
    const load::LoadedProgram *prog = loaded.program(a.program->name);
    std::string what = attach::describe(a.request);
    if (!prog)
      return makeError("cannot attach '" + a.program->name +
                       "': it was not loaded");
    auto link = attach::attach(k, prog->fd.get(), *a.program, a.request);
    if (!link)
      return prefixError(link.takeError(),
                         "attach '" + prog->name + "' (" + what + ")");
    auto info = kern::linkInfo(k, link->get());
    if (!info)
      return info.takeError();
    unsigned n = ++perProgram[prog->name];
    std::string pin = dir + "/link_" + kernelSafeName(prog->name) +
                      (n > 1 ? "-" + std::to_string(n) : "");
    if (llvm::Error err = kern::objPin(k, link->get(), pin))
      return err;
    loaded.createdPaths.push_back(pin);
    made.push_back({prog->name, what, info->id, pin});
  }
  return llvm::Error::success();
}

// Removes what a load created and says what it did.
int removeCreated(kern::Kernel &k, const std::vector<std::string> &paths) {
  load::Removal removal = load::removeCreated(k, paths);
  for (const std::string &path : removal.removed)
    std::cout << "removed " << path << "\n";
  for (const std::string &error : removal.errors)
    printError(error);
  return removal.errors.empty() ? kExitOk : kExitFailed;
}

// Kernel ids of a collection's maps and programs, in its order: the loader
// does not ask for them, the summary and the record show them.
struct LoadedIds {
  std::vector<uint32_t> maps, programs;
};

llvm::Expected<LoadedIds> idsOf(kern::Kernel &k,
                                const load::Collection &loaded) {
  LoadedIds ids;
  for (const load::LoadedMap &m : loaded.maps) {
    auto id = load::mapId(k, m);
    if (!id)
      return id.takeError();
    ids.maps.push_back(*id);
  }
  for (const load::LoadedProgram &p : loaded.programs) {
    auto id = load::programId(k, p);
    if (!id)
      return id.takeError();
    ids.programs.push_back(*id);
  }
  return ids;
}

llvm::Error writeRecord(const std::string &path, const ir::Object &object,
                        const load::Collection &loaded, const LoadedIds &ids,
                        const std::vector<LinkMade> &made) {
  doc::Array created(loaded.createdPaths.begin(), loaded.createdPaths.end());
  doc::Array maps, programs, links;
  for (size_t i = 0; i < loaded.maps.size(); ++i) {
    const load::LoadedMap &m = loaded.maps[i];
    maps.push_back(doc::Object{{"name", m.name},
                               {"id", ids.maps[i]},
                               {"pin", m.pinPath},
                               {"reused", m.reused}});
  }
  for (size_t i = 0; i < loaded.programs.size(); ++i) {
    const load::LoadedProgram &p = loaded.programs[i];
    programs.push_back(doc::Object{
        {"name", p.name}, {"id", ids.programs[i]}, {"pin", p.pinPath}});
  }
  for (const LinkMade &l : made)
    links.push_back(doc::Object{{"program", l.program},
                                {"attach", l.what},
                                {"id", l.id},
                                {"pin", l.pin}});
  std::string text = doc::toJson(doc::Object{{"object", object.path},
                                             {"sha1", object.sha1},
                                             {"created", std::move(created)},
                                             {"maps", std::move(maps)},
                                             {"programs", std::move(programs)},
                                             {"links", std::move(links)}});
  ::mkdir(llvm::sys::path::parent_path(path).str().c_str(), 0700);
  return elf::writeFileAtomically(
      path, llvm::ArrayRef<uint8_t>(
                reinterpret_cast<const uint8_t *>(text.data()), text.size()));
}

void printPlan(const ir::Object &object, const load::Options &options,
               const std::vector<Attachment> &attachments) {
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
  for (const Attachment &a : attachments)
    std::cout << "  attach " << a.program->name << " "
              << attach::describe(a.request) << "\n";
}

} // namespace

int runLoad(const std::vector<std::string> &argv) {
  OptionSpec spec{{"convention", "pin-root", "bpffs", "pin-progs", "map-size",
                   "gobpf-pin", "iproute2-pinning", "verifier-log", "record",
                   "btf", "attach", "dev", "netns", "cgroup", "pin-links"},
                  {"dry-run"}};
  auto args = parseArgs(argv, spec);
  if (!args || args->positional.size() != 1) {
    std::cerr
        << "bpfcompat load: "
        << (args ? std::string("expected one object")
                 : llvm::toString(args.takeError()))
        << "\nusage: bpfcompat load OBJ [--convention NAME] [--pin-root "
           "DIR] [--bpffs DIR] [--pin-progs DIR] [--map-size NAME=N]... "
           "[--gobpf-pin NAME=PATH]... [--iproute2-pinning FILE] "
           "[--verifier-log FILE] [--record FILE] [--btf FILE] [--dry-run]\n"
           "       [--attach [PROGRAM=]KIND[:ARG]]... [--dev IFACE] "
           "[--netns NAME] [--cgroup PATH] [--pin-links DIR]\n"
           "  KIND: tc:ingress|tc:egress|xdp[:generic]|tracepoint|raw_tp|"
           "kprobe|kretprobe|uprobe|uretprobe|cgroup|auto\n";
    return kExitUsage;
  }
  load::Options options;
  options.pinRoot = args->value("pin-root").value_or(options.pinRoot);
  options.bpffs = args->value("bpffs").value_or(options.bpffs);
  options.pinProgs = args->value("pin-progs").value_or("");
  options.iproute2PinningFile =
      args->value("iproute2-pinning").value_or(options.iproute2PinningFile);
  options.verifierLog = args->value("verifier-log").has_value();
  options.targetBtf = args->value("btf").value_or("");
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
    printError(object.takeError());
    return kExitFailed;
  }
  auto attachments = parseAttachments(*args, *object);
  if (!attachments) {
    std::cerr << "bpfcompat load: " << llvm::toString(attachments.takeError())
              << "\n";
    return kExitUsage;
  }
  // Links are pinned next to the programs unless told otherwise: an unpinned
  // link would detach when this command exits.
  std::string linkDir = args->value("pin-links").value_or(options.pinProgs);
  if (!attachments->empty() && linkDir.empty()) {
    std::cerr << "bpfcompat load: --attach needs --pin-links DIR or "
                 "--pin-progs DIR\n";
    return kExitUsage;
  }
  if (args->flag("dry-run")) {
    printPlan(*object, options, *attachments);
    return kExitOk;
  }
  kern::Kernel &kernel = kern::systemKernel();
  auto loaded = load::loadObject(*object, options, kernel);
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
    printError(message);
    if (!log.empty()) {
      if (auto file = args->value("verifier-log"))
        (void)elf::writeFileAtomically(
            *file,
            llvm::ArrayRef<uint8_t>(
                reinterpret_cast<const uint8_t *>(log.data()), log.size()));
      std::cerr << "verifier log:\n" << printable(log, true) << "\n";
    }
    return kExitFailed;
  }
  auto ids = idsOf(kernel, *loaded);
  if (!ids) {
    printError(ids.takeError());
    removeCreated(kernel, loaded->createdPaths);
    return kExitFailed;
  }
  std::vector<LinkMade> made;
  if (llvm::Error err =
          attachAll(kernel, *attachments, linkDir, *loaded, made)) {
    printError(std::move(err));
    removeCreated(kernel, loaded->createdPaths);
    return kExitFailed;
  }
  for (size_t i = 0; i < loaded->maps.size(); ++i) {
    const load::LoadedMap &m = loaded->maps[i];
    std::cout << "map " << m.name << " id " << ids->maps[i]
              << (m.pinPath.empty() ? "" : " pinned " + m.pinPath)
              << (m.reused ? " (reused)" : "") << "\n";
  }
  for (size_t i = 0; i < loaded->programs.size(); ++i) {
    const load::LoadedProgram &p = loaded->programs[i];
    std::cout << "program " << p.name << " id " << ids->programs[i]
              << (p.pinPath.empty() ? "" : " pinned " + p.pinPath) << "\n";
  }
  for (const LinkMade &l : made)
    std::cout << "link " << l.program << " " << l.what << " id " << l.id
              << " pinned " << l.pin << "\n";
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
      printWarning(std::move(err));
  }
  std::string record = args->value("record").value_or(defaultRecord(*object));
  if (!loaded->createdPaths.empty()) {
    if (llvm::Error err = writeRecord(record, *object, *loaded, *ids, made)) {
      printError("cannot record the load for unload: " +
                 llvm::toString(std::move(err)));
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
      printError(object.takeError());
      return kExitFailed;
    }
    record = defaultRecord(*object);
  }
  YAML::Node node;
  try {
    node = YAML::LoadFile(record); // JSON is YAML
  } catch (const std::exception &e) {
    printError(record + ": no readable load record (" + e.what() + ")");
    return kExitFailed;
  }
  std::vector<std::string> created;
  for (const YAML::Node &path : node["created"])
    created.push_back(path.as<std::string>());
  // Link pins come last in `created`, so links detach before their programs
  // and maps lose their pins.
  int status = removeCreated(kern::systemKernel(), created);
  if (status == kExitOk)
    ::unlink(record.c_str());
  return status;
}

} // namespace bpfcompat::cli
