#include "hepsweep/core/Sha256.hpp"

#include <openssl/evp.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "FileBlocks.hpp"
#include "hepsweep/core/Error.hpp"

namespace hepsweep {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  Impl() : ctx(EVP_MD_CTX_new()) {
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1)
      throw Error(ErrorCategory::Internal, "cannot initialise SHA-256 (OpenSSL)");
  }
  ~Impl() { EVP_MD_CTX_free(ctx); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
  if (size > 0) EVP_DigestUpdate(impl_->ctx, data, size);
}

std::string Sha256::hexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out(2 * len, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  return out;
}

std::string sha256Hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hexDigest();
}

namespace {

// The hash of a file, read in 1 MiB blocks; gives up (returning "") when `stop` is set.
std::string hashFile(const std::string& path, const std::atomic<bool>* stop) {
  Sha256 h;
  detail::forEachFileBlock(path, std::size_t{1} << 20, [&](const char* data, std::size_t n) {
    h.update(data, n);
    return !(stop && stop->load());
  });
  return h.hexDigest();
}

}  // namespace

std::string sha256File(const std::string& path) { return hashFile(path, nullptr); }

struct BackgroundSha256::Impl {
  // Four blocks: the caller fills one while the thread hashes another, with slack for unevenness.
  static constexpr std::size_t kBlocks = 4;
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::vector<unsigned char>> blocks = std::vector<std::vector<unsigned char>>(kBlocks);
  std::size_t queued = 0, hashed = 0;  // blocks handed over / hashed
  bool finished = false;               // no more blocks will come
  std::atomic<bool> stop = false;
  std::string file;  // ofFile: the file the thread hashes
  std::string digest;
  std::exception_ptr error;
  std::thread thread;

  void hashBlocks() {
    Sha256 sha;
    for (;;) {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return stop || finished || hashed < queued; });
      if (stop) return;
      if (hashed == queued) {
        digest = sha.hexDigest();
        return;
      }
      const auto& b = blocks[hashed % kBlocks];
      lock.unlock();
      sha.update(b.data(), b.size());
      lock.lock();
      ++hashed;
      cv.notify_all();
    }
  }

  void run() {
    try {
      if (file.empty()) hashBlocks();
      else digest = hashFile(file, &stop);
    } catch (...) {
      error = std::current_exception();
    }
  }

  ~Impl() {
    if (thread.joinable()) {
      {
        std::lock_guard lock(m);
        stop = true;
      }
      cv.notify_all();
      thread.join();
    }
  }
};

BackgroundSha256::BackgroundSha256() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

BackgroundSha256 BackgroundSha256::ofFile(const std::string& path) {
  BackgroundSha256 h(std::make_unique<Impl>());
  h.impl_->file = path;
  h.impl_->thread = std::thread([impl = h.impl_.get()] { impl->run(); });
  return h;
}

BackgroundSha256::BackgroundSha256(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BackgroundSha256::~BackgroundSha256() = default;
BackgroundSha256::BackgroundSha256(BackgroundSha256&&) noexcept = default;
BackgroundSha256& BackgroundSha256::operator=(BackgroundSha256&&) noexcept = default;

void BackgroundSha256::update(const void* data, std::size_t size) {
  Impl& h = *impl_;
  std::unique_lock lock(h.m);
  h.cv.wait(lock, [&] { return h.queued - h.hashed < Impl::kBlocks; });
  // The thread does not touch this block until `queued` counts it.
  auto& b = h.blocks[h.queued % Impl::kBlocks];
  lock.unlock();
  const auto* p = static_cast<const unsigned char*>(data);
  b.assign(p, p + size);
  lock.lock();
  ++h.queued;
  h.cv.notify_all();
}

std::string BackgroundSha256::hexDigest() {
  Impl& h = *impl_;
  {
    std::lock_guard lock(h.m);
    h.finished = true;
  }
  h.cv.notify_all();
  if (h.thread.joinable()) h.thread.join();
  if (h.error) std::rethrow_exception(h.error);
  return h.digest;
}

}  // namespace hepsweep
