/* ELF64 / raw / initrd loaders. Images are checked completely before the
 * first byte is written, so a bad file never leaves half an image behind. */
#include "hw/riscv/loader.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

static bool loader_fail(Error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool loader_fail(Error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vsetf(err, fmt, ap);
    va_end(ap);
    return false;
}

/* [off, off+size) inside a buffer of len bytes, without overflow. */
static bool loader_in_file(uint64_t off, uint64_t size, size_t len)
{
    return off <= len && size <= len - off;
}

/* The RAM or ROM region holding all of [addr, addr+size). */
static bool loader_in_memory(PhysMemory *mem, uint64_t addr, uint64_t size)
{
    if (size == 0) {
        return true;
    }
    if (addr + size < addr) {
        return false;
    }
    for (int i = 0; i < mem->nr_regions; i++) {
        const MemoryRegion *r = &mem->regions[i];
        if ((r->kind == MR_RAM || r->kind == MR_ROM) &&
            addr >= r->base && addr - r->base < r->size && size <= r->size - (addr - r->base)) {
            return true;
        }
    }
    return false;
}

static bool loader_write(PhysMemory *mem, uint64_t addr, const void *buf, uint64_t len)
{
    return len == 0 || memory_rw(mem, addr, (void *)buf, len, true, true);
}

static bool loader_zero(PhysMemory *mem, uint64_t addr, uint64_t len)
{
    static const uint8_t zeros[65536];
    while (len > 0) {
        uint64_t n = len < sizeof(zeros) ? len : sizeof(zeros);
        if (!loader_write(mem, addr, zeros, n)) {
            return false;
        }
        addr += n;
        len -= n;
    }
    return true;
}

static void loader_add_segment(LoadedImage *img, uint64_t addr, uint64_t size)
{
    if (size == 0) {
        return;
    }
    if (img->nr_seg == 0 || addr < img->low) {
        img->low = addr;
    }
    if (img->nr_seg == 0 || addr + size > img->high) {
        img->high = addr + size;
    }
    img->seg[img->nr_seg].addr = addr;
    img->seg[img->nr_seg].size = size;
    img->nr_seg++;
}

bool loader_is_elf(const uint8_t *buf, size_t len)
{
    return len >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

bool loader_is_linux_image(const uint8_t *buf, size_t len, uint64_t *image_size)
{
    uint64_t magic, size;
    uint32_t magic2;
    if (len < LINUX_IMAGE_HDR_SIZE) {
        return false;
    }
    memcpy(&magic, buf + 48, 8);
    memcpy(&magic2, buf + 56, 4);
    if (magic != LINUX_IMAGE_MAGIC || magic2 != LINUX_IMAGE_MAGIC2) {
        return false;
    }
    memcpy(&size, buf + 16, 8);
    *image_size = size;
    return true;
}

/* Looks up tohost/fromhost in .symtab; a malformed section table is an
 * error (the file is corrupt), a missing one just means no symbols. */
static bool loader_elf_symbols(const uint8_t *buf, size_t len, const Elf64_Ehdr *eh,
                               LoadedImage *img, Error *err)
{
    if (eh->e_shnum == 0 || eh->e_shoff == 0) {
        return true;
    }
    if (eh->e_shentsize != sizeof(Elf64_Shdr)) {
        return loader_fail(err, "bad ELF section header size %u", eh->e_shentsize);
    }
    if (!loader_in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), len)) {
        return loader_fail(err, "ELF section header table lies outside the file");
    }
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        Elf64_Shdr sh, strsh;
        memcpy(&sh, buf + eh->e_shoff + i * sizeof(Elf64_Shdr), sizeof(sh));
        if (sh.sh_type != SHT_SYMTAB) {
            continue;
        }
        if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_link >= eh->e_shnum ||
            !loader_in_file(sh.sh_offset, sh.sh_size, len)) {
            return loader_fail(err, "ELF symbol table (section %u) is malformed", i);
        }
        memcpy(&strsh, buf + eh->e_shoff + sh.sh_link * sizeof(Elf64_Shdr), sizeof(strsh));
        if (!loader_in_file(strsh.sh_offset, strsh.sh_size, len)) {
            return loader_fail(err, "ELF string table (section %u) lies outside the file",
                               sh.sh_link);
        }
        const char *strtab = (const char *)buf + strsh.sh_offset;
        uint64_t nsyms = sh.sh_size / sizeof(Elf64_Sym);
        for (uint64_t k = 0; k < nsyms; k++) {
            Elf64_Sym sym;
            memcpy(&sym, buf + sh.sh_offset + k * sizeof(Elf64_Sym), sizeof(sym));
            if (sym.st_name >= strsh.sh_size) {
                continue;
            }
            const char *name = strtab + sym.st_name;
            size_t maxlen = strsh.sh_size - sym.st_name;
            if (strnlen(name, maxlen) == maxlen) {
                continue;       /* not terminated inside the table */
            }
            if (strcmp(name, "tohost") == 0) {
                img->tohost = sym.st_value;
                img->has_tohost = true;
            } else if (strcmp(name, "fromhost") == 0) {
                img->fromhost = sym.st_value;
            }
        }
    }
    if (!img->has_tohost) {
        img->fromhost = 0;
    }
    return true;
}

