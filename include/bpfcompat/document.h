// A small ordered document tree, rendered as YAML or JSON.
//
// The IR is mapped to a Document once (src/ir/render.cpp) and every machine
// format serialises that, so YAML and JSON always carry the same fields.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace bpfcompat::doc {

class Value;

// A decimal number printed with a fixed number of fraction digits (times in
// reports), so documents stay byte-for-byte comparable.
struct Fixed {
  double value = 0;
  int digits = 6;
  std::string text() const; // "0.001250"
};
using Array = std::vector<Value>;
// Insertion-ordered object: field order is part of the documented schema.
using Object = std::vector<std::pair<std::string, Value>>;

class Value {
public:
  Value() = default; // null
  Value(std::nullptr_t) {}
  Value(bool v) : v_(v) {}
  Value(int v) : v_(int64_t(v)) {}
  Value(long v) : v_(int64_t(v)) {}
  Value(long long v) : v_(int64_t(v)) {}
  Value(unsigned v) : v_(uint64_t(v)) {}
  Value(unsigned long v) : v_(uint64_t(v)) {}
  Value(unsigned long long v) : v_(uint64_t(v)) {}
  Value(const char *v) : v_(std::string(v)) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(Fixed v) : v_(v) {}
  Value(Array v) : v_(std::make_shared<Array>(std::move(v))) {}
  Value(Object v) : v_(std::make_shared<Object>(std::move(v))) {}

  bool isNull() const { return std::holds_alternative<std::monostate>(v_); }
  const bool *asBool() const { return std::get_if<bool>(&v_); }
  const int64_t *asInt() const { return std::get_if<int64_t>(&v_); }
  const uint64_t *asUint() const { return std::get_if<uint64_t>(&v_); }
  const std::string *asString() const { return std::get_if<std::string>(&v_); }
  const Fixed *asFixed() const { return std::get_if<Fixed>(&v_); }
  const Array *asArray() const;
  const Object *asObject() const;

private:
  std::variant<std::monostate, bool, int64_t, uint64_t, Fixed, std::string,
               std::shared_ptr<Array>, std::shared_ptr<Object>>
      v_;
};

// Block-style YAML (yaml-cpp emitter); strings quoted when needed.
std::string toYaml(const Value &value);
// JSON, two-space indented, keys in insertion order, RFC 8259 escaping.
std::string toJson(const Value &value);

} // namespace bpfcompat::doc
