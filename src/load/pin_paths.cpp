// Pin paths per convention (CONVENTIONS §3.5, §4.3, §6.3), and removing
// what a load pinned.
#include "bpfcompat/error.h"
#include "bpfcompat/loader.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include <llvm/ADT/StringExtras.h>
#include <llvm/Support/MemoryBuffer.h>

namespace bpfcompat::load {

namespace {

// iproute2's bpf_pinning: "<id> <subpath>" lines, '#' comments, ids parsed
// like %i (decimal, 0x hex, leading-0 octal), 0-2 reserved.
llvm::Expected<std::string> iproute2Subpath(const std::string &file,
                                            uint32_t id) {
  auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/true);
  if (!buffer)
    return ""; // no database: iproute2 leaves such maps unpinned
  llvm::SmallVector<llvm::StringRef, 16> lines;
  (*buffer)->getBuffer().split(lines, '\n');
  for (size_t n = 0; n < lines.size(); ++n) {
    llvm::StringRef line = lines[n].ltrim(" \t");
    line = line.take_until([](char c) { return c == '#'; }).rtrim();
    if (line.empty())
      continue;
    auto [idText, rest] = line.split(' ');
    rest = rest.trim();
    unsigned long long value;
    if (llvm::getAsUnsignedInteger(idText, 0, value) || rest.empty() ||
        rest.contains(' '))
      return makeError(file + ":" + llvm::Twine(n + 1) +
                       ": malformed pinning entry '" + lines[n] + "'");
    if (value == id && value > 2)
      return rest.trim('/').str();
  }
  return "";
}

bool safeRelative(llvm::StringRef path) {
  return !path.startswith("/") && !path.contains("..");
}

} // namespace

llvm::Expected<std::string>
pinPath(const ir::Map &map, const ir::Object &object, const Options &options) {
  const std::string &bpffs = options.bpffs;
  switch (map.pinning.kind) {
  case ir::PinKind::None:
    return "";
  case ir::PinKind::ByName:
    return options.pinRoot + "/" + map.name;
  case ir::PinKind::Iproute2Global:
    // tc, xdp and ip share one globals/ (xdp and ip link to tc).
    return bpffs + "/tc/globals/" + map.name;
  case ir::PinKind::Iproute2Object:
    return bpffs + "/tc/" + object.sha1 + "/" + map.name;
  case ir::PinKind::Iproute2Custom: {
    auto subpath =
        iproute2Subpath(options.iproute2PinningFile, map.pinning.customId);
    if (!subpath)
      return subpath.takeError();
    if (subpath->empty())
      return ""; // as iproute2: an id without an entry is not pinned
    if (!safeRelative(*subpath))
      return makeError("map '" + map.name + "': pinning subpath '" + *subpath +
                       "' leaves " + bpffs);
    return bpffs + "/" + *subpath + "/" + map.name;
  }
  case ir::PinKind::GobpfGlobal:
    if (map.pinning.gobpfNamespace.empty() ||
        !safeRelative(map.pinning.gobpfNamespace))
      return makeError("map '" + map.name + "': invalid gobpf namespace '" +
                       map.pinning.gobpfNamespace + "'");
    return bpffs + "/" + map.pinning.gobpfNamespace + "/globals/" + map.name;
  case ir::PinKind::GobpfCustom: {
    auto it = options.gobpfCustomPaths.find(map.name);
    if (it == options.gobpfCustomPaths.end())
      return makeError("map '" + map.name +
                       "': gobpf PIN_CUSTOM_NS takes its path from the "
                       "caller; give it with --gobpf-pin " +
                       map.name + "=PATH");
    if (!safeRelative(it->second))
      return makeError("map '" + map.name + "': gobpf pin path '" + it->second +
                       "' must be relative to " + bpffs);
    return bpffs + "/" + it->second; // gobpf did not append the name
  }
  case ir::PinKind::GobpfObject:
    return makeError("map '" + map.name +
                     "': gobpf PIN_OBJECT_NS was never implemented; gobpf "
                     "refuses to load this object");
  }
  return "";
}

Removal removeCreated(kern::Kernel &kernel,
                      const std::vector<std::string> &paths) {
  Removal out;
  for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
    struct stat st;
    if (::lstat(it->c_str(), &st) != 0)
      continue; // already gone
    int rc = S_ISDIR(st.st_mode) ? kernel.rmdir(*it) : kernel.unlink(*it);
    if (rc == -ENOTEMPTY)
      continue; // something else lives there now; keep it
    if (rc != 0)
      out.errors.push_back("cannot remove " + *it + ": " +
                           std::strerror(-rc));
    else
      out.removed.push_back(*it);
  }
  return out;
}

} // namespace bpfcompat::load
