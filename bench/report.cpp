#include "report.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <set>

namespace bpfcompat::bench {

std::string benchName(const std::string &operation, const std::string &impl,
                      const std::string &object) {
  return operation + "/" + impl + "/" + object;
}

CollectingReporter::CollectingReporter() {
  SetOutputStream(&std::cerr);
  SetErrorStream(&std::cerr);
}

void CollectingReporter::ReportRuns(const std::vector<Run> &runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run &run : runs) {
    if (run.error_occurred)
      continue;
    bool median =
        run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
    if (run.run_type == Run::RT_Aggregate && !median)
      continue;
    std::string name = run.run_name.function_name;
    if (!median && results_.count(name) && run.repetitions > 1)
      continue; // a repetition; its median comes with the aggregates
    Measurement m;
    m.us = run.GetAdjustedRealTime(); // every benchmark reports in µs
    auto bpf = run.counters.find("bpf_us");
    if (bpf != run.counters.end())
      m.bpfUs = bpf->second.value;
    results_[name] = m;
  }
}

std::optional<Measurement>
CollectingReporter::find(const std::string &name) const {
  auto it = results_.find(name);
  if (it == results_.end())
    return std::nullopt;
  return it->second;
}

namespace {

std::string us(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf,
                v < 10     ? "%.2f"
                : v < 1000 ? "%.1f"
                           : "%.0f",
                v);
  return buf;
}

std::string ratio(double ours, double theirs) {
  if (theirs <= 0)
    return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", ours / theirs);
  return buf;
}

std::string kb(const Extras &extras, const std::string &name) {
  auto it = extras.rssKb.find(name);
  return it == extras.rssKb.end() ? "n/a" : std::to_string(it->second);
}

// Groups in order of first appearance.
std::vector<std::string> groupsOf(const std::vector<ObjectFile> &objects) {
  std::vector<std::string> groups;
  for (const ObjectFile &o : objects)
    if (std::find(groups.begin(), groups.end(), o.group) == groups.end())
      groups.push_back(o.group);
  return groups;
}

// Sums two benchmarks over the objects (of `group`, or all when empty) where
// both were measured.
struct PairSum {
  int objects = 0;
  double ours = 0, theirs = 0;
};
PairSum sumPair(const std::vector<ObjectFile> &objects,
                const CollectingReporter &results, const std::string &group,
                const std::string &oursName, const std::string &theirsName) {
  PairSum sum;
  for (const ObjectFile &o : objects) {
    if (!group.empty() && o.group != group)
      continue;
    auto a = results.find(oursName + "/" + o.name);
    auto b = results.find(theirsName + "/" + o.name);
    if (!a || !b)
      continue;
    ++sum.objects;
    sum.ours += a->us;
    sum.theirs += b->us;
  }
  return sum;
}

void printGroupSums(const std::vector<ObjectFile> &objects,
                    const CollectingReporter &results,
                    const std::string &oursName, const std::string &theirsName,
                    const std::string &theirsLabel, const std::string &target) {
  std::printf("| objects | n | ours µs | %s µs | ours/%s | target |\n",
              theirsLabel.c_str(), theirsLabel.c_str());
  std::printf("|---|---:|---:|---:|---:|---|\n");
  std::vector<std::string> rows = groupsOf(objects);
  rows.push_back("");
  for (const std::string &group : rows) {
    PairSum s = sumPair(objects, results, group, oursName, theirsName);
    if (!s.objects)
      continue;
    std::printf("| %s | %d | %s | %s | %s | %s |\n",
                group.empty() ? "**all**" : group.c_str(), s.objects,
                us(s.ours).c_str(), us(s.theirs).c_str(),
                ratio(s.ours, s.theirs).c_str(), target.c_str());
  }
  std::printf("\n");
}

std::string cell(const CollectingReporter &results, const std::string &name) {
  auto m = results.find(name);
  return m ? us(m->us) : "n/a";
}

