// doc::Value serialisation: YAML and JSON must read back as the same typed
// values (strings stay strings), keep key order, and always be valid UTF-8.
#include "bpfcompat/document.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <climits>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>

namespace bpfcompat::doc {
namespace {

// ---- helpers ----

bool validUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint8_t b = uint8_t(s[i]);
    size_t n = b < 0x80                 ? 1
               : b >= 0xC2 && b <= 0xDF ? 2
               : b >= 0xE0 && b <= 0xEF ? 3
               : b >= 0xF0 && b <= 0xF4 ? 4
                                        : 0;
    if (n == 0 || s.size() - i < n)
      return false;
    uint8_t b1 = n > 1 ? uint8_t(s[i + 1]) : 0x80;
    if ((b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 > 0x9F) ||
        (b == 0xF0 && b1 < 0x90) || (b == 0xF4 && b1 > 0x8F))
      return false;
    for (size_t k = 1; k < n; ++k)
      if ((uint8_t(s[i + k]) & 0xC0) != 0x80)
        return false;
    i += n;
  }
  return true;
}

// Deep equality; numbers compare by value whatever their signedness, since
// readers cannot tell Value(5) from Value(5u).
bool same(const Value &a, const Value &b) {
  auto number = [](const Value &v) -> std::optional<__int128> {
    if (auto i = v.asInt())
      return *i;
    if (auto u = v.asUint())
      return *u;
    return std::nullopt;
  };
  if (number(a) || number(b))
    return number(a) == number(b);
  if (a.isNull() || b.isNull())
    return a.isNull() && b.isNull();
  if (a.asBool() || b.asBool())
    return a.asBool() && b.asBool() && *a.asBool() == *b.asBool();
  if (a.asString() || b.asString())
    return a.asString() && b.asString() && *a.asString() == *b.asString();
  if (a.asArray() || b.asArray()) {
    if (!a.asArray() || !b.asArray() ||
        a.asArray()->size() != b.asArray()->size())
      return false;
    for (size_t i = 0; i < a.asArray()->size(); ++i)
      if (!same((*a.asArray())[i], (*b.asArray())[i]))
        return false;
    return true;
  }
  const Object *x = a.asObject(), *y = b.asObject();
  if (!x || !y || x->size() != y->size())
    return false;
  for (size_t i = 0; i < x->size(); ++i)
    if ((*x)[i].first != (*y)[i].first || !same((*x)[i].second, (*y)[i].second))
      return false;
  return true;
}

// Marks a plain YAML scalar that resolves to something we never emit
// (float, merge key, 1.1 octal/sexagesimal...): never equal to a string.
Value nonString(const std::string &text) {
  return Object{{"!non-string", text}};
}

// Resolves a plain scalar the way YAML 1.1 and 1.2 (core schema) readers do;
// if either would not read it as a string, it is not one.
Value resolvePlain(const std::string &s) {
  static const std::regex kNull("~|null|Null|NULL|");
  static const std::regex kTrue("y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON");
  static const std::regex kFalse("n|N|no|No|NO|false|False|FALSE|off|Off|OFF");
  static const std::regex kDecimal("-?(0|[1-9][0-9]*)");
  static const std::regex kOtherNumber(
      "[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?0o[0-7]+|[-+]?[0-9][0-9_]*|"
      "[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+|"
      "[-+]?([0-9][0-9_]*)?\\.[0-9.]*([eE][-+]?[0-9]+)?|"
      "[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|"
      "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|"
      "[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)|<<|=");
  if (std::regex_match(s, kNull))
    return nullptr;
  if (std::regex_match(s, kTrue))
    return true;
  if (std::regex_match(s, kFalse))
    return false;
  if (std::regex_match(s, kDecimal)) {
    errno = 0;
    if (s[0] == '-') {
      long long v = std::strtoll(s.c_str(), nullptr, 10);
      return errno ? nonString(s) : Value(v);
    }
    unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
    return errno ? nonString(s) : Value(v);
  }
  if (std::regex_match(s, kOtherNumber))
    return nonString(s);
  return s;
}

