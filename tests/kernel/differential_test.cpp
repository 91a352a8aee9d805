// Differential execution: our loader running an ORIGINAL object against
// libbpf running our CONVERSION of it. Both must behave the same: for every
// program BPF_PROG_TEST_RUN can drive, the same inputs give the same return
// value and output packet, and afterwards every map both sides can dump holds
// the same contents. This catches what structural comparisons cannot: a
// wrong relocation, a map wired into the wrong slot, a tail call landing in
// the wrong program, data sections initialised differently.
#include "bpfcompat/convert.h"
#include "bpfcompat/kernel.h"
#include "bpfcompat/loader.h"
#include "bpfcompat/names.h"
#include "bpfcompat/reader.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "kernel_support.h"
#include "oracle_support.h"
#include "test_support.h"

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;
using ktest::Bytes;
using ktest::MapContents;

// --- Inputs ---------------------------------------------------------------

struct Input {
  std::string name;
  Bytes data; // packet, for packet programs
  Bytes ctx;  // context, for raw tracepoints
};

void put16(Bytes &b, uint16_t v) {
  b.push_back(uint8_t(v >> 8));
  b.push_back(uint8_t(v));
}
void put32(Bytes &b, uint32_t v) {
  put16(b, uint16_t(v >> 16));
  put16(b, uint16_t(v));
}

// Addressed to the all-zero MAC of the loopback device test runs use, so the
// kernel marks them PACKET_HOST (programs may ignore other hosts' frames).
Bytes ethernet(uint16_t etherType) {
  Bytes b = {0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0x01};
  put16(b, etherType);
  return b;
}

// A valid IPv4 header (checksum included) from 10.0.0.1 to 10.0.0.2.
Bytes ipv4(uint8_t proto, size_t payload, uint16_t fragOff = 0) {
  Bytes b = {0x45, 0};
  put16(b, uint16_t(20 + payload));
  put16(b, 0x1234);  // id
  put16(b, fragOff); // flags and fragment offset
  b.push_back(64);
  b.push_back(proto);
  put16(b, 0); // checksum, below
  put32(b, 0x0a000001);
  put32(b, 0x0a000002);
  uint32_t sum = 0;
  for (size_t i = 0; i < b.size(); i += 2)
    sum += uint32_t(b[i] << 8 | b[i + 1]);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  b[10] = uint8_t(~sum >> 8);
  b[11] = uint8_t(~sum);
  return b;
}

Bytes tcp(uint16_t dport) {
  Bytes b;
  put16(b, 40000);
  put16(b, dport);
  put32(b, 1); // seq
  put32(b, 0); // ack
  b.push_back(5 << 4);
  b.push_back(0x02); // SYN
  put16(b, 65535);
  put16(b, 0); // checksum: no test run path validates it
  put16(b, 0);
  return b;
}

