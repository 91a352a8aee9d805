// iproute2 objects converted with --for tc, loaded by the real tc (built on
// libbpf >= 1.0, which refuses the originals) on a veth pair in a private
// network namespace: the filter attaches, the global maps are pinned where
// the legacy loader pinned them, and the report's graft commands fill the
// prog array. `ip netns exec` gives the script its own mount namespace, so
// the bpffs tc mounts there disappears with it.
#include "bpfcompat/convert.h"
#include "bpfcompat/names.h"
#include "bpfcompat/reader.h"

#include <gtest/gtest.h>

#include <linux/bpf.h>
#include <set>
#include <sstream>
#include <unistd.h>

#include "oracle_support.h"
#include "test_support.h"

namespace bpfcompat {
namespace {

struct TcCase {
  std::string object;              // under the corpus dir
  std::vector<std::string> attach; // "tc DIRECTION SECTION" or "xdp SECTION"
};

// A network namespace with a veth pair v0/v1, deleted with everything in it.
class Netns {
public:
  Netns() : name_("bpfcompat-" + std::to_string(getpid())) {
    oracle::runCommand({"ip", "netns", "del", name_});
    for (std::vector<std::string> cmd :
         {std::vector<std::string>{"ip", "netns", "add", name_},
          {"ip", "-n", name_, "link", "add", "v0", "type", "veth", "peer",
           "name", "v1"},
          {"ip", "-n", name_, "link", "set", "v0", "up"},
          {"ip", "-n", name_, "link", "set", "v1", "up"}}) {
      oracle::Command run = oracle::runCommand(cmd);
      EXPECT_EQ(run.status, 0) << run.output;
    }
  }
  ~Netns() { oracle::runCommand({"ip", "netns", "del", name_}); }
  oracle::Command run(const std::string &script) const {
    return oracle::runCommand(
        {"ip", "netns", "exec", name_, "sh", "-ec", script});
  }

private:
  std::string name_;
};

std::set<std::string> words(const std::string &text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;)
    out.insert(w);
  return out;
}

void PrintTo(const TcCase &c, std::ostream *os) { *os << c.object; }

class TcOracle : public ::testing::TestWithParam<TcCase> {};

TEST_P(TcOracle, TcLoadsPinsAndGraftsTheConvertedObject) {
  if (!oracle::privileged())
    GTEST_SKIP() << "needs root with BPF capability, bpffs and netns";
  const TcCase &c = GetParam();
  auto input = readObject(test::kCorpusDir + "/" + c.object);
  ASSERT_TRUE(bool(input)) << llvm::toString(input.takeError());
  convert::Options options;
  options.consumer = convert::Consumer::Tc;
  auto result = convert::convertObject(*input, options);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  EXPECT_EQ(result->report.pinRoot, "/sys/fs/bpf/tc/globals");

  oracle::TempDir dir;
  std::string out = dir.path() + "/converted.o";
  oracle::writeFile(out, result->bytes);
  result->report.output = out;

  // What must be pinned: every map the source pinned, and every prog array
  // left for graft.
  std::set<std::string> expectedPins;
  for (const ir::Map &map : input->maps)
    if (map.pinning.kind != ir::PinKind::None)
      expectedPins.insert(kernelSafeName(map.name));
  for (const convert::Graft &g : result->report.grafts)
    expectedPins.insert(g.progArray);

  std::string script;
  bool tc = false;
  for (const std::string &attach : c.attach) {
    std::istringstream in(attach);
    std::string kind, a, b;
    in >> kind >> a >> b;
    if (kind == "tc") {
      if (!tc)
        script += "tc qdisc add dev v0 clsact\n";
      tc = true;
      script += "tc filter add dev v0 " + a + " bpf da obj " + out + " sec " +
                b + "\n";
    } else {
      script += "ip link set dev v0 xdpgeneric obj " + out + " sec " + a + "\n";
    }
  }
  script += "echo PINS; ls " + result->report.pinRoot + "; echo ENDPINS\n";
  for (const std::string &cmd : result->report.graftCommands())
    script += cmd + "\n";
  std::set<std::string> arrays;
  for (const convert::Graft &g : result->report.grafts)
    arrays.insert(g.progArray);
  for (const std::string &array : arrays)
    script += "echo ARRAY " + array + "; bpftool map dump pinned " +
              result->report.pinRoot + "/" + array + "\n";
  script += "echo FILTERS; " +
            std::string(tc ? "tc filter show dev v0 ingress; "
                             "tc filter show dev v0 egress"
                           : "ip link show dev v0") +
            "\n";

  Netns netns;
  oracle::Command run = netns.run(script);
  ASSERT_EQ(run.status, 0) << script << "\n---\n" << run.output;

  size_t pins = run.output.find("PINS\n");
  size_t end = run.output.find("ENDPINS");
  ASSERT_NE(pins, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  EXPECT_EQ(words(run.output.substr(pins + 4, end - pins - 4)), expectedPins)
      << run.output;

  // Each graft filled its key with a program (bpftool prints the 4-byte
  // little-endian key, then the program id).
  for (const convert::Graft &g : result->report.grafts) {
    char slot[32];
    snprintf(slot, sizeof(slot), "key: %02x 00 00 00  value: ", g.key);
    EXPECT_NE(run.output.find(slot), std::string::npos)
        << g.progArray << "[" << g.key << "] not wired:\n"
        << run.output;
  }
  EXPECT_NE(run.output.find(tc ? "direct-action" : "xdpgeneric"),
            std::string::npos)
      << run.output;
}

INSTANTIATE_TEST_SUITE_P(
    Iproute2Corpus, TcOracle,
    ::testing::Values(TcCase{"iproute2/tc_full.g.o", {"tc ingress classifier"}},
                      TcCase{"iproute2/tc_full.o", {"tc ingress classifier"}},
                      TcCase{"iproute2/tc_sections.g.o",
                             {"tc ingress ingress", "tc egress egress"}},
                      TcCase{"iproute2/tc_sections.o",
                             {"tc ingress ingress", "tc egress egress"}},
                      TcCase{"iproute2/xdp_prog.g.o", {"xdp prog"}},
                      TcCase{"mixed/odd_section_maps.g.o",
                             {"tc ingress classifier"}}),
    [](const ::testing::TestParamInfo<TcCase> &info) {
      std::string name = info.param.object;
      for (char &ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)))
          ch = '_';
      return name;
    });

} // namespace
} // namespace bpfcompat