Value fromYaml(const YAML::Node &node) {
  switch (node.Type()) {
  case YAML::NodeType::Null:
    return nullptr;
  case YAML::NodeType::Scalar:
    // Tag "!" is a quoted (non-plain) scalar: always a string.
    return node.Tag() == "!" ? Value(node.Scalar())
                             : resolvePlain(node.Scalar());
  case YAML::NodeType::Sequence: {
    Array out;
    for (const YAML::Node &item : node)
      out.push_back(fromYaml(item));
    return out;
  }
  case YAML::NodeType::Map: {
    Object out;
    for (const auto &item : node) {
      Value key = fromYaml(item.first);
      EXPECT_TRUE(key.asString()) << "key did not read back as a string";
      out.emplace_back(key.asString() ? *key.asString() : "",
                       fromYaml(item.second));
    }
    return out;
  }
  case YAML::NodeType::Undefined:
    break;
  }
  ADD_FAILURE() << "undefined YAML node";
  return nullptr;
}

Value parseYaml(const std::string &text) {
  EXPECT_TRUE(validUtf8(text)) << text;
  return fromYaml(YAML::Load(text));
}

// A strict RFC 8259 parser (no trailing commas, no leading zeros, escapes
// checked), so the writer cannot lean on a lenient reader.
class JsonParser {
public:
  explicit JsonParser(std::string_view text) : s_(text) {}

