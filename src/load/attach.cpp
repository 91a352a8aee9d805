// Attach points as BPF links. Calls other than bpf(2) (open, setns,
// perf_event_open, if_nametoindex) are made here directly; every fd they
// return is owned by a kern::Fd from the moment it exists.
#include "bpfcompat/attach.h"

#include "bpfcompat/error.h"

#include <llvm/Object/ELF.h>
#include <llvm/Support/MemoryBuffer.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace bpfcompat::attach {

namespace {

// Debian's linux/bpf.h (6.1) predates tcx (Linux 6.6).
constexpr uint32_t kAttachTcxIngress = 46;
constexpr uint32_t kAttachTcxEgress = 47;

// errno is read before anything else can change it; `what` is a Twine so
// building the message allocates nothing before that.
llvm::Error sysError(const llvm::Twine &what) {
  int err = errno;
  return llvm::make_error<kern::KernelError>(what.str(), err);
}

llvm::Expected<kern::Fd> openPath(const std::string &path, int flags) {
  kern::Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd)
    return sysError("open " + llvm::Twine(path));
  return fd;
}

// sysfs and tracefs report made-up file sizes, so read once into a buffer
// larger than any value file they hold.
llvm::Expected<std::string> readValue(const std::string &path) {
  auto fd = openPath(path, O_RDONLY);
  if (!fd)
    return fd.takeError();
  char buf[256];
  ssize_t n = ::read(fd->get(), buf, sizeof(buf));
  if (n < 0)
    return sysError("read " + llvm::Twine(path));
  return llvm::StringRef(buf, size_t(n)).trim().str();
}

llvm::Expected<uint64_t> readNumber(const std::string &path) {
  auto text = readValue(path);
  if (!text)
    return text.takeError();
  uint64_t n;
  if (llvm::StringRef(*text).getAsInteger(10, n))
    return makeError(path + ": '" + *text + "' is not a number");
  return n;
}

struct KindWord {
  const char *word;
  Kind kind;
  bool retprobe;
};
constexpr KindWord kKindWords[] = {
    {"tc", Kind::Tc, false},
    {"xdp", Kind::Xdp, false},
    {"tracepoint", Kind::Tracepoint, false},
    {"raw_tp", Kind::RawTracepoint, false},
    {"kprobe", Kind::Kprobe, false},
    {"kretprobe", Kind::Kprobe, true},
    {"uprobe", Kind::Uprobe, false},
    {"uretprobe", Kind::Uprobe, true},
    {"cgroup", Kind::Cgroup, false},
};

// The CLI word `auto` stands for, by the section's attach kind.
const char *autoWord(AttachKind kind) {
  switch (kind) {
  case AttachKind::Tracepoint:
    return "tracepoint";
  case AttachKind::RawTracepoint:
    return "raw_tp";
  case AttachKind::Kprobe:
    return "kprobe";
  case AttachKind::Kretprobe:
    return "kretprobe";
  case AttachKind::Uprobe:
    return "uprobe";
  case AttachKind::Uretprobe:
    return "uretprobe";
  case AttachKind::Cgroup:
    return "cgroup";
  default:
    return nullptr;
  }
}

// The kind whose target the section names, if any: a kretprobe section
// names a kprobe target, and so on.
std::optional<Kind> sectionKind(AttachKind kind) {
  switch (kind) {
  case AttachKind::Tracepoint:
    return Kind::Tracepoint;
  case AttachKind::RawTracepoint:
    return Kind::RawTracepoint;
  case AttachKind::Kprobe:
  case AttachKind::Kretprobe:
    return Kind::Kprobe;
  case AttachKind::Uprobe:
  case AttachKind::Uretprobe:
    return Kind::Uprobe;
  case AttachKind::Cgroup:
    return Kind::Cgroup;
  default:
    return std::nullopt;
  }
}