bool loader_elf_load_buf(PhysMemory *mem, const uint8_t *buf, size_t len,
                         LoadedImage *img, Error *err)
{
    Elf64_Ehdr eh;
    memset(img, 0, sizeof(*img));
    if (len == 0) {
        return loader_fail(err, "file is empty");
    }
    if (!loader_is_elf(buf, len)) {
        return loader_fail(err, "not an ELF file");
    }
    if (len <= EI_CLASS) {
        return loader_fail(err, "ELF header is truncated (%zu bytes)", len);
    }
    if (buf[EI_CLASS] != ELFCLASS64) {
        return loader_fail(err, "not a 64-bit ELF file (ELF class %u)", buf[EI_CLASS]);
    }
    if (len < sizeof(eh)) {
        return loader_fail(err, "ELF header is truncated (%zu bytes)", len);
    }
    memcpy(&eh, buf, sizeof(eh));
    if (eh.e_ident[EI_DATA] != ELFDATA2LSB) {
        return loader_fail(err, "not a little-endian ELF file");
    }
    if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT) {
        return loader_fail(err, "unsupported ELF version %u", eh.e_ident[EI_VERSION]);
    }
    if (eh.e_machine != EM_RISCV) {
        return loader_fail(err, "ELF machine %u is not RISC-V (%u)", eh.e_machine, EM_RISCV);
    }
    if (eh.e_type != ET_EXEC) {
        return loader_fail(err, "ELF type %u is not an executable", eh.e_type);
    }
    if (eh.e_phnum == 0) {
        return loader_fail(err, "ELF file has no program headers");
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr)) {
        return loader_fail(err, "bad ELF program header size %u", eh.e_phentsize);
    }
    if (!loader_in_file(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), len)) {
        return loader_fail(err, "ELF program header table lies outside the file");
    }

    /* Check every segment first. */
    int nload = 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, buf + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof(ph));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) {
            continue;
        }
        if (!loader_in_file(ph.p_offset, ph.p_filesz, len)) {
            return loader_fail(err, "ELF program header %u lies outside the file", i);
        }
        if (ph.p_memsz < ph.p_filesz) {
            return loader_fail(err,
                               "ELF program header %u: memory size 0x%llx is smaller than file size 0x%llx",
                               i, (unsigned long long)ph.p_memsz, (unsigned long long)ph.p_filesz);
        }
        if (ph.p_paddr + ph.p_memsz < ph.p_paddr) {
            return loader_fail(err, "ELF program header %u: address 0x%llx + size 0x%llx overflows",
                               i, (unsigned long long)ph.p_paddr, (unsigned long long)ph.p_memsz);
        }
        if (!loader_in_memory(mem, ph.p_paddr, ph.p_memsz)) {
            return loader_fail(err,
                               "ELF program header %u: segment 0x%llx-0x%llx is outside RAM and ROM",
                               i, (unsigned long long)ph.p_paddr,
                               (unsigned long long)(ph.p_paddr + ph.p_memsz - 1));
        }
        if (++nload > LOADER_MAX_SEGMENTS) {
            return loader_fail(err, "more than %d loadable ELF segments", LOADER_MAX_SEGMENTS);
        }
    }
    if (nload == 0) {
        return loader_fail(err, "ELF file has no loadable segment");
    }
    if (!loader_elf_symbols(buf, len, &eh, img, err)) {
        return false;
    }

    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, buf + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof(ph));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) {
            continue;
        }
        /* p_paddr, not p_vaddr: initialised data is placed at its load
         * address and copied by the program's start-up code. */
        if (!loader_write(mem, ph.p_paddr, buf + ph.p_offset, ph.p_filesz) ||
            !loader_zero(mem, ph.p_paddr + ph.p_filesz, ph.p_memsz - ph.p_filesz)) {
            return loader_fail(err, "ELF program header %u: cannot write guest memory", i);
        }
        loader_add_segment(img, ph.p_paddr, ph.p_memsz);
    }
    img->entry = eh.e_entry;
    img->is_elf = true;
    return true;
}

