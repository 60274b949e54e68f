#include "common/tls_session_cache.h"

#include <openssl/ssl.h>

namespace loadlab {

void TlsSessionCache::SessionFree::operator()(SSL_SESSION* session) const noexcept {
  SSL_SESSION_free(session);
}

SSL_SESSION* TlsSessionCache::find(std::string_view key) const {
  const auto found = sessions_.find(key);
  return found == sessions_.end() ? nullptr : found->second.get();
}

void TlsSessionCache::store(std::string_view key, SSL_SESSION* session) {
  if (const auto found = sessions_.find(key); found != sessions_.end()) {
    found->second.reset(session);
    return;
  }
  if (sessions_.size() >= kMaxTargets) sessions_.clear();  // rare; costs only full handshakes
  sessions_.emplace(std::string(key), session);
}

void TlsSessionCache::forget(std::string_view key) {
  if (const auto found = sessions_.find(key); found != sessions_.end()) sessions_.erase(found);
}

}  // namespace loadlab