bool isCgroupProgType(uint32_t type) {
  switch (type) {
  case BPF_PROG_TYPE_CGROUP_SKB:
  case BPF_PROG_TYPE_CGROUP_SOCK:
  case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
  case BPF_PROG_TYPE_SOCK_OPS:
  case BPF_PROG_TYPE_CGROUP_DEVICE:
  case BPF_PROG_TYPE_CGROUP_SYSCTL:
  case BPF_PROG_TYPE_CGROUP_SOCKOPT:
    return true;
  default:
    return false;
  }
}

// Refuses a program type the kernel would refuse for `kind`, with a reason
// people can act on rather than EINVAL.
llvm::Error checkProgType(const ir::Program &prog, Kind kind) {
  uint32_t type = prog.type.progType;
  bool fits = false;
  switch (kind) {
  case Kind::Tc:
    if (type == BPF_PROG_TYPE_SCHED_ACT)
      return makeError("program '" + prog.name +
                       "' is sched_act: it runs from a tc action, which tcx "
                       "links cannot attach; only sched_cls programs can");
    fits = type == BPF_PROG_TYPE_SCHED_CLS;
    break;
  case Kind::Xdp:
    fits = type == BPF_PROG_TYPE_XDP;
    break;
  case Kind::Tracepoint:
    fits = type == BPF_PROG_TYPE_TRACEPOINT;
    break;
  case Kind::RawTracepoint:
    fits = type == BPF_PROG_TYPE_RAW_TRACEPOINT ||
           type == BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE;
    break;
  case Kind::Kprobe:
  case Kind::Uprobe:
    fits = type == BPF_PROG_TYPE_KPROBE;
    break;
  case Kind::Cgroup:
    fits = isCgroupProgType(type);
    break;
  }
  if (fits)
    return llvm::Error::success();
  return makeError("program '" + prog.name + "' is " + progTypeName(type) +
                   ", which cannot attach as " + kindName(kind));
}

std::optional<uint32_t> attachTypeFromName(llvm::StringRef name) {
  // Past the end of attachTypeName's table (which follows the kernel's
  // enum); it answers "unknown(N)" there.
  constexpr uint32_t kBound = 128;
  for (uint32_t i = 0; i < kBound; ++i)
    if (attachTypeName(i) == name)
      return i;
  return std::nullopt;
}

// "[BINARY:]FUNC[+OFF]" into the target and the offset; a '+' before the
// last ':' belongs to the binary's path.
llvm::Error splitOffset(llvm::StringRef text, std::string &target,
                        uint64_t &offset) {
  size_t plus = text.rfind('+');
  size_t colon = text.rfind(':');
  offset = 0;
  if (plus != llvm::StringRef::npos &&
      (colon == llvm::StringRef::npos || plus > colon)) {
    if (text.substr(plus + 1).getAsInteger(0, offset))
      return makeError("'" + text + "' is not FUNCTION[+OFFSET]");
    text = text.take_front(plus);
  }
  target = text.str();
  return llvm::Error::success();
}

