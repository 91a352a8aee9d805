// Attaching programs loaded by our loader, observed through the counters the
// corpus programs keep: tcx and XDP links on a veth pair in a private network
// namespace (frames injected with a packet socket, so the counts are exact),
// perf_event links for a tracepoint and a uprobe, a raw tracepoint, a cgroup
// link, and `bpfcompat load --attach` / `unload` end to end. Every piece of
// kernel state a test creates (netns, pins, cgroups, mounts, links) is
// undone by a guard, also when an assertion fails.
#include "bpfcompat/attach.h"
#include "bpfcompat/error.h"
#include "bpfcompat/reader.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <set>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

#include "kernel_support.h"
#include "test_support.h"

// The uprobe target: a real call (never inlined, reached through a volatile
// pointer) under a symbol name found in this executable's .symtab.
extern "C" __attribute__((noinline)) int bpfcompat_attach_probe_target(int x) {
  asm volatile("" ::: "memory");
  return x + 1;
}

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// enum bpf_link_type values newer than Debian's linux/bpf.h.
constexpr uint32_t kLinkTypeTcx = 11;

// Slots of the `hits` array in corpus/libbpf/sections.c.
constexpr uint32_t kHitKprobe = 6, kHitUprobe = 8, kHitTracepoint = 9,
                   kHitRawTp = 11, kHitCgroupSkbIn = 13;

kern::Kernel &kernel() { return kern::systemKernel(); }

oracle::Command run(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"timeout", "60"}); // no test waits forever
  return oracle::runCommand(argv);
}

ir::Object readCorpus(const std::string &name) {
  auto object = readObject(test::kCorpusDir + "/" + name);
  EXPECT_TRUE(bool(object)) << name;
  if (!object) {
    llvm::consumeError(object.takeError());
    return {};
  }
  return std::move(*object);
}

// A slot of an array map, summed over CPUs for per-CPU arrays.
uint64_t counter(int mapFd, uint32_t key) {
  auto info = kern::mapInfo(kernel(), mapFd);
  EXPECT_TRUE(bool(info));
  if (!info) {
    llvm::consumeError(info.takeError());
    return 0;
  }
  size_t cpus = ktest::isPerCpu(info->type) ? libbpf_num_possible_cpus() : 1;
  std::vector<uint64_t> values(cpus);
  llvm::Error err = kern::mapLookup(kernel(), mapFd, &key, values.data());
  EXPECT_FALSE(bool(err)) << llvm::toString(std::move(err));
  uint64_t sum = 0;
  for (uint64_t v : values)
    sum += v;
  return sum;
}

// Packets reach the receiving device's hooks from a softirq, after the send
// returned: wait (bounded) until `read` reaches `atLeast`, then give it a
// moment to overshoot, and return it.
uint64_t settled(const std::function<uint64_t()> &read, uint64_t atLeast) {
  for (int i = 0; i < 200 && read() < atLeast; ++i)
    std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);
  return read();
}

std::set<uint32_t> liveLinkIds() {
  std::set<uint32_t> ids;
  bpf_attr attr{};
  while (syscall(__NR_bpf, BPF_LINK_GET_NEXT_ID, &attr, sizeof(attr)) == 0) {
    ids.insert(attr.next_id);
    attr.start_id = attr.next_id;
  }
  return ids;
}

// A released link disappears after an RCU grace period.
bool linkGoes(uint32_t id) {
  for (int i = 0; i < 100 && liveLinkIds().count(id); ++i)
    std::this_thread::sleep_for(20ms);
  return liveLinkIds().count(id) == 0;
}

// Runs `fn` with this thread in `ns` (an fd of a network namespace).
testing::AssertionResult inNetns(int ns, const std::function<void()> &fn) {
  kern::Fd home(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home || setns(ns, CLONE_NEWNET) != 0)
    return testing::AssertionFailure() << "setns: " << strerror(errno);
  fn();
  // Staying in the test namespace would send later tests' traffic there.
  if (setns(home.get(), CLONE_NEWNET) != 0)
    std::abort();
  return testing::AssertionSuccess();
}

