// The loader. Stages, in order (each a method below):
//   link programs (pure) -> load sanitised BTF -> CO-RE relocations
//   -> create or reuse maps, pin -> data and .kconfig maps -> load programs
//   -> wire slots -> pin programs.
// A Transaction records every pin and directory created and every slot
// written into a reused prog array; if any stage fails it undoes them, and
// the Collection's fds close as it unwinds. A pin another loader makes
// between our lookup and our pin is reused, as if it had been there first.
#include "bpfcompat/loader.h"

#include "bpfcompat/btf_builder.h"
#include "bpfcompat/core.h"
#include "bpfcompat/error.h"
#include "bpfcompat/link.h"
#include "bpfcompat/names.h"

#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "externs.h"
#include "kernel_btf.h"

namespace bpfcompat::load {

namespace {

constexpr uint8_t kPseudoMapFd = 1;
constexpr uint8_t kPseudoMapValue = 2;
constexpr uint8_t kPseudoBtfId = 3;
constexpr uint8_t kPseudoKfuncCall = 2;
constexpr uint32_t kMapFlagRdonlyProg = 0x80; // BPF_F_RDONLY_PROG
constexpr uint32_t kMapFlagMmapable = 0x400;  // BPF_F_MMAPABLE
constexpr long kBpffsMagic = 0xcafe4a11;

// Number of possible CPUs (/sys/devices/system/cpu/possible, e.g. "0-3").
uint32_t possibleCpus() {
  auto buffer = llvm::MemoryBuffer::getFile("/sys/devices/system/cpu/possible",
                                            /*IsText=*/true);
  if (!buffer)
    return 1;
  uint32_t count = 0;
  llvm::SmallVector<llvm::StringRef, 4> ranges;
  (*buffer)->getBuffer().trim().split(ranges, ',');
  for (llvm::StringRef range : ranges) {
    auto [lo, hi] = range.split('-');
    unsigned a = 0, b = 0;
    if (lo.getAsInteger(10, a))
      continue;
    b = hi.empty() || hi.getAsInteger(10, b) ? a : b;
    count += b >= a ? b - a + 1 : 0;
  }
  return count ? count : 1;
}

bool isMapInMap(uint32_t type) {
  return type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
         type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

// Map types whose values are kernel objects or that have no key: the kernel
// rejects key/value BTF for them (libbpf drops it for the same list).
bool takesBtf(uint32_t type) {
  switch (type) {
  case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
  case BPF_MAP_TYPE_CGROUP_ARRAY:
  case BPF_MAP_TYPE_STACK_TRACE:
  case BPF_MAP_TYPE_ARRAY_OF_MAPS:
  case BPF_MAP_TYPE_HASH_OF_MAPS:
  case BPF_MAP_TYPE_DEVMAP:
  case BPF_MAP_TYPE_DEVMAP_HASH:
  case BPF_MAP_TYPE_CPUMAP:
  case BPF_MAP_TYPE_XSKMAP:
  case BPF_MAP_TYPE_SOCKMAP:
  case BPF_MAP_TYPE_SOCKHASH:
  case BPF_MAP_TYPE_QUEUE:
  case BPF_MAP_TYPE_STACK:
  case BPF_MAP_TYPE_PROG_ARRAY:
    return false;
  default:
    return true;
  }
}

// Undo log of a load's lasting effects: pins and directories it created, and
// slots it wrote into prog arrays that outlive it (reused pinned ones; the
// arrays this load created die with their fds).
class Transaction {
public:
  explicit Transaction(kern::Kernel &kernel) : kernel_(kernel) {}
  ~Transaction() { rollback(); }
  void created(std::string path, bool directory) {
    steps_.push_back({std::move(path), directory, -1, 0, std::nullopt});
  }
  // `previous` is the id of the program the slot held, if any. The map fd
  // must stay open until commit() or rollback().
  void slotWritten(int mapFd, uint32_t key, std::optional<uint32_t> previous) {
    steps_.push_back({"", false, mapFd, key, previous});
  }
  std::vector<std::string> commit() {
    committed_ = true;
    std::vector<std::string> paths;
    for (const Step &step : steps_)
      if (step.mapFd < 0)
        paths.push_back(step.path);
    return paths;
  }
  // Undoes every step, newest first, best effort (there is no one left to
  // tell about a failure). Idempotent.
  void rollback() {
    if (committed_)
      return;
    committed_ = true;
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      if (it->mapFd < 0) {
        it->directory ? kernel_.rmdir(it->path) : kernel_.unlink(it->path);
        continue;
      }
      llvm::Error err = llvm::Error::success();
      if (it->previous) {
        auto prog = kern::progFromId(kernel_, *it->previous);
        int fd = prog ? prog->get() : -1;
        err = prog ? kern::mapUpdate(kernel_, it->mapFd, &it->key, &fd)
                   : prog.takeError();
      } else {
        err = kern::mapDelete(kernel_, it->mapFd, &it->key);
      }
      llvm::consumeError(std::move(err));
    }
  }

private:
  struct Step {
    std::string path; // a created pin or directory, when mapFd < 0
    bool directory;
    int mapFd; // a written prog-array slot otherwise
    uint32_t key;
    std::optional<uint32_t> previous;
  };
  kern::Kernel &kernel_;
  std::vector<Step> steps_;
  bool committed_ = false;
};

std::string objectName(const ir::Object &object) {
  return llvm::sys::path::stem(object.path).str();
}

// libbpf's internal map names: up to 8 characters of the object name, fewer
// when the name would pass 15 ("core_tr.kconfig"), and the section name
// ("btf_tc.data"); .data.foo-style sections keep their own.
std::string internalMapName(const ir::Object &object, llvm::StringRef section) {
  bool standard = section == ".data" || section == ".rodata" ||
                  section == ".bss" || section == ".kconfig";
  size_t prefix = std::min<size_t>(8, 15 - section.size());
  std::string name = standard
                         ? objectName(object).substr(0, prefix) + section.str()
                         : section.str();
  return kernelSafeName(name).substr(0, 15);
}

class Loader {
public:
  Loader(const ir::Object &object, const Options &options, kern::Kernel &kernel)
      : obj_(object), opt_(options), k_(kernel), tx_(kernel) {}