// Fills the kind-specific fields of `out` from ARG, or from the section when
// there is no ARG.
llvm::Error fillTarget(const ir::Program &prog, llvm::StringRef arg,
                       Request &out) {
  bool fromSection = arg.empty() && sectionKind(prog.type.attach) == out.kind;
  switch (out.kind) {
  case Kind::Tc:
    if (arg != "ingress" && arg != "egress")
      return makeError("tc takes tc:ingress or tc:egress");
    out.egress = arg == "egress";
    return llvm::Error::success();
  case Kind::Xdp:
    if (!arg.empty() && arg != "generic")
      return makeError("xdp takes xdp or xdp:generic");
    out.generic = arg == "generic";
    return llvm::Error::success();
  case Kind::Tracepoint:
  case Kind::RawTracepoint:
    out.target = fromSection ? prog.type.target : arg.str();
    if (out.target.empty())
      return makeError(llvm::Twine(kindName(out.kind)) +
                       " needs a target: the section names none");
    if (out.kind == Kind::Tracepoint &&
        (llvm::StringRef(out.target).count('/') != 1 ||
         llvm::StringRef(out.target).contains("..")))
      return makeError("tracepoint '" + out.target + "' is not CATEGORY/NAME");
    return llvm::Error::success();
  case Kind::Kprobe:
  case Kind::Uprobe: {
    if (fromSection) {
      out.target = prog.type.target;
      out.offset = prog.type.offset;
    } else if (llvm::Error err = splitOffset(arg, out.target, out.offset)) {
      return err;
    }
    if (out.target.empty())
      return makeError(llvm::Twine(kindName(out.kind)) +
                       " needs a target: the section names none");
    auto [binary, func] = llvm::StringRef(out.target).rsplit(':');
    if (out.kind == Kind::Uprobe && (binary.empty() || func.empty()))
      return makeError("uprobe target '" + out.target +
                       "' is not BINARY:FUNCTION");
    return llvm::Error::success();
  }
  case Kind::Cgroup: {
    if (arg.empty()) {
      if (!prog.type.hasExpectedAttachType)
        return makeError("program '" + prog.name +
                         "' has no expected attach type: use "
                         "cgroup:ATTACH_TYPE, e.g. cgroup:cgroup_inet_ingress");
      out.attachType = prog.type.expectedAttachType;
      return llvm::Error::success();
    }
    std::optional<uint32_t> type = attachTypeFromName(arg);
    if (!type)
      return makeError("unknown attach type '" + arg + "'");
    out.attachType = *type;
    return llvm::Error::success();
  }
  }
  llvm_unreachable("unhandled Kind");
}

// Runs `fn` with this thread in network namespace `name` (as ip-netns names
// them under /var/run/netns), then moves the thread back.
llvm::Expected<kern::Fd>
inNetns(const std::string &name,
        llvm::function_ref<llvm::Expected<kern::Fd>()> fn) {
  if (name.empty())
    return fn();
  if (name.find('/') != std::string::npos || name == "." || name == "..")
    return makeError("'" + name + "' is not a network namespace name");
  auto home = openPath("/proc/thread-self/ns/net", O_RDONLY);
  if (!home)
    return home.takeError();
  std::string path = "/var/run/netns/" + name;
  auto target = openPath(path, O_RDONLY);
  if (!target)
    return target.takeError();
  if (::setns(target->get(), CLONE_NEWNET) != 0)
    return sysError("setns " + llvm::Twine(path));
  llvm::Expected<kern::Fd> result = fn();
  if (::setns(home->get(), CLONE_NEWNET) != 0) {
    // Dropping `result` closes the link created in the wrong place.
    llvm::Error back = sysError("setns back from " + llvm::Twine(path));
    if (!result)
      return llvm::joinErrors(result.takeError(), std::move(back));
    return back;
  }
  return result;
}

llvm::Expected<kern::Fd> attachNetDevice(kern::Kernel &k, int progFd,
                                         const Request &request,
                                         const std::string &what) {
  unsigned ifindex = ::if_nametoindex(request.device.c_str());
  if (ifindex == 0)
    return sysError("if_nametoindex '" + llvm::Twine(request.device) + "'");
  kern::LinkCreate link;
  link.progFd = progFd;
  link.target = ifindex;
  link.name = what;
  if (request.kind == Kind::Tc) {
    link.attachType = request.egress ? kAttachTcxEgress : kAttachTcxIngress;
  } else {
    link.attachType = BPF_XDP;
    link.flags = request.generic ? XDP_FLAGS_SKB_MODE : 0;
  }
  return kern::linkCreate(k, link);
}

