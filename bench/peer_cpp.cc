// peer_cpp.cc -- the C++ libprotobuf peer of `make bench` (SPEC §9).
//
//   peer_cpp json2pbd IN.ndjson OUT.pbd    ('-' = stdin / stdout)
//   peer_cpp pbd2json IN.pbd OUT.ndjson
//
// Does what `evrec convert` does, with Google's C++ runtime and its own JSON
// mapping: util::JsonStringToMessage + SerializeDelimitedToZeroCopyStream one
// way, util::ParseDelimitedFromZeroCopyStream + util::MessageToJsonString the
// other, on evrec.v1.Record compiled from the project's .proto by protoc
// --cpp_out. Input is streamed (a line or a record at a time) and output goes
// through a large buffer, so the peer is measured on parsing and printing,
// not on I/O, and its peak memory is comparable with evrec's streaming.
// Options are the defaults on both sides (unknown fields rejected, defaults
// omitted, lowerCamelCase names), which is evrec's canonical form.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/util/delimited_message_util.h>
#include <google/protobuf/util/json_util.h>

#include "evrec/v1/evrec.pb.h"

namespace {

namespace pb = google::protobuf;

int open_in(const char *path) {
  if (std::strcmp(path, "-") == 0) return 0;
  int fd = open(path, O_RDONLY);
  if (fd < 0) std::perror(path);
  return fd;
}

int open_out(const char *path) {
  if (std::strcmp(path, "-") == 0) return 1;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) std::perror(path);
  return fd;
}

// Reads lines from a file descriptor through a 1 MiB buffer.
class LineReader {
 public:
  explicit LineReader(int fd) : in_(fd, 1 << 20) {}
  bool Next(std::string *line) {
    line->clear();
    for (;;) {
      if (pos_ == len_ && !Refill()) return !line->empty();
      const char *nl = static_cast<const char *>(std::memchr(buf_ + pos_, '\n', len_ - pos_));
      size_t end = nl ? static_cast<size_t>(nl - buf_) : len_;
      line->append(buf_ + pos_, end - pos_);
      pos_ = nl ? end + 1 : end;
      if (nl) return true;
    }
  }

 private:
  bool Refill() {
    const void *data;
    int size;
    if (!in_.Next(&data, &size)) return false;
    buf_ = static_cast<const char *>(data);
    len_ = static_cast<size_t>(size);
    pos_ = 0;
    return true;
  }
  pb::io::FileInputStream in_;
  const char *buf_ = nullptr;
  size_t len_ = 0, pos_ = 0;
};

int json2pbd(int in_fd, int out_fd) {
  LineReader lines(in_fd);
  pb::io::FileOutputStream out(out_fd, 1 << 20);
  evrec::v1::Record rec;
  pb::util::JsonParseOptions opts;
  std::string line;
  long n = 0;
  while (lines.Next(&line)) {
    if (line.empty()) continue;
    n++;
    rec.Clear();
    auto st = pb::util::JsonStringToMessage(line, &rec, opts);
    if (!st.ok()) {
      std::cerr << "peer_cpp: record " << n << ": " << st.ToString() << "\n";
      return 1;
    }
    if (!pb::util::SerializeDelimitedToZeroCopyStream(rec, &out)) return 2;
  }
  return out.Close() ? 0 : 2;
}

int pbd2json(int in_fd, int out_fd) {
  pb::io::FileInputStream in(in_fd, 1 << 20);
  pb::io::FileOutputStream out(out_fd, 1 << 20);
  evrec::v1::Record rec;
  pb::util::JsonPrintOptions opts;
  std::string json;
  long n = 0;
  for (;;) {
    bool clean_eof = false;
    rec.Clear();  // the parse merges into the message
    if (!pb::util::ParseDelimitedFromZeroCopyStream(&rec, &in, &clean_eof)) {
      if (clean_eof) break;
      std::cerr << "peer_cpp: record " << n + 1 << ": bad protobuf data\n";
      return 1;
    }
    n++;
    json.clear();
    auto st = pb::util::MessageToJsonString(rec, &json, opts);
    if (!st.ok()) {
      std::cerr << "peer_cpp: record " << n << ": " << st.ToString() << "\n";
      return 1;
    }
    json.push_back('\n');
    void *data;
    int size;
    // Copy the line into the stream's own buffer: no extra write(2) per record.
    size_t done = 0;
    while (done < json.size()) {
      if (!out.Next(&data, &size)) return 2;
      size_t k = std::min(static_cast<size_t>(size), json.size() - done);
      std::memcpy(data, json.data() + done, k);
      done += k;
      if (k < static_cast<size_t>(size)) out.BackUp(size - static_cast<int>(k));
    }
  }
  return out.Close() ? 0 : 2;
}

}  // namespace

int main(int argc, char **argv) {
  GOOGLE_PROTOBUF_VERIFY_VERSION;
  if (argc != 4) {
    std::cerr << "usage: peer_cpp json2pbd|pbd2json IN OUT\n";
    return 2;
  }
  int in = open_in(argv[2]), out = open_out(argv[3]);
  if (in < 0 || out < 0) return 2;
  if (std::strcmp(argv[1], "json2pbd") == 0) return json2pbd(in, out);
  if (std::strcmp(argv[1], "pbd2json") == 0) return pbd2json(in, out);
  std::cerr << "peer_cpp: unknown mode " << argv[1] << "\n";
  return 2;
}
