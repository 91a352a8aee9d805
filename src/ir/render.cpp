// ir::Object -> document (schema: docs/ir-schema.md) and -> text tables.
#include "bpfcompat/render.h"

#include "bpfcompat/error.h"

#include <algorithm>
#include <map>
#include <optional>

namespace bpfcompat {

namespace {

using doc::Array;
using doc::Value;
using Fields = doc::Object;

constexpr char kHexDigits[] = "0123456789abcdef";

std::string hexBytes(const uint8_t *bytes, size_t size) {
  std::string out;
  out.reserve(2 * size);
  for (size_t i = 0; i < size; ++i) {
    out += kHexDigits[bytes[i] >> 4];
    out += kHexDigits[bytes[i] & 0xF];
  }
  return out;
}

std::string hexBytes(const std::vector<uint8_t> &bytes) {
  return hexBytes(bytes.data(), bytes.size());
}

// The encoding a little-endian object stores, whatever the object's order,
// so listings of the same program compare equal across byte orders.
std::string insnHex(const ir::Insn &insn) {
  uint16_t off = uint16_t(insn.off);
  uint32_t imm = uint32_t(insn.imm);
  uint8_t bytes[8] = {
      insn.code,          uint8_t((insn.src << 4) | (insn.dst & 0xF)),
      uint8_t(off),       uint8_t(off >> 8),
      uint8_t(imm),       uint8_t(imm >> 8),
      uint8_t(imm >> 16), uint8_t(imm >> 24)};
  return hexBytes(bytes, sizeof bytes);
}

template <typename T> Value orNull(const std::optional<T> &value) {
  return value ? Value(*value) : Value();
}

// Empty strings mean "none" for the fields rendered through this.
Value nonEmpty(const std::string &value) {
  return value.empty() ? Value() : Value(value);
}

Array strings(const std::vector<std::string> &values) {
  return Array(values.begin(), values.end());
}

std::string kernelVersionText(uint32_t version) {
  if (version == ir::kCurrentKernelVersion)
    return "current";
  return std::to_string(version >> 16) + "." +
         std::to_string((version >> 8) & 0xFF) + "." +
         std::to_string(version & 0xFF);
}

const char *externKindName(ir::Extern::Kind kind) {
  switch (kind) {
  case ir::Extern::Kind::Kconfig:
    return "kconfig";
  case ir::Extern::Kind::KsymVar:
    return "ksym_var";
  case ir::Extern::Kind::Kfunc:
    return "kfunc";
  }
  return "unknown";
}

const char *slotKindName(ir::Slot::Kind kind) {
  return kind == ir::Slot::Kind::Map ? "map" : "program";
}

bool isCustomPin(ir::PinKind kind) {
  return kind == ir::PinKind::Iproute2Custom ||
         kind == ir::PinKind::GobpfCustom;
}

// ---- document ----

void appendShape(Fields &fields, const ir::MapShape &shape) {
  fields.insert(fields.end(), {{"type", mapTypeName(shape.type)},
                               {"type_id", shape.type},
                               {"key_size", shape.keySize},
                               {"value_size", shape.valueSize},
                               {"max_entries", shape.maxEntries},
                               {"flags", shape.flags},
                               {"numa_node", orNull(shape.numaNode)},
                               {"map_extra", shape.mapExtra},
                               {"btf_key_type_id", shape.btfKeyTypeId},
                               {"btf_value_type_id", shape.btfValueTypeId}});
}

Value conventionDoc(const ir::ConventionVerdict &verdict) {
  Array mixed;
  for (ir::Convention convention : verdict.mixedWith)
    mixed.push_back(ir::conventionName(convention));
  Array candidates;
  for (const auto &[convention, score] : verdict.candidates)
    candidates.push_back(
        Fields{{"name", ir::conventionName(convention)}, {"score", score}});
  return Fields{{"name", ir::conventionName(verdict.convention)},
                {"score", verdict.score},
                {"forced", verdict.forced},
                {"evidence", strings(verdict.evidence)},
                {"mixed_with", std::move(mixed)},
                {"candidates", std::move(candidates)}};
}

Value mapDoc(const ir::Map &map) {
  Fields fields{{"name", map.name}, {"symbol", nonEmpty(map.symbol)}};
  appendShape(fields, map.shape);

  const ir::Pinning &pin = map.pinning;
  fields.emplace_back(
      "pinning", Fields{{"kind", ir::pinKindName(pin.kind)},
                        {"custom_id",
                         isCustomPin(pin.kind) ? Value(pin.customId) : Value()},
                        {"namespace", pin.kind == ir::PinKind::GobpfGlobal
                                          ? Value(pin.gobpfNamespace)
                                          : Value()}});

  Value inner;
  if (map.inner) {
    Fields shape;
    appendShape(shape, *map.inner);
    inner = std::move(shape);
  }
  fields.emplace_back("inner", std::move(inner));
  fields.emplace_back("inner_from_map", nonEmpty(map.innerFromMap));

  Array slots;
  for (const ir::Slot &slot : map.slots)
    slots.push_back(Fields{{"index", slot.index},
                           {"kind", slotKindName(slot.kind)},
                           {"target", slot.target}});
  fields.emplace_back("slots", std::move(slots));

  const ir::MapExtras &extras = map.extras;
  fields.emplace_back(
      "extras",
      Fields{{"iproute2_id", orNull(extras.iproute2Id)},
             {"iproute2_inner_id", orNull(extras.iproute2InnerId)},
             {"iproute2_inner_idx", orNull(extras.iproute2InnerIdx)},
             {"inner_map_idx", orNull(extras.innerMapIdx)},
             {"definition_size", extras.definitionSize},
             {"unknown_tail", extras.unknownTail.empty()
                                  ? Value()
                                  : Value(hexBytes(extras.unknownTail))}});
  fields.emplace_back("origin", Fields{{"section", map.origin.section},
                                       {"offset", map.origin.offset}});
  return fields;
}

Value programDoc(const ir::Program &prog, const RenderOptions &options) {
  const SectionType &type = prog.type;
  Value attachType, attachTypeId;
  if (type.hasExpectedAttachType) {
    attachType = attachTypeName(type.expectedAttachType);
    attachTypeId = type.expectedAttachType;
  }
  Array relocations;
  for (const ir::Relocation &reloc : prog.relocations)
    relocations.push_back(
        Fields{{"insn", reloc.insn},
               {"kind", ir::relocKindName(reloc.kind)},
               {"symbol", reloc.symbol},
               {"target", reloc.target},
               {"offset", reloc.offset},
               {"target_section", nonEmpty(reloc.targetSection)}});
  Value tailCall;
  if (prog.tailCall)
    tailCall = Fields{{"prog_array", prog.tailCall->progArray},
                      {"key", prog.tailCall->key}};

  Fields fields{
      {"name", prog.name},
      {"section", prog.section},
      {"section_offset", prog.sectionOffset},
      {"subprogram", prog.subprogram},
      {"local_symbol", prog.localSymbol},
      {"type", progTypeName(type.progType)},
      {"type_id", type.progType},
      {"expected_attach_type", std::move(attachType)},
      {"expected_attach_type_id", std::move(attachTypeId)},
      {"sleepable", type.sleepable},
      {"autoload", type.autoload},
      {"attach", Fields{{"kind", attachKindName(type.attach)},
                        {"target", nonEmpty(type.target)},
                        {"offset", type.offset}}},
      {"canonical_section", nonEmpty(type.canonical)},
      {"sloppy", type.sloppy},
      {"lost", strings(type.lost)},
      {"insn_count", uint64_t(prog.insns.size())},
      {"relocations", std::move(relocations)},
      {"tail_call", std::move(tailCall)},
  };
  if (options.instructions) {
    Array insns;
    insns.reserve(prog.insns.size());
    for (const ir::Insn &insn : prog.insns)
      insns.push_back(insnHex(insn));
    fields.emplace_back("instructions", std::move(insns));
  }
  return fields;
}

Value dataDoc(const ir::DataSection &data) {
  Array variables;
  for (const ir::Variable &var : data.variables)
    variables.push_back(Fields{{"name", var.name},
                               {"offset", var.offset},
                               {"size", var.size},
                               {"global", var.global}});
  return Fields{{"name", data.name},
                {"kind", ir::dataKindName(data.kind)},
                {"size", data.size},
                {"bytes", data.kind == ir::DataKind::Bss
                              ? Value()
                              : Value(hexBytes(data.bytes))},
                {"variables", std::move(variables)}};
}

Value btfDoc(const btf::Btf &btf) {
  Array datasecs;
  for (const btf::Type &type : btf.types()) {
    if (type.kind != btf::Kind::Datasec)
      continue;
    Array vars;
    for (const btf::VarSecinfo &info : type.secinfos) {
      const btf::Type *var = btf.type(info.type);
      vars.push_back(Fields{{"name", var ? var->name.str() : std::string()},
                            {"type_id", info.type},
                            {"offset", info.offset},
                            {"size", info.size}});
    }
    datasecs.push_back(Fields{{"name", type.name.str()},
                              {"size", type.size},
                              {"vars", std::move(vars)}});
  }
  return Fields{{"types", uint64_t(btf.size())},
                {"strings_size", btf.stringsSize()},
                {"datasecs", std::move(datasecs)}};
}

template <typename Record>
Array recordCounts(const std::vector<btf::SectionRecords<Record>> &sections) {
  Array out;
  for (const auto &section : sections)
    out.push_back(Fields{{"section", section.section},
                         {"count", uint64_t(section.records.size())}});
  return out;
}

Value btfExtDoc(const btf::BtfExt &ext) {
  Array coreRelos;
  for (const auto &section : ext.coreRelos) {
    Array records;
    for (const btf::CoreRelo &relo : section.records)
      records.push_back(Fields{{"insn", relo.insnOff},
                               {"type_id", relo.typeId},
                               {"access", relo.accessString.str()},
                               {"kind", btf::coreReloKindName(relo.kind)}});
    coreRelos.push_back(
        Fields{{"section", section.section}, {"records", std::move(records)}});
  }
  return Fields{{"func_info", recordCounts(ext.funcInfo)},
                {"line_info", recordCounts(ext.lineInfo)},
                {"core_relos", std::move(coreRelos)}};
}

Value diagnosticDoc(const ir::Diagnostic &diag) {
  Value section, offset;
  if (diag.location) {
    section = diag.location->section;
    offset = diag.location->offset;
  }
  return Fields{{"severity", ir::severityName(diag.severity)},
                {"code", diag.code},
                {"message", diag.message},
                {"subject", nonEmpty(diag.subject)},
                {"section", std::move(section)},
                {"offset", std::move(offset)}};
}

// ---- text ----

class Table {
public:
  Table(const char *title, std::vector<std::string> header)
      : title_(title), header_(std::move(header)) {}