// A perf event turned into a link. The link holds its own reference to the
// event, so the perf fd closes when this returns and the event lives on
// until the link is released.
llvm::Expected<kern::Fd> perfEventLink(kern::Kernel &k, int progFd,
                                       perf_event_attr &attr,
                                       const std::string &what) {
  // pid -1 with cpu 0 is how libbpf asks for every process: the program
  // runs on every CPU whatever CPU the event is bound to.
  kern::Fd perf(static_cast<int>(
      ::syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC)));
  if (!perf)
    return sysError("perf_event_open " + llvm::Twine(what));
  kern::LinkCreate link;
  link.progFd = progFd;
  link.target = static_cast<uint32_t>(perf.get());
  link.attachType = BPF_PERF_EVENT;
  link.name = what;
  return kern::linkCreate(k, link);
}

llvm::Expected<kern::Fd> attachTracepoint(kern::Kernel &k, int progFd,
                                          const Request &request,
                                          const std::string &what) {
  // tracefs' own mount point first, then its debugfs automount.
  std::optional<uint64_t> id;
  for (const char *base : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"})
    if (auto n = readNumber(std::string(base) + "/events/" + request.target +
                            "/id")) {
      id = *n;
      break;
    } else {
      llvm::consumeError(n.takeError());
    }
  if (!id)
    return llvm::make_error<kern::KernelError>(
        "tracepoint '" + request.target + "': no events/" + request.target +
            "/id under /sys/kernel/tracing or /sys/kernel/debug/tracing "
            "(tracefs not mounted, or no such tracepoint)",
        ENOENT);
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.config = *id;
  return perfEventLink(k, progFd, attr, what);
}

// Re-words a KernelError, keeping its errno; prefixes any other error.
llvm::Error reword(llvm::Error err, const llvm::Twine &what) {
  int errnum = 0;
  llvm::Error other = llvm::handleErrors(
      std::move(err), [&](const kern::KernelError &e) { errnum = e.errnum(); });
  if (other)
    return prefixError(std::move(other), what);
  return llvm::make_error<kern::KernelError>(what.str(), errnum);
}

// A kprobe or uprobe through its dynamic PMU (Linux 4.17+), which needs no
// tracefs and leaves no named event behind.
llvm::Expected<kern::Fd> attachProbe(kern::Kernel &k, int progFd,
                                     const char *pmu, const std::string &name,
                                     uint64_t offset, bool retprobe,
                                     const std::string &what) {
  std::string dir = std::string("/sys/bus/event_source/devices/") + pmu;
  auto type = readNumber(dir + "/type");
  if (!type)
    return reword(type.takeError(), llvm::Twine(pmu) + " PMU (" + dir +
                                        "/type), needed for " + what);
  unsigned bit = 0;
  if (retprobe) {
    auto format = readValue(dir + "/format/retprobe");
    if (!format)
      return format.takeError();
    auto parsed = parseFormatBit(*format);
    if (!parsed)
      return prefixError(parsed.takeError(), dir + "/format/retprobe");
    bit = *parsed;
  }
  perf_event_attr attr =
      probeAttr(static_cast<uint32_t>(*type), retprobe, bit, name, offset);
  return perfEventLink(k, progFd, attr, what);
}

llvm::Expected<kern::Fd> attachCgroup(kern::Kernel &k, int progFd,
                                      const Request &request,
                                      const std::string &what) {
  // The link pins the cgroup itself; the directory fd is only the handle.
  auto dir = openPath(request.cgroup, O_RDONLY | O_DIRECTORY);
  if (!dir)
    return dir.takeError();
  kern::LinkCreate link;
  link.progFd = progFd;
  link.target = static_cast<uint32_t>(dir->get());
  link.attachType = request.attachType;
  link.name = what;
  return kern::linkCreate(k, link);
}

template <class ELFT>
llvm::Expected<uint64_t> fileOffsetIn(const llvm::object::ELFFile<ELFT> &elf,
                                      llvm::StringRef symbol) {
  auto sections = elf.sections();
  if (!sections)
    return sections.takeError();
  std::optional<uint64_t> address;
  for (const auto &section : *sections) {
    if (section.sh_type != llvm::ELF::SHT_SYMTAB &&
        section.sh_type != llvm::ELF::SHT_DYNSYM)
      continue;
    auto strtab = elf.getStringTableForSymtab(section);
    if (!strtab)
      return strtab.takeError();
    auto symbols = elf.symbols(&section);
    if (!symbols)
      return symbols.takeError();
    for (const auto &sym : *symbols) {
      if (sym.getType() != llvm::ELF::STT_FUNC ||
          sym.st_shndx == llvm::ELF::SHN_UNDEF)
        continue;
      auto name = sym.getName(*strtab);
      if (!name) {
        llvm::consumeError(name.takeError());
        continue;
      }
      if (*name != symbol)
        continue;
      // .symtab and .dynsym list exported functions twice, at one address.
      if (address && *address != sym.st_value)
        return makeError("function '" + symbol + "' is defined twice, at " +
                         hex(*address) + " and " + hex(sym.st_value));
      address = sym.st_value;
    }
  }
  if (!address)
    return makeError("no function '" + symbol + "'");
  auto segments = elf.program_headers();
  if (!segments)
    return segments.takeError();
  for (const auto &seg : *segments)
    if (seg.p_type == llvm::ELF::PT_LOAD && *address >= seg.p_vaddr &&
        *address < seg.p_vaddr + seg.p_memsz)
      return *address - seg.p_vaddr + seg.p_offset;
  return makeError("function '" + symbol + "' at " + hex(*address) +
                   " is in no loadable segment");
}

} // namespace

