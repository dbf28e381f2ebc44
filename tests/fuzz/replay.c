/*
 * replay.c -- runs the fuzz targets over files without libFuzzer, so that
 * `make check` (gcc, and `make test` under ASan+UBSan) replays every seed and
 * every saved crasher.
 *
 *   fuzz-replay DIR...
 *
 * Each DIR is either a target's directory (its name is the target's:
 * corpus/json_record) or holds such directories (corpus/, regressions/).
 * Every regular file in a target directory is one input. The inputs of a
 * target run in a child process (fork + exec of this binary with --child,
 * so that the parent's heap is not the child's), one call each, the child
 * saying "ok" after each; a crash, an abort from a failed check, or a leak
 * that LeakSanitizer reports at the child's exit counts as one failure with
 * the file named, and the inputs after it still run in a new child. A
 * process per target rather than per input keeps the run fast under ASan,
 * whose leak check at exit costs a good part of a second. The last line is
 *   fuzz-replay: N passed, M failed
 * and the exit status is 1 when M > 0 or nothing ran.
 *
 * The targets are compiled with -DLLVMFuzzerTestOneInput=fuzz_entry_<name>
 * (fuzz.mk), which is how one binary holds all of them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int entry_fn(const uint8_t *data, size_t size);

entry_fn fuzz_entry_json_record, fuzz_entry_json_value, fuzz_entry_json_alltypes,
    fuzz_entry_pb, fuzz_entry_pbd, fuzz_entry_container, fuzz_entry_reader_json,
    fuzz_entry_validate, fuzz_entry_diff, fuzz_entry_import;

static const struct target {
  const char *name;
  entry_fn *fn;
} targets[] = {
    {"json_record", fuzz_entry_json_record}, {"json_value", fuzz_entry_json_value},
    {"json_alltypes", fuzz_entry_json_alltypes}, {"pb", fuzz_entry_pb},
    {"pbd", fuzz_entry_pbd}, {"container", fuzz_entry_container},
    {"reader_json", fuzz_entry_reader_json}, {"validate", fuzz_entry_validate},
    {"diff", fuzz_entry_diff},         {"import", fuzz_entry_import},
};

typedef struct replay {
  unsigned passed, failed;
} replay;

/* ---------------------------------------------------------------- child */

static int read_file(const char *path, uint8_t **data, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  size_t cap = 4096, n = 0;
  uint8_t *p = malloc(cap);
  size_t got;
  while (p && (got = fread(p + n, 1, cap - n, f)) > 0)
    if ((n += got) == cap) {
      uint8_t *q = realloc(p, cap *= 2);
      if (!q) free(p);
      p = q;
    }
  int bad = ferror(f) || !p;
  fclose(f);
  if (bad) return free(p), -1;
  *data = p, *len = n;
  return 0;
}

/* `--child TARGET FILE...`: one call per file, as libFuzzer would make it
 * (a private heap copy, so reads past the end are caught by ASan), and
 * "ok" on stdout after each. Returning from main runs LeakSanitizer. */
static int child_main(const struct target *t, int n, char **files) {
  for (int i = 0; i < n; i++) {
    uint8_t *data = NULL;
    size_t len = 0;
    if (read_file(files[i], &data, &len) != 0) {
      fprintf(stderr, "fuzz-replay: cannot read %s: %s\n", files[i], strerror(errno));
      return 3;
    }
    t->fn(data, len);
    free(data);
    printf("ok\n");
    fflush(stdout);
  }
  return 0;
}

/* ---------------------------------------------------------------- parent */

/* Runs files[0..n) of one target in a fresh process (exec, so that the
 * parent's heap is not the child's to leak); returns how many said "ok"
 * and sets *status to the child's wait status. */