// A private network namespace with lo up and a veth pair v0 <-> v1, both
// up; deleting it removes the devices and whatever is attached to them.
class PrivateNetns {
public:
  PrivateNetns() : name_("bpfcompat-attach-" + std::to_string(getpid())) {
    run({"ip", "netns", "del", name_}); // left by a crashed run
    for (std::vector<std::string> cmd :
         {std::vector<std::string>{"ip", "netns", "add", name_},
          {"ip", "-n", name_, "link", "set", "lo", "up"},
          {"ip", "-n", name_, "link", "add", "v0", "type", "veth", "peer",
           "name", "v1"},
          {"ip", "-n", name_, "link", "set", "v0", "up"},
          {"ip", "-n", name_, "link", "set", "v1", "up"}}) {
      oracle::Command done = run(cmd);
      EXPECT_EQ(done.status, 0) << done.output;
      ok_ &= done.status == 0;
    }
    fd_ = kern::Fd(
        open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC));
    ok_ &= bool(fd_);
  }
  ~PrivateNetns() { run({"ip", "netns", "del", name_}); }
  bool ok() const { return ok_; }
  const std::string &name() const { return name_; }
  int fd() const { return fd_.get(); }

  // Sends `count` IPv4/UDP broadcast frames out of v0, so they arrive at
  // v1's hooks, with the more-fragments flag when `fragments`.
  testing::AssertionResult sendFrames(unsigned count, bool fragments) const {
    kern::Fd sock;
    unsigned ifindex = 0;
    testing::AssertionResult entered = inNetns(fd(), [&] {
      sock = kern::Fd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
      ifindex = if_nametoindex("v0");
    });
    if (!entered)
      return entered;
    if (!sock || ifindex == 0)
      return testing::AssertionFailure()
             << "packet socket on v0 in " << name_ << ": " << strerror(errno);
    // Ethernet broadcast from a locally administered address, then an IPv4
    // header (UDP, 10.99.0.1 -> 10.99.0.2); the payload stays zero.
    uint8_t frame[60] = {};
    const uint8_t ethernet[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
                                  0,    0,    0,    0,    1,    0x08, 0x00};
    std::memcpy(frame, ethernet, sizeof(ethernet));
    uint8_t *ip = frame + sizeof(ethernet);
    ip[0] = 0x45;                             // version 4, 20 bytes
    ip[3] = sizeof(frame) - sizeof(ethernet); // total length
    ip[6] = fragments ? 0x20 : 0;             // IP_MF
    ip[8] = 64;                               // TTL
    ip[9] = IPPROTO_UDP;
    const uint8_t addrs[8] = {10, 99, 0, 1, 10, 99, 0, 2};
    std::memcpy(ip + 12, addrs, sizeof(addrs));
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = int(ifindex);
    to.sll_halen = 6;
    std::memset(to.sll_addr, 0xff, 6);
    for (unsigned i = 0; i < count; ++i)
      if (sendto(sock.get(), frame, sizeof(frame), 0,
                 reinterpret_cast<const sockaddr *>(&to),
                 sizeof(to)) != ssize_t(sizeof(frame)))
        return testing::AssertionFailure() << "sendto: " << strerror(errno);
    return testing::AssertionSuccess();
  }

private:
  std::string name_;
  kern::Fd fd_;
  bool ok_ = true;
};

class Loaded {
public:
  explicit Loaded(const std::string &corpusName)
      : object_(readCorpus(corpusName)) {
    auto loaded =
        load::loadObject(object_, ktest::optionsIn(pins_.path()), kernel());
    EXPECT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
    if (loaded)
      collection_ = std::move(*loaded);
  }
  bool ok() const { return !collection_.programs.empty(); }
  const std::string &pins() const { return pins_.path(); }
  int mapFd(const std::string &name) const {
    return collection_.map(name)->fd.get();
  }

