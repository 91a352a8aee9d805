// Hostile-input helpers shared by the reader error tests and the mutation
// suite: raw ELF64 field layouts, a corpus object to patch, reading patched
// bytes, and what a clean outcome is.
#pragma once

#include "bpfcompat/elf.h"
#include "bpfcompat/error.h"
#include "bpfcompat/reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <vector>

#include "test_support.h"

namespace bpfcompat::hostile {

// User CPU time of the calling thread: the work an input causes. Wall time
// on a machine shared with other builds, or kernel time spent on the
// sanitizer's shadow memory, would blur it.
inline std::chrono::microseconds threadUserTime() {
  rusage usage;
  getrusage(RUSAGE_THREAD, &usage);
  return std::chrono::seconds(usage.ru_utime.tv_sec) +
         std::chrono::microseconds(usage.ru_utime.tv_usec);
}

inline constexpr const char *kName = "hostile.o";

// --- raw ELF64 little-endian layouts ---------------------------------------

struct Field {
  const char *name;
  size_t offset;
  size_t width;
};

// Elf64_Ehdr
inline constexpr size_t kEShoff = 0x28, kEShentsize = 0x3a, kEShnum = 0x3c;
// Elf64_Shdr (64 bytes)
inline constexpr Field kShName{"sh_name", 0x0, 4};
inline constexpr Field kShType{"sh_type", 0x4, 4};
inline constexpr Field kShOffset{"sh_offset", 0x18, 8};
inline constexpr Field kShSize{"sh_size", 0x20, 8};
inline constexpr Field kShLink{"sh_link", 0x28, 4};
inline constexpr Field kShInfo{"sh_info", 0x2c, 4};
// Elf64_Sym (24 bytes)
inline constexpr size_t kSymSize = 24;
inline constexpr Field kStName{"st_name", 0x0, 4};
inline constexpr Field kStShndx{"st_shndx", 0x6, 2};
inline constexpr Field kStValue{"st_value", 0x8, 8};
inline constexpr Field kStSize{"st_size", 0x10, 8};
// Elf64_Rel (16 bytes)
inline constexpr size_t kRelSize = 16;
inline constexpr Field kROffset{"r_offset", 0x0, 8};
inline constexpr Field kRInfo{"r_info", 0x8, 8};

inline uint64_t getLe(const std::vector<uint8_t> &bytes, size_t at,
                      size_t width) {
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i)
    value |= uint64_t(bytes.at(at + i)) << (8 * i);
  return value;
}

inline void putLe(std::vector<uint8_t> &bytes, size_t at, size_t width,
                  uint64_t value) {
  for (size_t i = 0; i < width; ++i)
    bytes.at(at + i) = uint8_t(value >> (8 * i));
}

// A valid object to patch: its bytes plus our own parsed view of them, used
// only to find where things are.
class Target {
public:
  explicit Target(const std::string &path) : path_(path) {
    bytes = test::readBytes(path);
    auto file = elf::File::fromBuffer(bytes, path);
    if (file)
      view_ = std::move(*file);
    else
      error_ = llvm::toString(file.takeError());
  }

  // Use as ASSERT_TRUE(target.ok()) << target.error().
  bool ok() const { return view_ != nullptr && !view_->bigEndian(); }
  std::string error() const {
    if (bytes.empty())
      return path_ + ": missing or empty (build the corpus; real objects come "
                     "from scripts/setup.sh)";
    return error_.empty() ? path_ + ": not a little-endian object" : error_;
  }
  const elf::File &view() const { return *view_; }
  const std::string &path() const { return path_; }

  const elf::Section *section(llvm::StringRef name) const {
    return view_->sectionByName(name);
  }
  const elf::Symbol *symbol(llvm::StringRef name) const {
    for (const elf::Symbol &sym : view_->symbols())
      if (sym.name == name && sym.type != elf::kSttSection)
        return &sym;
    return nullptr;
  }
  const elf::Section *symtab() const {
    for (const elf::Section &sec : view_->sections())
      if (sec.type == elf::kShtSymtab)
        return &sec;
    return nullptr;
  }

