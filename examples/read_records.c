/* read_records.c -- the README's library example: read records in any format
 * (json, ndjson, pb, pbd; detected), print each record's id and headline, and
 * write them back as NDJSON on stdout.
 *
 *   cc read_records.c $(pkg-config --cflags --libs evrec) -o read_records
 *   ./read_records seed.json
 */
#include <evrec.h>
#include <evrec/v1/evrec.pb-c.h>

int main(int argc, char **argv) {
  evrec_error err;
  evrec_reader *r = NULL;
  evrec_writer *w = NULL;
  const ProtobufCMessage *msg;
  int rc;
  if (evrec_reader_open_file(&r, argc > 1 ? argv[1] : "-", NULL, &err) ||
      evrec_writer_open_FILE(&w, stdout, NULL, &err))
    goto fail;
  while ((rc = evrec_reader_next(r, &msg, &err)) == EVREC_OK) {
    const Evrec__V1__Record *rec = (const Evrec__V1__Record *)msg;
    fprintf(stderr, "%s: %s\n", rec->id,
            rec->article ? rec->article->headline : "(no article)");
    if (evrec_writer_write(w, msg, &err)) goto fail;
  }
  if (rc != EVREC_DONE) goto fail;
  rc = evrec_writer_close(w, &err); /* frees w, also on failure */
  w = NULL;
  if (rc) goto fail;
  evrec_reader_close(r);
  return 0;
fail:
  fprintf(stderr, "read_records: %s (record %llu, %s)\n", err.message,
          (unsigned long long)err.record + 1, err.path); /* records count from 1 */
  evrec_writer_abort(w);
  evrec_reader_close(r);
  return 1;
}