  // Attaches `program` as `spec`, with `adjust` applied to the request.
  llvm::Expected<kern::Fd>
  attach(const std::string &program, const std::string &spec,
         const std::function<void(attach::Request &)> &adjust = {}) const {
    const ir::Program *prog = object_.findProgram(program);
    const load::LoadedProgram *loaded = collection_.program(program);
    if (!prog || !loaded)
      return makeError("no loaded program " + program);
    auto request = attach::parseRequest(*prog, spec);
    if (!request)
      return request.takeError();
    if (adjust)
      adjust(*request);
    return attach::attach(kernel(), loaded->fd.get(), *prog, *request);
  }
  uint32_t programId(const std::string &program) const {
    return ktest::idOf(*collection_.program(program));
  }

private:
  oracle::BpffsDir pins_;
  ir::Object object_;
  load::Collection collection_;
};

TEST(AttachTc, TcxIngressSeesExactlyTheFramesSent) {
  KTEST_REQUIRE_PRIVILEGE();
  PrivateNetns net;
  ASSERT_TRUE(net.ok());
  Loaded tc("iproute2/tc_full.g.o");
  ASSERT_TRUE(tc.ok());
  auto link = tc.attach("cls_main", "tc:ingress", [&](attach::Request &r) {
    r.device = "v1";
    r.netns = net.name();
  });
  ASSERT_TRUE(bool(link)) << llvm::toString(link.takeError());
  auto info = kern::linkInfo(kernel(), link->get());
  ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
  EXPECT_EQ(info->type, kLinkTypeTcx);
  EXPECT_EQ(info->progId, tc.programId("cls_main"));

  ASSERT_TRUE(net.sendFrames(20, false));
  // cls_main tail-calls cls_tail_udp, which counts proto_hits[1], for IPv4
  // UDP only: the injected frames are the only ones on the link (IPv6
  // neighbour discovery may add packets, but only to acc_map's total).
  int hits = tc.mapFd("proto_hits");
  EXPECT_EQ(settled([&] { return counter(hits, 1); }, 20), 20u);
  EXPECT_EQ(counter(hits, 0), 0u); // TCP
  EXPECT_EQ(counter(hits, 2), 0u); // ICMP
  EXPECT_GE(counter(tc.mapFd("acc_map"), 0), 20u);
}

TEST(AttachXdp, GenericModeDropsExactlyTheFragmentsSent) {
  KTEST_REQUIRE_PRIVILEGE();
  PrivateNetns net;
  ASSERT_TRUE(net.ok());
  Loaded xdp("iproute2/xdp_prog.g.o");
  ASSERT_TRUE(xdp.ok());
  auto link =
      xdp.attach("xdp_drop_fragments", "xdp:generic", [&](attach::Request &r) {
        r.device = "v1";
        r.netns = net.name();
      });
  ASSERT_TRUE(bool(link)) << llvm::toString(link.takeError());
  auto info = kern::linkInfo(kernel(), link->get());
  ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
  EXPECT_EQ(info->type, uint32_t(BPF_LINK_TYPE_XDP));

  // Frames with IP_MF set are the only IPv4 fragments on the link.
  ASSERT_TRUE(net.sendFrames(20, true));
  int verdicts = xdp.mapFd("xdp_verdict_cnt");
  EXPECT_EQ(settled([&] { return counter(verdicts, XDP_DROP); }, 20), 20u);
}

// tracefs mounted at /sys/kernel/tracing for the test's lifetime, if it was
// not already.
class Tracefs {
public:
  Tracefs() {
    if (fs::exists("/sys/kernel/tracing/events"))
      return;
    mounted_ =
        mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0;
    EXPECT_TRUE(mounted_) << "mount tracefs: " << strerror(errno);
  }
  ~Tracefs() {
    if (mounted_)
      umount("/sys/kernel/tracing");
  }

private:
  bool mounted_ = false;
};

