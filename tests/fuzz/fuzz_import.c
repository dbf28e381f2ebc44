/*
 * fuzz_import.c -- `evrec import` itself, every importer, on hostile input.
 *
 * Input: an option byte, then the file to import. Option bits 0-2 pick the
 * format (value % 6: gdelt, acled, plover, icews, ninjs, claimreview), bit 3
 * adds --skip-bad; for gdelt, bit 4 adds --window 3 and bit 5 --two-pass
 * (which wins over the window), and the file is cut at its first 0x1E byte:
 * the export rows before it, a --mentions file after it.
 *
 * The importers live in the CLI (tools/), reading files by name and
 * reporting on stderr, so the target runs the command as a user would:
 * tools/evrec.c is compiled into this file (its main() renamed) and its
 * dispatch() gets the argument vector; the input goes to a temporary file.
 * GDELT runs on one thread (-j 1), so that one input gives one run. The
 * output goes to /dev/null as pbd, the messages to a /dev/null stream.
 *
 * Property beyond "no crash, no leak, no UB": the exit status is 0, 1
 * (invalid input) or 2 (usage, I/O, out of memory) -- never anything else.
 */
#include "fuzz/fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int evrec_cli_main(int argc, char **argv);
#define main evrec_cli_main
#include "../../tools/evrec.c"
#undef main

static const char *const FORMATS[] = {"gdelt", "acled", "plover", "icews", "ninjs", "claimreview"};

/* The temporary files, made once per process and removed at its exit. */
static char in_path[] = "/tmp/evrec-fuzz-import-XXXXXX";
static char mentions_path[] = "/tmp/evrec-fuzz-mentions-XXXXXX";

static void remove_files(void) {
  unlink(in_path);
  unlink(mentions_path);
}

static bool made;

static void make_files(void) {
  made = true;
  int a = mkstemp(in_path), b = mkstemp(mentions_path);
  if (a < 0 || b < 0) fuzz_fail(NULL, "mkstemp: cannot make the input files");
  close(a);
  close(b);
  atexit(remove_files);
}

static void put(const char *path, const uint8_t *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
    fuzz_fail(NULL, "cannot write %s", path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  if (!made) make_files();
  unsigned opt = data[0];
  const char *from = FORMATS[(opt & 7) % 6];
  bool gdelt = (opt & 7) % 6 == 0;
  data++, size--;
  const uint8_t *cut = gdelt ? memchr(data, 0x1E, size) : NULL;
  size_t n = cut ? (size_t)(cut - data) : size;
  put(in_path, data, n);
  char *argv[20];
  int argc = 0;
  argv[argc++] = "evrec";
  argv[argc++] = "import";
  argv[argc++] = "-q";
  argv[argc++] = "--from";
  argv[argc++] = (char *)from;
  argv[argc++] = in_path;
  argv[argc++] = "-t";
  argv[argc++] = "pbd";
  argv[argc++] = "-o";
  argv[argc++] = "/dev/null";
  if (opt & 8) argv[argc++] = "--skip-bad";
  if (gdelt) {
    argv[argc++] = "-j";
    argv[argc++] = "1";
    if (opt & 32) {
      argv[argc++] = "--two-pass";
    } else if (opt & 16) {
      argv[argc++] = "--window";
      argv[argc++] = "3";
    }
    if (cut) {
      put(mentions_path, cut + 1, size - n - 1);
      argv[argc++] = "--mentions";
      argv[argc++] = mentions_path;
    }
  }
  argv[argc] = NULL;
  /* the CLI's messages go to a /dev/null stream (glibc's stderr is a
   * variable); sanitizer reports and fuzz_fail() still reach fd 2 */
  static FILE *quiet;
  if (!quiet && !(quiet = fopen("/dev/null", "w"))) fuzz_fail(NULL, "cannot open /dev/null");
  FILE *err = stderr;
  stderr = quiet;
  int status = dispatch(argc, argv);
  stderr = err;
  fflush(stdout);
  if (status < 0 || status > 2) fuzz_fail(NULL, "import --from %s: exit status %d", from, status);
  return 0;
}
