#include "bpfcompat/file_hash.h"

#include <gtest/gtest.h>
#include <llvm/ADT/StringExtras.h>
#include <llvm/Support/SHA1.h>

#include <random>
#include <vector>

namespace bpfcompat {
namespace {

std::string portableSha1(llvm::ArrayRef<uint8_t> bytes) {
  return llvm::toHex(llvm::SHA1::hash(bytes), /*LowerCase=*/true);
}

TEST(FileHash, KnownDigests) {
  // FIPS 180-2 appendix A and B, and the empty input.
  EXPECT_EQ(sha1Hex(llvm::arrayRefFromStringRef("abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(sha1Hex(llvm::arrayRefFromStringRef(
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(sha1Hex({}), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

// Every length around the block and padding boundaries, and a large input,
// against LLVM's portable SHA1, through the CPU extensions when there are
// any (sha1Hex would hide a fallback).
TEST(FileHash, CpuExtensionsAgreeWithThePortableSha1) {
  std::mt19937 random(7);
  std::vector<uint8_t> bytes(1 << 20);
  for (uint8_t &b : bytes)
    b = uint8_t(random());
  if (!detail::sha1WithCpuExtensions(bytes))
    GTEST_SKIP() << "this CPU has no SHA extensions; sha1Hex uses LLVM's SHA1";
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 300; ++n)
    sizes.push_back(n);
  sizes.push_back(bytes.size());
  sizes.push_back(bytes.size() - 1);
  for (size_t n : sizes) {
    llvm::ArrayRef<uint8_t> input(bytes.data(), n);
    auto digest = detail::sha1WithCpuExtensions(input);
    ASSERT_TRUE(digest);
    EXPECT_EQ(llvm::toHex(*digest, true), portableSha1(input)) << n << " bytes";
    EXPECT_EQ(sha1Hex(input), portableSha1(input)) << n << " bytes";
  }
}

} // namespace
} // namespace bpfcompat