// Closing the link detaches: after the release (and an RCU grace period)
// the slot stops counting, whatever `trigger` does.
void expectDetachedOnClose(kern::Fd link, int hits, uint32_t slot,
                           const std::function<void()> &trigger) {
  link = kern::Fd();
  std::this_thread::sleep_for(50ms);
  uint64_t before = counter(hits, slot);
  for (int i = 0; i < 10; ++i)
    trigger();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(counter(hits, slot), before);
}

TEST(AttachTracepoint, PerfEventLinkFiresAndDetaches) {
  KTEST_REQUIRE_PRIVILEGE();
  Tracefs tracefs;
  Loaded sections("libbpf/sections.g.o");
  ASSERT_TRUE(sections.ok());
  // tracepoint/syscalls/sys_enter_getpid. The perf event's fd is closed by
  // attach(): the link holding the event is what these hits prove.
  auto link = sections.attach("sec_tracepoint", "auto");
  ASSERT_TRUE(bool(link)) << llvm::toString(link.takeError());
  auto info = kern::linkInfo(kernel(), link->get());
  ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
  EXPECT_EQ(info->type, uint32_t(BPF_LINK_TYPE_PERF_EVENT));
  auto callGetpid = [] { syscall(SYS_getpid); };
  for (int i = 0; i < 10; ++i)
    callGetpid();
  int hits = sections.mapFd("hits");
  // Other processes calling getpid count too.
  EXPECT_GE(counter(hits, kHitTracepoint), 10u);
  expectDetachedOnClose(std::move(*link), hits, kHitTracepoint, callGetpid);
}

TEST(AttachRawTracepoint, FiresOnEverySyscallAndDetaches) {
  KTEST_REQUIRE_PRIVILEGE();
  Loaded sections("libbpf/sections.g.o");
  ASSERT_TRUE(sections.ok());
  auto link = sections.attach("sec_raw_tp", "auto"); // raw_tp/sys_enter
  ASSERT_TRUE(bool(link)) << llvm::toString(link.takeError());
  auto info = kern::linkInfo(kernel(), link->get());
  ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
  EXPECT_EQ(info->type, uint32_t(BPF_LINK_TYPE_RAW_TRACEPOINT));
  auto callGetppid = [] { syscall(SYS_getppid); };
  for (int i = 0; i < 10; ++i)
    callGetppid();
  int hits = sections.mapFd("hits");
  EXPECT_GE(counter(hits, kHitRawTp), 10u); // every syscall on the host
  expectDetachedOnClose(std::move(*link), hits, kHitRawTp, callGetppid);
}

TEST(AttachUprobe, FileOffsetIsWhereTheFunctionIsMapped) {
  // /proc/self/maps maps the page holding the function from a file offset:
  // the function's own offset follows from its runtime address.
  auto address = reinterpret_cast<uintptr_t>(&bpfcompat_attach_probe_target);
  std::string exe = fs::read_symlink("/proc/self/exe");
  std::ifstream maps("/proc/self/maps");
  std::optional<uint64_t> expected;
  for (std::string line; std::getline(maps, line);) {
    unsigned long start, end, offset;
    char path[4096] = "";
    if (sscanf(line.c_str(), "%lx-%lx %*s %lx %*s %*s %4095s", &start, &end,
               &offset, path) == 4 &&
        address >= start && address < end && exe == path)
      expected = address - start + offset;
  }
  ASSERT_TRUE(expected.has_value()) << "no mapping of " << exe;
  auto offset = attach::symbolFileOffset(exe, "bpfcompat_attach_probe_target");
  ASSERT_TRUE(bool(offset)) << llvm::toString(offset.takeError());
  EXPECT_EQ(*offset, *expected);

  auto missing = attach::symbolFileOffset(exe, "no_such_function_here");
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("no function"),
            std::string::npos);
}

