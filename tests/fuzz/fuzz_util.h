/*
 * fuzz_util.h -- shared checks of the libFuzzer targets in tests/fuzz/.
 *
 * Every fuzz_<name>.c defines LLVMFuzzerTestOneInput(). Built for libFuzzer
 * (`make fuzz`, clang) the symbol is the fuzzer's entry; built for the replay
 * driver (`make check`, any compiler) each file is compiled with
 * -DLLVMFuzzerTestOneInput=fuzz_entry_<name> so that one replay binary holds
 * them all (see replay.c).
 *
 * A target returns 0 for every input the library handles as documented; an
 * input that breaks a property (a round trip that changes the message, an
 * undocumented status) calls fuzz_fail(), which prints why and aborts, so
 * that libFuzzer saves it as a crash and the replay counts it as a failure.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "evrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Records over 1 MiB are refused: the fuzzer must find bugs, not OOMs. */
#define FUZZ_MAX_RECORD_SIZE (1u << 20)
/** A reader target stops after this many records (bounds the time per input). */
#define FUZZ_MAX_RECORDS 10000u

/** Prints "fuzz: <what>" (and the error, when given) to stderr and aborts. */
_Noreturn void fuzz_fail(const evrec_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** Aborts unless `rc` is EVREC_OK or one of the decode errors a hostile input
 *  may cause (never E_INVALID_ARG, E_NOMEM below the fuzzer's RSS limit, or a
 *  positive value), and unless a failure filled `err` with the same code and
 *  with text fuzz_check_error_text() accepts. */
void fuzz_check_status(int rc, const evrec_error *err, const char *what);

/** Aborts unless s (at most `cap` bytes with its NUL) is valid UTF-8 (RFC
 *  3629, checked here, not by the library) and, when `one_line`, free of
 *  control characters and DEL. */
void fuzz_check_text(const char *s, size_t cap, int one_line, const char *what);

/** Every error text the library produces goes on one line of a terminal:
 *  aborts unless err's message and path pass fuzz_check_text(). */
void fuzz_check_error_text(const evrec_error *err, const char *what);

/**
 * The round-trip property of a decoded message `m1`:
 *   JSON j1 = encode(m1)            (from_json: must succeed)
 *   m2 = json_decode(j1)            must succeed
 *   j2 = encode(m2)                 must equal j1 (canonical JSON is a fixed point)
 *   pack(m1) -> pb_decode -> encode must equal j1 (binary and JSON agree)
 *   pack(m2) -> pb_decode -> encode must equal j1
 *   from_json: pack(m1) and pack(m2) have the same size (byte order may differ
 *   only in map entries, which the encoder sorts)
 * m1 decoded from binary may hold values JSON cannot carry (a Timestamp out
 * of range, a Value without kind, an Any of an unknown type ...): then encode
 * may fail with its documented status and the check ends there.
 */
void fuzz_check_roundtrip(const ProtobufCMessageDescriptor *desc,
                          const ProtobufCMessage *m1, int from_json,
                          const evrec_json_decode_options *dopts);

/** Reads every record of a memory reader (at most FUZZ_MAX_RECORDS); checks
 *  statuses. Returns the number of records read. */
uint64_t fuzz_read_all(const void *data, size_t size, const evrec_reader_options *opts);

#endif /* FUZZ_UTIL_H */
