// Rendering the conversion report (schema in docs/conversion.md).
#include "bpfcompat/convert.h"

namespace bpfcompat::convert {

namespace {

const char *consumerName(Consumer consumer) {
  return consumer == Consumer::Tc ? "tc" : "libbpf";
}

} // namespace

doc::Value toDocument(const Report &report) {
  doc::Array changes, losses, grafts, diagnostics;
  for (const ReportEntry &e : report.entries) {
    doc::Object entry{
        {"code", e.code},
        {"subject", e.subject},
        {"message", e.message},
        {"action", e.action.empty() ? doc::Value() : doc::Value(e.action)}};
    (e.kind == ReportEntry::Kind::Loss ? losses : changes)
        .push_back(std::move(entry));
  }
  std::vector<std::string> commands = report.graftCommands();
  for (size_t i = 0; i < report.grafts.size(); ++i) {
    const Graft &g = report.grafts[i];
    grafts.push_back(doc::Object{{"prog_array", g.progArray},
                                 {"key", g.key},
                                 {"section", g.section},
                                 {"program", g.program},
                                 {"command", commands[i]}});
  }
  for (const ir::Diagnostic &d : report.sourceDiagnostics)
    diagnostics.push_back(
        doc::Object{{"severity", ir::severityName(d.severity)},
                    {"code", d.code},
                    {"subject", d.subject},
                    {"message", d.message}});
  return doc::Object{{"schema_version", 1},
                     {"input", report.input},
                     {"output", report.output},
                     {"source_convention", ir::conventionName(report.source)},
                     {"consumer", consumerName(report.consumer)},
                     {"pin_root", report.pinRoot},
                     {"lossless", !report.hasLoss()},
                     {"changes", std::move(changes)},
                     {"losses", std::move(losses)},
                     {"grafts", std::move(grafts)},
                     {"source_diagnostics", std::move(diagnostics)}};
}

std::string summary(const Report &report) {
  size_t nLosses = 0;
  for (const ReportEntry &e : report.entries)
    nLosses += e.kind == ReportEntry::Kind::Loss;
  std::string out = report.input + " (" + ir::conventionName(report.source) +
                    ") -> " + report.output + ": " +
                    std::to_string(report.entries.size() - nLosses) +
                    " changes, " + std::to_string(nLosses) + " losses\n";
  for (const ReportEntry &e : report.entries)
    if (e.kind == ReportEntry::Kind::Loss)
      out += "  loss " + e.code +
             (e.subject.empty() ? "" : " [" + e.subject + "]") + ": " +
             e.message + "\n";
  if (report.pinRoot != "/sys/fs/bpf")
    out += "  pinned maps expect pin_root_path " + report.pinRoot + "\n";
  for (const std::string &cmd : report.graftCommands())
    out += "  then: " + cmd + "\n";
  return out;
}

} // namespace bpfcompat::convert
