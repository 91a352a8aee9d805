// Gathering what `check` looks at: files, directory trees, and BPF ELF images
// embedded in other files (executables and libraries carrying skeletons).
#include "bpfcompat/check.h"
#include "bpfcompat/elf.h"
#include "bpfcompat/error.h"

#include <llvm/Support/xxhash.h>

#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace bpfcompat::check {

namespace {

constexpr uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr size_t kEhdrSize = 64; // Elf64_Ehdr
constexpr size_t kShdrSize = 64; // Elf64_Shdr
constexpr uint16_t kEtRel = 1;

// Reads an integer of either byte order; the caller checked bounds.
template <typename T> T readInt(const uint8_t *p, bool bigEndian) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    value |= T(p[bigEndian ? sizeof(T) - 1 - i : i]) << (8 * i);
  return value;
}

// The size of the ELF64 relocatable EM_BPF object starting at bytes[0], or 0
// when it is not one that fits in `bytes`. (EM_NONE objects of old LLVM are
// too ambiguous to find inside other files; they count only as whole files.)
uint64_t bpfImageSize(llvm::ArrayRef<uint8_t> bytes) {
  if (bytes.size() < kEhdrSize || std::memcmp(bytes.data(), kElfMagic, 4) != 0)
    return 0;
  const uint8_t *h = bytes.data();
  if (h[4] != 2 || (h[5] != 1 && h[5] != 2) || h[6] != 1)
    return 0; // ELFCLASS64, ELFDATA2LSB/MSB, EV_CURRENT
  bool be = h[5] == 2;
  uint16_t type = readInt<uint16_t>(h + 16, be);
  uint16_t machine = readInt<uint16_t>(h + 18, be);
  if (type != kEtRel || machine != elf::kEmBpf)
    return 0;
  uint64_t shoff = readInt<uint64_t>(h + 40, be);
  uint16_t shentsize = readInt<uint16_t>(h + 58, be);
  uint64_t shnum = readInt<uint16_t>(h + 60, be);
  if (shentsize != kShdrSize || shoff < kEhdrSize || shoff > bytes.size() ||
      bytes.size() - shoff < kShdrSize)
    return 0;
  if (shnum == 0) // extended numbering: the count is section 0's sh_size
    shnum = readInt<uint64_t>(h + shoff + 32, be);
  if (shnum == 0 || shnum > (bytes.size() - shoff) / kShdrSize)
    return 0;
  uint64_t end = shoff + shnum * kShdrSize;
  for (uint64_t i = 1; i < shnum; ++i) {
    const uint8_t *sh = h + shoff + i * kShdrSize;
    uint32_t shType = readInt<uint32_t>(sh + 4, be);
    uint64_t offset = readInt<uint64_t>(sh + 24, be);
    uint64_t size = readInt<uint64_t>(sh + 32, be);
    if (shType == elf::kShtNobits)
      continue;
    if (offset > bytes.size() || size > bytes.size() - offset)
      return 0; // a section past the end: not a whole image
    end = std::max(end, offset + size);
  }
  return end;
}

bool isBpfObjectHeader(llvm::ArrayRef<uint8_t> head) {
  if (head.size() < 20)
    return false;
  const uint8_t *h = head.data();
  if (std::memcmp(h, kElfMagic, 4) != 0 || h[4] != 2)
    return false;
  bool be = h[5] == 2;
  uint16_t machine = readInt<uint16_t>(h + 18, be);
  return machine == elf::kEmBpf ||
         (machine == elf::kEmNone && readInt<uint16_t>(h + 16, be) == kEtRel);
}

// A file as collection sees it, read through one open: its header always,
// its whole bytes when it is a BPF object or `whole` asks for them, so that
// walking a tree does not read every file in it.
struct FileBytes {
  std::string error; // set when the file could not be read
  bool bpfObject = false;
  uint64_t size = 0;
  std::vector<uint8_t> bytes; // whole file, or empty
};

FileBytes readFileBytes(const std::string &path, bool whole) {
  FileBytes out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out.error = std::strerror(errno);
    return out;
  }
  auto readAt = [&](uint8_t *into, size_t size, uint64_t offset) {
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::pread(fd, into + done, size - done, off_t(offset + done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += size_t(n);
    }
    return done;
  };
  uint8_t head[kEhdrSize];
  size_t got = readAt(head, sizeof(head), 0);
  out.bpfObject = isBpfObjectHeader(llvm::ArrayRef<uint8_t>(head, got));
  struct stat st;
  if (::fstat(fd, &st) == 0)
    out.size = uint64_t(st.st_size);
  if ((out.bpfObject || whole) && out.size > 0 && out.size >= got) {
    out.bytes.resize(out.size);
    std::memcpy(out.bytes.data(), head, got);
    out.bytes.resize(got + readAt(out.bytes.data() + got, out.size - got, got));
    out.size = out.bytes.size();
  }
  ::close(fd);
  return out;
}

