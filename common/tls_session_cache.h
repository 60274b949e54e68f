// The loadgen's TLS sessions per target ("host:port"), so a reconnect resumes instead of
// doing a full handshake (as browsers do). One cache per event loop: no locks, no sharing.
// It keeps the newest session per target; the set of targets is the run's URL list.
#pragma once

#include <openssl/ssl.h>  // SSL_SESSION

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace loadlab {

class TlsSessionCache {
 public:
  // Borrowed: valid until the next store() or forget() of the same key.
  SSL_SESSION* find(std::string_view key) const;
  // Takes over one reference to `session`.
  void store(std::string_view key, SSL_SESSION* session);
  void forget(std::string_view key);
  std::size_t size() const { return sessions_.size(); }

 private:
  struct SessionFree {
    void operator()(SSL_SESSION* session) const noexcept;
  };
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>{}(key);
    }
  };
  // A bound, because keys come from user input (URL templates could make many hosts).
  static constexpr std::size_t kMaxTargets = 4096;
  std::unordered_map<std::string, std::unique_ptr<SSL_SESSION, SessionFree>, KeyHash,
                     std::equal_to<>>
      sessions_;
};

}  // namespace loadlab
