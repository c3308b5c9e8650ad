/* ELF, raw-image and initrd loaders: good images, and hand-built malformed
 * ones that must be refused with a precise reason and without writing. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/riscv/loader.h"
#include "tests/unit/unit.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (16ull << 20)

static PhysMemory mem;
static Error err;
/* A fresh Error for each call: the first message set is the one kept. */
#define ERR (error_init(&err), &err)

static void mem_setup(void)
{
    memory_init(&mem);
    memory_add_ram(&mem, "ram", RAM_BASE, RAM_SIZE);
    memory_add_rom(&mem, "rom", 0x1000, 0xf000);
    /* A pattern, so zero fill and "nothing written" are visible. */
    memset(mem.ram->host, 0xaa, 1 << 20);
}

static void mem_teardown(void)
{
    memory_destroy(&mem);
}

static uint8_t mem_byte(uint64_t addr)
{
    uint8_t b = 0;
    memory_rw(&mem, addr, &b, 1, false, true);
    return b;
}

/* A small ELF image: header, nph program headers, payload, and optionally a
 * symbol table defining tohost/fromhost. */
typedef struct TestElf {
    uint8_t buf[8192];
    size_t len;
    Elf64_Ehdr *eh;
    Elf64_Phdr *ph;
} TestElf;

#define PAYLOAD_OFF 0x200
#define PAYLOAD_LEN 0x100

static void elf_build(TestElf *e, bool with_symbols)
{
    memset(e, 0, sizeof(*e));
    e->eh = (Elf64_Ehdr *)e->buf;
    e->ph = (Elf64_Phdr *)(e->buf + sizeof(Elf64_Ehdr));
    Elf64_Ehdr *eh = e->eh;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = 243;
    eh->e_version = EV_CURRENT;
    eh->e_entry = RAM_BASE + 0x10;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 3;
    /* 0: code at RAM_BASE; 1: data with bss, loaded at a p_paddr that differs
     * from p_vaddr; 2: a non-LOAD header that must be ignored. */
    e->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = PAYLOAD_OFF, .p_vaddr = RAM_BASE,
                             .p_paddr = RAM_BASE, .p_filesz = 0x80, .p_memsz = 0x80 };
    e->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = PAYLOAD_OFF + 0x80,
                             .p_vaddr = 0x80100000, .p_paddr = RAM_BASE + 0x1000,
                             .p_filesz = 0x80, .p_memsz = 0x200 };
    e->ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x7fffffff, .p_filesz = 0x1000 };
    for (int i = 0; i < PAYLOAD_LEN; i++) {
        e->buf[PAYLOAD_OFF + i] = (uint8_t)(i + 1);
    }
    e->len = PAYLOAD_OFF + PAYLOAD_LEN;
    if (!with_symbols) {
        return;
    }
    /* Sections: null, .symtab, .strtab */
    const char strtab[] = "\0tohost\0fromhost\0other";
    size_t str_off = e->len;
    memcpy(e->buf + str_off, strtab, sizeof(strtab));
    size_t sym_off = (str_off + sizeof(strtab) + 7) & ~7ul;
    Elf64_Sym *sym = (Elf64_Sym *)(e->buf + sym_off);
    sym[1] = (Elf64_Sym){ .st_name = 1, .st_value = RAM_BASE + 0x1000 };
    sym[2] = (Elf64_Sym){ .st_name = 8, .st_value = RAM_BASE + 0x1040 };
    sym[3] = (Elf64_Sym){ .st_name = 17, .st_value = 0x1234 };
    size_t sh_off = sym_off + 4 * sizeof(Elf64_Sym);
    Elf64_Shdr *sh = (Elf64_Shdr *)(e->buf + sh_off);
    sh[1] = (Elf64_Shdr){ .sh_type = SHT_SYMTAB, .sh_offset = sym_off, .sh_size = 4 * sizeof(Elf64_Sym),
                          .sh_link = 2, .sh_entsize = sizeof(Elf64_Sym) };
    sh[2] = (Elf64_Shdr){ .sh_type = SHT_STRTAB, .sh_offset = str_off, .sh_size = sizeof(strtab) };
    eh->e_shoff = sh_off;
    eh->e_shentsize = sizeof(Elf64_Shdr);
    eh->e_shnum = 3;
    e->len = sh_off + 3 * sizeof(Elf64_Shdr);
}

