// Fuzz target 4: the inspect writers. Whatever an object names its maps,
// programs and sections, the YAML and JSON documents must parse back (with
// yaml-cpp, a YAML 1.2 parser that reads JSON too) to the same tree and
// strings: ASCII strings exactly, others identically from both writers. The
// text renderer must not pass control bytes through.
#include "bpfcompat/elf.h"
#include "bpfcompat/reader.h"
#include "bpfcompat/render.h"

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace bpfcompat;

namespace {

[[noreturn]] void fail(const std::string &what) {
  std::fprintf(stderr, "fuzz_render: %s\n", what.c_str());
  std::abort();
}

bool ascii(const std::string &s) {
  for (char c : s)
    if (uint8_t(c) >= 0x80)
      return false;
  return true;
}

// The parsed YAML and JSON trees against the document they were written
// from: same shape, same scalars.
void compare(const doc::Value &value, const YAML::Node &yaml,
             const YAML::Node &json, const std::string &where) {
  if (const doc::Array *array = value.asArray()) {
    if (!yaml.IsSequence() || !json.IsSequence() ||
        yaml.size() != array->size() || json.size() != array->size())
      fail(where + ": sequence does not round-trip");
    for (size_t i = 0; i < array->size(); ++i)
      compare((*array)[i], yaml[i], json[i],
              where + "[" + std::to_string(i) + "]");
    return;
  }
  if (const doc::Object *object = value.asObject()) {
    if (!yaml.IsMap() || !json.IsMap() || yaml.size() != object->size() ||
        json.size() != object->size())
      fail(where + ": mapping does not round-trip");
    auto y = yaml.begin(), j = json.begin();
    for (const auto &[key, item] : *object) {
      std::string yk = y->first.Scalar(), jk = j->first.Scalar();
      if (yk != jk || (ascii(key) && yk != key))
        fail(where + ": key '" + key + "' does not round-trip");
      compare(item, y->second, j->second, where + "." + key);
      ++y, ++j;
    }
    return;
  }
  if (value.isNull()) {
    if (!yaml.IsNull() || !json.IsNull())
      fail(where + ": null does not round-trip");
    return;
  }
  if (!yaml.IsScalar() || !json.IsScalar())
    fail(where + ": scalar does not round-trip");
  if (const std::string *s = value.asString()) {
    // A string must stay a string: quoted (tag "!") unless plain is safe.
    if (yaml.Scalar() != json.Scalar() || (ascii(*s) && yaml.Scalar() != *s))
      fail(where + ": string does not round-trip");
    if (yaml.Tag() != "!" &&
        (yaml.Scalar() == "null" || yaml.Scalar() == "~" ||
         yaml.Scalar() == "true" || yaml.Scalar() == "false"))
      fail(where + ": string '" + *s + "' reads back as a non-string");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto file = elf::File::fromBuffer({data, size}, "fuzz.o");
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  auto object = readObject(**file);
  if (!object) {
    llvm::consumeError(object.takeError());
    return 0;
  }
  std::string text = toText(*object);
  for (char c : text)
    if ((uint8_t(c) < 0x20 && c != '\n') || c == 0x7f)
      fail("control byte in text output");
  doc::Value document = toDocument(*object);
  std::string yaml = doc::toYaml(document), json = doc::toJson(document);
  YAML::Node yamlTree, jsonTree;
  try {
    yamlTree = YAML::Load(yaml);
  } catch (const YAML::Exception &e) {
    fail(std::string("YAML output does not parse: ") + e.what());
  }
  try {
    jsonTree = YAML::Load(json);
  } catch (const YAML::Exception &e) {
    fail(std::string("JSON output does not parse: ") + e.what());
  }
  compare(document, yamlTree, jsonTree, "$");
  return 0;
}
