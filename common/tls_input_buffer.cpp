#include "common/tls_input_buffer.h"

#include <openssl/bio.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace loadlab {

void TlsInputBuffer::append(std::string_view bytes) {
  // Reclaim the read front before growing: a record split across socket reads then costs no
  // reallocation as long as it fits in what the vector already has.
  if (start_ > 0 && bytes_.size() + bytes.size() > bytes_.capacity()) {
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

std::size_t TlsInputBuffer::read(char* out, std::size_t capacity) {
  const std::size_t n = std::min(capacity, size());
  if (n == 0) return 0;  // a buffer never fed has no storage to copy from
  std::memcpy(out, bytes_.data() + start_, n);
  start_ += n;
  if (start_ == bytes_.size()) {
    bytes_.clear();
    start_ = 0;
  }
  return n;
}

namespace {

int input_read(BIO* bio, char* out, int length) {
  BIO_clear_retry_flags(bio);
  auto* input = static_cast<TlsInputBuffer*>(BIO_get_data(bio));
  if (length <= 0) return 0;
  if (input->size() == 0) {
    BIO_set_retry_read(bio);  // "wait for more", as a memory BIO with eof_return -1 says
    return -1;
  }
  return static_cast<int>(input->read(out, static_cast<std::size_t>(length)));
}

long input_ctrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_PENDING:
      return static_cast<long>(
          std::min<std::size_t>(static_cast<TlsInputBuffer*>(BIO_get_data(bio))->size(), LONG_MAX));
    case BIO_CTRL_FLUSH:
      return 1;
    default:
      return 0;  // BIO_CTRL_EOF among them: more may always come
  }
}

int input_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

}  // namespace

const BIO_METHOD* input_bio_method() {
  // Made once per process and never freed, as OpenSSL's own methods are: each BIO_meth_new
  // takes a new BIO type index, of which there are only so many.
  static BIO_METHOD* const method = [] {
    const int index = BIO_get_new_index();
    if (index == -1) return static_cast<BIO_METHOD*>(nullptr);
    BIO_METHOD* made = BIO_meth_new(index | BIO_TYPE_SOURCE_SINK, "loadlab TLS input");
    if (made == nullptr) return made;
    BIO_meth_set_read(made, input_read);
    BIO_meth_set_ctrl(made, input_ctrl);
    BIO_meth_set_create(made, input_create);
    return made;
  }();
  return method;
}

}  // namespace loadlab