static int spawn(const struct target *t, char **files, int n, int *status) {
  int fd[2];
  char **argv = calloc((size_t)n + 4, sizeof *argv);
  if (!argv || pipe(fd) != 0) return free(argv), *status = -1, 0;
  argv[0] = "fuzz-replay", argv[1] = "--child", argv[2] = (char *)t->name;
  memcpy(argv + 3, files, (size_t)n * sizeof *argv);
  /* The path /proc/self/exe names, not the link itself: under valgrind the
   * link is the tool, while readlink() gives this program (make memcheck). */
  char self[4096] = "/proc/self/exe";
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len > 0) self[len] = '\0';
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], STDOUT_FILENO);
    close(fd[0]), close(fd[1]);
    execv(self, argv);
    _exit(127);
  }
  close(fd[1]);
  int oks = 0;
  char buf[512];
  ssize_t got;
  while ((got = read(fd[0], buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < got; i++) oks += buf[i] == '\n';
  close(fd[0]);
  free(argv);
  if (pid < 0 || waitpid(pid, status, 0) != pid) *status = -1;
  return oks;
}

static void report(const struct target *t, const char *what, int st) {
  if (st != -1 && WIFSIGNALED(st))
    fprintf(stderr, "fuzz-replay: FAIL %s (%s): signal %d\n", what, t->name, WTERMSIG(st));
  else
    fprintf(stderr, "fuzz-replay: FAIL %s (%s): exit %d\n", what, t->name,
            st == -1 ? -1 : WEXITSTATUS(st));
}

/* All files of one target; after a failure, goes on with the next file. */
static void run_files(replay *s, const struct target *t, char **files, int n) {
  for (int start = 0; start < n;) {
    int st = 0;
    int oks = spawn(t, files + start, n - start, &st);
    s->passed += (unsigned)oks;
    if (st == 0 && oks == n - start) return;
    s->failed++;
    if (oks >= n - start) {
      report(t, "leak or failure at exit, after all files", st);
      return;
    }
    report(t, files[start + oks], st);
    start += oks + 1;
  }
}

/* ---------------------------------------------------------------- directories */

static const struct target *target_named(const char *name) {
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
    if (strcmp(targets[i].name, name) == 0) return &targets[i];
  return NULL;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entry names of a directory, sorted (a stable order for the log). */
static char **list_dir(const char *dir, size_t *n) {
  DIR *d = opendir(dir);
  char **v = NULL;
  size_t cap = 0;
  *n = 0;
  if (!d) return NULL;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    if (*n == cap) {
      char **w = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof *v);
      if (!w) break;
      v = w;
    }
    if ((v[*n] = strdup(e->d_name)) != NULL) ++*n;
  }
  closedir(d);
  if (v) qsort(v, *n, sizeof *v, cmp_names);
  return v;
}

/* A regular file (want_dir 0) or a directory (1)? */
static int is_kind(const char *path, int want_dir) {
  struct stat st;
  if (stat(path, &st) != 0) return 0;
  return want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
}

/* Regular file (want_dir 0) or directory (1)? */
/* Runs every file of a target directory; or descends one level. */
static void run_dir(replay *s, const char *dir, int depth) {
  const char *base = strrchr(dir, '/');
  base = base && base[1] ? base + 1 : dir;
  const struct target *t = target_named(base);
  size_t n = 0, nf = 0;
  char **names = list_dir(dir, &n);
  for (size_t i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    free(names[i]);
    names[i] = NULL;
    if (t && is_kind(path, 0)) names[nf++] = strdup(path);
    else if (!t && depth == 0 && is_kind(path, 1)) run_dir(s, path, 1);
  }
  for (size_t i = 0; i < nf; i++)
    if (!names[i]) {
      fprintf(stderr, "fuzz-replay: out of memory\n");
      s->failed++, nf = 0;
    }
  if (t && nf) run_files(s, t, names, (int)nf);
  for (size_t i = 0; i < nf; i++) free(names[i]);
  free(names);
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "--child") == 0) {
    const struct target *t = target_named(argv[2]);
    return t ? child_main(t, argc - 3, argv + 3) : 2;
  }
  replay s = {0, 0};
  for (int i = 1; i < argc; i++) {
    size_t len = strlen(argv[i]);
    while (len > 1 && argv[i][len - 1] == '/') argv[i][--len] = '\0';
    if (!is_kind(argv[i], 1)) {
      fprintf(stderr, "fuzz-replay: %s: not a directory\n", argv[i]);
      s.failed++;
      continue;
    }
    run_dir(&s, argv[i], 0);
  }
  printf("fuzz-replay: %u passed, %u failed\n", s.passed, s.failed);
  return s.failed || !s.passed ? 1 : 0;
}