  llvm::Expected<Collection> run() {
    for (llvm::Error (Loader::*stage)() :
         {&Loader::linkPrograms, &Loader::loadBtf, &Loader::relocateCore,
          &Loader::createMaps, &Loader::createDataMaps, &Loader::loadPrograms,
          &Loader::wire, &Loader::pinPrograms})
      if (llvm::Error err = (this->*stage)()) {
        // Now, while the fds the undo steps name are still open.
        tx_.rollback();
        return kern::withContext(std::move(err), obj_.path);
      }
    out_.createdPaths = tx_.commit();
    return std::move(out_);
  }

private:
  llvm::Error linkPrograms();
  llvm::Error loadBtf();
  llvm::Error relocateCore();
  llvm::Error createMaps();
  llvm::Error createDataMaps();
  llvm::Error loadPrograms();
  llvm::Error wire();
  llvm::Error pinPrograms();

  llvm::Error makeDirs(llvm::StringRef dir);
  llvm::Expected<bool> reusePinned(LoadedMap &loaded, const ir::MapShape &shape,
                                   uint32_t maxEntries);
  llvm::Error pinNew(int fd, const std::string &path);
  llvm::Expected<kern::Fd> create(const std::string &name,
                                  const ir::MapShape &shape, int innerFd);
  llvm::Error patch(link::LinkedProgram &linked);
  uint32_t btfId(uint32_t objectId) const {
    return btfFd_ && btf_ ? btf_->mappedId(objectId) : 0;
  }

