// Reading a response off a raw socket as it arrives, for the streaming and fault tests: every
// read is kept apart (to see a body arrive in pieces), and how the connection ended (EOF or
// an error such as ECONNRESET) is part of the result.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace loadlab::test {

struct Wire {
  std::string bytes;               // everything read
  std::vector<std::size_t> reads;  // bytes.size() after each read that returned data
  bool closed = false;             // EOF or error seen
  int error = 0;                   // errno of the failed read (ECONNRESET), 0 for EOF
};

// Reads until the peer closes, `stop` holds, or the deadline passes.
template <typename Stop>
Wire read_wire(int fd, std::chrono::milliseconds timeout, Stop stop) {
  Wire wire;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[65536];
  while (!stop(wire)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      wire.bytes.append(buffer, static_cast<std::size_t>(n));
      wire.reads.push_back(wire.bytes.size());
    } else if (n == 0 || errno != EINTR) {
      wire.closed = true;
      wire.error = n == 0 ? 0 : errno;
      break;
    }
  }
  return wire;
}

inline Wire read_until_closed(int fd, std::chrono::milliseconds timeout) {
  return read_wire(fd, timeout, [](const Wire&) { return false; });
}

struct Head {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::size_t size = 0;                        // bytes up to and including the blank line

  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

inline std::optional<Head> parse_head(const std::string& bytes) {
  const auto end = bytes.find("\r\n\r\n");
  if (end == std::string::npos || bytes.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
  Head head;
  head.size = end + 4;
  head.status = std::atoi(bytes.c_str() + 9);
  std::size_t line = bytes.find("\r\n") + 2;
  while (line < end) {
    const auto eol = bytes.find("\r\n", line);
    const auto colon = bytes.find(':', line);
    std::string name = bytes.substr(line, colon - line);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = bytes.substr(colon + 1, eol - colon - 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    head.headers[name] = value;
    line = eol + 2;
  }
  return head;
}

// The data of a chunked body that starts at `from` and is complete (last chunk and the blank
// line after it), with the number of chunks; nullopt if malformed or incomplete.
struct Chunks {
  std::string data;
  std::size_t count = 0;
  std::size_t end = 0;  // offset just past the body
};

inline std::optional<Chunks> dechunk(const std::string& bytes, std::size_t from) {
  Chunks chunks;
  std::size_t at = from;
  while (true) {
    const auto eol = bytes.find("\r\n", at);
    if (eol == std::string::npos) return std::nullopt;
    char* parsed_end = nullptr;
    const unsigned long size = std::strtoul(bytes.c_str() + at, &parsed_end, 16);
    if (parsed_end != bytes.c_str() + eol || eol == at) return std::nullopt;
    at = eol + 2;
    if (size == 0) {
      if (bytes.compare(at, 2, "\r\n") != 0) return std::nullopt;
      chunks.end = at + 2;
      return chunks;
    }
    if (bytes.size() < at + size + 2 || bytes.compare(at + size, 2, "\r\n") != 0)
      return std::nullopt;
    chunks.data.append(bytes, at, size);
    ++chunks.count;
    at += size + 2;
  }
}

}  // namespace loadlab::test