TEST(AttachUprobe, CountsEveryCallOfTheProbedFunction) {
  KTEST_REQUIRE_PRIVILEGE();
  Loaded sections("libbpf/sections.g.o");
  ASSERT_TRUE(sections.ok());
  // sec_uprobe names /usr/bin/true:main; probe this executable instead, so
  // the only calls are ours.
  std::string exe = fs::read_symlink("/proc/self/exe");
  auto link = sections.attach(
      "sec_uprobe", "uprobe:" + exe + ":bpfcompat_attach_probe_target");
  ASSERT_TRUE(bool(link)) << llvm::toString(link.takeError());
  int (*volatile target)(int) = bpfcompat_attach_probe_target;
  for (int i = 0; i < 5; ++i)
    target(i);
  int hits = sections.mapFd("hits");
  EXPECT_EQ(counter(hits, kHitUprobe), 5u);
  expectDetachedOnClose(std::move(*link), hits, kHitUprobe, [&] { target(0); });
}

// A fresh cgroup v2 directory, removed at the end.
class Cgroup {
public:
  Cgroup()
      : path_("/sys/fs/cgroup/unified/bpfcompat-attach-" +
              std::to_string(getpid())) {
    ok_ = mkdir(path_.c_str(), 0755) == 0;
    EXPECT_TRUE(ok_) << "mkdir " << path_ << ": " << strerror(errno);
  }
  ~Cgroup() {
    if (ok_)
      rmdir(path_.c_str());
  }
  bool ok() const { return ok_; }
  const std::string &path() const { return path_; }

  // Runs `fn` with this process in the cgroup, then moves it back to where
  // it was (cgroup v2 moves whole processes).
  testing::AssertionResult inside(const std::function<void()> &fn) const {
    std::string home;
    std::ifstream self("/proc/self/cgroup");
    for (std::string line; std::getline(self, line);)
      if (llvm::StringRef(line).startswith("0::"))
        home = "/sys/fs/cgroup/unified" + line.substr(3);
    if (home.empty())
      return testing::AssertionFailure() << "not in a cgroup v2 hierarchy";
    if (!join(path_))
      return testing::AssertionFailure() << "cannot join " << path_;
    fn();
    if (!join(home))
      std::abort(); // rmdir of the test cgroup would fail; later tests too
    return testing::AssertionSuccess();
  }

private:
  static bool join(const std::string &dir) {
    std::ofstream procs(dir + "/cgroup.procs");
    procs << getpid() << std::endl;
    return bool(procs);
  }
  std::string path_;
  bool ok_ = false;
};

TEST(AttachCgroup, CountsPacketsOfTheCgroupsSocketsOnly) {
  KTEST_REQUIRE_PRIVILEGE();
  PrivateNetns net;
  ASSERT_TRUE(net.ok());
  Cgroup cgroup;
  ASSERT_TRUE(cgroup.ok());
  Loaded sections("libbpf/sections.g.o");
  ASSERT_TRUE(sections.ok());
  // cgroup_skb/ingress: expected attach type cgroup_inet_ingress.
  auto link =
      sections.attach("sec_cgroup_skb_ingress", "auto",
                      [&](attach::Request &r) { r.cgroup = cgroup.path(); });
  ASSERT_TRUE(bool(link)) << llvm::toString(link.takeError());
  auto info = kern::linkInfo(kernel(), link->get());
  ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
  EXPECT_EQ(info->type, uint32_t(BPF_LINK_TYPE_CGROUP));

  // A socket belongs to the cgroup of the process that created it; only the
  // receiver is created inside. Traffic stays on the private netns' lo.
  kern::Fd rx, tx;
  ASSERT_TRUE(cgroup.inside([&] {
    EXPECT_TRUE(inNetns(net.fd(), [&] {
      rx = kern::Fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    }));
  }));
  ASSERT_TRUE(inNetns(net.fd(), [&] {
    tx = kern::Fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  }));
  ASSERT_TRUE(rx && tx);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(rx.get(), reinterpret_cast<sockaddr *>(&addr), len), 0);
  ASSERT_EQ(getsockname(rx.get(), reinterpret_cast<sockaddr *>(&addr), &len),
            0);
  timeval timeout{1, 0};
  setsockopt(rx.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  auto exchange = [&] {
    char byte = 'x';
    EXPECT_EQ(sendto(tx.get(), &byte, 1, 0, reinterpret_cast<sockaddr *>(&addr),
                     sizeof(addr)),
              1);
    EXPECT_EQ(recv(rx.get(), &byte, 1, 0), 1);
  };
  for (int i = 0; i < 5; ++i)
    exchange();
  int hits = sections.mapFd("hits");
  EXPECT_EQ(counter(hits, kHitCgroupSkbIn), 5u);
  expectDetachedOnClose(std::move(*link), hits, kHitCgroupSkbIn, exchange);
}

