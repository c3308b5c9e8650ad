/* Image loaders for the board: RISC-V ELF64 executables, raw binaries (with
 * the Linux RISC-V Image header recognised) and initrds. Every loader checks
 * the whole image against the file and the guest memory map before it
 * writes anything, and on failure returns false with a one-line reason in
 * err ("FILE: what is wrong"); the caller adds the option name. */
#ifndef HW_RISCV_LOADER_H
#define HW_RISCV_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/memory.h"
#include "util/error.h"

#define LOADER_MAX_SEGMENTS 32

typedef struct LoaderSegment {
    uint64_t addr;
    uint64_t size;               /* bytes written, zero fill included */
} LoaderSegment;

typedef struct LoadedImage {
    uint64_t entry;
    uint64_t low, high;          /* lowest address written, end of the highest */
    LoaderSegment seg[LOADER_MAX_SEGMENTS];
    int nr_seg;
    bool is_elf;
    bool is_linux_image;         /* raw image with the RISC-V Linux header */
    bool has_tohost;             /* ELF symbols for HTIF */
    uint64_t tohost, fromhost;   /* fromhost is 0 when the symbol is absent */
} LoadedImage;

/* RISC-V Linux Image header (Documentation/riscv/boot-image-header.rst). */
#define LINUX_IMAGE_MAGIC   0x5643534952ull      /* "RISCV\0\0\0" at offset 48 */
#define LINUX_IMAGE_MAGIC2  0x05435352u          /* "RSC\x05" at offset 56 */
#define LINUX_IMAGE_HDR_SIZE 64

bool loader_is_elf(const uint8_t *buf, size_t len);
/* True for a Linux Image; *image_size is the memory it needs (bss included),
 * 0 when the header does not say. */
bool loader_is_linux_image(const uint8_t *buf, size_t len, uint64_t *image_size);

/* From a buffer: err gets the reason only (no file name). */
bool loader_elf_load_buf(PhysMemory *mem, const uint8_t *buf, size_t len,
                         LoadedImage *img, Error *err);
bool loader_raw_load_buf(PhysMemory *mem, const uint8_t *buf, size_t len, uint64_t addr,
                         LoadedImage *img, Error *err);

/* From a file: ELF when it starts with the ELF magic, otherwise raw at
 * raw_addr. */
bool loader_load_image(PhysMemory *mem, const char *path, uint64_t raw_addr,
                       LoadedImage *img, Error *err);
/* An initrd (any bytes) at addr; it must end at or below limit. */
bool loader_load_initrd(PhysMemory *mem, const char *path, uint64_t addr, uint64_t limit,
                        LoadedImage *img, Error *err);
/* Size of a file, for placement decisions before loading. */
bool loader_file_size(const char *path, uint64_t *size, Error *err);

#endif