class Collector {
public:
  Collector(const Options &options, Inputs &out)
      : options_(options), out_(out) {}

  void argument(const std::string &path) {
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      out_.errors.push_back(
          path + ": cannot open: " + (ec ? ec.message() : "no such file"));
      return;
    }
    if (fs::is_directory(st)) {
      directory(path);
      return;
    }
    if (!fs::is_regular_file(st)) {
      out_.errors.push_back(path + ": not a regular file or directory");
      return;
    }
    // Given by name: checked even when it is no BPF object (detect says
    // why), unless it is only a carrier of embedded images.
    ++out_.filesScanned;
    FileBytes file = readFileBytes(path, options_.scanEmbedded);
    if (!file.error.empty() && options_.scanEmbedded) {
      out_.errors.push_back(path + ": cannot open: " + file.error);
      return;
    }
    if (file.bpfObject || !options_.scanEmbedded)
      out_.objects.push_back(wholeFile(path, file));
    else
      embedded(path, file.bytes);
  }

private:
  void directory(const std::string &root) {
    std::error_code ec;
    fs::recursive_directory_iterator it(
        root, fs::directory_options::skip_permission_denied, ec),
        end;
    if (ec) {
      out_.errors.push_back(root + ": cannot read directory: " + ec.message());
      return;
    }
    std::vector<std::string> files;
    for (; it != end; it.increment(ec)) {
      if (ec)
        break;
      // Symlinks are not followed: the tree's own files, each once.
      if (it->is_regular_file(ec) && !it->is_symlink(ec))
        files.push_back(it->path().string());
    }
    std::sort(files.begin(), files.end()); // reports in a stable order
    for (const std::string &path : files) {
      ++out_.filesScanned;
      FileBytes file = readFileBytes(path, options_.scanEmbedded);
      if (file.bpfObject)
        out_.objects.push_back(wholeFile(path, file));
      else if (options_.scanEmbedded)
        embedded(path, file.bytes);
    }
  }

  // Unread bytes (a file that vanished or cannot be read) leave the hash
  // unset: the object is checked alone and detect says why.
  static Input wholeFile(const std::string &path, const FileBytes &file) {
    Input input{path, 0, file.size, false, std::nullopt};
    if (file.error.empty() && !file.bytes.empty())
      input.contentHash = llvm::xxHash64(file.bytes);
    return input;
  }

  void embedded(const std::string &path, llvm::ArrayRef<uint8_t> bytes) {
    for (const EmbeddedImage &image : findEmbeddedImages(bytes)) {
      Input input{path, image.offset, image.size, true, std::nullopt};
      input.contentHash = llvm::xxHash64(bytes.slice(image.offset, image.size));
      out_.objects.push_back(std::move(input));
    }
  }

  const Options &options_;
  Inputs &out_;
};

} // namespace

std::string Input::displayName() const {
  return embedded ? path + "@" + hex(offset) : path;
}

std::vector<EmbeddedImage> findEmbeddedImages(llvm::ArrayRef<uint8_t> bytes) {
  std::vector<EmbeddedImage> images;
  // Offset 0 is the carrier itself; a BPF object there is a whole input.
  uint64_t pos = 1;
  while (pos + kEhdrSize <= bytes.size()) {
    const void *hit = ::memmem(bytes.data() + pos, bytes.size() - pos,
                               kElfMagic, sizeof(kElfMagic));
    if (!hit)
      break;
    pos = static_cast<const uint8_t *>(hit) - bytes.data();
    uint64_t size = bpfImageSize(bytes.drop_front(pos));
    if (size == 0) {
      ++pos;
      continue;
    }
    images.push_back({pos, size});
    pos += size; // an image does not contain another
  }
  return images;
}

Inputs collectInputs(const std::vector<std::string> &paths,
                     const Options &options) {
  Inputs out;
  Collector collector(options, out);
  for (const std::string &path : paths)
    collector.argument(path);
  return out;
}

} // namespace bpfcompat::check
