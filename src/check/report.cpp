// `check` reports: the JSON/YAML document (schema in docs/check.md), a text
// summary for people, JUnit XML for CI systems, veristat-like CSV, and the
// comparison with a baseline report.
#include "bpfcompat/check.h"
#include "bpfcompat/error.h"
#include "bpfcompat/render.h"

#include <llvm/ADT/StringExtras.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>

namespace bpfcompat::check {

namespace {

constexpr int kReportSchema = 1;

std::string fixed(double value, int digits) {
  return doc::Fixed{value, digits}.text();
}

std::string padRight(std::string s, size_t width) {
  if (s.size() < width)
    s.append(width - s.size(), ' ');
  return s;
}

std::string padLeft(const std::string &s, size_t width) {
  return s.size() < width ? std::string(width - s.size(), ' ') + s : s;
}

struct StageCounts {
  size_t pass = 0, fail = 0, skip = 0;
  void add(Status s) {
    (s == Status::Pass ? pass : s == Status::Fail ? fail : skip)++;
  }
};

std::map<Stage, StageCounts> countStages(const Report &report) {
  std::map<Stage, StageCounts> counts;
  for (const ObjectResult &o : report.objects)
    for (const StageResult &s : o.stages)
      counts[s.stage].add(s.status);
  return counts;
}

std::string conventionOf(const ObjectResult &o) {
  return o.convention.empty() ? "unknown" : o.convention;
}

const StageResult *firstFailure(const ObjectResult &o) {
  for (const StageResult &s : o.stages)
    if (s.status == Status::Fail)
      return &s;
  return nullptr;
}

size_t inputCount(const Report &report) {
  size_t n = 0;
  for (const ObjectResult &o : report.objects)
    n += o.paths.size();
  return n;
}

// ---- reading a JSON report back

// Field access that names what is missing: yaml-cpp's own exceptions do not.
class Reader {
public:
  explicit Reader(std::string name) : name_(std::move(name)) {}

