/* XBZRLE, QEMU's page delta encoding (docs/devel/migration/xbzrle.rst):
 * the new page against the copy the destination already has, as pairs
 *   zero-run length (ULEB128, bytes unchanged; 0 only for the first pair)
 *   change-run length (ULEB128, >= 1) followed by that many new bytes
 * with unchanged bytes at the end left out. An unchanged page encodes to
 * nothing. Lengths are at most 2 ULEB128 bytes (page size <= 16 KiB). */
#ifndef MIGRATION_XBZRLE_H
#define MIGRATION_XBZRLE_H

#include <stddef.h>
#include <stdint.h>

/* Encodes new against old (both len bytes) into dst (dlen bytes). Returns
 * the encoded length (0: unchanged), or -1 if it does not fit in dlen. */
int xbzrle_encode(const uint8_t *old, const uint8_t *new_, size_t len, uint8_t *dst,
                  size_t dlen);
/* Applies src (slen bytes) to dst (dlen bytes) in place. Returns the bytes
 * of dst covered, or -1 for a malformed encoding (nothing beyond dlen is
 * ever written). */
int xbzrle_decode(const uint8_t *src, size_t slen, uint8_t *dst, size_t dlen);

#endif