TEST(AttachKprobe, FiresOnTheProbedFunction) {
  KTEST_REQUIRE_PRIVILEGE();
  if (!fs::exists("/sys/bus/event_source/devices/kprobe"))
    GTEST_SKIP() << "this kernel has no kprobe PMU "
                    "(/sys/bus/event_source/devices/kprobe)";
  Loaded sections("libbpf/sections.g.o");
  ASSERT_TRUE(sections.ok());
  auto link = sections.attach("sec_kprobe", "auto"); // kprobe/do_nanosleep
  ASSERT_TRUE(bool(link)) << llvm::toString(link.takeError());
  for (int i = 0; i < 3; ++i)
    std::this_thread::sleep_for(1ms);
  EXPECT_GE(counter(sections.mapFd("hits"), kHitKprobe), 3u);
}

TEST(AttachKprobe, MissingPmuIsAKernelErrorNamingIt) {
  KTEST_REQUIRE_PRIVILEGE();
  if (fs::exists("/sys/bus/event_source/devices/kprobe"))
    GTEST_SKIP() << "this kernel has a kprobe PMU";
  Loaded sections("libbpf/sections.g.o");
  ASSERT_TRUE(sections.ok());
  auto link = sections.attach("sec_kprobe", "auto");
  ASSERT_FALSE(bool(link));
  int errnum = 0;
  std::string message;
  llvm::handleAllErrors(link.takeError(), [&](const kern::KernelError &e) {
    errnum = e.errnum();
    message = e.message();
  });
  EXPECT_EQ(errnum, ENOENT);
  EXPECT_NE(message.find("kprobe PMU"), std::string::npos) << message;
  EXPECT_NE(message.find("kprobe do_nanosleep"), std::string::npos) << message;
}

TEST(AttachProbe, ConfigEncoding) {
  EXPECT_EQ(*attach::parseFormatBit("config:0\n"), 0u);
  EXPECT_EQ(*attach::parseFormatBit("config:5"), 5u);
  for (const char *bad : {"config:32-63", "config1:0", "config:64", ""}) {
    auto bit = attach::parseFormatBit(bad);
    EXPECT_FALSE(bool(bit)) << bad;
    llvm::consumeError(bit.takeError());
  }
  std::string func = "do_nanosleep";
  perf_event_attr kret = attach::probeAttr(6, true, 0, func, 0x10);
  EXPECT_EQ(kret.type, 6u);
  EXPECT_EQ(kret.size, sizeof(perf_event_attr));
  EXPECT_EQ(kret.config, 1u);
  EXPECT_EQ(kret.config1, reinterpret_cast<uintptr_t>(func.c_str()));
  EXPECT_EQ(kret.config2, 0x10u);
  perf_event_attr uprobe = attach::probeAttr(8, false, 0, func, 0x1234);
  EXPECT_EQ(uprobe.config, 0u);
  EXPECT_EQ(uprobe.config2, 0x1234u);
  EXPECT_EQ(attach::probeAttr(9, true, 3, func, 0).config, 8u);
}

ir::Program typed(const char *name, const char *section, SectionRules rules) {
  ir::Program prog;
  prog.name = name;
  prog.section = section;
  prog.type = *classifySection(section, rules);
  return prog;
}

std::string requestError(const ir::Program &prog, const char *spec) {
  auto request = attach::parseRequest(prog, spec);
  return request ? "" : llvm::toString(request.takeError());
}