  size_t shdrAt(uint32_t index) const {
    return getLe(bytes, kEShoff, 8) + index * getLe(bytes, kEShentsize, 2);
  }
  size_t symAt(uint32_t index) const {
    return symtab()->offset + index * kSymSize;
  }
  // Byte offset of relocation #n in `relSection`.
  size_t relAt(const elf::Section &relSection, size_t n) const {
    return relSection.offset + n * kRelSize;
  }

  std::vector<uint8_t> withShdr(uint32_t index, Field f, uint64_t v) const {
    std::vector<uint8_t> out = bytes;
    putLe(out, shdrAt(index) + f.offset, f.width, v);
    return out;
  }
  std::vector<uint8_t> withSym(uint32_t index, Field f, uint64_t v) const {
    std::vector<uint8_t> out = bytes;
    putLe(out, symAt(index) + f.offset, f.width, v);
    return out;
  }

  std::vector<uint8_t> bytes;

private:
  std::string path_;
  std::unique_ptr<elf::File> view_;
  std::string error_;
};

inline std::string corpus(const std::string &relative) {
  return test::kCorpusDir + "/" + relative;
}

// The result of reading patched bytes.
struct Outcome {
  std::optional<ir::Object> object;
  std::string error;
  bool ok() const { return object.has_value(); }
};

inline Outcome readHostile(const std::vector<uint8_t> &bytes,
                           const ReadOptions &options = {}) {
  Outcome out;
  auto file = elf::File::fromBuffer(bytes, kName);
  if (!file) {
    out.error = llvm::toString(file.takeError());
    return out;
  }
  auto object = readObject(**file, options);
  if (!object) {
    out.error = llvm::toString(object.takeError());
    return out;
  }
  out.object = std::move(*object);
  return out;
}

// A failure must be one readable message per line, each starting with the
// file name; a success is always acceptable for these sweeps.
inline ::testing::AssertionResult clean(const Outcome &out) {
  if (out.ok())
    return ::testing::AssertionSuccess();
  if (out.error.empty())
    return ::testing::AssertionFailure() << "empty error message";
  llvm::StringRef rest = out.error;
  while (!rest.empty()) {
    auto [line, next] = rest.split('\n');
    if (!line.startswith(std::string(kName) + ": ") ||
        line.size() <= strlen(kName) + 2)
      return ::testing::AssertionFailure()
             << "error line does not start with the file name: " << line.str();
    if (line.find('\0') != llvm::StringRef::npos)
      return ::testing::AssertionFailure() << "NUL in error: " << line.str();
    rest = next;
  }
  return ::testing::AssertionSuccess();
}

// The read must fail with every one of `phrases` in the message.
inline ::testing::AssertionResult
failsWith(const Outcome &out, std::initializer_list<std::string> phrases) {
  if (out.ok())
    return ::testing::AssertionFailure()
           << "read succeeded (" << out.object->maps.size() << " maps, "
           << out.object->programs.size() << " programs); expected an error";
  if (auto c = clean(out); !c)
    return c;
  for (const std::string &phrase : phrases)
    if (out.error.find(phrase) == std::string::npos)
      return ::testing::AssertionFailure()
             << "error lacks '" << phrase << "': " << out.error;
  return ::testing::AssertionSuccess();
}

// Objects the sweeps run over: one per map encoding, plus real ones.
inline const std::vector<std::string> &sweepObjects() {
  static const std::vector<std::string> all = {
      corpus("libbpf-legacy/legacy_basic.o"),
      corpus("iproute2/tc_full.g.o"),
      corpus("gobpf/gobpf_full.o"),
      corpus("libbpf/btf_maps_all.g.o"),
      corpus("samples/samples_28.g.o"),
      test::kCiliumTestdata + "/loader-el.elf",
      test::kLibxdpObjects + "/xdpfilt_alw_all.o",
  };
  return all;
}

} // namespace bpfcompat::hostile