  const ir::Object &obj_;
  const Options &opt_;
  kern::Kernel &k_;
  Transaction tx_;
  Collection out_;
  std::vector<link::LinkedProgram> linked_;
  std::optional<btf::Subset> btf_; // what loadBtf() sent the kernel
  kern::Fd btfFd_;
  std::map<std::string, size_t> mapIndex_;  // IR map name -> out_.maps
  std::map<std::string, size_t> dataIndex_; // data section -> out_.maps
  std::optional<KconfigMap> kconfig_;
  size_t kconfigIndex_ = 0;
};

const LoadedMap *findMap(const std::vector<LoadedMap> &maps,
                         llvm::StringRef name) {
  for (const LoadedMap &m : maps)
    if (m.name == name)
      return &m;
  return nullptr;
}

llvm::Error Loader::linkPrograms() {
  for (const ir::Program &prog : obj_.programs) {
    if (prog.subprogram)
      continue;
    if (!prog.type.autoload) {
      out_.notes.push_back("program '" + prog.name +
                           "' not loaded: its section starts with '?'");
      continue;
    }
    if (prog.type.progType == BPF_PROG_TYPE_UNSPEC) {
      out_.notes.push_back("program '" + prog.name + "' not loaded: section '" +
                           prog.section + "' names no program type");
      continue;
    }
    auto linked = link::linkProgram(obj_, prog);
    if (!linked)
      return linked.takeError();
    linked_.push_back(std::move(*linked));
  }
  return llvm::Error::success();
}

// The kernel rejects what clang leaves for libbpf to fix: zero-size DATASECs,
// DATASECs of sections that become no map, extern FUNC linkage.
llvm::Error Loader::loadBtf() {
  if (!obj_.btf)
    return llvm::Error::success();
  std::set<std::string> dataSections;
  for (const ir::DataSection &data : obj_.data)
    dataSections.insert(data.name);
  std::set<uint32_t> drop, keep;
  for (const btf::Type &t : obj_.btf->types())
    if (t.kind == btf::Kind::Datasec && !dataSections.count(t.name.str())) {
      drop.insert(t.id);
      for (const btf::VarSecinfo &info : t.secinfos)
        drop.insert(info.type);
    }
  for (const ir::Map &map : obj_.maps)
    for (uint32_t id : {map.shape.btfKeyTypeId, map.shape.btfValueTypeId})
      if (id)
        keep.insert(id);
  btf_.emplace(*obj_.btf, btf::keptTypeIds(*obj_.btf, drop, keep));
  for (const btf::Type &kept : obj_.btf->types()) {
    if (!btf_->mappedId(kept.id))
      continue;
    if (kept.kind == btf::Kind::Func && kept.linkage > 1) {
      btf::Type t = kept;
      t.linkage = 0;
      btf_->replace(t.id, std::move(t));
    }
    if (kept.kind != btf::Kind::Datasec)
      continue;
    btf::Type t = kept;
    const ir::DataSection *data = nullptr;
    for (const ir::DataSection &d : obj_.data)
      if (d.name == t.name)
        data = &d;
    t.size = uint32_t(data->size);
    std::vector<btf::VarSecinfo> fixed;
    for (btf::VarSecinfo info : t.secinfos) {
      const btf::Type *var = obj_.btf->type(info.type);
      for (const ir::Variable &v : data->variables)
        if (var && v.name == var->name && v.offset + v.size <= data->size) {
          info.offset = uint32_t(v.offset);
          info.size = uint32_t(v.size);
          fixed.push_back(info);
        }
    }
    std::sort(fixed.begin(), fixed.end(),
              [](const auto &a, const auto &b) { return a.offset < b.offset; });
    t.secinfos = std::move(fixed);
    btf_->replace(t.id, std::move(t));
  }
  // Line info strings must be in the string table before it is encoded.
  for (const link::LinkedProgram &lp : linked_)
    for (const link::LineInfo &li : lp.lineInfo) {
      btf_->stringOffset(li.fileName);
      btf_->stringOffset(li.line);
    }
  auto fd = kern::btfLoad(k_, btf_->encode(/*bigEndian=*/false));
  if (!fd) {
    // As libbpf and tc do: BTF is optional for loading; say so.
    out_.notes.push_back("BTF not loaded, continuing without it: " +
                         llvm::toString(fd.takeError()));
    return llvm::Error::success();
  }
  btfFd_ = std::move(*fd);
  return llvm::Error::success();
}

// Every CO-RE record of every linked program against the target BTF (the
// running kernel's, or Options::targetBtf), before any kernel object exists:
// a relocation that cannot be resolved fails the load as it does in libbpf.
llvm::Error Loader::relocateCore() {
  const core::Targets *targets = nullptr;
  for (link::LinkedProgram &linked : linked_) {
    const ir::Program &prog = *linked.entry;
    for (size_t i = 0; i < linked.coreRelos.size(); ++i) {
      const link::CoreRelo &at = linked.coreRelos[i];
      const btf::CoreRelo &relo = *at.record;
      auto fail = [&](llvm::Error err) {
        return prefixError(std::move(err), "program '" + prog.name +
                                               "': CO-RE relocation #" +
                                               llvm::Twine(i) + " at insn #" +
                                               llvm::Twine(at.insn) + ", " +
                                               core::describe(*obj_.btf, relo));
      };
      if (!obj_.btf)
        return fail(makeError("the object has .BTF.ext but no .BTF"));
      if (!targets) {
        auto loaded = coreTargets(opt_.targetBtf);
        if (!loaded)
          return loaded.takeError();
        targets = *loaded;
      }
      auto result = core::computeRelo(*obj_.btf, relo, *targets);
      if (!result)
        return fail(result.takeError());
      // The local id as the kernel knows it: our loaded BTF drops types
      // (loadBtf), so ids shift.
      if (relo.kind == btf::CoreReloKind::TypeIdLocal && btf_)
        result->newVal = btf_->mappedId(relo.typeId);
      if (llvm::Error err = core::patchInsn(linked.insns, at.insn, *result))
        return fail(std::move(err));
    }
  }
  return llvm::Error::success();
}

llvm::Error Loader::makeDirs(llvm::StringRef dir) {
  if (dir.empty() || dir == "/")
    return llvm::Error::success();
  if (llvm::Error err = makeDirs(llvm::sys::path::parent_path(dir)))
    return err;
  int rc = k_.mkdir(dir.str(), 0700);
  if (rc == 0) {
    tx_.created(dir.str(), /*directory=*/true);
    return llvm::Error::success();
  }
  if (rc == -EEXIST)
    return llvm::Error::success();
  return llvm::make_error<kern::KernelError>("mkdir '" + dir.str() + "'", -rc);
}

// Pins live on a bpf filesystem only; say how to get one rather than fail
// with whatever mkdir or BPF_OBJ_PIN makes of another filesystem.
llvm::Error requireBpffs(llvm::StringRef path) {
  std::string existing = path.str();
  struct stat st;
  while (!existing.empty() && ::stat(existing.c_str(), &st) != 0)
    existing = llvm::sys::path::parent_path(existing).str();
  struct statfs fs;
  if (existing.empty() || ::statfs(existing.c_str(), &fs) != 0 ||
      fs.f_type != kBpffsMagic)
    return makeError(path + " is not on a bpf filesystem (bpffs); mount one "
                            "with: mount -t bpf bpf /sys/fs/bpf");
  return llvm::Error::success();
}

llvm::Error Loader::pinNew(int fd, const std::string &path) {
  if (llvm::Error err = requireBpffs(path))
    return err;
  if (llvm::Error err = makeDirs(llvm::sys::path::parent_path(path)))
    return err;
  if (llvm::Error err = kern::objPin(k_, fd, path))
    return err;
  tx_.created(path, /*directory=*/false);
  return llvm::Error::success();
}

llvm::Expected<kern::Fd> Loader::create(const std::string &name,
                                        const ir::MapShape &shape,
                                        int innerFd) {
  kern::MapCreate spec;
  spec.type = shape.type;
  spec.keySize = shape.keySize;
  spec.valueSize = shape.valueSize;
  spec.maxEntries = shape.maxEntries;
  if (auto it = opt_.maxEntries.find(name); it != opt_.maxEntries.end())
    spec.maxEntries = it->second;
  // As libbpf and cilium/ebpf: a perf event array sized 0 gets a slot per
  // possible CPU.
  if (spec.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && spec.maxEntries == 0)
    spec.maxEntries = possibleCpus();
  spec.flags = shape.flags;
  spec.name = name;
  spec.innerMapFd = innerFd;
  spec.hasNumaNode = shape.numaNode.has_value();
  spec.numaNode = shape.numaNode.value_or(0);
  spec.mapExtra = shape.mapExtra;
  if (takesBtf(shape.type)) {
    spec.btfKeyTypeId = btfId(shape.btfKeyTypeId);
    spec.btfValueTypeId = btfId(shape.btfValueTypeId);
  }
  if (spec.btfKeyTypeId || spec.btfValueTypeId)
    spec.btfFd = btfFd_.get();
  return kern::mapCreate(k_, spec);
}

// A pinned map is reused only if it is the map this object would create.
llvm::Error compatible(const kern::MapInfo &info, const ir::MapShape &shape,
                       uint32_t maxEntries, const std::string &path) {
  auto field = [&](const char *name, uint64_t pinned, uint64_t wanted) {
    return makeError("pinned map " + path + " is incompatible: " + name + " " +
                     llvm::Twine(pinned) + " pinned vs " + llvm::Twine(wanted) +
                     " in the object");
  };
  if (info.type != shape.type)
    return field("type", info.type, shape.type);
  if (info.keySize != shape.keySize)
    return field("key_size", info.keySize, shape.keySize);
  if (info.valueSize != shape.valueSize)
    return field("value_size", info.valueSize, shape.valueSize);
  if (info.maxEntries != maxEntries)
    return field("max_entries", info.maxEntries, maxEntries);
  if (info.flags != shape.flags)
    return field("map_flags", info.flags, shape.flags);
  return llvm::Error::success();
}

// Opens the map pinned at loaded.pinPath if there is one: true when it is
// reused, false when nothing is pinned there, an error when the pin is
// incompatible or unreadable.
llvm::Expected<bool> Loader::reusePinned(LoadedMap &loaded,
                                         const ir::MapShape &shape,
                                         uint32_t maxEntries) {
  auto pinned = kern::objGet(k_, loaded.pinPath);
  if (!pinned) {
    llvm::Error err = pinned.takeError();
    // Only "no such pin" means create; anything else is an error.
    if (kern::errnoOf(err) == ENOENT) {
      llvm::consumeError(std::move(err));
      return false;
    }
    return err;
  }
  auto info = kern::mapInfo(k_, pinned->get());
  if (!info)
    return info.takeError();
  if (llvm::Error err = compatible(*info, shape, maxEntries, loaded.pinPath))
    return err;
  loaded.fd = std::move(*pinned);
  loaded.reused = true;
  return true;
}

llvm::Error Loader::createMaps() {
  for (const ir::Map &map : obj_.maps) {
    LoadedMap loaded;
    loaded.name = map.name;
    auto path = pinPath(map, obj_, opt_);
    if (!path)
      return path.takeError();
    loaded.pinPath = *path;
    uint32_t maxEntries = map.shape.maxEntries;
    if (auto it = opt_.maxEntries.find(map.name); it != opt_.maxEntries.end())
      maxEntries = it->second;
    if (!loaded.pinPath.empty()) {
      auto reused = reusePinned(loaded, map.shape, maxEntries);
      if (!reused)
        return reused.takeError();
      if (*reused) {
        mapIndex_[map.name] = out_.maps.size();
        out_.maps.push_back(std::move(loaded));
        continue;
      }
    }
    // Map-in-map outers take a template map that exists only for creation.
    kern::Fd inner;
    if (isMapInMap(map.shape.type)) {
      if (!map.inner)
        return makeError("map '" + map.name +
                         "' is map-in-map but has no inner map template");
      auto made = create(map.name + ".inner", *map.inner, -1);
      if (!made)
        return made.takeError();
      inner = std::move(*made);
    }
    auto fd = create(map.name, map.shape, inner.get());
    if (!fd)
      return fd.takeError();
    loaded.fd = std::move(*fd);
    if (!loaded.pinPath.empty()) {
      llvm::Error err = pinNew(loaded.fd.get(), loaded.pinPath);
      // Another loader pinned the same path between our lookup and our pin
      // (BPF_OBJ_PIN never replaces): use its map, as if it had been first,
      // and drop ours.
      if (kern::errnoOf(err) == EEXIST) {
        llvm::consumeError(std::move(err));
        auto reused = reusePinned(loaded, map.shape, maxEntries);
        if (!reused)
          return reused.takeError();
        if (!*reused)
          return makeError("pin " + loaded.pinPath +
                           " appeared and vanished while loading");
      } else if (err) {
        return err;
      }
    }
    mapIndex_[map.name] = out_.maps.size();
    out_.maps.push_back(std::move(loaded));
  }
  return llvm::Error::success();
}

llvm::Error Loader::createDataMaps() {
  auto add = [&](const std::string &section, uint32_t valueSize, uint32_t flags,
                 const std::vector<uint8_t> &initial, uint32_t btfValue,
                 bool freeze) -> llvm::Error {
    kern::MapCreate spec;
    spec.type = BPF_MAP_TYPE_ARRAY;
    spec.keySize = 4;
    spec.valueSize = valueSize;
    spec.maxEntries = 1;
    spec.flags = flags;
    spec.name = internalMapName(obj_, section);
    if (uint32_t id = btfId(btfValue)) {
      spec.btfFd = btfFd_.get();
      spec.btfValueTypeId = id;
    }
    auto fd = kern::mapCreate(k_, spec);
    if (!fd)
      return fd.takeError();
    std::vector<uint8_t> value(valueSize, 0);
    std::copy_n(initial.begin(), std::min(initial.size(), value.size()),
                value.begin());
    uint32_t key = 0;
    if (llvm::Error err = kern::mapUpdate(k_, fd->get(), &key, value.data()))
      return err;
    if (freeze)
      if (llvm::Error err = kern::mapFreeze(k_, fd->get()))
        return err;
    LoadedMap loaded;
    loaded.name = spec.name;
    loaded.fd = std::move(*fd);
    loaded.internal = true;
    dataIndex_[section] = out_.maps.size();
    out_.maps.push_back(std::move(loaded));
    return llvm::Error::success();
  };
  for (const ir::DataSection &data : obj_.data) {
    if (data.size == 0)
      continue;
    bool rodata = data.kind == ir::DataKind::Rodata;
    uint32_t datasec = 0;
    if (obj_.btf)
      if (const btf::Type *t =
              obj_.btf->findByName(data.name, btf::Kind::Datasec))
        datasec = t->id;
    if (llvm::Error err =
            add(data.name, uint32_t(data.size),
                kMapFlagMmapable | (rodata ? kMapFlagRdonlyProg : 0),
                data.bytes, datasec, /*freeze=*/rodata))
      return err;
  }
  auto kconfig = buildKconfig(obj_);
  if (!kconfig)
    return kconfig.takeError();
  if (!kconfig->value.empty()) {
    kconfigIndex_ = out_.maps.size();
    if (llvm::Error err =
            add(".kconfig", uint32_t(kconfig->value.size()),
                kMapFlagMmapable | kMapFlagRdonlyProg, kconfig->value, 0, true))
      return err;
    kconfig_ = std::move(*kconfig);
  }
  return llvm::Error::success();
}

// Typeless ksyms (`extern const void x __ksym`) load by address.
bool typelessKsym(const ir::Object &object, const std::string &name) {
  if (!object.btf)
    return true;
  const btf::Type *var = object.btf->findByName(name, btf::Kind::Var);
  if (!var)
    return true;
  const btf::Type *t = object.btf->skipModsAndTypedefs(var->type);
  return t == nullptr;
}

llvm::Error Loader::patch(link::LinkedProgram &linked) {
  for (const link::Pending &pending : linked.pending) {
    const ir::Relocation &rel = *pending.relocation;
    ir::Insn &insn = linked.insns[pending.insn];
    ir::Insn *next = pending.insn + 1 < linked.insns.size()
                         ? &linked.insns[pending.insn + 1]
                         : nullptr;
    auto ldImm64 = [&](uint8_t src, int32_t lo, int32_t hi) -> llvm::Error {
      if (!next)
        return makeError("ld_imm64 at insn #" + llvm::Twine(pending.insn) +
                         " has no second half");
      insn.src = src;
      insn.imm = lo;
      next->imm = hi;
      return llvm::Error::success();
    };
    llvm::Error err = llvm::Error::success();
    switch (rel.kind) {
    case ir::RelocKind::MapFd:
      err = ldImm64(kPseudoMapFd, out_.maps[mapIndex_.at(rel.target)].fd.get(),
                    0);
      break;
    case ir::RelocKind::MapValue: {
      auto it = dataIndex_.find(rel.target);
      if (it == dataIndex_.end())
        return makeError("data section '" + rel.target + "' has no map");
      err = ldImm64(kPseudoMapValue, out_.maps[it->second].fd.get(),
                    int32_t(rel.offset));
      break;
    }
    case ir::RelocKind::ExternVar:
    case ir::RelocKind::Kfunc: {
      const ir::Extern *ext = nullptr;
      for (const ir::Extern &e : obj_.externs)
        if (e.name == rel.target)
          ext = &e;
      if (!ext)
        return makeError("unknown extern '" + rel.target + "'");
      if (ext->kind == ir::Extern::Kind::Kconfig) {
        err = ldImm64(kPseudoMapValue, out_.maps[kconfigIndex_].fd.get(),
                      int32_t(kconfig_->offsets.at(ext->name)));
        break;
      }
      auto ksym = resolveKsym(*ext, typelessKsym(obj_, ext->name));
      if (!ksym)
        return ksym.takeError();
      if (ksym->kind == Ksym::Kind::Kfunc) {
        insn.src = kPseudoKfuncCall;
        insn.imm = int32_t(ksym->btfId);
        insn.off = 0; // vmlinux
      } else if (ksym->kind == Ksym::Kind::BtfVar) {
        err = ldImm64(kPseudoBtfId, int32_t(ksym->btfId), 0);
      } else {
        err = ldImm64(0, int32_t(uint32_t(ksym->address)),
                      int32_t(uint32_t(ksym->address >> 32)));
      }
      break;
    }
    case ir::RelocKind::Call:
    case ir::RelocKind::FuncAddr:
      return makeError("internal: call left unlinked");
    }
    if (err)
      return err;
  }
  return llvm::Error::success();
}

llvm::Error Loader::loadPrograms() {
  uint32_t kernVersion =
      obj_.kernelVersion && *obj_.kernelVersion != ir::kCurrentKernelVersion
          ? *obj_.kernelVersion
          : kern::runningKernelVersion();
  for (link::LinkedProgram &linked : linked_) {
    const ir::Program &prog = *linked.entry;
    if (llvm::Error err = patch(linked))
      return prefixError(std::move(err), "program '" + prog.name + "'");
    kern::ProgLoad spec;
    spec.type = prog.type.progType;
    spec.expectedAttachType =
        prog.type.hasExpectedAttachType ? prog.type.expectedAttachType : 0;
    if (prog.type.progType == BPF_PROG_TYPE_TRACING ||
        prog.type.progType == BPF_PROG_TYPE_LSM) {
      auto id = attachBtfId(spec.expectedAttachType, prog.type.target);
      if (!id)
        return prefixError(id.takeError(), "program '" + prog.name +
                                               "' (section '" + prog.section +
                                               "')");
      spec.attachBtfId = *id;
    }
    spec.name = prog.name;
    spec.license = obj_.license.value_or("");
    spec.kernVersion = kernVersion;
    spec.logLevel = (opt_.verifierLog ? kern::kLogLevelVerbose : 0) |
                    (opt_.verifierStats ? kern::kLogLevelStats : 0);
    if (prog.type.sleepable)
      spec.flags |= BPF_F_SLEEPABLE;
    spec.insns.reserve(linked.insns.size());
    for (const ir::Insn &insn : linked.insns) {
      bpf_insn raw{};
      raw.code = insn.code;
      raw.dst_reg = insn.dst & 0xf;
      raw.src_reg = insn.src & 0xf;
      raw.off = insn.off;
      raw.imm = insn.imm;
      spec.insns.push_back(raw);
    }
    bool funcInfoOk = btfFd_ && !linked.funcInfo.empty();
    for (const link::FuncInfo &fi : linked.funcInfo)
      funcInfoOk &= btfId(fi.typeId) != 0;
    if (funcInfoOk) {
      spec.btfFd = btfFd_.get();
      spec.funcInfo.reserve(linked.funcInfo.size());
      spec.lineInfo.reserve(linked.lineInfo.size());
      for (const link::FuncInfo &fi : linked.funcInfo)
        spec.funcInfo.push_back({fi.insn, btfId(fi.typeId)});
      for (const link::LineInfo &li : linked.lineInfo)
        spec.lineInfo.push_back({li.insn, btf_->stringOffset(li.fileName),
                                 btf_->stringOffset(li.line),
                                 li.lineNum << 10 | (li.column & 0x3ff)});
    }
    auto loaded = kern::progLoad(k_, spec);
    if (!loaded)
      return kern::withContext(loaded.takeError(), "program '" + prog.name +
                                                       "' (section '" +
                                                       prog.section + "')");
    LoadedProgram out;
    out.name = prog.name;
    out.section = prog.section;
    out.fd = std::move(loaded->fd);
    out.verifierLog = std::move(loaded->log);
    out_.programs.push_back(std::move(out));
  }
  return llvm::Error::success();
}

// Prog-array slots are written even into reused pinned arrays (as libbpf
// does); map-in-map slots only into outer maps this load created.
llvm::Error Loader::wire() {
  for (const ir::Map &map : obj_.maps) {
    const LoadedMap &outer = out_.maps[mapIndex_.at(map.name)];
    for (const ir::Slot &slot : map.slots) {
      int fd = -1;
      if (slot.kind == ir::Slot::Kind::Program) {
        const LoadedProgram *prog = out_.program(slot.target);
        if (!prog) {
          out_.notes.push_back("slot " + std::to_string(slot.index) + " of '" +
                               map.name + "' left empty: program '" +
                               slot.target + "' was not loaded");
          continue;
        }
        fd = prog->fd.get();
      } else {
        if (outer.reused)
          continue;
        fd = out_.maps[mapIndex_.at(slot.target)].fd.get();
      }
      uint32_t key = slot.index;
      // A reused array outlives a failed load: remember what the slot held.
      std::optional<uint32_t> previous;
      if (outer.reused) {
        uint32_t id = 0;
        llvm::Error err = kern::mapLookup(k_, outer.fd.get(), &key, &id);
        if (kern::errnoOf(err) == ENOENT)
          llvm::consumeError(std::move(err));
        else if (err)
          return prefixError(std::move(err), "map '" + map.name + "' slot " +
                                                 llvm::Twine(slot.index));
        else
          previous = id;
      }
      if (llvm::Error err = kern::mapUpdate(k_, outer.fd.get(), &key, &fd))
        return prefixError(std::move(err), "map '" + map.name + "' slot " +
                                               llvm::Twine(slot.index));
      if (outer.reused)
        tx_.slotWritten(outer.fd.get(), key, previous);
    }
  }
  return llvm::Error::success();
}

llvm::Error Loader::pinPrograms() {
  if (opt_.pinProgs.empty())
    return llvm::Error::success();
  for (LoadedProgram &prog : out_.programs) {
    std::string path = opt_.pinProgs + "/" + kernelSafeName(prog.name);
    if (llvm::Error err = pinNew(prog.fd.get(), path))
      return err;
    prog.pinPath = path;
  }
  return llvm::Error::success();
}

} // namespace

const LoadedMap *Collection::map(llvm::StringRef name) const {
  return findMap(maps, name);
}

const LoadedProgram *Collection::program(llvm::StringRef name) const {
  for (const LoadedProgram &p : programs)
    if (p.name == name)
      return &p;
  return nullptr;
}

llvm::Expected<Collection> loadObject(const ir::Object &object,
                                      const Options &options,
                                      kern::Kernel &kernel) {
  if (object.byteOrder == ir::ByteOrder::Big)
    return makeError(object.path +
                     ": big-endian object cannot load on this host");
  // Objects their own loader refuses are refused here too: loading them
  // anyway would give them a meaning they never had.
  for (const ir::Diagnostic &d : object.diagnostics)
    if (d.severity == ir::Severity::Error)
      return makeError(object.path + ": refused by its own loader (" + d.code +
                       "): " + d.message);
  return Loader(object, options, kernel).run();
}

llvm::Expected<uint32_t> mapId(kern::Kernel &kernel, const LoadedMap &map) {
  auto info = kern::mapInfo(kernel, map.fd.get());
  if (!info)
    return prefixError(info.takeError(), "map '" + map.name + "'");
  return info->id;
}

llvm::Expected<uint32_t> programId(kern::Kernel &kernel,
                                   const LoadedProgram &program) {
  auto info = kern::progInfo(kernel, program.fd.get());
  if (!info)
    return prefixError(info.takeError(), "program '" + program.name + "'");
  return info->id;
}

} // namespace bpfcompat::load