  std::optional<Value> parse() {
    if (!validUtf8(s_))
      return std::nullopt;
    std::optional<Value> v = value();
    skipSpace();
    if (!v || i_ != s_.size())
      return std::nullopt;
    return v;
  }

private:
  void skipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' ||
                              s_[i_] == '\r' || s_[i_] == '\t'))
      ++i_;
  }
  bool eat(char c) {
    skipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word)
      return false;
    i_ += word.size();
    return true;
  }

  std::optional<Value> value() {
    skipSpace();
    if (i_ >= s_.size())
      return std::nullopt;
    char c = s_[i_];
    if (c == '{')
      return object();
    if (c == '[')
      return array();
    if (c == '"') {
      std::optional<std::string> str = string();
      return str ? std::optional<Value>(*str) : std::nullopt;
    }
    if (literal("true"))
      return Value(true);
    if (literal("false"))
      return Value(false);
    if (literal("null"))
      return Value();
    return number();
  }

  std::optional<Value> number() {
    static const std::regex kInteger("-?(0|[1-9][0-9]*)");
    size_t start = i_;
    while (i_ < s_.size() &&
           (s_[i_] == '-' || (s_[i_] >= '0' && s_[i_] <= '9')))
      ++i_;
    std::string text(s_.substr(start, i_ - start));
    if (!std::regex_match(text, kInteger))
      return std::nullopt; // we never write fractions or exponents
    errno = 0;
    Value v = text[0] == '-' ? Value(std::strtoll(text.c_str(), nullptr, 10))
                             : Value(std::strtoull(text.c_str(), nullptr, 10));
    return errno ? std::nullopt : std::optional<Value>(v);
  }

  std::optional<Value> array() {
    ++i_;
    Array out;
    if (eat(']'))
      return out;
    do {
      std::optional<Value> v = value();
      if (!v)
        return std::nullopt;
      out.push_back(*v);
    } while (eat(','));
    return eat(']') ? std::optional<Value>(out) : std::nullopt;
  }

  std::optional<Value> object() {
    ++i_;
    Object out;
    if (eat('}'))
      return out;
    do {
      skipSpace();
      std::optional<std::string> key =
          i_ < s_.size() && s_[i_] == '"' ? string() : std::nullopt;
      if (!key || !eat(':'))
        return std::nullopt;
      std::optional<Value> v = value();
      if (!v)
        return std::nullopt;
      out.emplace_back(*key, *v);
    } while (eat(','));
    return eat('}') ? std::optional<Value>(out) : std::nullopt;
  }

  std::optional<unsigned> hex4() {
    if (s_.size() - i_ < 4)
      return std::nullopt;
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return std::nullopt;
    }
    return v;
  }

  std::optional<std::string> string() {
    ++i_;
    std::string out;
    while (i_ < s_.size()) {
      uint8_t c = uint8_t(s_[i_++]);
      if (c == '"')
        return out;
      if (c < 0x20)
        return std::nullopt; // raw control characters are not allowed
      if (c != '\\') {
        out += char(c);
        continue;
      }
      if (i_ >= s_.size())
        return std::nullopt;
      char e = s_[i_++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        std::optional<unsigned> cp = hex4();
        if (!cp || (*cp >= 0xD800 && *cp <= 0xDFFF))
          return std::nullopt; // we never need surrogate pairs
        appendUtf8(out, *cp);
        break;
      }
      default:
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  static void appendUtf8(std::string &out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::optional<Value> parseJson(const std::string &text) {
  return JsonParser(text).parse();
}

// Strings that a careless emitter would let a reader retype or mangle.
const std::vector<std::string> kTrickyStrings = {"0x10",
                                                 "1e3",
                                                 "yes",
                                                 "no",
                                                 "on",
                                                 "OFF",
                                                 "y",
                                                 "N",
                                                 "true",
                                                 "False",
                                                 "null",
                                                 "Null",
                                                 "~",
                                                 "",
                                                 "12:30",
                                                 "1_000",
                                                 "0o17",
                                                 "0b101",
                                                 "017",
                                                 ".5",
                                                 "-.inf",
                                                 ".NaN",
                                                 "+1",
                                                 "-1",
                                                 "42",
                                                 "<<",
                                                 "=",
                                                 "a:b",
                                                 "a: b",
                                                 "#x",
                                                 "a #b",
                                                 "k: v # c",
                                                 "- item",
                                                 "-",
                                                 "? q",
                                                 "[x]",
                                                 "{x}",
                                                 "*a",
                                                 "&a",
                                                 "!t",
                                                 "%d",
                                                 "@x",
                                                 "`x",
                                                 "|",
                                                 ">",
                                                 "'q'",
                                                 "\"dq\"",
                                                 " lead",
                                                 "trail ",
                                                 "multi\nline",
                                                 "tab\there",
                                                 "\x01\x1f",
                                                 "del\x7f",
                                                 "caf\xc3\xa9",
                                                 "\xe2\x80\xa8",
                                                 "\xef\xbb\xbf"
                                                 "bom",
                                                 "nel\xc2\x85",
                                                 "\xf0\x9f\x98\x80",
                                                 "back\\slash",
                                                 "maps/42:0",
                                                 "kprobe/sys_open",
                                                 "plain"};

Value trickyDocument() {
  Array values(kTrickyStrings.begin(), kTrickyStrings.end());
  Object keyed;
  for (const std::string &s : kTrickyStrings)
    keyed.emplace_back(s, s);
  return Object{{"values", values}, {"keyed", keyed}};
}

// ---- Value ----

TEST(DocumentValue, AccessorsMatchTheStoredAlternative) {
  EXPECT_TRUE(Value().isNull());
  EXPECT_TRUE(Value(nullptr).isNull());
  EXPECT_FALSE(Value(0).isNull());
  ASSERT_TRUE(Value(true).asBool());
  EXPECT_TRUE(*Value(true).asBool());
  ASSERT_TRUE(Value(-3).asInt());
  EXPECT_EQ(*Value(-3).asInt(), -3);
  EXPECT_FALSE(Value(-3).asUint());
  ASSERT_TRUE(Value(7u).asUint());
  EXPECT_EQ(*Value(UINT64_MAX).asUint(), UINT64_MAX);
  EXPECT_FALSE(Value(7u).asInt());
  ASSERT_TRUE(Value("s").asString());
  EXPECT_EQ(*Value("s").asString(), "s");
  EXPECT_FALSE(Value("s").asArray());

  Value array = Array{1, "two"};
  ASSERT_TRUE(array.asArray());
  EXPECT_EQ(array.asArray()->size(), 2u);
  EXPECT_FALSE(array.asObject());
  Value object = Object{{"k", 1}};
  ASSERT_TRUE(object.asObject());
  EXPECT_EQ(object.asObject()->front().first, "k");
  EXPECT_FALSE(object.asArray());
  EXPECT_FALSE(object.asString());
}

// ---- YAML ----

TEST(DocumentYaml, TrickyStringsReadBackAsTheSameStrings) {
  Value doc = trickyDocument();
  std::string yaml = toYaml(doc);
  Value back = parseYaml(yaml);
  ASSERT_TRUE(back.asObject()) << yaml;
  const Array *values = (*back.asObject())[0].second.asArray();
  ASSERT_TRUE(values) << yaml;
  ASSERT_EQ(values->size(), kTrickyStrings.size());
  for (size_t i = 0; i < kTrickyStrings.size(); ++i) {
    const std::string *s = (*values)[i].asString();
    EXPECT_TRUE(s && *s == kTrickyStrings[i])
        << "string #" << i << " '" << kTrickyStrings[i] << "' in\n"
        << yaml;
  }
  EXPECT_TRUE(same(back, doc)) << yaml; // keys too
}

TEST(DocumentYaml, BoolLikeKeysAreQuotedAndTypedValuesRoundTrip) {
  Value doc = Object{{"min", Value(int64_t(INT64_MIN))},
                     {"max", Value(uint64_t(UINT64_MAX))},
                     {"yes", true},
                     {"no", false},
                     {"nothing", nullptr}};
  std::string yaml = toYaml(doc);
  EXPECT_NE(yaml.find("\"yes\": true"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("max: 18446744073709551615"), std::string::npos);
  EXPECT_NE(yaml.find("nothing: null"), std::string::npos);
  EXPECT_TRUE(same(parseYaml(yaml), doc)) << yaml;
}

TEST(DocumentYaml, BlockStyleWithEmptyCollectionsInline) {
  Value doc = Object{
      {"name", "m"},
      {"empty_list", Array{}},
      {"empty_map", Object{}},
      {"list", Array{Object{{"a", 1}, {"b", Array{}}}, "x"}},
      {"nested", Object{{"inner", Object{{"k", "v"}}}}},
  };
  EXPECT_EQ(toYaml(doc), "name: m\n"
                         "empty_list: []\n"
                         "empty_map: {}\n"
                         "list:\n"
                         "  - a: 1\n"
                         "    b: []\n"
                         "  - x\n"
                         "nested:\n"
                         "  inner:\n"
                         "    k: v");
  EXPECT_EQ(toYaml(Array{}), "[]");
  EXPECT_EQ(toYaml(Object{}), "{}");
}

TEST(DocumentYaml, KeyOrderIsInsertionOrder) {
  Value doc = Object{{"zeta", 1}, {"alpha", 2}, {"mid", 3}};
  std::string yaml = toYaml(doc);
  EXPECT_EQ(yaml, "zeta: 1\nalpha: 2\nmid: 3");
  YAML::Node node = YAML::Load(yaml);
  std::vector<std::string> keys;
  for (const auto &item : node)
    keys.push_back(item.first.Scalar());
  EXPECT_EQ(keys, (std::vector<std::string>{"zeta", "alpha", "mid"}));
}

TEST(DocumentYaml, InvalidUtf8BecomesLatin1AndOutputStaysValid) {
  Value doc = Array{"bad\xff\xfe", "trunc\xe2\x82", "overlong\xc0\xaf",
                    "surrogate\xed\xa0\x80"};
  std::string yaml = toYaml(doc);
  EXPECT_TRUE(validUtf8(yaml)) << yaml;
  Value expected =
      Array{"bad\xc3\xbf\xc3\xbe", "trunc\xc3\xa2\xc2\x82",
            "overlong\xc3\x80\xc2\xaf", "surrogate\xc3\xad\xc2\xa0\xc2\x80"};
  EXPECT_TRUE(same(parseYaml(yaml), expected)) << yaml;
  // Escaped, so the odd bytes are visible rather than silently re-encoded.
  EXPECT_NE(yaml.find("\"trunc\\xe2\\x82\""), std::string::npos) << yaml;
}

// ---- JSON ----

TEST(DocumentJson, LayoutIsTwoSpaceIndentedInInsertionOrder) {
  Value doc = Object{{"zeta", 1},
                     {"alpha", Array{1, "two", nullptr, false}},
                     {"empty_list", Array{}},
                     {"empty_map", Object{}},
                     {"nested", Object{{"k", Object{{"v", -1}}}}}};
  EXPECT_EQ(toJson(doc), R"({
  "zeta": 1,
  "alpha": [
    1,
    "two",
    null,
    false
  ],
  "empty_list": [],
  "empty_map": {},
  "nested": {
    "k": {
      "v": -1
    }
  }
})");
  EXPECT_EQ(toJson(Array{}), "[]");
  EXPECT_EQ(toJson("x"), "\"x\"");
}

TEST(DocumentJson, Uint64AndInt64AreExact) {
  EXPECT_EQ(toJson(Value(uint64_t(UINT64_MAX))), "18446744073709551615");
  EXPECT_EQ(toJson(Value(int64_t(INT64_MIN))), "-9223372036854775808");
  EXPECT_EQ(toJson(Value(true)), "true");
  EXPECT_EQ(toJson(Value()), "null");
}

TEST(DocumentJson, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(toJson(std::string("q\"b\\n\nt\tr\rb\bf\f")),
            R"("q\"b\\n\nt\tr\rb\bf\f")");
  EXPECT_EQ(toJson(std::string("\x01\x1f\x7f", 3)), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(toJson(std::string("nul\0x", 5)), R"("nul\u0000x")");
  EXPECT_EQ(toJson(std::string("ls\xe2\x80\xa8")), R"("ls\u2028")");
}

TEST(DocumentJson, PassesValidUtf8AndEscapesInvalidBytes) {
  EXPECT_EQ(toJson(std::string("caf\xc3\xa9 \xf0\x9f\x98\x80")),
            "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  EXPECT_EQ(toJson(std::string("bad\xff")), R"("bad\u00ff")");
  EXPECT_EQ(toJson(std::string("trunc\xe2\x82")), R"("trunc\u00e2\u0082")");
  EXPECT_EQ(toJson(std::string("overlong\xc0\xaf")),
            R"("overlong\u00c0\u00af")");
  EXPECT_EQ(toJson(std::string("surrogate\xed\xa0\x80")),
            R"("surrogate\u00ed\u00a0\u0080")");
  EXPECT_EQ(toJson(std::string("big\xf4\x90\x80\x80")),
            R"("big\u00f4\u0090\u0080\u0080")");
}

TEST(DocumentJson, TrickyDocumentParsesStrictlyToTheSameValues) {
  Value doc = trickyDocument();
  std::string json = toJson(doc);
  std::optional<Value> back = parseJson(json);
  ASSERT_TRUE(back) << json;
  EXPECT_TRUE(same(*back, doc)) << json;
  // yaml-cpp reads JSON too; this is what YAML-based consumers would see.
  Value viaYaml = parseYaml(json);
  EXPECT_TRUE(same(viaYaml, doc)) << json;
}

TEST(DocumentJson, StrictCheckerRejectsMalformedJson) {
  // Guards the checker the other tests rely on.
  EXPECT_FALSE(parseJson("[1,]"));
  EXPECT_FALSE(parseJson("{\"a\":1,}"));
  EXPECT_FALSE(parseJson("\"raw\ncontrol\""));
  EXPECT_FALSE(parseJson("\"bad\xff\""));
  EXPECT_FALSE(parseJson("01"));
  EXPECT_FALSE(parseJson("{\"a\" 1}"));
  EXPECT_TRUE(parseJson("{\"a\": [1, -2, \"\\u00e9\"]}"));
}

TEST(DocumentFormats, YamlAndJsonCarryTheSameValuesForInvalidUtf8) {
  Value doc = Object{{"name", "bad\xff\x80name"}, {"n", 3u}};
  std::optional<Value> json = parseJson(toJson(doc));
  ASSERT_TRUE(json);
  EXPECT_TRUE(same(*json, parseYaml(toYaml(doc))));
}

} // namespace
} // namespace bpfcompat::doc