std::string ratioCell(const CollectingReporter &results, const std::string &a,
                      const std::string &b) {
  auto x = results.find(a), y = results.find(b);
  return x && y ? ratio(x->us, y->us) : "n/a";
}

void printLoad(const std::vector<ObjectFile> &objects,
               const CollectingReporter &results) {
  std::printf("| object | ours µs | in bpf() | user | libbpf µs | in bpf() "
              "| user | user ours/libbpf | total ours/libbpf |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  double oursUser = 0, theirsUser = 0, oursAll = 0, theirsAll = 0;
  for (const ObjectFile &o : objects) {
    auto a = results.find(benchName("load", "ours", o.name));
    auto b = results.find(benchName("load", "libbpf", o.name));
    if (!a || !b)
      continue;
    double ua = a->us - a->bpfUs, ub = b->us - b->bpfUs;
    oursUser += ua, theirsUser += ub, oursAll += a->us, theirsAll += b->us;
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                o.name.c_str(), us(a->us).c_str(), us(a->bpfUs).c_str(),
                us(ua).c_str(), us(b->us).c_str(), us(b->bpfUs).c_str(),
                us(ub).c_str(), ratio(ua, ub).c_str(),
                ratio(a->us, b->us).c_str());
  }
  std::printf("| **sum** | %s | | %s | %s | | %s | %s | %s |\n\n",
              us(oursAll).c_str(), us(oursUser).c_str(), us(theirsAll).c_str(),
              us(theirsUser).c_str(), ratio(oursUser, theirsUser).c_str(),
              ratio(oursAll, theirsAll).c_str());
}

// N maps and N programs per scale object, from its name "scale-N".
uint64_t scaleUnits(const ObjectFile &o) {
  auto dash = o.name.rfind('-');
  return dash == std::string::npos ? 0 : std::stoull(o.name.substr(dash + 1));
}

void printScale(const std::vector<ObjectFile> &objects,
                const CollectingReporter &results, const Extras &extras,
                bool withLoad) {
  std::printf("| N maps + N progs | bytes | read ours µs | per N | read libbpf "
              "µs | per N | convert µs | per N | load user ours µs | per N "
              "| load user libbpf µs | per N | RSS read ours/libbpf KB | RSS "
              "load ours/libbpf KB |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
              "---:|---:|\n");
  for (const ObjectFile &o : objects) {
    if (o.group != "scale")
      continue;
    double n = double(std::max<uint64_t>(1, scaleUnits(o)));
    auto per = [&](std::optional<Measurement> m, bool user) {
      if (!m)
        return std::string("n/a | n/a");
      double v = user ? m->us - m->bpfUs : m->us;
      return us(v) + " | " + us(v / n);
    };
    auto load = [&](const char *impl) {
      return withLoad ? per(results.find(benchName("load", impl, o.name)), true)
                      : std::string("n/a | n/a");
    };
    std::printf(
        "| %" PRIu64 " | %zu | %s | %s | %s | %s | %s | %s/%s | %s/%s |\n",
        scaleUnits(o), o.bytes.size(),
        per(results.find(benchName("read", "ours", o.name)), false).c_str(),
        per(results.find(benchName("read", "libbpf", o.name)), false).c_str(),
        per(results.find(benchName("convert", "ours", o.name)), false).c_str(),
        load("ours").c_str(), load("libbpf").c_str(),
        kb(extras, benchName("read", "ours", o.name)).c_str(),
        kb(extras, benchName("read", "libbpf", o.name)).c_str(),
        kb(extras, benchName("load", "ours", o.name)).c_str(),
        kb(extras, benchName("load", "libbpf", o.name)).c_str());
  }
  std::printf("\n");
}