const char *kindName(Kind kind) {
  switch (kind) {
  case Kind::Tc:
    return "tc";
  case Kind::Xdp:
    return "xdp";
  case Kind::Tracepoint:
    return "tracepoint";
  case Kind::RawTracepoint:
    return "raw_tp";
  case Kind::Kprobe:
    return "kprobe";
  case Kind::Uprobe:
    return "uprobe";
  case Kind::Cgroup:
    return "cgroup";
  }
  llvm_unreachable("unhandled Kind");
}

std::string describe(const Request &request) {
  std::string out;
  // The parts left for the caller to fill may still be empty.
  auto on = [&](const std::string &where) {
    if (!where.empty())
      out += " on " + where;
  };
  auto onDevice = [&] {
    on(request.device);
    if (!request.netns.empty())
      out += " in netns " + request.netns;
  };
  switch (request.kind) {
  case Kind::Tc:
    out = request.egress ? "tc egress" : "tc ingress";
    onDevice();
    break;
  case Kind::Xdp:
    out = request.generic ? "xdp generic" : "xdp";
    onDevice();
    break;
  case Kind::Tracepoint:
  case Kind::RawTracepoint:
    out = std::string(kindName(request.kind)) + " " + request.target;
    break;
  case Kind::Kprobe:
  case Kind::Uprobe:
    out = std::string(request.kind == Kind::Kprobe ? "k" : "u") +
          (request.retprobe ? "retprobe " : "probe ") + request.target;
    if (request.offset)
      out += "+" + hex(request.offset);
    break;
  case Kind::Cgroup:
    out = "cgroup " + attachTypeName(request.attachType);
    on(request.cgroup);
    break;
  }
  return out;
}

llvm::Expected<Request> parseRequest(const ir::Program &prog,
                                     llvm::StringRef spec) {
  auto [word, arg] = spec.split(':');
  if (word == "auto") {
    if (spec.contains(':'))
      return makeError("'auto' takes no argument");
    const char *fromSection = autoWord(prog.type.attach);
    if (!fromSection)
      return makeError("section '" + prog.section + "' of program '" +
                       prog.name + "' names no attach point (" +
                       attachKindName(prog.type.attach) +
                       "): give the kind, e.g. tc:ingress or xdp");
    word = fromSection;
  }
  const KindWord *known = nullptr;
  for (const KindWord &k : kKindWords)
    if (word == k.word)
      known = &k;
  if (!known)
    return makeError("unknown attach kind '" + word + "'");
  Request out;
  out.kind = known->kind;
  out.retprobe = known->retprobe;
  if (llvm::Error err = fillTarget(prog, arg, out))
    return err;
  if (llvm::Error err = checkProgType(prog, out.kind))
    return err;
  return out;
}