bool loader_raw_load_buf(PhysMemory *mem, const uint8_t *buf, size_t len, uint64_t addr,
                         LoadedImage *img, Error *err)
{
    memset(img, 0, sizeof(*img));
    if (len == 0) {
        return loader_fail(err, "file is empty");
    }
    uint64_t need = len;
    uint64_t image_size;
    if (loader_is_linux_image(buf, len, &image_size)) {
        img->is_linux_image = true;
        if (image_size > need) {
            need = image_size;   /* the kernel's bss must fit as well */
        }
    }
    if (!loader_in_memory(mem, addr, need)) {
        return loader_fail(err, "%s of %llu bytes at 0x%llx does not fit in RAM",
                           img->is_linux_image ? "Linux image" : "image",
                           (unsigned long long)need, (unsigned long long)addr);
    }
    if (!loader_write(mem, addr, buf, len)) {
        return loader_fail(err, "cannot write guest memory at 0x%llx", (unsigned long long)addr);
    }
    loader_add_segment(img, addr, len);
    img->entry = addr;
    return true;
}

/* Maps a whole file read-only. */
static bool loader_map_file(const char *path, uint8_t **buf, size_t *len, Error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return loader_fail(err, "%s: %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return loader_fail(err, "%s: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return loader_fail(err, "%s: %s", path, strerror(EISDIR));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return loader_fail(err, "%s: not a regular file", path);
    }
    *len = (size_t)st.st_size;
    if (*len == 0) {
        close(fd);
        *buf = NULL;
        return true;
    }
    void *p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        return loader_fail(err, "%s: %s", path, strerror(e));
    }
    *buf = p;
    return true;
}

static void loader_unmap_file(uint8_t *buf, size_t len)
{
    if (buf) {
        munmap(buf, len);
    }
}

bool loader_file_size(const char *path, uint64_t *size, Error *err)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        return loader_fail(err, "%s: %s", path, strerror(errno));
    }
    *size = (uint64_t)st.st_size;
    return true;
}

/* Runs a buffer loader on a mapped file and prefixes its error with the path. */
static bool loader_finish(bool ok, const char *path, Error *err)
{
    if (!ok) {
        error_prependf(err, "%s: ", path);
    }
    return ok;
}

bool loader_load_image(PhysMemory *mem, const char *path, uint64_t raw_addr,
                       LoadedImage *img, Error *err)
{
    uint8_t *buf;
    size_t len;
    if (!loader_map_file(path, &buf, &len, err)) {
        return false;
    }
    bool ok;
    if (loader_is_elf(buf, len)) {
        ok = loader_elf_load_buf(mem, buf, len, img, err);
    } else {
        ok = loader_raw_load_buf(mem, buf, len, raw_addr, img, err);
    }
    loader_unmap_file(buf, len);
    return loader_finish(ok, path, err);
}

bool loader_load_initrd(PhysMemory *mem, const char *path, uint64_t addr, uint64_t limit,
                        LoadedImage *img, Error *err)
{
    uint8_t *buf;
    size_t len;
    if (!loader_map_file(path, &buf, &len, err)) {
        return false;
    }
    bool ok;
    memset(img, 0, sizeof(*img));
    if (len == 0) {
        ok = loader_fail(err, "file is empty");
    } else if (addr > limit || len > limit - addr) {
        ok = loader_fail(err, "initrd of %zu bytes at 0x%llx does not fit in RAM below 0x%llx",
                         len, (unsigned long long)addr, (unsigned long long)limit);
    } else {
        ok = loader_in_memory(mem, addr, len) && loader_write(mem, addr, buf, len);
        if (ok) {
            loader_add_segment(img, addr, len);
            img->entry = addr;
        } else {
            loader_fail(err, "initrd of %zu bytes at 0x%llx does not fit in RAM",
                        len, (unsigned long long)addr);
        }
    }
    loader_unmap_file(buf, len);
    return loader_finish(ok, path, err);
}
