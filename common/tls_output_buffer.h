// Where a TlsSession's ciphertext waits for the socket: a byte queue that OpenSSL writes into
// through a BIO of our own, so the connection can hand the bytes to uv_try_write without a
// copy, or swap the whole buffer out for a uv_write (common/tls_session.h). Its storage is
// reused: after the first records, writing allocates nothing.
#pragma once

#include <openssl/bio.h>  // BIO_METHOD
#include <openssl/types.h>

#include <cstddef>
#include <span>
#include <vector>

namespace loadlab {

class TlsOutputBuffer {
 public:
  void append(const char* data, std::size_t length);
  std::span<const char> pending() const { return {bytes_.data() + start_, bytes_.size() - start_}; }
  std::size_t size() const { return bytes_.size() - start_; }
  void consume(std::size_t length);
  // Moves every pending byte to the end of `into`; when `into` is empty the two vectors swap
  // storage, so the bytes are not copied and `into`'s old capacity is reused here.
  void take(std::vector<char>& into);

 private:
  std::vector<char> bytes_;
  std::size_t start_ = 0;  // bytes before it were consumed
};

// A sink BIO whose data is a TlsOutputBuffer* (BIO_set_data). One method per process; null if
// OpenSSL could not make it.
const BIO_METHOD* output_bio_method();

}  // namespace loadlab