  template <typename T>
  T get(const YAML::Node &node, const char *field, const std::string &where) {
    YAML::Node value = node[field];
    if (!value) {
      fail(where + ": missing '" + field + "'");
      return T();
    }
    try {
      return value.as<T>();
    } catch (const YAML::Exception &) {
      fail(where + ": bad '" + field + "'");
      return T();
    }
  }
  template <typename T>
  T optional(const YAML::Node &node, const char *field, T fallback) {
    YAML::Node value = node[field];
    if (!value)
      return fallback;
    try {
      return value.as<T>();
    } catch (const YAML::Exception &) {
      return fallback;
    }
  }
  void fail(const std::string &message) {
    if (error_.empty())
      error_ = message;
  }
  llvm::Error error() const {
    return error_.empty() ? llvm::Error::success()
                          : makeError(name_ + ": " + error_);
  }

private:
  std::string name_;
  std::string error_;
};

std::vector<std::string> strings(const YAML::Node &node) {
  std::vector<std::string> out;
  if (node && node.IsSequence())
    for (const YAML::Node &item : node)
      out.push_back(item.as<std::string>(""));
  return out;
}

ObjectResult readObjectResult(Reader &r, const YAML::Node &node,
                              const std::string &where) {
  ObjectResult o;
  o.paths = strings(node["paths"]);
  if (o.paths.empty())
    r.fail(where + ": missing 'paths'");
  o.sha1 = r.optional<std::string>(node, "sha1", "");
  o.size = r.optional<uint64_t>(node, "size", 0);
  o.convention = r.optional<std::string>(node, "convention", "");
  o.evidence = strings(node["evidence"]);
  o.maps = r.optional<unsigned>(node, "maps", 0);
  o.programs = r.optional<unsigned>(node, "programs", 0);
  o.losses = r.optional<unsigned>(node, "losses", 0);
  o.seconds = r.optional<double>(node, "seconds", 0);
  YAML::Node stages = node["stages"];
  if (!stages || !stages.IsSequence())
    r.fail(where + ": missing 'stages'");
  else
    for (size_t i = 0; i < stages.size(); ++i) {
      std::string at = where + ".stages[" + std::to_string(i) + "]";
      StageResult s;
      auto stage = stageFromName(r.get<std::string>(stages[i], "stage", at));
      std::string status = r.get<std::string>(stages[i], "status", at);
      if (!stage)
        r.fail(at + ": unknown stage");
      s.stage = stage.value_or(Stage::Detect);
      if (status == "pass")
        s.status = Status::Pass;
      else if (status == "fail")
        s.status = Status::Fail;
      else if (status == "skip")
        s.status = Status::Skip;
      else
        r.fail(at + ": unknown status '" + status + "'");
      s.error = r.optional<std::string>(stages[i], "error", "");
      s.signature = r.optional<std::string>(stages[i], "signature", "");
      s.seconds = r.optional<double>(stages[i], "seconds", 0);
      o.stages.push_back(std::move(s));
    }
  return o;
}

// ---- JUnit

// XML 1.0 cannot carry control characters at all: they are \xNN first.
std::string xmlEscape(llvm::StringRef s) {
  std::string out;
  for (char c : printable(s, /*keepLineBreaks=*/true)) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

// ---- CSV (RFC 4180 quoting)

std::string csvField(llvm::StringRef s) {
  if (s.find_first_of(",\"\n\r") == llvm::StringRef::npos)
    return printable(s);
  std::string out = "\"";
  for (char c : s)
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

} // namespace

// ---- names

const char *stageName(Stage stage) {
  switch (stage) {
  case Stage::Detect:
    return "detect";
  case Stage::Read:
    return "read";
  case Stage::Convert:
    return "convert";
  case Stage::Reopen:
    return "reopen";
  case Stage::LoadOriginal:
    return "load-original";
  case Stage::LoadConverted:
    return "load-converted";
  }
  return "?";
}

std::optional<Stage> stageFromName(llvm::StringRef name) {
  for (Stage stage : kStages)
    if (name == stageName(stage))
      return stage;
  return std::nullopt;
}

const char *statusName(Status status) {
  switch (status) {
  case Status::Pass:
    return "pass";
  case Status::Fail:
    return "fail";
  case Status::Skip:
    return "skip";
  }
  return "?";
}

const StageResult *ObjectResult::stage(Stage which) const {
  for (const StageResult &s : stages)
    if (s.stage == which)
      return &s;
  return nullptr;
}

bool ObjectResult::failed() const { return firstFailure(*this) != nullptr; }

// ---- signatures and verifier figures

std::string errorSignature(llvm::StringRef message) {
  // Quoted names first: they may hold spaces, slashes and digits.
  std::string unquoted;
  for (size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    size_t close =
        c == '\'' || c == '"' ? message.find(c, i + 1) : llvm::StringRef::npos;
    if (close != llvm::StringRef::npos) {
      unquoted += c;
      unquoted += "…";
      unquoted += c;
      i = close;
    } else {
      unquoted += c;
    }
  }
  // Then paths (words with a '/') and numbers (decimal or 0x hex).
  std::string out;
  llvm::StringRef rest(unquoted);
  while (!rest.empty()) {
    size_t space = rest.find(' ');
    llvm::StringRef word = rest.take_front(space);
    rest = space == llvm::StringRef::npos ? "" : rest.drop_front(space + 1);
    if (word.contains('/')) {
      llvm::StringRef path = word.rtrim(":,;");
      out += "<path>" + word.drop_front(path.size()).str();
    } else {
      for (size_t i = 0; i < word.size(); ++i) {
        auto c = static_cast<unsigned char>(word[i]);
        auto prev = i ? static_cast<unsigned char>(word[i - 1]) : ' ';
        if (!std::isdigit(c) || std::isalnum(prev) || prev == '_') {
          out += word[i]; // part of a name such as "ipv4" or "map_2"
          continue;
        }
        size_t end = word.substr(i).startswith("0x") ? i + 2 : i;
        while (end < word.size() &&
               std::isxdigit(static_cast<unsigned char>(word[end])))
          ++end;
        out += 'N';
        i = end - 1;
      }
    }
    if (space != llvm::StringRef::npos)
      out += ' ';
  }
  constexpr size_t kMaxSignature = 160;
  if (out.size() > kMaxSignature)
    out = out.substr(0, kMaxSignature) + "…";
  return printable(out);
}

bool parseVerifierStats(llvm::StringRef log, VerifierFigures &figures) {
  bool found = false;
  llvm::SmallVector<llvm::StringRef, 8> lines;
  log.split(lines, '\n', -1, false);
  for (llvm::StringRef line : lines) {
    unsigned long long insns, maxStates, totalStates, peakStates, micros;
    std::string text = line.str();
    if (std::sscanf(text.c_str(),
                    "processed %llu insns (limit %*u) max_states_per_insn "
                    "%llu total_states %llu peak_states %llu",
                    &insns, &maxStates, &totalStates, &peakStates) == 4) {
      figures.insnsProcessed = insns;
      figures.maxStatesPerInsn = maxStates;
      figures.totalStates = totalStates;
      figures.peakStates = peakStates;
      found = true;
    } else if (std::sscanf(text.c_str(), "verification time %llu usec",
                           &micros) == 1) {
      figures.verificationMicros = micros;
    }
  }
  return found;
}

// ---- documents

doc::Value toDocument(const ObjectResult &o) {
  doc::Array stages;
  for (const StageResult &s : o.stages) {
    doc::Object stage{{"stage", stageName(s.stage)},
                      {"status", statusName(s.status)},
                      {"seconds", doc::Fixed{s.seconds, 6}}};
    if (!s.error.empty())
      stage.emplace_back("error", s.error);
    if (!s.signature.empty())
      stage.emplace_back("signature", s.signature);
    stages.push_back(std::move(stage));
  }
  doc::Array verifier;
  for (const VerifierFigures &f : o.verifier)
    verifier.push_back(doc::Object{
        {"program", f.program},
        {"load", stageName(f.stage)},
        {"loaded", f.loaded},
        {"insns_processed", f.insnsProcessed},
        {"total_states", f.totalStates},
        {"peak_states", f.peakStates},
        {"max_states_per_insn", f.maxStatesPerInsn},
        {"verification_us", f.verificationMicros},
    });
  return doc::Object{
      {"paths", doc::Array(o.paths.begin(), o.paths.end())},
      {"sha1", o.sha1},
      {"size", o.size},
      {"convention", o.convention},
      {"evidence", doc::Array(o.evidence.begin(), o.evidence.end())},
      {"maps", o.maps},
      {"programs", o.programs},
      {"losses", o.losses},
      {"failed", o.failed()},
      {"seconds", doc::Fixed{o.seconds, 6}},
      {"stages", std::move(stages)},
      {"verifier", std::move(verifier)},
  };
}

doc::Value toDocument(const Report &report, const Comparison *comparison) {
  doc::Object stages;
  for (const auto &[stage, c] : countStages(report))
    stages.emplace_back(
        stageName(stage),
        doc::Object{{"pass", c.pass}, {"fail", c.fail}, {"skip", c.skip}});
  std::map<std::string, std::pair<size_t, size_t>> byConvention;
  size_t failed = 0;
  for (const ObjectResult &o : report.objects) {
    auto &[objects, failures] = byConvention[conventionOf(o)];
    ++objects;
    failures += o.failed();
    failed += o.failed();
  }
  doc::Object conventions;
  for (const auto &[name, counts] : byConvention)
    conventions.emplace_back(name, doc::Object{{"objects", counts.first},
                                               {"failed", counts.second}});
  doc::Array objects;
  for (const ObjectResult &o : report.objects)
    objects.push_back(toDocument(o));
  doc::Object out{
      {"schema", kReportSchema},
      {"tool", "bpfcompat check"},
      {"kernel", report.kernel},
      {"kernel_release", report.kernelRelease},
      {"jobs", report.jobs},
      {"seconds", doc::Fixed{report.seconds, 3}},
      {"summary", doc::Object{{"objects", report.objects.size()},
                              {"inputs", inputCount(report)},
                              {"files_scanned", report.filesScanned},
                              {"failed", failed},
                              {"stages", std::move(stages)},
                              {"conventions", std::move(conventions)}}},
      {"input_errors",
       doc::Array(report.inputErrors.begin(), report.inputErrors.end())},
      {"objects", std::move(objects)},
  };
  if (comparison) {
    auto changes = [](const std::vector<Change> &list) {
      doc::Array out;
      for (const Change &c : list)
        out.push_back(doc::Object{{"path", c.path},
                                  {"stage", stageName(c.stage)},
                                  {"before", statusName(c.before)},
                                  {"now", statusName(c.now)},
                                  {"error", c.error}});
      return out;
    };
    out.emplace_back(
        "comparison",
        doc::Object{{"regressions", changes(comparison->regressions)},
                    {"fixes", changes(comparison->fixes)},
                    {"added", doc::Array(comparison->added.begin(),
                                         comparison->added.end())},
                    {"removed", doc::Array(comparison->removed.begin(),
                                           comparison->removed.end())}});
  }
  return out;
}

llvm::Expected<Report> reportFromJson(llvm::StringRef text,
                                      llvm::StringRef name) {
  YAML::Node root;
  try {
    root = YAML::Load(text.str()); // JSON is YAML
  } catch (const YAML::Exception &e) {
    return makeError(name + ": not a check report: line " +
                     llvm::Twine(e.mark.line + 1) + ": " + e.msg);
  }
  Reader r(name.str());
  if (!root.IsMap() || r.optional<int>(root, "schema", 0) != kReportSchema ||
      r.optional<std::string>(root, "tool", "") != "bpfcompat check")
    return makeError(name + ": not a bpfcompat check report (schema " +
                     llvm::Twine(kReportSchema) + ")");
  Report report;
  report.kernel = r.optional<bool>(root, "kernel", false);
  report.kernelRelease = r.optional<std::string>(root, "kernel_release", "");
  report.jobs = r.optional<unsigned>(root, "jobs", 0);
  report.seconds = r.optional<double>(root, "seconds", 0);
  report.inputErrors = strings(root["input_errors"]);
  YAML::Node objects = root["objects"];
  if (!objects || !objects.IsSequence())
    return makeError(name + ": missing 'objects'");
  for (size_t i = 0; i < objects.size(); ++i)
    report.objects.push_back(
        readObjectResult(r, objects[i], "objects[" + std::to_string(i) + "]"));
  if (llvm::Error err = r.error())
    return err;
  return report;
}

// ---- text

std::string renderText(const Report &report) {
  size_t failed =
      std::count_if(report.objects.begin(), report.objects.end(),
                    [](const ObjectResult &o) { return o.failed(); });
  std::string out =
      "bpfcompat check: " + std::to_string(inputCount(report)) + " inputs, " +
      std::to_string(report.objects.size()) + " unique objects, " +
      std::to_string(failed) + " failed (" + fixed(report.seconds, 2) + " s, " +
      std::to_string(report.jobs) + " jobs, " +
      (report.seconds > 0 ? fixed(report.objects.size() / report.seconds, 1)
                          : std::string("-")) +
      " objects/s, kernel stages " +
      (report.kernel ? "on " + report.kernelRelease : "off") + ")\n\n";

  out += padRight("stage", 16) + padLeft("pass", 7) + padLeft("fail", 7) +
         padLeft("skip", 7) + "\n";
  for (const auto &[stage, c] : countStages(report))
    out += padRight(stageName(stage), 16) + padLeft(std::to_string(c.pass), 7) +
           padLeft(std::to_string(c.fail), 7) +
           padLeft(std::to_string(c.skip), 7) + "\n";

  // Per convention: how many objects pass each stage.
  std::map<std::string, std::vector<const ObjectResult *>> byConvention;
  for (const ObjectResult &o : report.objects)
    byConvention[conventionOf(o)].push_back(&o);
  out += "\n" + padRight("convention", 16) + padLeft("objects", 8);
  for (Stage stage : kStages)
    out += padLeft(stageName(stage), 16);
  out += "\n";
  for (const auto &[name, list] : byConvention) {
    out += padRight(name, 16) + padLeft(std::to_string(list.size()), 8);
    for (Stage stage : kStages) {
      size_t pass = 0, ran = 0;
      for (const ObjectResult *o : list)
        if (const StageResult *s = o->stage(stage);
            s && s->status != Status::Skip) {
          ++ran;
          pass += s->status == Status::Pass;
        }
      out += padLeft(ran ? std::to_string(pass) + "/" + std::to_string(ran)
                         : std::string("-"),
                     16);
    }
    out += "\n";
  }

  std::map<std::string, size_t> signatures;
  for (const ObjectResult &o : report.objects)
    if (const StageResult *s = firstFailure(o))
      ++signatures[std::string(stageName(s->stage)) + ": " + s->signature];
  if (!signatures.empty()) {
    std::vector<std::pair<std::string, size_t>> top(signatures.begin(),
                                                    signatures.end());
    std::stable_sort(top.begin(), top.end(), [](const auto &a, const auto &b) {
      return a.second > b.second;
    });
    out += "\ntop failures:\n";
    for (size_t i = 0; i < top.size() && i < 10; ++i)
      out += padLeft(std::to_string(top[i].second), 6) + "  " + top[i].first +
             "\n";
  }

  std::vector<const ObjectResult *> slowest;
  for (const ObjectResult &o : report.objects)
    slowest.push_back(&o);
  std::stable_sort(slowest.begin(), slowest.end(),
                   [](auto *a, auto *b) { return a->seconds > b->seconds; });
  if (!slowest.empty()) {
    out += "\nslowest objects:\n";
    for (size_t i = 0; i < slowest.size() && i < 5; ++i)
      out += padLeft(fixed(slowest[i]->seconds, 3), 9) + " s  " +
             printable(slowest[i]->paths.front()) + "\n";
  }

  if (failed) {
    out += "\nfailures:\n";
    for (const ObjectResult &o : report.objects)
      if (const StageResult *s = firstFailure(o)) {
        // Errors usually start with the object's name already.
        bool named = llvm::StringRef(s->error).startswith(o.paths.front());
        out += std::string("  [") + stageName(s->stage) + "] " +
               printable(named ? s->error : o.paths.front() + ": " + s->error) +
               "\n";
      }
  }
  if (!report.inputErrors.empty()) {
    out += "\ninput errors:\n";
    for (const std::string &e : report.inputErrors)
      out += "  " + printable(e) + "\n";
  }
  return out;
}

// ---- JUnit: a testsuite per object, a testcase per stage

std::string renderJunit(const Report &report) {
  size_t tests = 0, failures = 0, skipped = 0;
  for (const ObjectResult &o : report.objects)
    for (const StageResult &s : o.stages) {
      ++tests;
      failures += s.status == Status::Fail;
      skipped += s.status == Status::Skip;
    }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"bpfcompat check\" tests=\"" +
         std::to_string(tests) + "\" failures=\"" + std::to_string(failures) +
         "\" skipped=\"" + std::to_string(skipped) + "\" time=\"" +
         fixed(report.seconds, 3) + "\">\n";
  for (const ObjectResult &o : report.objects) {
    size_t f = 0, sk = 0;
    for (const StageResult &s : o.stages) {
      f += s.status == Status::Fail;
      sk += s.status == Status::Skip;
    }
    std::string name = xmlEscape(o.paths.front());
    out += "  <testsuite name=\"" + name + "\" tests=\"" +
           std::to_string(o.stages.size()) + "\" failures=\"" +
           std::to_string(f) + "\" errors=\"0\" skipped=\"" +
           std::to_string(sk) + "\" time=\"" + fixed(o.seconds, 6) + "\">\n";
    out += "    <properties>\n";
    out += "      <property name=\"convention\" value=\"" +
           xmlEscape(conventionOf(o)) + "\"/>\n";
    out +=
        "      <property name=\"sha1\" value=\"" + xmlEscape(o.sha1) + "\"/>\n";
    for (size_t i = 1; i < o.paths.size(); ++i)
      out += "      <property name=\"duplicate\" value=\"" +
             xmlEscape(o.paths[i]) + "\"/>\n";
    out += "    </properties>\n";
    for (const StageResult &s : o.stages) {
      out += "    <testcase classname=\"" + name + "\" name=\"" +
             stageName(s.stage) + "\" time=\"" + fixed(s.seconds, 6) + "\"";
      if (s.status == Status::Pass) {
        out += "/>\n";
        continue;
      }
      out += ">\n";
      if (s.status == Status::Fail)
        out += "      <failure message=\"" + xmlEscape(s.signature) +
               "\" type=\"" + stageName(s.stage) + "\">" + xmlEscape(s.error) +
               "</failure>\n";
      else
        out += "      <skipped message=\"" + xmlEscape(s.error) + "\"/>\n";
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

// ---- CSV: veristat's columns, one row per program load (or per object)

std::string renderCsv(const Report &report) {
  std::string out = "file_name,sha1,convention";
  for (Stage stage : kStages)
    out += std::string(",") + stageName(stage);
  out += ",prog_name,load,verdict,duration,total_insns,total_states,"
         "peak_states,max_states_per_insn\n";
  for (const ObjectResult &o : report.objects) {
    std::string head = csvField(o.paths.front()) + "," + o.sha1 + "," +
                       csvField(conventionOf(o));
    for (Stage stage : kStages) {
      const StageResult *s = o.stage(stage);
      head += std::string(",") + (s ? statusName(s->status) : "");
    }
    if (o.verifier.empty()) {
      out += head + ",,,,,,,,\n";
      continue;
    }
    for (const VerifierFigures &f : o.verifier)
      out += head + "," + csvField(f.program) + "," + stageName(f.stage) + "," +
             (f.loaded ? "success" : "failure") + "," +
             std::to_string(f.verificationMicros) + "," +
             std::to_string(f.insnsProcessed) + "," +
             std::to_string(f.totalStates) + "," +
             std::to_string(f.peakStates) + "," +
             std::to_string(f.maxStatesPerInsn) + "\n";
  }
  return out;
}

// ---- baseline

Comparison compare(const Report &baseline, const Report &now) {
  std::map<std::string, const ObjectResult *> before;
  for (const ObjectResult &o : baseline.objects)
    for (const std::string &path : o.paths)
      before.emplace(path, &o);
  std::set<std::string> seen;
  Comparison out;
  for (const ObjectResult &o : now.objects)
    for (const std::string &path : o.paths) {
      seen.insert(path);
      auto it = before.find(path);
      if (it == before.end()) {
        out.added.push_back(path);
        continue;
      }
      for (const StageResult &s : o.stages) {
        const StageResult *old = it->second->stage(s.stage);
        if (!old || old->status == s.status || old->status == Status::Skip ||
            s.status == Status::Skip)
          continue; // a stage that did not run on one side says nothing
        Change c{path, s.stage, old->status, s.status,
                 s.status == Status::Fail ? s.error : old->error};
        (s.status == Status::Fail ? out.regressions : out.fixes)
            .push_back(std::move(c));
      }
    }
  for (const auto &[path, o] : before)
    if (!seen.count(path))
      out.removed.push_back(path);
  return out;
}

std::string renderComparison(const Comparison &c) {
  std::string out =
      "\ncompared with the baseline: " + std::to_string(c.regressions.size()) +
      " regressions, " + std::to_string(c.fixes.size()) + " fixes, " +
      std::to_string(c.added.size()) + " new, " +
      std::to_string(c.removed.size()) + " gone\n";
  for (const Change &r : c.regressions)
    out += "  regression " + printable(r.path) + " [" + stageName(r.stage) +
           "]: " + printable(r.error) + "\n";
  for (const Change &f : c.fixes)
    out += "  fixed      " + printable(f.path) + " [" + stageName(f.stage) +
           "] (was: " + printable(f.error) + ")\n";
  for (const std::string &p : c.added)
    out += "  new        " + printable(p) + "\n";
  for (const std::string &p : c.removed)
    out += "  gone       " + printable(p) + "\n";
  return out;
}

} // namespace bpfcompat::check
