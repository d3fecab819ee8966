// Artifact bytes: reading a path or stdin ("-") whole, writing through a temporary file and a
// rename (or to stdout), and their SHA-256 for provenance.
#pragma once
#include <string>
#include <vector>

namespace nnc {

using Bytes = std::vector<unsigned char>;

// Whole file, or all of stdin for "-". Throws a bad-input error naming the path if it is
// missing, a directory or unreadable.
Bytes read_bytes(const std::string& path);

// Writes to `path` + a temporary suffix, then renames over `path`, so a crash never leaves a
// partial file under the final name; "-" streams to stdout. Checks that the directory exists.
// On several MPI ranks only rank 0 writes; the others return at once (docs/design.md section 13).
void write_bytes_atomic(const std::string& path, const Bytes& bytes);

// Fails early, before hours of work, if `path` cannot be written (no such directory, ...).
void check_writable(const std::string& path);

std::string sha256_hex(const Bytes& bytes);

}  // namespace nnc
