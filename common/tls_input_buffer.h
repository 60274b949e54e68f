// Where a TlsSession's ciphertext waits for OpenSSL: a byte queue that OpenSSL reads through a
// BIO of our own. It replaces a memory BIO, whose BIO_write, BIO_read and BIO_ctrl_pending
// went through OpenSSL's generic BIO machinery on every socket read (~700 instructions a
// request on the server, bench/RESULTS.md, issue 13, session 20). Its storage is reused:
// after the first reads, feeding allocates nothing.
#pragma once

#include <openssl/bio.h>  // BIO_METHOD
#include <openssl/types.h>

#include <cstddef>
#include <string_view>
#include <vector>

namespace loadlab {

class TlsInputBuffer {
 public:
  void append(std::string_view bytes);
  std::size_t size() const { return bytes_.size() - start_; }
  // Moves up to `capacity` bytes to `out`; returns how many.
  std::size_t read(char* out, std::size_t capacity);

 private:
  std::vector<char> bytes_;
  std::size_t start_ = 0;  // bytes before it were read
};

// A source BIO whose data is a TlsInputBuffer* (BIO_set_data): empty reads say "retry", never
// EOF (the socket's EOF is TlsSession::transport_closed). Made once per TlsContext.
const BIO_METHOD* input_bio_method();

}  // namespace loadlab