void printMemory(const std::vector<ObjectFile> &objects, const Extras &extras) {
  std::printf("| object | bytes | read ours KB | read libbpf KB | read+convert "
              "ours KB | link libbpf KB | load ours KB | load libbpf KB |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  // The largest object of each group stands for it; every generated one is
  // shown.
  std::set<std::string> shown;
  for (const std::string &group : groupsOf(objects)) {
    const ObjectFile *largest = nullptr;
    for (const ObjectFile &o : objects) {
      if (o.group != group)
        continue;
      if (group == "scale" || group == "btf-heavy")
        shown.insert(o.name);
      else if (!largest || o.bytes.size() > largest->bytes.size())
        largest = &o;
    }
    if (largest)
      shown.insert(largest->name);
  }
  for (const ObjectFile &o : objects) {
    if (!shown.count(o.name))
      continue;
    std::printf("| %s | %zu | %s | %s | %s | %s | %s | %s |\n", o.name.c_str(),
                o.bytes.size(),
                kb(extras, benchName("read", "ours", o.name)).c_str(),
                kb(extras, benchName("read", "libbpf", o.name)).c_str(),
                kb(extras, benchName("e2e", "ours", o.name)).c_str(),
                kb(extras, benchName("e2e", "libbpf", o.name)).c_str(),
                kb(extras, benchName("load", "ours", o.name)).c_str(),
                kb(extras, benchName("load", "libbpf", o.name)).c_str());
  }
  std::printf("\n");
}

void printPerObject(const std::vector<ObjectFile> &objects,
                    const CollectingReporter &results) {
  std::printf("| object | bytes | read ours µs | open libbpf µs | ratio | "
              "convert ours µs | convert/open | read+convert+write ours µs | "
              "link libbpf µs | ratio |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const ObjectFile &o : objects) {
    auto n = [&](const char *op, const char *impl) {
      return benchName(op, impl, o.name);
    };
    std::printf(
        "| %s | %zu | %s | %s | %s | %s | %s | %s | %s | %s |\n",
        o.name.c_str(), o.bytes.size(),
        cell(results, n("read", "ours")).c_str(),
        cell(results, n("read", "libbpf")).c_str(),
        ratioCell(results, n("read", "ours"), n("read", "libbpf")).c_str(),
        cell(results, n("convert", "ours")).c_str(),
        ratioCell(results, n("convert", "ours"), n("read", "libbpf")).c_str(),
        cell(results, n("e2e", "ours")).c_str(),
        cell(results, n("e2e", "libbpf")).c_str(),
        ratioCell(results, n("e2e", "ours"), n("e2e", "libbpf")).c_str());
  }
  std::printf("\n");
}

} // namespace

void printTables(const std::vector<ObjectFile> &objects,
                 const CollectingReporter &results, const Extras &extras,
                 bool withLoad) {
  std::printf(
      "### 1. Read to IR vs libbpf bpf_object__open_mem (same bytes)\n\n");
  printGroupSums(objects, results, "read/ours", "read/libbpf", "libbpf",
                 "≤ 0.50");
  std::printf("### 2. Convert\n\nConvert (IR to libbpf-style ELF bytes) vs "
              "libbpf's open of the same object:\n\n");
  printGroupSums(objects, results, "convert/ours", "read/libbpf", "libbpf",
                 "≤ 1.00");
  std::printf("End to end, file to file: our read + convert + write vs "
              "libbpf's static linker (`bpftool gen object`):\n\n");
  printGroupSums(objects, results, "e2e/ours", "e2e/libbpf", "linker", "");
  if (withLoad) {
    std::printf("### 3. Load phase vs libbpf bpf_object__load (objects both "
                "load)\n\n");
    printLoad(objects, results);
  }
  std::printf("### 5a. Growth with object size (generated objects)\n\n");
  printScale(objects, results, extras, withLoad);
  std::printf("### 5b. Peak RSS growth of one operation (KB)\n\n");
  printMemory(objects, extras);
  std::printf("### Per object\n\n");
  printPerObject(objects, results);
  if (!extras.skipped.empty()) {
    std::printf("### Not measured\n\n");
    for (const std::string &s : extras.skipped)
      std::printf("- %s\n", s.c_str());
    std::printf("\n");
  }
}

} // namespace bpfcompat::bench
