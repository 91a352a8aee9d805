// Collects Google Benchmark results (the median when repeated) and prints
// the comparison tables as markdown, every figure next to its ratio.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operations.h"

namespace bpfcompat::bench {

// Benchmark names are "<operation>/<implementation>/<object name>".
std::string benchName(const std::string &operation, const std::string &impl,
                      const std::string &object);

struct Measurement {
  double us = 0;    // wall time per iteration
  double bpfUs = 0; // of which inside bpf() (load only)
};

// Passes everything to the console reporter (on stderr) and keeps the
// median (or only) run of each benchmark.
class CollectingReporter : public benchmark::ConsoleReporter {
public:
  CollectingReporter();
  void ReportRuns(const std::vector<Run> &runs) override;
  std::optional<Measurement> find(const std::string &name) const;

private:
  std::map<std::string, Measurement> results_;
};

// Peak RSS growth (KB) by benchmark name, and why objects were left out.
struct Extras {
  std::map<std::string, uint64_t> rssKb;
  std::vector<std::string> skipped; // "<object>: <operation>: <reason>"
};

void printTables(const std::vector<ObjectFile> &objects,
                 const CollectingReporter &results, const Extras &extras,
                 bool withLoad);

} // namespace bpfcompat::bench