static bool elf_load(TestElf *e, LoadedImage *img)
{
    return loader_elf_load_buf(&mem, e->buf, e->len, img, ERR);
}

/* Loads and expects failure with `what` in the message and RAM untouched. */
static void expect_fail(TestElf *e, const char *what)
{
    LoadedImage img;
    CU_ASSERT_FALSE(elf_load(e, &img));
    if (!strstr(err.msg, what)) {
        printf("\n  message \"%s\" lacks \"%s\"\n", err.msg, what);
        CU_FAIL("wrong error message");
    }
    CU_ASSERT_EQUAL(mem_byte(RAM_BASE), 0xaa);
    CU_ASSERT_EQUAL(mem_byte(RAM_BASE + 0x1000), 0xaa);
}

static void test_elf_good(void)
{
    TestElf e;
    LoadedImage img;
    mem_setup();
    elf_build(&e, false);
    CU_ASSERT_TRUE_FATAL(elf_load(&e, &img));
    CU_ASSERT_TRUE(img.is_elf);
    CU_ASSERT_EQUAL(img.entry, RAM_BASE + 0x10);
    CU_ASSERT_EQUAL(img.nr_seg, 2);
    CU_ASSERT_EQUAL(img.low, RAM_BASE);
    CU_ASSERT_EQUAL(img.high, RAM_BASE + 0x1200);
    CU_ASSERT_EQUAL(mem_byte(RAM_BASE), 1);
    CU_ASSERT_EQUAL(mem_byte(RAM_BASE + 0x7f), 0x80);
    CU_ASSERT_EQUAL(mem_byte(RAM_BASE + 0x80), 0xaa);        /* gap untouched */
    CU_ASSERT_EQUAL(mem_byte(RAM_BASE + 0x1000), 0x81);      /* at p_paddr */
    CU_ASSERT_EQUAL(mem_byte(RAM_BASE + 0x107f), 0x100 & 0xff);
    CU_ASSERT_EQUAL(mem_byte(RAM_BASE + 0x1080), 0);         /* zero fill */
    CU_ASSERT_EQUAL(mem_byte(RAM_BASE + 0x11ff), 0);
    CU_ASSERT_EQUAL(mem_byte(RAM_BASE + 0x1200), 0xaa);
    CU_ASSERT_FALSE(img.has_tohost);
    mem_teardown();
}

static void test_elf_symbols(void)
{
    TestElf e;
    LoadedImage img;
    mem_setup();
    elf_build(&e, true);
    CU_ASSERT_TRUE_FATAL(elf_load(&e, &img));
    CU_ASSERT_TRUE(img.has_tohost);
    CU_ASSERT_EQUAL(img.tohost, RAM_BASE + 0x1000);
    CU_ASSERT_EQUAL(img.fromhost, RAM_BASE + 0x1040);
    mem_teardown();

    mem_setup();
    elf_build(&e, true);
    Elf64_Shdr *sh = (Elf64_Shdr *)(e.buf + e.eh->e_shoff);
    sh[1].sh_size = 0x100000;                                 /* symtab past EOF */
    expect_fail(&e, "symbol table");
    elf_build(&e, true);
    e.eh->e_shoff = e.len;                                    /* section table past EOF */
    expect_fail(&e, "section header table lies outside the file");
    mem_teardown();
}

static void test_elf_bad_header(void)
{
    TestElf e;
    mem_setup();
    elf_build(&e, false);
    e.len = 0;
    expect_fail(&e, "empty");
    elf_build(&e, false);
    e.len = 30;
    expect_fail(&e, "truncated");
    elf_build(&e, false);
    e.buf[0] = 0x7e;
    expect_fail(&e, "not an ELF file");
    elf_build(&e, false);
    e.eh->e_ident[EI_CLASS] = ELFCLASS32;
    expect_fail(&e, "not a 64-bit ELF file (ELF class 1)");
    elf_build(&e, false);
    e.eh->e_ident[EI_DATA] = ELFDATA2MSB;
    expect_fail(&e, "little-endian");
    elf_build(&e, false);
    e.eh->e_machine = EM_X86_64;
    expect_fail(&e, "ELF machine 62 is not RISC-V (243)");
    elf_build(&e, false);
    e.eh->e_type = ET_DYN;
    expect_fail(&e, "not an executable");
    elf_build(&e, false);
    e.eh->e_phentsize = 32;
    expect_fail(&e, "program header size");
    elf_build(&e, false);
    e.eh->e_phnum = 0;
    expect_fail(&e, "no program headers");
    elf_build(&e, false);
    e.eh->e_phoff = e.len - 8;
    expect_fail(&e, "program header table lies outside the file");
    elf_build(&e, false);
    e.eh->e_phoff = ~0ull - 8;                                /* offset + size overflows */
    expect_fail(&e, "program header table lies outside the file");
    mem_teardown();
}

