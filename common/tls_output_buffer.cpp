#include "common/tls_output_buffer.h"

#include <openssl/bio.h>

#include <algorithm>
#include <cstring>

namespace loadlab {

void TlsOutputBuffer::append(const char* data, std::size_t length) {
  // Reclaim the consumed front before growing: a backed-up socket then costs no reallocation
  // as long as the unsent bytes fit in what the vector already has.
  if (start_ > 0 && bytes_.size() + length > bytes_.capacity()) {
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  bytes_.insert(bytes_.end(), data, data + length);
}

void TlsOutputBuffer::consume(std::size_t length) {
  start_ += std::min(length, size());
  if (start_ == bytes_.size()) {
    bytes_.clear();
    start_ = 0;
  }
}

void TlsOutputBuffer::take(std::vector<char>& into) {
  if (into.empty()) {
    if (start_ > 0)
      bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(start_));
    into.swap(bytes_);
  } else {
    const auto pending_bytes = pending();
    into.insert(into.end(), pending_bytes.begin(), pending_bytes.end());
  }
  bytes_.clear();
  start_ = 0;
}

namespace {

int output_write(BIO* bio, const char* data, int length) {
  if (length <= 0) return 0;
  static_cast<TlsOutputBuffer*>(BIO_get_data(bio))->append(data, static_cast<std::size_t>(length));
  return length;
}

long output_ctrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing is buffered below us: the connection sends pending() itself
    case BIO_CTRL_WPENDING:
      return static_cast<long>(static_cast<TlsOutputBuffer*>(BIO_get_data(bio))->size());
    default:
      return 0;
  }
}

int output_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

}  // namespace

const BIO_METHOD* output_bio_method() {
  // Made once per process and never freed, as OpenSSL's own methods are: each BIO_meth_new
  // takes a new BIO type index, of which there are only so many.
  static BIO_METHOD* const method = [] {
    const int index = BIO_get_new_index();
    if (index == -1) return static_cast<BIO_METHOD*>(nullptr);
    BIO_METHOD* made = BIO_meth_new(index | BIO_TYPE_SOURCE_SINK, "loadlab TLS output");
    if (made == nullptr) return made;
    BIO_meth_set_write(made, output_write);
    BIO_meth_set_ctrl(made, output_ctrl);
    BIO_meth_set_create(made, output_create);
    return made;
  }();
  return method;
}

}  // namespace loadlab
