// YAML and JSON serialisation of doc::Value.
//
// Strings come from untrusted objects (section and symbol names), so both
// writers must keep every string a string and every output valid UTF-8. Bytes
// that are not valid UTF-8 are read as Latin-1, i.e. byte 0xNN becomes
// U+00NN, in both formats, so YAML and JSON parse back to the same text.
#include "bpfcompat/document.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <optional>
#include <string_view>

namespace bpfcompat::doc {

std::string Fixed::text() const {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, value);
  return buf;
}

const Array *Value::asArray() const {
  auto p = std::get_if<std::shared_ptr<Array>>(&v_);
  return p ? p->get() : nullptr;
}

const Object *Value::asObject() const {
  auto p = std::get_if<std::shared_ptr<Object>>(&v_);
  return p ? p->get() : nullptr;
}

namespace {

struct CodePoint {
  char32_t value;
  size_t length; // bytes consumed
};

// Decodes the UTF-8 sequence at s[i] under RFC 3629 (no overlong forms, no
// surrogates, nothing above U+10FFFF); nullopt when s[i] starts none.
std::optional<CodePoint> decodeUtf8(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return uint8_t(s[i + k]); };
  uint8_t b0 = byte(0);
  if (b0 < 0x80)
    return CodePoint{b0, 1};
  size_t length;
  uint8_t lo = 0x80, hi = 0xBF; // allowed range of the second byte
  char32_t value;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
    value = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    value = b0 & 0x0F;
    if (b0 == 0xE0)
      lo = 0xA0;
    else if (b0 == 0xED)
      hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    value = b0 & 0x07;
    if (b0 == 0xF0)
      lo = 0x90;
    else if (b0 == 0xF4)
      hi = 0x8F;
  } else {
    return std::nullopt;
  }
  if (s.size() - i < length)
    return std::nullopt;
  for (size_t k = 1; k < length; ++k) {
    uint8_t b = byte(k);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF))
      return std::nullopt;
    value = (value << 6) | (b & 0x3F);
  }
  return CodePoint{value, length};
}