TEST(AttachRequest, TargetsComeFromTheArgumentOrTheSection) {
  auto describe = [](const ir::Program &prog, const char *spec) {
    auto request = attach::parseRequest(prog, spec);
    return request ? attach::describe(*request)
                   : llvm::toString(request.takeError());
  };
  ir::Program kprobe =
      typed("k", "kprobe/do_nanosleep+0x8", SectionRules::Libbpf1);
  EXPECT_EQ(describe(kprobe, "auto"), "kprobe do_nanosleep+0x8");
  EXPECT_EQ(describe(kprobe, "kretprobe"), "kretprobe do_nanosleep+0x8");
  EXPECT_EQ(describe(kprobe, "kprobe:vfs_read+16"), "kprobe vfs_read+0x10");
  ir::Program uprobe =
      typed("u", "uretprobe//usr/bin/true:main", SectionRules::Libbpf1);
  EXPECT_EQ(describe(uprobe, "auto"), "uretprobe /usr/bin/true:main");
  EXPECT_EQ(describe(uprobe, "uprobe:/opt/c++/x:f+0x4"),
            "uprobe /opt/c++/x:f+0x4");
  ir::Program tp = typed("t", "tp/sched/sched_switch", SectionRules::Libbpf1);
  EXPECT_EQ(describe(tp, "auto"), "tracepoint sched/sched_switch");
  EXPECT_EQ(describe(tp, "tracepoint:syscalls/sys_enter_read"),
            "tracepoint syscalls/sys_enter_read");
  ir::Program cg = typed("c", "cgroup_skb/egress", SectionRules::Libbpf1);
  EXPECT_EQ(describe(cg, "auto"), "cgroup cgroup_inet_egress");
  EXPECT_EQ(describe(cg, "cgroup:cgroup_inet_ingress"),
            "cgroup cgroup_inet_ingress");
  ir::Program tc = typed("c", "classifier", SectionRules::Libbpf1);
  EXPECT_EQ(describe(tc, "tc:egress"), "tc egress");
  ir::Program xdp = typed("x", "xdp", SectionRules::Libbpf1);
  EXPECT_EQ(describe(xdp, "xdp:generic"), "xdp generic");
}

TEST(AttachRequest, MistakesAreRefusedBeforeAnyKernelCall) {
  ir::Program tc = typed("cls", "classifier", SectionRules::Libbpf1);
  ir::Program act = typed("act", "action", SectionRules::Libbpf1);
  ir::Program bareKprobe = typed("k", "kprobe", SectionRules::Libbpf1);
  ir::Program gobpfCgroup = typed("c", "cgroup/skb", SectionRules::Gobpf);
  ir::Program uprobe = typed("u", "uprobe", SectionRules::Libbpf1);
  struct Case {
    const ir::Program &prog;
    const char *spec;
    const char *error;
  };
  for (const Case &c : std::vector<Case>{
           {tc, "tc", "tc takes tc:ingress or tc:egress"},
           {tc, "auto", "names no attach point"},
           {tc, "xdp", "is sched_cls, which cannot attach as xdp"},
           {tc, "teleport", "unknown attach kind 'teleport'"},
           {act, "tc:ingress", "only sched_cls programs can"},
           {bareKprobe, "auto", "names no attach point"},
           {bareKprobe, "kprobe", "kprobe needs a target"},
           {gobpfCgroup, "cgroup", "use cgroup:ATTACH_TYPE"},
           {gobpfCgroup, "cgroup:nonsense", "unknown attach type 'nonsense'"},
           {uprobe, "uprobe:main", "is not BINARY:FUNCTION"},
           {uprobe, "uprobe:/bin/x:f+zz", "is not FUNCTION[+OFFSET]"},
       }) {
    std::string error = requestError(c.prog, c.spec);
    EXPECT_NE(error.find(c.error), std::string::npos)
        << c.spec << " on " << c.prog.section << ": '" << error << "'";
  }
}

