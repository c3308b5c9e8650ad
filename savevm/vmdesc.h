/* A small JSON writer for the vmdesc (the stream's JSON description of its
 * sections). Compact output in QEMU's JSONWriter spacing: ", " between
 * members and ": " after keys. Strings are escaped (\" \\ \b \f \n \r \t and
 * \uXXXX below 0x20 and from 0x7f), so the text never holds a NUL byte,
 * which analyze-migration.py relies on to find the JSON. */
#ifndef SAVEVM_VMDESC_H
#define SAVEVM_VMDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMDESC_MAX_DEPTH 32

typedef struct VMDescWriter {
    char *buf;
    size_t len, cap;
    bool oom;                    /* an allocation failed: the text is unusable */
    int depth;
    bool first[VMDESC_MAX_DEPTH]; /* no member written yet at this level */
} VMDescWriter;

void vmdesc_init(VMDescWriter *w);
void vmdesc_free(VMDescWriter *w);
/* key is NULL for array elements and the top-level value. */
void vmdesc_start_object(VMDescWriter *w, const char *key);
void vmdesc_end_object(VMDescWriter *w);
void vmdesc_start_array(VMDescWriter *w, const char *key);
void vmdesc_end_array(VMDescWriter *w);
void vmdesc_int(VMDescWriter *w, const char *key, int64_t v);
void vmdesc_str(VMDescWriter *w, const char *key, const char *s);
/* Appends spaces: used to steer the length of the final text (see savevm.c). */
void vmdesc_pad(VMDescWriter *w, size_t n);

#endif