  void row(std::vector<std::string> cells) {
    for (std::string &cell : cells)
      cell = cell.empty() ? "-" : printable(cell);
    rows_.push_back(std::move(cells));
  }

  void print(std::string &out) const {
    out += title_;
    if (rows_.empty()) {
      out += " (none)\n";
      return;
    }
    out += '\n';
    std::vector<size_t> widths(header_.size());
    for (const auto *cells : all())
      for (size_t i = 0; i < cells->size(); ++i)
        widths[i] = std::max(widths[i], (*cells)[i].size());
    for (const auto *cells : all()) {
      std::string line = " ";
      for (size_t i = 0; i < cells->size(); ++i) {
        line += ' ';
        line += (*cells)[i];
        if (i + 1 < cells->size())
          line.append(widths[i] - (*cells)[i].size() + 1, ' ');
      }
      out += line + '\n';
    }
  }

private:
  std::vector<const std::vector<std::string> *> all() const {
    std::vector<const std::vector<std::string> *> out{&header_};
    for (const auto &cells : rows_)
      out.push_back(&cells);
    return out;
  }

  const char *title_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

std::string pinningText(const ir::Pinning &pin) {
  if (pin.kind == ir::PinKind::None)
    return "";
  std::string text = ir::pinKindName(pin.kind);
  if (isCustomPin(pin.kind))
    text += ":" + std::to_string(pin.customId);
  else if (pin.kind == ir::PinKind::GobpfGlobal)
    text += ":" + pin.gobpfNamespace;
  return text;
}

std::string innerText(const ir::Map &map) {
  if (!map.innerFromMap.empty())
    return map.innerFromMap;
  if (!map.inner)
    return "";
  const ir::MapShape &inner = *map.inner;
  return mapTypeName(inner.type) + ":" + std::to_string(inner.keySize) + "/" +
         std::to_string(inner.valueSize) + "/" +
         std::to_string(inner.maxEntries);
}

std::string slotsText(const std::vector<ir::Slot> &slots) {
  std::string text;
  for (const ir::Slot &slot : slots)
    text += (text.empty() ? "" : " ") + std::to_string(slot.index) + ":" +
            slot.target;
  return text;
}

std::string attachText(const SectionType &type) {
  if (type.attach == AttachKind::None)
    return "";
  std::string text = attachKindName(type.attach);
  if (!type.target.empty())
    text += ":" + type.target;
  if (type.offset)
    text += "+" + hex(type.offset);
  return text;
}

std::string relocationsText(const std::vector<ir::Relocation> &relocations) {
  std::map<ir::RelocKind, size_t> counts; // enum order: map_fd first
  for (const ir::Relocation &reloc : relocations)
    ++counts[reloc.kind];
  std::string text;
  for (const auto &[kind, count] : counts)
    text += (text.empty() ? "" : " ") + std::string(ir::relocKindName(kind)) +
            ":" + std::to_string(count);
  return text;
}

std::string programNotes(const ir::Program &prog) {
  std::vector<std::string> notes;
  if (prog.type.sleepable)
    notes.push_back("sleepable");
  if (!prog.type.autoload)
    notes.push_back("noautoload");
  if (prog.type.sloppy)
    notes.push_back("sloppy");
  if (!prog.type.lost.empty())
    notes.push_back("lost:" + std::to_string(prog.type.lost.size()));
  std::string text;
  for (const std::string &note : notes)
    text += (text.empty() ? "" : ",") + note;
  return text;
}

void headerText(std::string &out, const ir::Object &object) {
  const ir::ConventionVerdict &verdict = object.verdict;
  out += printable(object.path) + ": " +
         ir::conventionName(verdict.convention) + " (score " +
         std::to_string(verdict.score) + (verdict.forced ? ", forced" : "") +
         ")\n";
  for (const std::string &evidence : verdict.evidence)
    out += "  evidence: " + printable(evidence) + "\n";
  if (!verdict.mixedWith.empty()) {
    out += "  mixed with:";
    for (ir::Convention convention : verdict.mixedWith)
      out += std::string(" ") + ir::conventionName(convention);
    out += "\n";
  }
  if (!verdict.candidates.empty()) {
    out += "  candidates:";
    for (const auto &[convention, score] : verdict.candidates)
      out += std::string(" ") + ir::conventionName(convention) + "=" +
             std::to_string(score);
    out += "\n";
  }
  out +=
      "license: " + (object.license ? printable(*object.license) : "(none)") +
      "\n";
  out += "kernel version: " +
         (object.kernelVersion ? kernelVersionText(*object.kernelVersion) +
                                     " (" + hex(*object.kernelVersion) + ")"
                               : "(none)") +
         "\n";
  out += "file: " + std::to_string(object.fileSize) + " bytes, " +
         (object.byteOrder == ir::ByteOrder::Little ? "little" : "big") +
         "-endian, machine " + std::to_string(object.machine) + ", sha1 " +
         object.sha1 + "\n";
  out += "btf: ";
  out += object.btf ? std::to_string(object.btf->size()) + " types" : "(none)";
  if (object.btfExt) {
    auto total = [](const auto &sections) {
      size_t n = 0;
      for (const auto &section : sections)
        n += section.records.size();
      return std::to_string(n);
    };
    out += "; btf.ext: " + total(object.btfExt->funcInfo) + " func_info, " +
           total(object.btfExt->lineInfo) + " line_info, " +
           total(object.btfExt->coreRelos) + " core_relos";
  }
  out += "\n";
}

} // namespace

doc::Value toDocument(const ir::Object &object, const RenderOptions &options) {
  Array maps, programs, data, externs, diagnostics;
  for (const ir::Map &map : object.maps)
    maps.push_back(mapDoc(map));
  for (const ir::Program &prog : object.programs)
    programs.push_back(programDoc(prog, options));
  for (const ir::DataSection &section : object.data)
    data.push_back(dataDoc(section));
  for (const ir::Extern &ext : object.externs)
    externs.push_back(Fields{{"name", ext.name},
                             {"kind", externKindName(ext.kind)},
                             {"weak", ext.weak}});
  for (const ir::Diagnostic &diag : object.diagnostics)
    diagnostics.push_back(diagnosticDoc(diag));

  Value kernelVersionName;
  if (object.kernelVersion)
    kernelVersionName = kernelVersionText(*object.kernelVersion);

  return Fields{
      {"schema_version", ir::kSchemaVersion},
      {"path", object.path},
      {"sha1", object.sha1},
      {"file_size", object.fileSize},
      {"byte_order",
       object.byteOrder == ir::ByteOrder::Little ? "little" : "big"},
      {"machine", unsigned(object.machine)},
      {"convention", conventionDoc(object.verdict)},
      {"license", orNull(object.license)},
      {"kernel_version", orNull(object.kernelVersion)},
      {"kernel_version_text", std::move(kernelVersionName)},
      {"maps", std::move(maps)},
      {"programs", std::move(programs)},
      {"data", std::move(data)},
      {"externs", std::move(externs)},
      {"btf", object.btf ? btfDoc(*object.btf) : Value()},
      {"btf_ext", object.btfExt ? btfExtDoc(*object.btfExt) : Value()},
      {"diagnostics", std::move(diagnostics)},
  };
}

std::string toText(const ir::Object &object) {
  std::string out;
  headerText(out, object);

  Table maps("MAPS", {"name", "type", "key", "value", "max", "flags", "pinning",
                      "inner", "slots"});
  for (const ir::Map &map : object.maps)
    maps.row({map.name, mapTypeName(map.shape.type),
              std::to_string(map.shape.keySize),
              std::to_string(map.shape.valueSize),
              std::to_string(map.shape.maxEntries), hex(map.shape.flags),
              pinningText(map.pinning), innerText(map), slotsText(map.slots)});

  Table programs("PROGRAMS", {"name", "section", "type", "attach", "insns",
                              "relocations", "tail_call", "notes"});
  for (const ir::Program &prog : object.programs)
    programs.row(
        {prog.name, prog.section,
         prog.subprogram ? "subprog" : progTypeName(prog.type.progType),
         attachText(prog.type), std::to_string(prog.insns.size()),
         relocationsText(prog.relocations),
         prog.tailCall ? prog.tailCall->progArray + "[" +
                             std::to_string(prog.tailCall->key) + "]"
                       : "",
         programNotes(prog)});

  Table data("DATA", {"name", "kind", "size", "vars"});
  for (const ir::DataSection &section : object.data)
    data.row({section.name, ir::dataKindName(section.kind),
              std::to_string(section.size),
              std::to_string(section.variables.size())});

  Table externs("EXTERNS", {"name", "kind", "weak"});
  for (const ir::Extern &ext : object.externs)
    externs.row({ext.name, externKindName(ext.kind), ext.weak ? "yes" : "no"});

  for (const Table *table : {&maps, &programs, &data, &externs}) {
    out += "\n";
    table->print(out);
  }

  out += "\nDIAGNOSTICS";
  out += object.diagnostics.empty() ? " (none)\n" : "\n";
  for (const ir::Diagnostic &diag : object.diagnostics) {
    out += std::string("  ") + ir::severityName(diag.severity) + " " +
           printable(diag.code) + ": " + printable(diag.message);
    if (!diag.subject.empty())
      out += " [" + printable(diag.subject) + "]";
    if (diag.location)
      out += " (" + printable(diag.location->section) + "+" +
             hex(diag.location->offset) + ")";
    out += "\n";
  }
  return out;
}

std::string printable(std::string_view text, bool keepLineBreaks) {
  std::string out;
  for (char c : text) {
    uint8_t byte = uint8_t(c);
    if ((byte < 0x20 && !(keepLineBreaks && c == '\n')) || byte == 0x7F) {
      out += "\\x";
      out += kHexDigits[byte >> 4];
      out += kHexDigits[byte & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

} // namespace bpfcompat