// `bpfcompat load --attach` leaves a pinned link that outlives the command;
// `unload` removes it, which detaches the program.
TEST(AttachCli, LoadAttachesAndUnloadDetaches) {
  KTEST_REQUIRE_PRIVILEGE();
  PrivateNetns net;
  ASSERT_TRUE(net.ok());
  oracle::BpffsDir pins;
  oracle::TempDir tmp;
  std::string record = tmp.path() + "/record.json";
  std::string progs = pins.path() + "/progs";
  oracle::Command load =
      run({test::kCli, "load", test::kCorpusDir + "/iproute2/tc_full.g.o",
           "--pin-root", pins.path(), "--bpffs", pins.path(),
           "--iproute2-pinning", pins.path() + "/none", "--pin-progs", progs,
           "--attach", "cls_main=tc:ingress", "--dev", "v1", "--netns",
           net.name(), "--record", record});
  ASSERT_EQ(load.status, 0) << load.output;

  uint32_t linkId;
  {
    auto link = kern::objGet(kernel(), progs + "/link_cls_main");
    ASSERT_TRUE(bool(link)) << llvm::toString(link.takeError());
    auto info = kern::linkInfo(kernel(), link->get());
    ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
    auto prog = kern::objGet(kernel(), progs + "/cls_main");
    ASSERT_TRUE(bool(prog)) << llvm::toString(prog.takeError());
    auto progInfo = kern::progInfo(kernel(), prog->get());
    ASSERT_TRUE(bool(progInfo)) << llvm::toString(progInfo.takeError());
    EXPECT_EQ(info->type, kLinkTypeTcx);
    EXPECT_EQ(info->progId, progInfo->id);
    linkId = info->id;
  }
  // Attached with no process holding anything: the pins do.
  auto accMap = kern::objGet(kernel(), pins.path() + "/tc/globals/acc_map");
  ASSERT_TRUE(bool(accMap)) << llvm::toString(accMap.takeError());
  ASSERT_TRUE(net.sendFrames(20, false));
  EXPECT_GE(settled([&] { return counter(accMap->get(), 0); }, 20), 20u);

  oracle::Command unload = run({test::kCli, "unload", record});
  ASSERT_EQ(unload.status, 0) << unload.output;
  EXPECT_FALSE(fs::exists(progs)) << unload.output;
  EXPECT_TRUE(linkGoes(linkId)) << "the tcx link outlived its pin";
}

// An attach that fails after another one succeeded takes everything the
// command created with it: links, program pins, map pins, directories.
TEST(AttachCli, FailedAttachLeavesNothingBehind) {
  KTEST_REQUIRE_PRIVILEGE();
  PrivateNetns net;
  ASSERT_TRUE(net.ok());
  oracle::BpffsDir pins;
  std::set<uint32_t> links = liveLinkIds();
  // The second tcx link of one program on one hook is refused (EEXIST).
  oracle::Command load = run({test::kCli,
                              "load",
                              test::kCorpusDir + "/iproute2/tc_full.g.o",
                              "--pin-root",
                              pins.path(),
                              "--bpffs",
                              pins.path(),
                              "--iproute2-pinning",
                              pins.path() + "/none",
                              "--pin-links",
                              pins.path() + "/links",
                              "--attach",
                              "cls_main=tc:ingress",
                              "--attach",
                              "cls_main=tc:ingress",
                              "--dev",
                              "v1",
                              "--netns",
                              net.name(),
                              "--record",
                              "/dev/null/never-written"});
  EXPECT_EQ(load.status, 1) << load.output;
  EXPECT_NE(load.output.find("BPF_LINK_CREATE 'tc ingress on v1 in netns"),
            std::string::npos)
      << load.output;
  EXPECT_TRUE(fs::is_empty(pins.path())) << load.output;
  for (uint32_t id : liveLinkIds()) {
    if (!links.count(id)) {
      EXPECT_TRUE(linkGoes(id)) << "link " << id << " survived";
    }
  }
}

} // namespace
} // namespace bpfcompat