void appendUtf8(std::string &out, char32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

// ---- YAML ----

// Plain scalars a YAML 1.1 or 1.2 reader would resolve to null, a boolean or
// a number. Anything starting like a number is treated as one: quoting a few
// strings too many ("1abc") is harmless, leaving one plain is not.
bool resolvesToNonString(std::string_view s) {
  static constexpr std::string_view kReserved[] = {
      "~",     "null",  "Null",  "NULL", "true", "True", "TRUE",
      "false", "False", "FALSE", "y",    "Y",    "yes",  "Yes",
      "YES",   "n",     "N",     "no",   "No",   "NO",   "on",
      "On",    "ON",    "off",   "Off",  "OFF",  "<<",   "="};
  if (s.empty())
    return true;
  for (std::string_view word : kReserved)
    if (s == word)
      return true;
  std::string_view rest = s;
  if (rest.front() == '+' || rest.front() == '-')
    rest.remove_prefix(1);
  auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
  if (rest.empty())
    return false;
  if (isDigit(rest[0]) ||
      (rest[0] == '.' && rest.size() > 1 && isDigit(rest[1])))
    return true;
  std::string lower;
  for (char c : rest)
    lower += char(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return lower == ".inf" || lower == ".nan";
}

// Code points yaml-cpp may write raw where YAML forbids them or reads them as
// line breaks or spaces: DEL, C1 controls (NEL), NBSP, U+2028/9, BOM, U+FFFE/F.
bool needsEscape(char32_t cp) {
  return cp == 0x7F || (cp >= 0x80 && cp <= 0xA0) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF;
}

void emitYamlString(YAML::Emitter &out, std::string_view s) {
  std::string text;
  bool quote = resolvesToNonString(s);
  bool escape = false;
  for (size_t i = 0; i < s.size();) {
    std::optional<CodePoint> cp = decodeUtf8(s, i);
    if (!cp) {
      appendUtf8(text, uint8_t(s[i]));
      escape = true;
      ++i;
      continue;
    }
    quote |= cp->value < 0x20;
    escape |= needsEscape(cp->value);
    text.append(s.substr(i, cp->length));
    i += cp->length;
  }
  if (escape)
    out << YAML::EscapeNonAscii << YAML::DoubleQuoted;
  else if (quote)
    out << YAML::DoubleQuoted;
  out << text;
}

void emitYaml(YAML::Emitter &out, const Value &value) {
  if (const bool *b = value.asBool()) {
    out << *b;
  } else if (const int64_t *i = value.asInt()) {
    out << *i;
  } else if (const uint64_t *u = value.asUint()) {
    out << *u;
  } else if (const Fixed *f = value.asFixed()) {
    out << f->text();
  } else if (const std::string *s = value.asString()) {
    emitYamlString(out, *s);
  } else if (const Array *array = value.asArray()) {
    // Block style has no spelling for an empty collection.
    if (array->empty())
      out << YAML::Flow;
    out << YAML::BeginSeq;
    for (const Value &item : *array)
      emitYaml(out, item);
    out << YAML::EndSeq;
  } else if (const Object *object = value.asObject()) {
    if (object->empty())
      out << YAML::Flow;
    out << YAML::BeginMap;
    for (const auto &[key, item] : *object) {
      out << YAML::Key;
      emitYamlString(out, key);
      out << YAML::Value;
      emitYaml(out, item);
    }
    out << YAML::EndMap;
  } else {
    out << YAML::Null;
  }
}

// ---- JSON ----

void appendJsonEscape(std::string &out, unsigned value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4)
    out += kHex[(value >> shift) & 0xF];
}

void writeJsonString(std::string &out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    std::optional<CodePoint> cp = decodeUtf8(s, i);
    if (!cp) {
      appendJsonEscape(out, uint8_t(s[i]));
      ++i;
      continue;
    }
    switch (cp->value) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      // Escaping DEL, C1 and U+2028/9 too keeps the text readable and safe to
      // paste into JavaScript; JSON itself only requires it below U+0020.
      if (cp->value < 0x20 || needsEscape(cp->value))
        appendJsonEscape(out, cp->value);
      else
        out.append(s.substr(i, cp->length));
    }
    i += cp->length;
  }
  out += '"';
}

void writeJson(std::string &out, const Value &value, size_t depth) {
  auto newline = [&](size_t level) {
    out += '\n';
    out.append(2 * level, ' ');
  };
  if (const bool *b = value.asBool()) {
    out += *b ? "true" : "false";
  } else if (const int64_t *i = value.asInt()) {
    out += std::to_string(*i);
  } else if (const uint64_t *u = value.asUint()) {
    out += std::to_string(*u);
  } else if (const Fixed *f = value.asFixed()) {
    out += f->text();
  } else if (const std::string *s = value.asString()) {
    writeJsonString(out, *s);
  } else if (const Array *array = value.asArray()) {
    out += '[';
    for (size_t k = 0; k < array->size(); ++k) {
      out += k ? "," : "";
      newline(depth + 1);
      writeJson(out, (*array)[k], depth + 1);
    }
    if (!array->empty())
      newline(depth);
    out += ']';
  } else if (const Object *object = value.asObject()) {
    out += '{';
    for (size_t k = 0; k < object->size(); ++k) {
      out += k ? "," : "";
      newline(depth + 1);
      writeJsonString(out, (*object)[k].first);
      out += ": ";
      writeJson(out, (*object)[k].second, depth + 1);
    }
    if (!object->empty())
      newline(depth);
    out += '}';
  } else {
    out += "null";
  }
}

} // namespace

std::string toYaml(const Value &value) {
  YAML::Emitter out;
  out.SetNullFormat(YAML::LowerNull);
  emitYaml(out, value);
  return out.c_str();
}

std::string toJson(const Value &value) {
  std::string out;
  writeJson(out, value, 0);
  return out;
}

} // namespace bpfcompat::doc
