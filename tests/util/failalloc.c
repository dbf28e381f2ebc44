/*
 * failalloc.c -- LD_PRELOAD shim that makes memory allocation fail, to test
 * that the CLI meets out-of-memory as any other failure: status 2, "out of
 * memory", no output file left, never a crash or a silently shorter output.
 *
 *   FAILALLOC_AFTER=N LD_PRELOAD=.../failalloc.so evrec ...   calls N, N+1 ... fail
 *   FAILALLOC_ONLY=N  LD_PRELOAD=.../failalloc.so evrec ...   call N alone fails
 *   FAILALLOC_REPORT=1 LD_PRELOAD=.../failalloc.so evrec ...  prints the number
 *                                                             of calls at exit
 *
 * Calls are counted across malloc, calloc and realloc (from 0, on every
 * thread) and include those made inside the C library (strdup, stdio,
 * pthread_create). FAILALLOC_AFTER is memory running out for good;
 * FAILALLOC_ONLY one refusal, after which the program must either stop or
 * recover completely (the thread pools start fewer threads, for instance).
 *
 * The allocations that succeed are passed to glibc's __libc_malloc and
 * friends, so the shim needs no dlsym(RTLD_NEXT) (which allocates) and
 * cannot recurse. free() is glibc's own. glibc only; built as
 * $(B)/tests/failalloc.so for the plain build (tests/tests.mk): under ASan
 * the sanitizer's allocator must be the one in use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);

static atomic_long calls;
static long fail_after = -1, fail_only = -1;

__attribute__((constructor)) static void failalloc_init(void) {
  const char *s = getenv("FAILALLOC_AFTER");
  if (s) fail_after = atol(s);
  s = getenv("FAILALLOC_ONLY");
  if (s) fail_only = atol(s);
}

__attribute__((destructor)) static void failalloc_report(void) {
  if (getenv("FAILALLOC_REPORT")) fprintf(stderr, "failalloc: %ld calls\n", (long)atomic_load(&calls));
}

/* Counts a call. @return true when it is to fail (errno set, as malloc does). */
static int refused(void) {
  long n = atomic_fetch_add(&calls, 1);
  if ((fail_after >= 0 && n >= fail_after) || n == fail_only) {
    errno = ENOMEM;
    return 1;
  }
  return 0;
}

void *malloc(size_t n) { return refused() ? NULL : __libc_malloc(n); }
void *calloc(size_t n, size_t size) { return refused() ? NULL : __libc_calloc(n, size); }
void *realloc(void *p, size_t n) { return refused() ? NULL : __libc_realloc(p, n); }
