/*
 * failio.c -- LD_PRELOAD shim that makes reading one file fail with EIO
 * part-way through, to test how the CLI reports read errors mid-file.
 *
 *   FAILIO_PATH=in.ndjson FAILIO_AFTER=1000 LD_PRELOAD=.../failio.so evrec cat in.ndjson
 *
 * read(2) and pread(2) on a descriptor open on FAILIO_PATH (same device and
 * inode, so any path to the file counts) deliver the bytes before offset
 * FAILIO_AFTER, then fail with EIO -- as a disk with a bad sector would.
 * The offset is the descriptor's file position, so a reader that opens the
 * file twice (format detection, then reading) fails at the same byte each
 * time. Other descriptors, and everything when FAILIO_PATH is unset, are
 * passed through untouched.
 *
 * The system calls are made with syscall(2) rather than through dlsym(RTLD_NEXT),
 * so the shim needs no libdl and cannot recurse into itself. fread(3) is not
 * covered: glibc's stdio calls read internally, past any interposer, and the
 * reader uses read(2) for files (src/reader.c).
 *
 * Not linked into the unit tests (tests/tests.mk filters it out); built as
 * $(B)/tests/failio.so for the plain build only: under ASan the sanitizer
 * runtime must come first in the library list and intercepts read itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

ssize_t read(int fd, void *buf, size_t n);
ssize_t pread(int fd, void *buf, size_t n, off_t off);
ssize_t pread64(int fd, void *buf, size_t n, off_t off);

/* Bytes that may still be read at `off` from fd: n when fd is not the
 * target, else what is left before FAILIO_AFTER (0 = fail now). */
static size_t failio_allowed(int fd, off_t off, size_t n) {
  const char *path = getenv("FAILIO_PATH");
  const char *after = getenv("FAILIO_AFTER");
  struct stat target, st;
  if (!path || !after || stat(path, &target) != 0 || fstat(fd, &st) != 0) return n;
  if (st.st_dev != target.st_dev || st.st_ino != target.st_ino) return n;
  off_t limit = (off_t)strtoll(after, NULL, 10);
  if (off >= limit) return 0;
  return (size_t)(limit - off) < n ? (size_t)(limit - off) : n;
}

ssize_t read(int fd, void *buf, size_t n) {
  off_t pos = lseek(fd, 0, SEEK_CUR); /* -1 on a pipe, never the target */
  size_t k = n && pos >= 0 ? failio_allowed(fd, pos, n) : n;
  if (n && k == 0) {
    errno = EIO;
    return -1;
  }
  return syscall(SYS_read, fd, buf, k);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off) {
  size_t k = n ? failio_allowed(fd, off, n) : 0;
  if (n && k == 0) {
    errno = EIO;
    return -1;
  }
  return syscall(SYS_pread64, fd, buf, k, off);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off) { return pread(fd, buf, n, off); }