Bytes udp(uint16_t dport, const Bytes &payload) {
  Bytes b;
  put16(b, 53000);
  put16(b, dport);
  put16(b, uint16_t(8 + payload.size()));
  put16(b, 0);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes &p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<Input> packetInputs() {
  std::vector<Input> in;
  for (uint16_t port : {80, 443, 22}) {
    Bytes l4 = tcp(port);
    in.push_back({"ipv4-tcp-" + std::to_string(port),
                  concat({ethernet(0x0800), ipv4(6, l4.size()), l4}),
                  {}});
  }
  Bytes dns = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  Bytes l4 = udp(53, dns);
  in.push_back(
      {"ipv4-udp-53", concat({ethernet(0x0800), ipv4(17, l4.size()), l4}), {}});
  Bytes discard = udp(9, {'x'});
  in.push_back({"ipv4-udp-9",
                concat({ethernet(0x0800), ipv4(17, discard.size()), discard}),
                {}});
  // The first fragment of a datagram (MF set): fragment-dropping code paths.
  in.push_back({"ipv4-udp-fragment",
                concat({ethernet(0x0800), ipv4(17, l4.size(), 0x2000), l4}),
                {}});
  Bytes icmp = {8, 0, 0xf7, 0xfe, 0, 1, 0, 1, 'p', 'i', 'n', 'g', 0, 0, 0, 0};
  in.push_back({"ipv4-icmp-echo",
                concat({ethernet(0x0800), ipv4(1, icmp.size()), icmp}),
                {}});
  // IPv6 TCP to 443: fe80::1 -> fe80::2.
  Bytes l4v6 = tcp(443);
  Bytes ip6 = {0x60, 0, 0, 0};
  put16(ip6, uint16_t(l4v6.size()));
  ip6.push_back(6);
  ip6.push_back(64);
  for (uint8_t last : {1, 2}) {
    Bytes addr(16, 0);
    addr[0] = 0xfe;
    addr[1] = 0x80;
    addr[15] = last;
    ip6.insert(ip6.end(), addr.begin(), addr.end());
  }
  in.push_back({"ipv6-tcp-443", concat({ethernet(0x86dd), ip6, l4v6}), {}});
  // Runt: an IPv4 ethertype followed by a third of an IPv4 header, so every
  // bounds check on the header must fail. The kernel refuses less than an
  // Ethernet header for any test run.
  Bytes runt = ethernet(0x0800);
  Bytes head = ipv4(6, 20);
  runt.insert(runt.end(), head.begin(), head.begin() + 6);
  in.push_back({"runt-ipv4", runt, {}});
  // ARP who-has 10.0.0.2 tell 10.0.0.1.
  Bytes arp = {0, 1, 0x08, 0, 6, 4, 0, 1};
  Bytes sha = {0x02, 0, 0, 0, 0, 0x01};
  arp.insert(arp.end(), sha.begin(), sha.end());
  put32(arp, 0x0a000001);
  arp.insert(arp.end(), 6, 0);
  put32(arp, 0x0a000002);
  in.push_back({"arp-request", concat({ethernet(0x0806), arp}), {}});
  return in;
}

Bytes u64s(std::initializer_list<uint64_t> values) {
  Bytes out;
  for (uint64_t v : values)
    for (int i = 0; i < 8; ++i)
      out.push_back(uint8_t(v >> (8 * i))); // little-endian host
  return out;
}

// struct bpf_raw_tracepoint_args for sys_enter/sys_exit: (regs, id or ret).
// regs is NULL: a program that dereferences it must use a probe read, which
// fails the same way on both sides.
std::vector<Input> rawTracepointInputs() {
  return {{"raw_tp(regs=0,39)", {}, u64s({0, 39})},
          {"raw_tp(regs=0,0)", {}, u64s({0, 0})}};
}

// Program types whose BPF_PROG_TEST_RUN takes a packet. sk_skb, sk_msg,
// sock_ops, cgroup_sock, kprobe, tracepoint and perf_event have no test run
// (or none without attaching), tracing and ext need a target: not covered.
bool takesPacket(uint32_t type) {
  switch (type) {
  case BPF_PROG_TYPE_SOCKET_FILTER:
  case BPF_PROG_TYPE_SCHED_CLS:
  case BPF_PROG_TYPE_SCHED_ACT:
  case BPF_PROG_TYPE_XDP:
  case BPF_PROG_TYPE_CGROUP_SKB:
  case BPF_PROG_TYPE_LWT_IN:
  case BPF_PROG_TYPE_LWT_OUT:
  case BPF_PROG_TYPE_LWT_XMIT:
    return true;
  default:
    return false;
  }
}

bool testable(uint32_t type) {
  return takesPacket(type) || type == BPF_PROG_TYPE_RAW_TRACEPOINT;
}

// --- Outcomes -------------------------------------------------------------

struct Outcome {
  int err = 0; // errno of a failed test run
  uint32_t retval = 0;
  Bytes out;
  bool operator==(const Outcome &) const = default;
};

std::string hexBytes(const Bytes &b) {
  std::string s;
  char buf[4];
  for (uint8_t c : b) {
    std::snprintf(buf, sizeof(buf), "%02x", c);
    s += buf;
  }
  return s.empty() ? "(empty)" : s;
}

std::string describe(const Outcome &o) {
  if (o.err)
    return "test run failed: errno " + std::to_string(o.err);
  return "retval " + std::to_string(o.retval) + ", data out " + hexBytes(o.out);
}

Outcome testRun(int fd, const Input &input) {
  kern::TestRun run;
  run.data = input.data;
  run.ctx = input.ctx;
  Outcome o;
  auto result = kern::progTestRun(kern::systemKernel(), fd, run);
  if (!result) {
    llvm::handleAllErrors(
        result.takeError(),
        [&](const kern::KernelError &e) { o.err = e.errnum(); },
        [&](const llvm::ErrorInfoBase &) { o.err = -1; });
    return o;
  }
  o.retval = result->retval;
  o.out = std::move(result->dataOut);
  return o;
}

// --- Corpus and exceptions ------------------------------------------------

struct CannotLoad {
  std::string message; // a substring of our loader's error
  std::string reason;
};

// Corpus objects our loader refuses as a whole (so nothing of them can be
// compared). Each is checked to really fail with its message, so the table
// cannot go stale.
const std::map<std::string, CannotLoad> kCannotLoad = {
    {"libbpf/btf_maps_all.o",
     {"BTF is required for BTF-defined maps",
      "BTF-defined maps need BTF, and it was built without -g"}},
    {"libbpf/sections.o",
     {"BTF is required for BTF-defined maps", "as btf_maps_all.o"}},
    {"mixed/mixed_maps.o",
     {"BTF is required for BTF-defined maps", "as btf_maps_all.o"}},
    {"mixed/stride32_tail.o",
     {"refused by its own loader (map-tail-nonzero)",
      "non-zero bytes past the known map definition; no loader of its "
      "convention interprets them"}},
    {"mixed/stride32_tail.g.o",
     {"refused by its own loader (map-tail-nonzero)", "as stride32_tail.o"}},
    {"libbpf/externs.g.o",
     {"bpf_prog_active",
      "ksym bpf_prog_active is a data symbol missing from kallsyms here"}},
    {"libbpf/externs.o",
     {"bpf_prog_active",
      "ksym bpf_prog_active is a data symbol missing from kallsyms here"}},
    {"libbpf/global_data.o",
     {"program 'sock_sample'",
      "a bpf_loop callback needs BTF func_info; built without -g"}},
    {"perf/perf_probes.o",
     {"program 'args_probe'",
      "args_probe needs the argument prologue perf generated"}},
    {"perf/perf_probes.g.o", {"program 'args_probe'", "as perf_probes.o"}},
};

// Map contents that legitimately differ between two loads of one object.
struct Volatile {
  std::string object, map;
  std::string variable; // "": compare the values only, ignoring the keys
  std::string reason;
};
const std::vector<Volatile> kVolatile = {
    {"gobpf/gobpf_full.o", "custom", "",
     "keyed by socket cookie: each test run gets a fresh socket"},
    {"gobpf/gobpf_full.g.o", "custom", "", "as gobpf_full.o"},
    {"libbpf/global_data.g.o", "global_d.data", "last_seen_ns",
     "holds bpf_ktime_get_ns() of the last run"},
};

// Map types whose contents cannot be compared, and why.
const char *notComparable(uint32_t type) {
  switch (type) {
  case BPF_MAP_TYPE_PROG_ARRAY:
    return "prog array: holds program ids, which differ by construction";
  case BPF_MAP_TYPE_ARRAY_OF_MAPS:
  case BPF_MAP_TYPE_HASH_OF_MAPS:
    return "map-in-map: holds map ids (the inner maps are compared by name)";
  case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
  case BPF_MAP_TYPE_RINGBUF:
  case BPF_MAP_TYPE_USER_RINGBUF:
    return "event stream: cannot be read back by key";
  case BPF_MAP_TYPE_BLOOM_FILTER:
  case BPF_MAP_TYPE_QUEUE:
  case BPF_MAP_TYPE_STACK:
    return "keyless: no BPF_MAP_GET_NEXT_KEY";
  case BPF_MAP_TYPE_SOCKMAP:
  case BPF_MAP_TYPE_SOCKHASH:
  case BPF_MAP_TYPE_XSKMAP:
  case BPF_MAP_TYPE_CGROUP_ARRAY:
  case BPF_MAP_TYPE_STACK_TRACE:
    return "holds kernel objects or stack ids, not data";
  case BPF_MAP_TYPE_HASH:
  case BPF_MAP_TYPE_ARRAY:
  case BPF_MAP_TYPE_PERCPU_HASH:
  case BPF_MAP_TYPE_PERCPU_ARRAY:
  case BPF_MAP_TYPE_LRU_HASH:
  case BPF_MAP_TYPE_LRU_PERCPU_HASH:
  case BPF_MAP_TYPE_LPM_TRIE:
    return nullptr;
  default:
    return "type not known to be dumpable by key";
  }
}

// libbpf's (and our loader's) name for a data section's map.
std::string internalMapName(const std::string &object,
                            const std::string &section) {
  bool standard = section == ".data" || section == ".rodata" ||
                  section == ".bss" || section == ".kconfig";
  std::string stem = fs::path(object).stem().string();
  return kernelSafeName(standard ? stem.substr(0, 8) + section : section)
      .substr(0, 15);
}

struct KernelMap {
  int fd = -1;
  uint32_t type = 0;
};

// Kernel name -> map, as the kernel reports it (names are compared the way
// the kernel stores them: sanitised, at most 15 characters).
std::map<std::string, KernelMap> kernelMaps(const std::vector<int> &fds) {
  std::map<std::string, KernelMap> out;
  for (int fd : fds) {
    auto info = kern::mapInfo(kern::systemKernel(), fd);
    if (!info) {
      ADD_FAILURE() << llvm::toString(info.takeError());
      continue;
    }
    EXPECT_FALSE(out.count(info->name)) << "two maps named " << info->name;
    out[info->name] = {fd, info->type};
  }
  return out;
}

std::string describe(const MapContents &m) {
  std::ostringstream os;
  size_t shown = 0;
  for (const auto &[k, v] : m) {
    if (++shown > 16) {
      os << "  ... " << m.size() - 16 << " more\n";
      break;
    }
    os << "  " << hexBytes(k) << " => " << hexBytes(v) << "\n";
  }
  return m.empty() ? "  (empty)\n" : os.str();
}

// --- The test ---------------------------------------------------------------

class Differential : public ::testing::TestWithParam<std::string> {};

TEST_P(Differential, SameResultsAndMapContents) {
  KTEST_REQUIRE_PRIVILEGE();
  const std::string &name = GetParam();
  const std::string fileName = fs::path(name).filename().string();
  auto object = readObject(test::kCorpusDir + "/" + name);
  oracle::BpffsDir oursDir, libbpfDir;
  ktest::OurLoad ours;
  if (object)
    ours = ktest::loadOurs(*object, oursDir.path());
  else
    ours.error = llvm::toString(object.takeError()); // refused by the reader
  if (auto it = kCannotLoad.find(name); it != kCannotLoad.end()) {
    EXPECT_FALSE(ours.collection) << name << " loads now; drop its exception ("
                                  << it->second.reason << ")";
    EXPECT_NE(ours.error.find(it->second.message), std::string::npos)
        << "fails differently than listed (" << it->second.reason
        << "): " << ours.error;
    return;
  }
  ASSERT_TRUE(ours.collection) << ours.error;

  auto converted = convert::convertObject(*object);
  ASSERT_TRUE(bool(converted)) << llvm::toString(converted.takeError());
  bool libbpfLoaded = false;
  // The same file name: libbpf names data section maps after the object, as
  // our loader does, so they pair up by name.
  oracle::LibbpfObject theirs = ktest::loadWithLibbpf(
      converted->bytes, fileName, libbpfDir.path(), libbpfLoaded);
  ASSERT_TRUE(libbpfLoaded)
      << "libbpf cannot load the conversion of an object we load:\n"
      << theirs.log();

  ktest::StayOnOneCpu oneCpu;
  ASSERT_TRUE(oneCpu.pinned()) << "per-CPU maps need a fixed CPU";

  // Pair the programs both sides loaded and can run.
  struct Pair {
    std::string name;
    uint32_t type = 0;
    int ours = -1, theirs = -1;
  };
  std::vector<Pair> pairs;
  std::set<std::string> ourTestable;
  for (const load::LoadedProgram &p : ours.collection->programs) {
    auto info = kern::progInfo(kern::systemKernel(), p.fd.get());
    ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
    if (!testable(info->type))
      continue;
    std::string safe = kernelSafeName(p.name);
    ourTestable.insert(safe);
    bpf_program *prog =
        bpf_object__find_program_by_name(theirs.get(), safe.c_str());
    if (!prog || bpf_program__fd(prog) < 0) {
      ADD_FAILURE() << "program " << p.name
                    << " is loaded by us but not by libbpf (as " << safe << ")";
      continue;
    }
    EXPECT_EQ(bpf_program__type(prog), info->type) << p.name;
    pairs.push_back({p.name, info->type, p.fd.get(), bpf_program__fd(prog)});
  }
  bpf_program *prog;
  bpf_object__for_each_program(prog, theirs.get()) {
    if (bpf_program__fd(prog) >= 0 && testable(bpf_program__type(prog))) {
      EXPECT_TRUE(ourTestable.count(bpf_program__name(prog)))
          << "program " << bpf_program__name(prog)
          << " is loaded by libbpf but not by us";
    }
  }

  // Run every input through both, in one order, so shared maps evolve alike.
  size_t runs = 0;
  for (const Pair &pair : pairs) {
    std::vector<Input> inputs =
        takesPacket(pair.type) ? packetInputs() : rawTracepointInputs();
    size_t succeeded = 0;
    for (const Input &input : inputs) {
      Outcome a = testRun(pair.ours, input);
      Outcome b = testRun(pair.theirs, input);
      ++runs;
      succeeded += a.err == 0;
      EXPECT_TRUE(a == b) << "program " << pair.name << ", input " << input.name
                          << ":\n  ours:   " << describe(a)
                          << "\n  libbpf: " << describe(b);
    }
    // A program every input fails on would compare errors only.
    EXPECT_GT(succeeded, 0u)
        << "program " << pair.name << " never ran successfully";
  }

  // Compare every map both sides can dump, by kernel name.
  std::vector<int> ourFds, theirFds;
  for (const load::LoadedMap &m : ours.collection->maps)
    ourFds.push_back(m.fd.get());
  bpf_map *map;
  bpf_object__for_each_map(map, theirs.get()) {
    if (bpf_map__fd(map) >= 0)
      theirFds.push_back(bpf_map__fd(map));
  }
  std::map<std::string, KernelMap> a = kernelMaps(ourFds);
  std::map<std::string, KernelMap> b = kernelMaps(theirFds);
  std::set<std::string> names;
  for (const auto &[n, m] : a)
    names.insert(n);
  for (const auto &[n, m] : b)
    names.insert(n);
  size_t compared = 0, nonZero = 0; // entries with data: shows coverage
  std::vector<std::string> skipped;
  for (const std::string &mapName : names) {
    if (!a.count(mapName) || !b.count(mapName)) {
      ADD_FAILURE() << "map " << mapName << " exists only in "
                    << (a.count(mapName) ? "our load" : "libbpf's load");
      continue;
    }
    const KernelMap &ma = a[mapName], &mb = b[mapName];
    EXPECT_EQ(ma.type, mb.type) << "map " << mapName;
    if (const char *why = notComparable(ma.type)) {
      skipped.push_back(mapName + " (" + why + ")");
      continue;
    }
    auto da = ktest::dumpMap(kern::systemKernel(), ma.fd);
    auto db = ktest::dumpMap(kern::systemKernel(), mb.fd);
    ASSERT_TRUE(bool(da)) << mapName << ": " << llvm::toString(da.takeError());
    ASSERT_TRUE(bool(db)) << mapName << ": " << llvm::toString(db.takeError());
    ++compared;
    for (const auto &[k, v] : *da)
      nonZero += std::any_of(v.begin(), v.end(), [](uint8_t c) { return c; });
    for (const Volatile &v : kVolatile) {
      if (v.object != name || v.map != mapName)
        continue;
      if (v.variable.empty()) {
        // Compare the multiset of values only.
        auto values = [](const MapContents &m) {
          std::multiset<Bytes> out;
          for (const auto &[k, val] : m)
            out.insert(val);
          return out;
        };
        EXPECT_EQ(values(*da), values(*db))
            << "map " << mapName << " (values only: " << v.reason
            << "):\n ours:\n"
            << describe(*da) << " libbpf:\n"
            << describe(*db);
        da->clear();
        db->clear();
        continue;
      }
      // Zero a variable of a data section on both sides.
      bool found = false;
      for (const ir::DataSection &data : object->data) {
        if (internalMapName(name, data.name) != mapName)
          continue;
        for (const ir::Variable &var : data.variables) {
          if (var.name != v.variable)
            continue;
          found = true;
          for (MapContents *m : {&*da, &*db})
            for (auto &[k, val] : *m)
              std::fill_n(val.begin() + std::min(var.offset, val.size()),
                          std::min(var.size, val.size() - std::min(var.offset,
                                                                   val.size())),
                          0);
        }
      }
      EXPECT_TRUE(found) << "no variable " << v.variable << " in " << mapName;
    }
    EXPECT_TRUE(*da == *db)
        << "map " << mapName << " differs after " << runs << " runs:\n ours:\n"
        << describe(*da) << " libbpf:\n"
        << describe(*db);
  }
  std::cout << "[ diff     ] " << name << ": " << pairs.size() << " programs, "
            << runs << " runs, " << compared << " maps compared (" << nonZero
            << " entries non-zero)";
  for (const std::string &s : skipped)
    std::cout << "; skipped " << s;
  std::cout << "\n";
}

INSTANTIATE_TEST_SUITE_P(DifferentialCorpus, Differential,
                         ::testing::ValuesIn(ktest::littleEndianCorpus()),
                         [](const ::testing::TestParamInfo<std::string> &i) {
                           std::string n = i.param;
                           for (char &c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c)))
                               c = '_';
                           return n;
                         });