static void test_elf_bad_segments(void)
{
    TestElf e;
    mem_setup();
    elf_build(&e, false);
    e.ph[1].p_offset = e.len - 0x10;                          /* data past EOF */
    expect_fail(&e, "ELF program header 1 lies outside the file");
    elf_build(&e, false);
    e.len = PAYLOAD_OFF + 0x40;                               /* truncated file */
    expect_fail(&e, "ELF program header 0 lies outside the file");
    elf_build(&e, false);
    e.ph[1].p_filesz = ~0ull;                                 /* huge size */
    expect_fail(&e, "program header 1 lies outside the file");
    elf_build(&e, false);
    e.ph[1].p_memsz = 0x40;                                   /* memsz < filesz */
    expect_fail(&e, "smaller than file size");
    elf_build(&e, false);
    e.ph[1].p_paddr = 0x40000000;                             /* not RAM */
    expect_fail(&e, "segment 0x40000000-0x400001ff is outside RAM and ROM");
    elf_build(&e, false);
    e.ph[1].p_paddr = RAM_BASE + RAM_SIZE - 0x100;            /* straddles RAM end */
    expect_fail(&e, "outside RAM and ROM");
    elf_build(&e, false);
    e.ph[1].p_memsz = 0xffffffffff000000ull;                  /* address wraps */
    expect_fail(&e, "overflows");
    elf_build(&e, false);
    e.ph[1].p_memsz = 1ull << 40;                             /* huge bss */
    expect_fail(&e, "outside RAM and ROM");
    elf_build(&e, false);
    e.ph[0].p_type = PT_NULL;
    e.ph[1].p_type = PT_NOTE;
    expect_fail(&e, "no loadable segment");
    mem_teardown();
}

static void test_elf_rom_segment(void)
{
    TestElf e;
    LoadedImage img;
    mem_setup();
    elf_build(&e, false);
    e.ph[0].p_paddr = 0x2000;                                 /* boot ROM is loadable */
    CU_ASSERT_TRUE(elf_load(&e, &img));
    CU_ASSERT_EQUAL(mem_byte(0x2000), 1);
    CU_ASSERT_EQUAL(img.low, 0x2000);
    mem_teardown();
}

static void test_raw(void)
{
    uint8_t buf[LINUX_IMAGE_HDR_SIZE + 16];
    LoadedImage img;
    uint64_t sz;
    mem_setup();
    memset(buf, 0x5a, sizeof(buf));
    CU_ASSERT_TRUE(loader_raw_load_buf(&mem, buf, sizeof(buf), RAM_BASE + 0x200000, &img, ERR));
    CU_ASSERT_FALSE(img.is_linux_image);
    CU_ASSERT_EQUAL(img.entry, RAM_BASE + 0x200000);
    CU_ASSERT_EQUAL(img.high, RAM_BASE + 0x200000 + sizeof(buf));
    CU_ASSERT_EQUAL(mem_byte(RAM_BASE + 0x200000), 0x5a);
    CU_ASSERT_FALSE(loader_raw_load_buf(&mem, buf, sizeof(buf), RAM_BASE + RAM_SIZE - 8, &img, ERR));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "does not fit in RAM"));
    CU_ASSERT_FALSE(loader_raw_load_buf(&mem, buf, 0, RAM_BASE, &img, ERR));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "empty"));

    /* Linux Image header: image_size (bss included) must fit too. */
    uint64_t magic = LINUX_IMAGE_MAGIC, size = 0x100000;
    uint32_t magic2 = LINUX_IMAGE_MAGIC2;
    memcpy(buf + 48, &magic, 8);
    memcpy(buf + 56, &magic2, 4);
    memcpy(buf + 16, &size, 8);
    CU_ASSERT_TRUE(loader_is_linux_image(buf, sizeof(buf), &sz));
    CU_ASSERT_EQUAL(sz, 0x100000);
    CU_ASSERT_FALSE(loader_is_linux_image(buf, 40, &sz));
    CU_ASSERT_TRUE(loader_raw_load_buf(&mem, buf, sizeof(buf), RAM_BASE + 0x200000, &img, ERR));
    CU_ASSERT_TRUE(img.is_linux_image);
    CU_ASSERT_FALSE(loader_raw_load_buf(&mem, buf, sizeof(buf), RAM_BASE + RAM_SIZE - 0x80000, &img, ERR));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Linux image of 1048576 bytes"));
    mem_teardown();
}