llvm::Expected<kern::Fd> attach(kern::Kernel &k, int progFd,
                                const ir::Program &prog,
                                const Request &request) {
  if (llvm::Error err = checkProgType(prog, request.kind))
    return err;
  std::string what = describe(request);
  switch (request.kind) {
  case Kind::Tc:
  case Kind::Xdp:
    if (request.device.empty())
      return makeError(what + ": no device given");
    return inNetns(request.netns,
                   [&] { return attachNetDevice(k, progFd, request, what); });
  case Kind::Tracepoint:
    return attachTracepoint(k, progFd, request, what);
  case Kind::RawTracepoint:
    return kern::rawTracepointOpen(k, progFd, request.target);
  case Kind::Kprobe:
    return attachProbe(k, progFd, "kprobe", request.target, request.offset,
                       request.retprobe, what);
  case Kind::Uprobe: {
    auto [binary, func] = llvm::StringRef(request.target).rsplit(':');
    auto offset = symbolFileOffset(binary.str(), func);
    if (!offset)
      return prefixError(offset.takeError(), what);
    return attachProbe(k, progFd, "uprobe", binary.str(),
                       *offset + request.offset, request.retprobe, what);
  }
  case Kind::Cgroup:
    if (request.cgroup.empty())
      return makeError(what + ": no cgroup given");
    return attachCgroup(k, progFd, request, what);
  }
  llvm_unreachable("unhandled Kind");
}

llvm::Expected<unsigned> parseFormatBit(llvm::StringRef format) {
  llvm::StringRef rest = format.trim();
  unsigned bit;
  if (!rest.consume_front("config:") || rest.getAsInteger(10, bit) || bit > 63)
    return makeError("PMU format '" + format +
                     "' is not a single bit of config");
  return bit;
}

perf_event_attr probeAttr(uint32_t pmuType, bool retprobe, unsigned retprobeBit,
                          const std::string &name, uint64_t offset) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = pmuType;
  attr.config = retprobe ? uint64_t(1) << retprobeBit : 0;
  attr.config1 = reinterpret_cast<uintptr_t>(name.c_str()); // path or func
  attr.config2 = offset; // file offset (uprobe) or offset from func (kprobe)
  return attr;
}

// ELFFile, not ObjectFile: ELFObjectFile.h pulls in llvm/Support/JSON.h,
// which clang 14 cannot compile against libstdc++ 12 in C++20 mode (the
// sanitizer and fuzzing build uses clang).
llvm::Expected<uint64_t> symbolFileOffset(const std::string &binary,
                                          llvm::StringRef symbol) {
  auto buffer = llvm::MemoryBuffer::getFile(binary, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(binary + ": cannot open: " + buffer.getError().message());
  llvm::StringRef bytes = (*buffer)->getBuffer();
  auto in = [&](auto type) -> llvm::Expected<uint64_t> {
    auto elf = llvm::object::ELFFile<decltype(type)>::create(bytes);
    if (!elf)
      return elf.takeError();
    return fileOffsetIn(*elf, symbol);
  };
  using namespace llvm::object;
  if (bytes.size() < 16 || !bytes.startswith("\x7f"
                                             "ELF"))
    return makeError(binary + ": not an ELF file");
  bool is64 = bytes[4] == 2, little = bytes[5] == 1;
  return prefixError(is64 ? (little ? in(ELF64LE()) : in(ELF64BE()))
                          : (little ? in(ELF32LE()) : in(ELF32BE())),
                     binary);
}

} // namespace bpfcompat::attach
