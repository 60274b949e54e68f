#!/usr/bin/env python3
"""Python's ssl module as an independent HTTPS client of loadlab-server.

Usage: tls_python_client.py SERVER_BINARY

Starts the server with a self-signed certificate written to a temporary file, trusts only that
file (ssl.create_default_context(cafile=...)), and checks, over TLS 1.3 and 1.2: verification
by host name and by IP address, ALPN http/1.1, the certificate's fingerprint against the
server's log, keep-alive requests, and that an untrusting client is refused.
"""
import hashlib
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile

TIMEOUT = 60


def request(tls, target):
    tls.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = tls.recv(65536)
        assert chunk, "connection closed before the headers"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers["content-length"])
    while len(body) < length:
        chunk = tls.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    return int(lines[0].split()[1]), body[:length]


def main():
    server_binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        cert = os.path.join(tmp, "cert.pem")
        server = subprocess.Popen(
            [server_binary, "--host", "127.0.0.1", "--port", "0", "--tls-port", "0",
             "--threads", "1", "--workers", "1", "--tls-self-signed", "--tls-cert-out", cert],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = json.loads(server.stdout.readline())
            port = line["tls_port"]
            logged = line["tls_fingerprint_sha256"]
            for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
                context = ssl.create_default_context(cafile=cert)
                context.minimum_version = version
                context.maximum_version = version
                context.set_alpn_protocols(["http/1.1"])
                for host in ("localhost", "127.0.0.1"):
                    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
                        with context.wrap_socket(raw, server_hostname=host) as tls:
                            assert tls.version() == version.name.replace("_", "."), tls.version()
                            assert tls.selected_alpn_protocol() == "http/1.1"
                            der = tls.getpeercert(binary_form=True)
                            digest = hashlib.sha256(der).hexdigest().upper()
                            seen = ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
                            assert seen == logged, (seen, logged)
                            for target in ("/0", "/healthz", "/3"):
                                status, body = request(tls, target)
                                assert status == 200, (target, status, body)
                            assert json.loads(body)["delay_ms"] == 3
            # A client that does not trust the certificate refuses it.
            untrusting = ssl.create_default_context()
            with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
                try:
                    untrusting.wrap_socket(raw, server_hostname="localhost")
                    raise AssertionError("an untrusted certificate was accepted")
                except ssl.SSLCertVerificationError:
                    pass
        finally:
            server.terminate()
            _, err = server.communicate(timeout=TIMEOUT)
        assert logged in err, err
    print("ok")


if __name__ == "__main__":
    main()