static char *write_temp(const void *data, size_t len)
{
    static char path[64];
    strcpy(path, "/tmp/amber-test-loader-XXXXXX");
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_FATAL(write(fd, data, len) == (ssize_t)len);
    close(fd);
    return path;
}

static void test_files(void)
{
    TestElf e;
    LoadedImage img;
    mem_setup();
    CU_ASSERT_FALSE(loader_load_image(&mem, "/nonexistent/k.elf", RAM_BASE, &img, ERR));
    CU_ASSERT_STRING_EQUAL(err.msg, "/nonexistent/k.elf: No such file or directory");
    CU_ASSERT_FALSE(loader_load_image(&mem, "/tmp", RAM_BASE, &img, ERR));
    CU_ASSERT_STRING_EQUAL(err.msg, "/tmp: Is a directory");

    elf_build(&e, false);
    e.eh->e_machine = 62;
    char *p = write_temp(e.buf, e.len);
    CU_ASSERT_FALSE(loader_load_image(&mem, p, RAM_BASE, &img, ERR));
    char want[256];
    snprintf(want, sizeof(want), "%s: ELF machine 62 is not RISC-V (243)", p);
    CU_ASSERT_STRING_EQUAL(err.msg, want);
    unlink(p);

    elf_build(&e, false);
    p = write_temp(e.buf, e.len);
    CU_ASSERT_TRUE(loader_load_image(&mem, p, 0, &img, ERR));
    CU_ASSERT_TRUE(img.is_elf);
    unlink(p);

    p = write_temp("raw bytes", 9);                           /* not ELF: raw at raw_addr */
    CU_ASSERT_TRUE(loader_load_image(&mem, p, RAM_BASE + 0x300000, &img, ERR));
    CU_ASSERT_FALSE(img.is_elf);
    CU_ASSERT_EQUAL(mem_byte(RAM_BASE + 0x300000), 'r');

    /* initrd: placed where asked, refused past the limit */
    CU_ASSERT_TRUE(loader_load_initrd(&mem, p, RAM_BASE + 0x400000, RAM_BASE + RAM_SIZE, &img, ERR));
    CU_ASSERT_EQUAL(img.low, RAM_BASE + 0x400000);
    CU_ASSERT_EQUAL(img.high, RAM_BASE + 0x400009);
    CU_ASSERT_FALSE(loader_load_initrd(&mem, p, RAM_BASE + 0x400000, RAM_BASE + 0x400004, &img, ERR));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "does not fit"));
    unlink(p);
    p = write_temp("", 0);
    CU_ASSERT_FALSE(loader_load_initrd(&mem, p, RAM_BASE, RAM_BASE + RAM_SIZE, &img, ERR));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ": file is empty"));
    CU_ASSERT_FALSE(loader_load_image(&mem, p, RAM_BASE, &img, ERR));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, ": file is empty"));
    unlink(p);
    mem_teardown();
}

static const UnitTest tests[] = {
    { "elf_good", test_elf_good },
    { "elf_symbols", test_elf_symbols },
    { "elf_bad_header", test_elf_bad_header },
    { "elf_bad_segments", test_elf_bad_segments },
    { "elf_rom_segment", test_elf_rom_segment },
    { "raw", test_raw },
    { "files", test_files },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("loader", tests);
}