// The main differential test also runs tail-called programs directly, so
// equal maps there do not prove the prog arrays work. Here only the entry
// program runs, and counters that only the tail-called programs (reached
// through the prog array, and map-in-map for btf_maps_all) update must reach
// known values on both sides.
struct TailCase {
  std::string object, entry;
  std::vector<std::tuple<std::string, uint32_t, uint64_t>> counters;
};

class DifferentialTailCalls : public ::testing::TestWithParam<TailCase> {};

TEST_P(DifferentialTailCalls, EntryReachesEveryTailOnBothSides) {
  KTEST_REQUIRE_PRIVILEGE();
  const TailCase &tc = GetParam();
  auto object = readObject(test::kCorpusDir + "/" + tc.object);
  ASSERT_TRUE(bool(object)) << llvm::toString(object.takeError());
  oracle::BpffsDir oursDir, libbpfDir;
  ktest::OurLoad ours = ktest::loadOurs(*object, oursDir.path());
  ASSERT_TRUE(ours.collection) << ours.error;
  auto converted = convert::convertObject(*object);
  ASSERT_TRUE(bool(converted)) << llvm::toString(converted.takeError());
  bool loaded = false;
  oracle::LibbpfObject theirs = ktest::loadWithLibbpf(
      converted->bytes, fs::path(tc.object).filename().string(),
      libbpfDir.path(), loaded);
  ASSERT_TRUE(loaded) << theirs.log();

  const load::LoadedProgram *ourEntry = ours.collection->program(tc.entry);
  ASSERT_NE(ourEntry, nullptr);
  bpf_program *theirEntry = bpf_object__find_program_by_name(
      theirs.get(), kernelSafeName(tc.entry).c_str());
  ASSERT_NE(theirEntry, nullptr);
  for (const Input &input : packetInputs()) {
    Outcome a = testRun(ourEntry->fd.get(), input);
    Outcome b = testRun(bpf_program__fd(theirEntry), input);
    EXPECT_TRUE(a == b) << "program " << tc.entry << ", input " << input.name
                        << ":\n  ours:   " << describe(a)
                        << "\n  libbpf: " << describe(b);
  }
  for (const auto &[mapName, key, want] : tc.counters) {
    const load::LoadedMap *ourMap = ours.collection->map(mapName);
    bpf_map *theirMap =
        bpf_object__find_map_by_name(theirs.get(), mapName.c_str());
    ASSERT_NE(ourMap, nullptr) << mapName;
    ASSERT_NE(theirMap, nullptr) << mapName;
    for (auto [side, fd] :
         {std::pair<const char *, int>{"ours", ourMap->fd.get()},
          {"libbpf", bpf_map__fd(theirMap)}}) {
      uint64_t value = 0;
      llvm::Error err = kern::mapLookup(kern::systemKernel(), fd, &key, &value);
      ASSERT_FALSE(bool(err)) << llvm::toString(std::move(err));
      EXPECT_EQ(value, want) << side << ": " << mapName << "[" << key
                             << "] after running " << tc.entry;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    DifferentialTails, DifferentialTailCalls,
    ::testing::Values(
        // cls_main tail-calls by protocol: TCP (3 inputs) -> key 0, UDP (53,
        // 9 and a first fragment) -> key 1, ICMP -> key 2.
        TailCase{
            "iproute2/tc_full.g.o",
            "cls_main",
            {{"proto_hits", 0, 3}, {"proto_hits", 1, 3}, {"proto_hits", 2, 1}}},
        TailCase{
            "iproute2/tc_full.o",
            "cls_main",
            {{"proto_hits", 0, 3}, {"proto_hits", 1, 3}, {"proto_hits", 2, 1}}},
        // tc_flow_ingress tail-calls handle_tcp/handle_udp, which count
        // destination ports through the ports_by_proto map-in-map.
        TailCase{"libbpf/btf_maps_all.g.o",
                 "tc_flow_ingress",
                 {{"tcp_ports", 80, 1},
                  {"tcp_ports", 443, 1},
                  {"tcp_ports", 22, 1},
                  {"udp_ports", 53, 2},
                  {"udp_ports", 9, 1}}}),
    [](const ::testing::TestParamInfo<TailCase> &i) {
      std::string n = i.param.object;
      for (char &c : n)
        if (!std::isalnum(static_cast<unsigned char>(c)))
          c = '_';
      return n;
    });

TEST(DifferentialTables, EveryListedObjectExists) {
  std::vector<std::string> all = ktest::littleEndianCorpus();
  ASSERT_FALSE(all.empty()) << "corpus not built";
  std::set<std::string> names(all.begin(), all.end());
  for (const auto &[name, why] : kCannotLoad)
    EXPECT_TRUE(names.count(name)) << name;
  for (const Volatile &v : kVolatile)
    EXPECT_TRUE(names.count(v.object)) << v.object;
}

} // namespace
} // namespace bpfcompat
