// IR rendering: the document carries every schema field in the documented
// order and shape, instruction listings are byte-order independent, and the
// text summary has the expected table rows.
#include "bpfcompat/render.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <linux/bpf.h>
#include <regex>
#include <sstream>

namespace bpfcompat {
namespace {

using doc::Value;

// BTF with one datasec holding two variables, built by libbpf and parsed by
// our reader, as the IR would hold it after reading an object.
btf::Btf makeBtf() {
  struct btf *raw = btf__new_empty();
  int intId = btf__add_int(raw, "int", 4, BTF_INT_SIGNED);
  int counter = btf__add_var(raw, "counter", BTF_VAR_GLOBAL_ALLOCATED, intId);
  int limit = btf__add_var(raw, "limit", BTF_VAR_STATIC, intId);
  btf__add_datasec(raw, ".data", 8);
  btf__add_datasec_var_info(raw, counter, 0, 4);
  btf__add_datasec_var_info(raw, limit, 4, 4);
  uint32_t size = 0;
  auto data = static_cast<const uint8_t *>(btf__raw_data(raw, &size));
  auto parsed = btf::Btf::parse(llvm::ArrayRef<uint8_t>(data, size), false);
  btf__free(raw);
  if (!parsed) {
    ADD_FAILURE() << llvm::toString(parsed.takeError());
    return btf::Btf();
  }
  return std::move(*parsed);
}

// An object with every IR field set to something recognisable.
ir::Object fullObject() {
  ir::Object object;
  object.path = "corpus/full.o";
  object.sha1 = "0123456789abcdef0123456789abcdef01234567";
  object.fileSize = 4096;
  object.byteOrder = ir::ByteOrder::Big;
  object.machine = 247;
  object.verdict.convention = ir::Convention::Iproute2;
  object.verdict.score = 12;
  object.verdict.forced = true;
  object.verdict.evidence = {"maps stride 36", "42/0 section"};
  object.verdict.mixedWith = {ir::Convention::Libbpf};
  object.verdict.candidates = {{ir::Convention::Samples, 4}};
  object.license = "GPL";
  object.kernelVersion = 0x050a00;

  ir::Map outer;
  outer.name = "outer";
  outer.symbol = "outer_sym";
  outer.shape = {BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 8, 1, 3, 7, 11, 12};
  outer.pinning = {ir::PinKind::Iproute2Custom, 5, ""};
  outer.inner = ir::MapShape{BPF_MAP_TYPE_ARRAY, 4, 8, 16, 0, {}};
  outer.innerFromMap = "inner_tmpl";
  outer.slots = {{0, ir::Slot::Kind::Map, "inner_a"},
                 {2, ir::Slot::Kind::Map, "inner_b"}};
  outer.extras = {1, 2, 3, 4, 36, {0x00, 0xff}};
  outer.origin = {"maps", 0x24};
  object.maps.push_back(outer);

  ir::Map jmp;
  jmp.name = "jmp";
  jmp.symbol = "jmp";
  jmp.shape = {BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0, {}};
  jmp.pinning = {ir::PinKind::GobpfGlobal, 0, "ns1"};
  jmp.slots = {{1, ir::Slot::Kind::Program, "tail"}};
  jmp.origin = {".maps", 0};
  object.maps.push_back(jmp);

  ir::Program prog;
  prog.name = "entry";
  prog.section = "kprobe/sys_open+16";
  prog.sectionOffset = 8;
  prog.localSymbol = true;
  prog.type.progType = BPF_PROG_TYPE_KPROBE;
  prog.type.expectedAttachType = BPF_TRACE_KPROBE_MULTI;
  prog.type.hasExpectedAttachType = true;
  prog.type.sleepable = true;
  prog.type.autoload = false;
  prog.type.attach = AttachKind::Kprobe;
  prog.type.target = "sys_open";
  prog.type.offset = 16;
  prog.type.canonical = "kprobe/sys_open+0x10";
  prog.type.sloppy = true;
  prog.type.lost = {"perf module=ext4"};
  prog.insns = {{0x18, 1, 1, 0, 0},
                {0, 0, 0, 0, 0},
                {0x85, 0, 1, 0, 3},
                {0x85, 0, 0, 0, 12},
                {0x95, 0, 0, 0, 0}};
  prog.relocations = {{0, ir::RelocKind::MapFd, "outer_sym", "outer", 0, ""},
                      {2, ir::RelocKind::Call, ".text", "helper", 4, ".text"},
                      {3, ir::RelocKind::MapFd, "jmp", "jmp", 0, ""}};
  prog.tailCall = ir::TailCall{"jmp", 1};
  object.programs.push_back(prog);

  ir::Program helper;
  helper.name = "helper";
  helper.section = ".text";
  helper.subprogram = true;
  helper.insns = {{0xb7, 0, 0, 0, 0}, {0x95, 0, 0, 0, 0}};
  object.programs.push_back(helper);

  object.data.push_back({".data",
                         ir::DataKind::Data,
                         8,
                         {1, 0, 0, 0, 0xab, 0, 0, 0},
                         {{"counter", 0, 4, true}, {"limit", 4, 4, false}}});
  object.data.push_back({".bss", ir::DataKind::Bss, 16, {}, {}});
  object.externs = {{"CONFIG_HZ", ir::Extern::Kind::Kconfig, false},
                    {"bpf_obj_new", ir::Extern::Kind::Kfunc, true}};
  object.btf = makeBtf();
  btf::BtfExt ext;
  ext.funcInfo = {{"kprobe/sys_open+16", {{0, 1}, {4, 2}}}};
  ext.lineInfo = {{"kprobe/sys_open+16", {{0, "a.c", "x = 1;", 3, 5}}}};
  ext.coreRelos = {{"kprobe/sys_open+16",
                    {{1, 7, "0:1", btf::CoreReloKind::FieldByteOffset}}}};
  object.btfExt = ext;
  object.diag(ir::Severity::Warning, "map-tail-nonzero", "non-zero tail",
              "outer", ir::Location{"maps", 0x24});
  object.diag(ir::Severity::Note, "legacy-section-name", "old name");
  return object;
}

const Value &field(const Value &object, const std::string &key) {
  static const Value missing = doc::Object{{"<missing>", key}};
  if (const doc::Object *fields = object.asObject())
    for (const auto &[name, value] : *fields)
      if (name == key)
        return value;
  ADD_FAILURE() << "no field '" << key << "'";
  return missing;
}

const Value &item(const Value &array, size_t index) {
  static const Value missing;
  const doc::Array *items = array.asArray();
  if (items && index < items->size())
    return (*items)[index];
  ADD_FAILURE() << "no item " << index;
  return missing;
}

std::vector<std::string> keys(const Value &object) {
  std::vector<std::string> out;
  if (const doc::Object *fields = object.asObject())
    for (const auto &entry : *fields)
      out.push_back(entry.first);
  return out;
}

std::string str(const Value &value) {
  return value.asString() ? *value.asString() : "<not a string>";
}

int64_t num(const Value &value) {
  if (const int64_t *i = value.asInt())
    return *i;
  if (const uint64_t *u = value.asUint())
    return int64_t(*u);
  ADD_FAILURE() << "not a number";
  return -1;
}

bool flag(const Value &value) {
  EXPECT_TRUE(value.asBool());
  return value.asBool() && *value.asBool();
}

using Keys = std::vector<std::string>;

const Keys kTopKeys = {"schema_version",
                       "path",
                       "sha1",
                       "file_size",
                       "byte_order",
                       "machine",
                       "convention",
                       "license",
                       "kernel_version",
                       "kernel_version_text",
                       "maps",
                       "programs",
                       "data",
                       "externs",
                       "btf",
                       "btf_ext",
                       "diagnostics"};
const Keys kShapeKeys = {
    "type",  "type_id",   "key_size",  "value_size",      "max_entries",
    "flags", "numa_node", "map_extra", "btf_key_type_id", "btf_value_type_id"};
const Keys kMapKeys = {"name",        "symbol",          "type",
                       "type_id",     "key_size",        "value_size",
                       "max_entries", "flags",           "numa_node",
                       "map_extra",   "btf_key_type_id", "btf_value_type_id",
                       "pinning",     "inner",           "inner_from_map",
                       "slots",       "extras",          "origin"};
const Keys kProgramKeys = {"name",
                           "section",
                           "section_offset",
                           "subprogram",
                           "local_symbol",
                           "type",
                           "type_id",
                           "expected_attach_type",
                           "expected_attach_type_id",
                           "sleepable",
                           "autoload",
                           "attach",
                           "canonical_section",
                           "sloppy",
                           "lost",
                           "insn_count",
                           "relocations",
                           "tail_call",
                           "instructions"};

TEST(RenderDocument, TopLevelFieldsInSchemaOrder) {
  Value d = toDocument(fullObject());
  EXPECT_EQ(keys(d), kTopKeys);
  EXPECT_EQ(num(field(d, "schema_version")), ir::kSchemaVersion);
  EXPECT_EQ(str(field(d, "path")), "corpus/full.o");
  EXPECT_EQ(str(field(d, "sha1")), "0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(num(field(d, "file_size")), 4096);
  EXPECT_EQ(str(field(d, "byte_order")), "big");
  EXPECT_EQ(num(field(d, "machine")), 247);
  EXPECT_EQ(str(field(d, "license")), "GPL");
  EXPECT_EQ(num(field(d, "kernel_version")), 0x050a00);
  EXPECT_EQ(str(field(d, "kernel_version_text")), "5.10.0");
}

TEST(RenderDocument, ConventionVerdict) {
  Value d = toDocument(fullObject());
  const Value &c = field(d, "convention");
  EXPECT_EQ(keys(c), (Keys{"name", "score", "forced", "evidence", "mixed_with",
                           "candidates"}));
  EXPECT_EQ(str(field(c, "name")), "iproute2");
  EXPECT_EQ(num(field(c, "score")), 12);
  EXPECT_TRUE(flag(field(c, "forced")));
  EXPECT_EQ(str(item(field(c, "evidence"), 1)), "42/0 section");
  EXPECT_EQ(str(item(field(c, "mixed_with"), 0)), "libbpf");
  const Value &candidate = item(field(c, "candidates"), 0);
  EXPECT_EQ(keys(candidate), (Keys{"name", "score"}));
  EXPECT_EQ(str(field(candidate, "name")), "samples");
  EXPECT_EQ(num(field(candidate, "score")), 4);
}

TEST(RenderDocument, MapWithEveryFieldSet) {
  Value d = toDocument(fullObject());
  const Value &m = item(field(d, "maps"), 0);
  EXPECT_EQ(keys(m), kMapKeys);
  EXPECT_EQ(str(field(m, "name")), "outer");
  EXPECT_EQ(str(field(m, "symbol")), "outer_sym");
  EXPECT_EQ(str(field(m, "type")), mapTypeName(BPF_MAP_TYPE_ARRAY_OF_MAPS));
  EXPECT_EQ(num(field(m, "type_id")), BPF_MAP_TYPE_ARRAY_OF_MAPS);
  EXPECT_EQ(num(field(m, "key_size")), 4);
  EXPECT_EQ(num(field(m, "value_size")), 4);
  EXPECT_EQ(num(field(m, "max_entries")), 8);
  EXPECT_EQ(num(field(m, "flags")), 1);
  EXPECT_EQ(num(field(m, "numa_node")), 3);
  EXPECT_EQ(num(field(m, "map_extra")), 7);
  EXPECT_EQ(num(field(m, "btf_key_type_id")), 11);
  EXPECT_EQ(num(field(m, "btf_value_type_id")), 12);

  const Value &pin = field(m, "pinning");
  EXPECT_EQ(keys(pin), (Keys{"kind", "custom_id", "namespace"}));
  EXPECT_EQ(str(field(pin, "kind")), "iproute2_custom");
  EXPECT_EQ(num(field(pin, "custom_id")), 5);
  EXPECT_TRUE(field(pin, "namespace").isNull());

  const Value &inner = field(m, "inner");
  EXPECT_EQ(keys(inner), kShapeKeys);
  EXPECT_EQ(str(field(inner, "type")), mapTypeName(BPF_MAP_TYPE_ARRAY));
  EXPECT_EQ(num(field(inner, "value_size")), 8);
  EXPECT_EQ(num(field(inner, "max_entries")), 16);
  EXPECT_TRUE(field(inner, "numa_node").isNull());
  EXPECT_EQ(str(field(m, "inner_from_map")), "inner_tmpl");

  const Value &slot = item(field(m, "slots"), 1);
  EXPECT_EQ(keys(slot), (Keys{"index", "kind", "target"}));
  EXPECT_EQ(num(field(slot, "index")), 2);
  EXPECT_EQ(str(field(slot, "kind")), "map");
  EXPECT_EQ(str(field(slot, "target")), "inner_b");

  const Value &extras = field(m, "extras");
  EXPECT_EQ(keys(extras),
            (Keys{"iproute2_id", "iproute2_inner_id", "iproute2_inner_idx",
                  "inner_map_idx", "definition_size", "unknown_tail"}));
  EXPECT_EQ(num(field(extras, "iproute2_id")), 1);
  EXPECT_EQ(num(field(extras, "iproute2_inner_id")), 2);
  EXPECT_EQ(num(field(extras, "iproute2_inner_idx")), 3);
  EXPECT_EQ(num(field(extras, "inner_map_idx")), 4);
  EXPECT_EQ(num(field(extras, "definition_size")), 36);
  EXPECT_EQ(str(field(extras, "unknown_tail")), "00ff");

  const Value &origin = field(m, "origin");
  EXPECT_EQ(keys(origin), (Keys{"section", "offset"}));
  EXPECT_EQ(str(field(origin, "section")), "maps");
  EXPECT_EQ(num(field(origin, "offset")), 0x24);
}

TEST(RenderDocument, PinningShowsOnlyTheDetailOfItsKind) {
  Value d = toDocument(fullObject());
  const Value &jmp = item(field(d, "maps"), 1);
  const Value &pin = field(jmp, "pinning");
  EXPECT_EQ(str(field(pin, "kind")), "gobpf_global");
  EXPECT_TRUE(field(pin, "custom_id").isNull());
  EXPECT_EQ(str(field(pin, "namespace")), "ns1");
  EXPECT_EQ(str(field(item(field(jmp, "slots"), 0), "kind")), "program");
}

TEST(RenderDocument, AbsentValuesAreNullAndShapeIsFixed) {
  ir::Object object;
  object.maps.emplace_back();
  object.programs.emplace_back();
  object.diagnostics.push_back({});
  Value d = toDocument(object);
  EXPECT_EQ(keys(d), kTopKeys);
  for (const char *key :
       {"license", "kernel_version", "kernel_version_text", "btf", "btf_ext"})
    EXPECT_TRUE(field(d, key).isNull()) << key;
  EXPECT_EQ(str(field(d, "byte_order")), "little");

  const Value &m = item(field(d, "maps"), 0);
  EXPECT_EQ(keys(m), kMapKeys);
  for (const char *key : {"symbol", "numa_node", "inner", "inner_from_map"})
    EXPECT_TRUE(field(m, key).isNull()) << key;
  EXPECT_EQ(str(field(field(m, "pinning"), "kind")), "none");
  EXPECT_TRUE(field(field(m, "pinning"), "custom_id").isNull());
  EXPECT_TRUE(field(field(m, "pinning"), "namespace").isNull());
  for (const char *key :
       {"iproute2_id", "iproute2_inner_id", "iproute2_inner_idx",
        "inner_map_idx", "unknown_tail"})
    EXPECT_TRUE(field(field(m, "extras"), key).isNull()) << key;
  ASSERT_TRUE(field(m, "slots").asArray());
  EXPECT_TRUE(field(m, "slots").asArray()->empty());

  const Value &p = item(field(d, "programs"), 0);
  EXPECT_EQ(keys(p), kProgramKeys);
  for (const char *key : {"expected_attach_type", "expected_attach_type_id",
                          "canonical_section", "tail_call"})
    EXPECT_TRUE(field(p, key).isNull()) << key;
  EXPECT_TRUE(field(field(p, "attach"), "target").isNull());
  EXPECT_TRUE(flag(field(p, "autoload")));

  const Value &diag = item(field(d, "diagnostics"), 0);
  for (const char *key : {"subject", "section", "offset"})
    EXPECT_TRUE(field(diag, key).isNull()) << key;
}

TEST(RenderDocument, ProgramWithEveryFieldSet) {
  Value d = toDocument(fullObject());
  const Value &p = item(field(d, "programs"), 0);
  EXPECT_EQ(keys(p), kProgramKeys);
  EXPECT_EQ(str(field(p, "name")), "entry");
  EXPECT_EQ(str(field(p, "section")), "kprobe/sys_open+16");
  EXPECT_EQ(num(field(p, "section_offset")), 8);
  EXPECT_FALSE(flag(field(p, "subprogram")));
  EXPECT_TRUE(flag(field(p, "local_symbol")));
  EXPECT_EQ(str(field(p, "type")), progTypeName(BPF_PROG_TYPE_KPROBE));
  EXPECT_EQ(num(field(p, "type_id")), BPF_PROG_TYPE_KPROBE);
  EXPECT_EQ(str(field(p, "expected_attach_type")),
            attachTypeName(BPF_TRACE_KPROBE_MULTI));
  EXPECT_EQ(num(field(p, "expected_attach_type_id")), BPF_TRACE_KPROBE_MULTI);
  EXPECT_TRUE(flag(field(p, "sleepable")));
  EXPECT_FALSE(flag(field(p, "autoload")));
  const Value &attach = field(p, "attach");
  EXPECT_EQ(keys(attach), (Keys{"kind", "target", "offset"}));
  EXPECT_EQ(str(field(attach, "kind")), attachKindName(AttachKind::Kprobe));
  EXPECT_EQ(str(field(attach, "target")), "sys_open");
  EXPECT_EQ(num(field(attach, "offset")), 16);
  EXPECT_EQ(str(field(p, "canonical_section")), "kprobe/sys_open+0x10");
  EXPECT_TRUE(flag(field(p, "sloppy")));
  EXPECT_EQ(str(item(field(p, "lost"), 0)), "perf module=ext4");
  EXPECT_EQ(num(field(p, "insn_count")), 5);

  const Value &call = item(field(p, "relocations"), 1);
  EXPECT_EQ(keys(call), (Keys{"insn", "kind", "symbol", "target", "offset",
                              "target_section"}));
  EXPECT_EQ(num(field(call, "insn")), 2);
  EXPECT_EQ(str(field(call, "kind")), "call");
  EXPECT_EQ(str(field(call, "symbol")), ".text");
  EXPECT_EQ(str(field(call, "target")), "helper");
  EXPECT_EQ(num(field(call, "offset")), 4);
  EXPECT_EQ(str(field(call, "target_section")), ".text");
  EXPECT_TRUE(
      field(item(field(p, "relocations"), 0), "target_section").isNull());

  const Value &tail = field(p, "tail_call");
  EXPECT_EQ(keys(tail), (Keys{"prog_array", "key"}));
  EXPECT_EQ(str(field(tail, "prog_array")), "jmp");
  EXPECT_EQ(num(field(tail, "key")), 1);

  EXPECT_TRUE(flag(field(item(field(d, "programs"), 1), "subprogram")));
}

TEST(RenderDocument, InstructionsAreCanonicalLittleEndianHex) {
  ir::Object object;
  ir::Program prog;
  prog.insns = {
      {0xb7, 1, 0, 0, -1},         // r1 = -1
      {0x18, 1, 1, 0, 5},          // ld_imm64 r1, map fd 5
      {0x00, 0, 0, 0, 0x01020304}, // its second slot
      {0x6b, 10, 1, -8, 0},        // *(u16 *)(r10 - 8) = r1
      {0x85, 0, 1, 0, 0x12345678}, // bpf-to-bpf call
      {0x95, 0, 0, 0, 0},          // exit
  };
  object.programs.push_back(prog);
  const std::vector<std::string> expected = {
      "b7010000ffffffff", "1811000005000000", "0000000004030201",
      "6b1af8ff00000000", "8510000078563412", "9500000000000000"};

  for (ir::ByteOrder order : {ir::ByteOrder::Little, ir::ByteOrder::Big}) {
    object.byteOrder = order;
    Value d = toDocument(object);
    const Value &insns = field(item(field(d, "programs"), 0), "instructions");
    ASSERT_TRUE(insns.asArray());
    std::vector<std::string> listing;
    for (const Value &insn : *insns.asArray())
      listing.push_back(str(insn));
    EXPECT_EQ(listing, expected);
  }

  RenderOptions without;
  without.instructions = false;
  Value p = item(field(toDocument(object, without), "programs"), 0);
  Keys expectedKeys(kProgramKeys.begin(), kProgramKeys.end() - 1);
  EXPECT_EQ(keys(p), expectedKeys) << "no instructions field at all";
  EXPECT_EQ(num(field(p, "insn_count")), 6);
}

TEST(RenderDocument, DataExternsBtfAndDiagnostics) {
  Value d = toDocument(fullObject());
  const Value &data = item(field(d, "data"), 0);
  EXPECT_EQ(keys(data), (Keys{"name", "kind", "size", "bytes", "variables"}));
  EXPECT_EQ(str(field(data, "kind")), "data");
  EXPECT_EQ(num(field(data, "size")), 8);
  EXPECT_EQ(str(field(data, "bytes")), "01000000ab000000");
  const Value &var = item(field(data, "variables"), 1);
  EXPECT_EQ(keys(var), (Keys{"name", "offset", "size", "global"}));
  EXPECT_EQ(str(field(var, "name")), "limit");
  EXPECT_EQ(num(field(var, "offset")), 4);
  EXPECT_FALSE(flag(field(var, "global")));
  const Value &bss = item(field(d, "data"), 1);
  EXPECT_EQ(str(field(bss, "kind")), "bss");
  EXPECT_TRUE(field(bss, "bytes").isNull());

  const Value &kfunc = item(field(d, "externs"), 1);
  EXPECT_EQ(keys(kfunc), (Keys{"name", "kind", "weak"}));
  EXPECT_EQ(str(field(kfunc, "kind")), "kfunc");
  EXPECT_TRUE(flag(field(kfunc, "weak")));
  EXPECT_EQ(str(field(item(field(d, "externs"), 0), "kind")), "kconfig");

  const Value &btf = field(d, "btf");
  EXPECT_EQ(keys(btf), (Keys{"types", "strings_size", "datasecs"}));
  EXPECT_EQ(num(field(btf, "types")), 4);
  EXPECT_GT(num(field(btf, "strings_size")), 0);
  const Value &datasec = item(field(btf, "datasecs"), 0);
  EXPECT_EQ(str(field(datasec, "name")), ".data");
  EXPECT_EQ(num(field(datasec, "size")), 8);
  const Value &secVar = item(field(datasec, "vars"), 1);
  EXPECT_EQ(keys(secVar), (Keys{"name", "type_id", "offset", "size"}));
  EXPECT_EQ(str(field(secVar, "name")), "limit");
  EXPECT_EQ(num(field(secVar, "type_id")), 3);
  EXPECT_EQ(num(field(secVar, "offset")), 4);

  const Value &ext = field(d, "btf_ext");
  EXPECT_EQ(keys(ext), (Keys{"func_info", "line_info", "core_relos"}));
  const Value &funcInfo = item(field(ext, "func_info"), 0);
  EXPECT_EQ(keys(funcInfo), (Keys{"section", "count"}));
  EXPECT_EQ(num(field(funcInfo, "count")), 2);
  EXPECT_EQ(num(field(item(field(ext, "line_info"), 0), "count")), 1);
  const Value &relos = item(field(ext, "core_relos"), 0);
  EXPECT_EQ(str(field(relos, "section")), "kprobe/sys_open+16");
  const Value &relo = item(field(relos, "records"), 0);
  EXPECT_EQ(keys(relo), (Keys{"insn", "type_id", "access", "kind"}));
  EXPECT_EQ(num(field(relo, "type_id")), 7);
  EXPECT_EQ(str(field(relo, "access")), "0:1");
  EXPECT_EQ(str(field(relo, "kind")),
            btf::coreReloKindName(btf::CoreReloKind::FieldByteOffset));

  const Value &diag = item(field(d, "diagnostics"), 0);
  EXPECT_EQ(keys(diag), (Keys{"severity", "code", "message", "subject",
                              "section", "offset"}));
  EXPECT_EQ(str(field(diag, "severity")), "warning");
  EXPECT_EQ(str(field(diag, "code")), "map-tail-nonzero");
  EXPECT_EQ(str(field(diag, "subject")), "outer");
  EXPECT_EQ(str(field(diag, "section")), "maps");
  EXPECT_EQ(num(field(diag, "offset")), 0x24);
}

TEST(RenderDocument, CurrentKernelVersionMagic) {
  ir::Object object;
  object.kernelVersion = ir::kCurrentKernelVersion;
  Value d = toDocument(object);
  EXPECT_EQ(num(field(d, "kernel_version")), 0xFFFFFFFE);
  EXPECT_EQ(str(field(d, "kernel_version_text")), "current");
}

TEST(RenderDocument, YamlAndJsonOfTheFullObjectParseBack) {
  Value d = toDocument(fullObject());
  for (const std::string &text : {doc::toYaml(d), doc::toJson(d)}) {
    YAML::Node node = YAML::Load(text);
    EXPECT_EQ(node["convention"]["name"].as<std::string>(), "iproute2");
    EXPECT_EQ(node["maps"][0]["extras"]["unknown_tail"].as<std::string>(),
              "00ff");
    EXPECT_EQ(node["maps"][0]["extras"]["unknown_tail"].Tag(), "!")
        << "digit-leading hex must stay a string";
    EXPECT_TRUE(node["maps"][1]["numa_node"].IsNull());
    EXPECT_EQ(node["programs"][0]["instructions"][0].as<std::string>(),
              "1811000000000000");
    EXPECT_EQ(node["kernel_version"].as<uint32_t>(), 0x050a00u);
    std::vector<std::string> top;
    for (const auto &entry : node)
      top.push_back(entry.first.as<std::string>());
    EXPECT_EQ(top, kTopKeys);
  }
}

// ---- text ----

// Lines of `text` with runs of spaces collapsed, for row matching.
std::vector<std::string> squeezedLines(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(std::regex_replace(line, std::regex(" +"), " "));
  return out;
}

bool hasLine(const std::string &text, const std::string &line) {
  for (const std::string &l : squeezedLines(text))
    if (l == line)
      return true;
  return false;
}

TEST(RenderText, HeaderAndTables) {
  std::string text = toText(fullObject());
  SCOPED_TRACE(text);
  EXPECT_TRUE(hasLine(text, "corpus/full.o: iproute2 (score 12, forced)"));
  EXPECT_TRUE(hasLine(text, " evidence: maps stride 36"));
  EXPECT_TRUE(hasLine(text, " mixed with: libbpf"));
  EXPECT_TRUE(hasLine(text, " candidates: samples=4"));
  EXPECT_TRUE(hasLine(text, "license: GPL"));
  EXPECT_TRUE(hasLine(text, "kernel version: 5.10.0 (0x50a00)"));

  EXPECT_TRUE(hasLine(text, "MAPS"));
  EXPECT_TRUE(
      hasLine(text, " name type key value max flags pinning inner slots"));
  EXPECT_TRUE(hasLine(text, " outer " +
                                mapTypeName(BPF_MAP_TYPE_ARRAY_OF_MAPS) +
                                " 4 4 8 0x1 iproute2_custom:5 inner_tmpl "
                                "0:inner_a 2:inner_b"));
  EXPECT_TRUE(hasLine(text, " jmp " + mapTypeName(BPF_MAP_TYPE_PROG_ARRAY) +
                                " 4 4 4 0x0 gobpf_global:ns1 - 1:tail"));

  EXPECT_TRUE(hasLine(text, "PROGRAMS"));
  EXPECT_TRUE(hasLine(text, " entry kprobe/sys_open+16 " +
                                progTypeName(BPF_PROG_TYPE_KPROBE) + " " +
                                attachKindName(AttachKind::Kprobe) +
                                ":sys_open+0x10 5 map_fd:2 call:1 jmp[1] "
                                "sleepable,noautoload,sloppy,lost:1"));
  EXPECT_TRUE(hasLine(text, " helper .text subprog - 2 - - -"));

  EXPECT_TRUE(hasLine(text, " .data data 8 2"));
  EXPECT_TRUE(hasLine(text, " .bss bss 16 0"));
  EXPECT_TRUE(hasLine(text, " CONFIG_HZ kconfig no"));
  EXPECT_TRUE(hasLine(text, " bpf_obj_new kfunc yes"));
  EXPECT_TRUE(hasLine(text, "DIAGNOSTICS"));
  EXPECT_TRUE(hasLine(
      text, " warning map-tail-nonzero: non-zero tail [outer] (maps+0x24)"));
  EXPECT_TRUE(hasLine(text, " note legacy-section-name: old name"));
}

TEST(RenderText, ColumnsAreAligned) {
  std::string text = toText(fullObject());
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  auto at = std::find(lines.begin(), lines.end(), "MAPS");
  ASSERT_NE(at, lines.end()) << text;
  ASSERT_GE(lines.end() - at, 4) << text;
  const std::string &header = at[1];
  size_t typeColumn = header.find("type");
  size_t slotsColumn = header.find("slots");
  EXPECT_EQ(at[2].find(mapTypeName(BPF_MAP_TYPE_ARRAY_OF_MAPS)), typeColumn)
      << text;
  EXPECT_EQ(at[3].find(mapTypeName(BPF_MAP_TYPE_PROG_ARRAY)), typeColumn)
      << text;
  EXPECT_EQ(at[2].find("0:inner_a"), slotsColumn) << text;
  EXPECT_EQ(at[3].find("1:tail"), slotsColumn) << text;
  for (const std::string &line : lines)
    EXPECT_TRUE(line.empty() || line.back() != ' ') << "'" << line << "'";
}

TEST(RenderText, EmptyTablesSayNoneAndControlBytesAreEscaped) {
  ir::Object object;
  object.path = "evil\x1b[2J.o";
  std::string text = toText(object);
  EXPECT_TRUE(hasLine(text, "MAPS (none)")) << text;
  EXPECT_TRUE(hasLine(text, "PROGRAMS (none)")) << text;
  EXPECT_TRUE(hasLine(text, "DATA (none)")) << text;
  EXPECT_TRUE(hasLine(text, "EXTERNS (none)")) << text;
  EXPECT_TRUE(hasLine(text, "DIAGNOSTICS (none)")) << text;
  EXPECT_TRUE(hasLine(text, "license: (none)")) << text;
  EXPECT_TRUE(hasLine(text, "kernel version: (none)")) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("evil\\x1b[2J.o"), std::string::npos) << text;
}

} // namespace
} // namespace bpfcompat
