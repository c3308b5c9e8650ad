/* amber-analyze: prints an Amber (or QEMU) migration stream or device-state
 * file as sections and fields, as text or JSON, driven by the JSON
 * description the stream carries after EOF (the way QEMU's
 * scripts/analyze-migration.py reads it). Malformed input is reported with
 * the offset where reading failed.
 *
 *   amber-analyze [--json] FILE      sections and field values
 *   amber-analyze --desc FILE        the embedded description alone */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VM_MAGIC 0x5145564d
#define SEC_EOF 0x00
#define SEC_START 0x01
#define SEC_PART 0x02
#define SEC_END 0x03
#define SEC_FULL 0x04
#define SEC_SUB 0x05
#define SEC_VMDESC 0x06
#define SEC_CONFIG 0x07
#define SEC_COMMAND 0x08
#define SEC_FOOTER 0x7e

#define RAM_ZERO 0x02
#define RAM_MEM_SIZE 0x04
#define RAM_PAGE 0x08
#define RAM_EOS 0x10
#define RAM_CONTINUE 0x20
#define RAM_MULTIFD_FLUSH 0x200

#define MAX_SECTIONS 256

typedef struct Reader {
    const char *path;
    const uint8_t *d;
    size_t len, pos;
    char err[512];
    size_t err_pos;
    bool failed;
} Reader;

typedef struct Section {
    uint32_t id;
    char name[256];
    uint32_t instance;
    json_t *desc;                /* device description, NULL for RAM */
    json_t *out;                 /* the section's output object */
    uint64_t zero_pages, normal_pages;
} Section;

static Section sections[MAX_SECTIONS];
static int nr_sections;
static uint64_t page_size = 4096;
static bool have_last_block;

static bool fail(Reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(Reader *r, const char *fmt, ...)
{
    if (!r->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, sizeof(r->err), fmt, ap);
        va_end(ap);
        r->err_pos = r->pos;
        r->failed = true;
    }
    return false;
}

static bool need(Reader *r, size_t n, const char *what)
{
    if (r->len - r->pos < n) {
        return fail(r, "unexpected end of file reading %s (%zu bytes needed, %zu left)", what, n,
                    r->len - r->pos);
    }
    return true;
}

static uint64_t get_be(Reader *r, int n, const char *what)
{
    if (!need(r, (size_t)n, what)) {
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        v = v << 8 | r->d[r->pos++];
    }
    return v;
}

static bool get_str8(Reader *r, char out[256], const char *what)
{
    size_t n = get_be(r, 1, what);
    if (r->failed || !need(r, n, what)) {
        return false;
    }
    memcpy(out, r->d + r->pos, n);
    out[n] = '\0';
    r->pos += n;
    return true;
}

/* As analyze-migration.py: the JSON starts at the first '{' after the last
 * NUL byte, with 0x06 and a be32 length just before it. */
static json_t *find_vmdesc(Reader *r, size_t *desc_start)
{
    size_t last_nul = r->len;
    for (size_t i = r->len; i > 0; i--) {
        if (r->d[i - 1] == 0) {
            last_nul = i - 1;
            break;
        }
    }
    if (last_nul == r->len) {
        r->pos = 0;
        fail(r, "no stream description: the file has no NUL byte");
        return NULL;
    }
    size_t brace = last_nul;
    while (brace < r->len && r->d[brace] != '{') {
        brace++;
    }
    if (brace == r->len || brace < 5 || r->d[brace - 5] != SEC_VMDESC) {
        r->pos = brace < r->len ? brace : last_nul;
        fail(r, "no stream description (QEMU_VM_VMDESCRIPTION) at the end of the file");
        return NULL;
    }
    Reader lr = *r;
    lr.pos = brace - 4;
    uint64_t len = get_be(&lr, 4, "description length");
    if (len > r->len - brace) {
        r->pos = brace - 4;
        fail(r, "description length %" PRIu64 " exceeds the %zu bytes left", len,
             r->len - brace);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb((const char *)r->d + brace, len, 0, &je);
    if (!j) {
        r->pos = brace + (size_t)(je.position > 0 ? je.position : 0);
        fail(r, "invalid description JSON: %s", je.text);
        return NULL;
    }
    *desc_start = brace - 5;
    return j;
}

static json_t *find_device(json_t *desc, const char *name, uint32_t instance)
{
    json_t *devs = json_object_get(desc, "devices");
    size_t i;
    json_t *d;
    json_array_foreach(devs, i, d) {
        json_t *n = json_object_get(d, "name");
        json_t *inst = json_object_get(d, "instance_id");
        if (json_is_string(n) && strcmp(json_string_value(n), name) == 0 &&
            json_is_integer(inst) && json_integer_value(inst) == instance) {
            return d;
        }
    }
    return NULL;
}

static json_t *hex_value(uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
    return json_string(buf);
}

static json_t *read_vmsd(Reader *r, json_t *vmsd, const char *where);

/* One element of a field, as its description says. */
static json_t *read_element(Reader *r, json_t *field, const char *where)
{
    const char *type = json_string_value(json_object_get(field, "type"));
    json_int_t size = json_integer_value(json_object_get(field, "size"));
    if (!type || size < 0) {
        fail(r, "%s: field without type or size in the description", where);
        return NULL;
    }
    if (strcmp(type, "struct") == 0) {
        json_t *sub = json_object_get(field, "struct");
        if (!json_is_object(sub)) {
            fail(r, "%s: struct field without \"struct\" in the description", where);
            return NULL;
        }
        return read_vmsd(r, sub, where);
    }
    bool is_int = strncmp(type, "int", 3) == 0 || strncmp(type, "uint", 4) == 0 ||
                  strcmp(type, "bool") == 0;
    if (is_int && size >= 1 && size <= 8) {
        uint64_t v = get_be(r, (int)size, where);
        if (r->failed) {
            return NULL;
        }
        if (strcmp(type, "bool") == 0) {
            return json_boolean(v != 0);
        }
        return hex_value(v);
    }
    if (!need(r, (size_t)size, where)) {
        return NULL;
    }
    char *hex = malloc((size_t)size * 2 + 1);
    for (json_int_t i = 0; i < size; i++) {
        snprintf(hex + 2 * i, 3, "%02x", r->d[r->pos + (size_t)i]);
    }
    hex[size * 2] = '\0';
    r->pos += (size_t)size;
    json_t *s = json_string(hex);
    free(hex);
    return s;
}

static json_t *read_vmsd(Reader *r, json_t *vmsd, const char *where)
{
    json_t *fields = json_object_get(vmsd, "fields");
    if (!json_is_array(fields)) {
        fail(r, "%s: description has no fields", where);
        return NULL;
    }
    json_t *out = json_object();
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        const char *name = json_string_value(json_object_get(f, "name"));
        char fwhere[600];
        snprintf(fwhere, sizeof(fwhere), "%s field '%s'", where, name ? name : "?");
        json_t *alen = json_object_get(f, "array_len");
        json_t *v;
        if (json_is_integer(alen)) {
            v = json_array();
            for (json_int_t k = 0; k < json_integer_value(alen) && !r->failed; k++) {
                json_t *e = read_element(r, f, fwhere);
                if (e) {
                    json_array_append_new(v, e);
                }
            }
        } else {
            v = read_element(r, f, fwhere);
        }
        if (r->failed) {
            json_decref(v);
            json_decref(out);
            return NULL;
        }
        json_t *idx = json_object_get(f, "index");
        if (json_is_integer(idx)) {
            /* Uncompressed array: one entry per element under one name. */
            json_t *arr = json_object_get(out, name);
            if (!json_is_array(arr)) {
                arr = json_array();
                json_object_set_new(out, name, arr);
            }
            json_array_append_new(arr, v);
        } else {
            json_object_set_new(out, name ? name : "?", v);
        }
    }
    json_t *subs = json_object_get(vmsd, "subsections");
    json_array_foreach(subs, i, f) {
        const char *sname = json_string_value(json_object_get(f, "vmsd_name"));
        size_t at = r->pos;
        if (get_be(r, 1, "subsection marker") != SEC_SUB) {
            r->pos = at;
            fail(r, "%s: subsection '%s' not found", where, sname ? sname : "?");
            json_decref(out);
            return NULL;
        }
        char name[256];
        get_str8(r, name, "subsection name");
        get_be(r, 4, "subsection version");
        if (r->failed) {
            json_decref(out);
            return NULL;
        }
        char swhere[600];
        snprintf(swhere, sizeof(swhere), "%s subsection '%s'", where, name);
        json_t *sv = read_vmsd(r, f, swhere);
        if (!sv) {
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, name, sv);
    }
    return out;
}

/* One RAM payload: records up to EOS. */
static bool read_ram(Reader *r, Section *s)
{
    for (;;) {
        size_t at = r->pos;
        uint64_t w = get_be(r, 8, "RAM record");
        if (r->failed) {
            return false;
        }
        uint64_t flags = w & (page_size - 1), addr = w & ~(page_size - 1);
        if (flags & RAM_EOS) {
            return true;
        }
        if (flags == RAM_MULTIFD_FLUSH) {
            continue;
        }
        if (flags & RAM_MEM_SIZE) {
            json_t *blocks = json_array();
            uint64_t total = addr;
            while (total > 0 && !r->failed) {
                char name[256];
                get_str8(r, name, "RAM block name");
                uint64_t len = get_be(r, 8, "RAM block length");
                if (r->failed) {
                    break;
                }
                if (len > total) {
                    fail(r, "RAM block '%s' of %" PRIu64 " bytes exceeds the total left %" PRIu64,
                         name, len, total);
                    break;
                }
                total -= len;
                json_t *b = json_object();
                json_object_set_new(b, "name", json_string(name));
                json_object_set_new(b, "size", json_integer((json_int_t)len));
                json_array_append_new(blocks, b);
            }
            json_object_set_new(s->out, "blocks", blocks);
            if (r->failed) {
                return false;
            }
            continue;
        }
        if (!(flags & (RAM_ZERO | RAM_PAGE)) || (flags & ~(uint64_t)(RAM_ZERO | RAM_PAGE |
                                                                     RAM_CONTINUE))) {
            r->pos = at;
            return fail(r, "unknown RAM flags 0x%" PRIx64, flags);
        }
        if (flags & RAM_CONTINUE) {
            if (!have_last_block) {
                r->pos = at;
                return fail(r, "RAM page continues a block but none was named");
            }
        } else {
            char name[256];
            if (!get_str8(r, name, "RAM block name")) {
                return false;
            }
            have_last_block = true;
        }
        if (flags & RAM_ZERO) {
            get_be(r, 1, "zero page fill byte");
            s->zero_pages++;
        } else {
            if (!need(r, page_size, "RAM page")) {
                return false;
            }
            r->pos += page_size;
            s->normal_pages++;
        }
    }
}

static Section *section_by_id(uint32_t id)
{
    for (int i = 0; i < nr_sections; i++) {
        if (sections[i].id == id) {
            return &sections[i];
        }
    }
    return NULL;
}

static bool read_footer(Reader *r, uint32_t id)
{
    if (r->pos < r->len && r->d[r->pos] == SEC_FOOTER) {
        r->pos++;
        uint32_t fid = (uint32_t)get_be(r, 4, "section footer");
        if (!r->failed && fid != id) {
            r->pos -= 4;
            return fail(r, "mismatched section footer: 0x%x vs 0x%x", fid, id);
        }
    }
    return !r->failed;
}

static json_t *read_stream(Reader *r, json_t *desc)
{
    json_t *ps = json_object_get(desc, "page_size");
    if (json_is_integer(ps) && json_integer_value(ps) > 0x200) {
        page_size = (uint64_t)json_integer_value(ps);
    }
    json_t *out = json_object();
    json_t *secs = json_array();
    json_object_set_new(out, "sections", secs);
    uint32_t magic = (uint32_t)get_be(r, 4, "magic");
    if (!r->failed && magic != VM_MAGIC) {
        r->pos = 0;
        fail(r, "invalid file magic 0x%08x (not a migration stream)", magic);
    }
    uint32_t version = (uint32_t)get_be(r, 4, "version");
    if (!r->failed && version != 3) {
        r->pos = 4;
        fail(r, "unsupported stream version %u", version);
    }
    while (!r->failed) {
        size_t at = r->pos;
        uint8_t type = (uint8_t)get_be(r, 1, "section type");
        if (r->failed) {
            break;
        }
        if (type == SEC_EOF) {
            json_object_set_new(out, "eof_offset", json_integer((json_int_t)at));
            break;
        }
        if (type == SEC_CONFIG) {
            uint32_t len = (uint32_t)get_be(r, 4, "machine type length");
            if (!r->failed && len > 255) {
                r->pos = at + 1;
                fail(r, "machine type length %u is too long", len);
                break;
            }
            if (!need(r, len, "machine type")) {
                break;
            }
            json_object_set_new(out, "machine", json_stringn((const char *)r->d + r->pos, len));
            r->pos += len;
            /* The machine's configuration subsections (configuration/smp),
             * as the description's configuration.machine describes them. */
            json_t *mdesc = json_object_get(json_object_get(desc, "configuration"), "machine");
            if (mdesc && !r->failed) {
                json_t *cv = read_vmsd(r, mdesc, "configuration");
                if (!cv) {
                    break;
                }
                json_object_set_new(out, "configuration", cv);
            }
            continue;
        }
        if (type == SEC_COMMAND) {
            uint32_t cmd = (uint32_t)get_be(r, 2, "command");
            uint32_t len = (uint32_t)get_be(r, 2, "command length");
            if (!r->failed && (cmd != 0x0b || len != 0)) {
                r->pos = at;
                fail(r, "unknown QEMU_VM_COMMAND 0x%x (length %u)", cmd, len);
            }
            continue;
        }
        Section *s;
        json_t *so = json_object();
        json_object_set_new(so, "offset", json_integer((json_int_t)at));
        if (type == SEC_START || type == SEC_FULL) {
            uint32_t id = (uint32_t)get_be(r, 4, "section id");
            char name[256] = "";
            get_str8(r, name, "section name");
            uint32_t inst = (uint32_t)get_be(r, 4, "instance id");
            uint32_t ver = (uint32_t)get_be(r, 4, "version id");
            if (r->failed) {
                json_decref(so);
                break;
            }
            if (nr_sections == MAX_SECTIONS) {
                r->pos = at;
                fail(r, "more than %d sections", MAX_SECTIONS);
                json_decref(so);
                break;
            }
            s = &sections[nr_sections++];
            memset(s, 0, sizeof(*s));
            s->id = id;
            snprintf(s->name, sizeof(s->name), "%s", name);
            s->instance = inst;
            s->desc = strcmp(name, "ram") == 0 ? NULL : find_device(desc, name, inst);
            if (strcmp(name, "ram") != 0 && !s->desc) {
                r->pos = at;
                fail(r, "section '%s' instance %u is not in the stream description", name, inst);
                json_decref(so);
                break;
            }
            json_object_set_new(so, "name", json_string(name));
            json_object_set_new(so, "instance_id", json_integer(inst));
            json_object_set_new(so, "version", json_integer(ver));
        } else if (type == SEC_PART || type == SEC_END) {
            uint32_t id = (uint32_t)get_be(r, 4, "section id");
            s = r->failed ? NULL : section_by_id(id);
            if (!s) {
                r->pos = at;
                fail(r, "PART/END for unknown section id %u", id);
                json_decref(so);
                break;
            }
            json_object_set_new(so, "name", json_string(s->name));
        } else {
            r->pos = at;
            fail(r, "unknown section type %u", type);
            json_decref(so);
            break;
        }
        static const char *const kinds[] = { "", "START", "PART", "END", "FULL" };
        json_object_set_new(so, "type", json_string(kinds[type]));
        json_object_set_new(so, "section_id", json_integer(s->id));
        s->out = so;
        if (!s->desc) {
            s->zero_pages = s->normal_pages = 0;
            if (read_ram(r, s)) {
                json_object_set_new(so, "zero_pages", json_integer((json_int_t)s->zero_pages));
                json_object_set_new(so, "normal_pages",
                                    json_integer((json_int_t)s->normal_pages));
            }
        } else {
            char where[300];
            snprintf(where, sizeof(where), "section '%s'", s->name);
            json_t *fields = read_vmsd(r, s->desc, where);
            if (fields) {
                json_object_set_new(so, "fields", fields);
            }
        }
        json_array_append_new(secs, so);
        read_footer(r, s->id);
    }
    return out;
}

static void print_value(const char *indent, const char *name, json_t *v)
{
    if (json_is_object(v)) {
        printf("%s%s:\n", indent, name);
        char ind[64];
        snprintf(ind, sizeof(ind), "%s  ", indent);
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e) {
            print_value(ind, k, e);
        }
    } else if (json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0))) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            char n[300];
            snprintf(n, sizeof(n), "%s[%zu]", name, i);
            print_value(indent, n, e);
        }
    } else {
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        printf("%s%s = %s\n", indent, name, s ? s : "?");
        free(s);
    }
}

static void print_text(json_t *out)
{
    json_t *m = json_object_get(out, "machine");
    if (m) {
        printf("machine type: %s\n", json_string_value(m));
    }
    size_t i;
    json_t *s;
    const char *ck;
    json_t *cv;
    json_object_foreach(json_object_get(out, "configuration"), ck, cv) {
        print_value("  ", ck, cv);       /* configuration/smp: nr_harts */
    }
    json_array_foreach(json_object_get(out, "sections"), i, s) {
        printf("%s section %" JSON_INTEGER_FORMAT " '%s'", json_string_value(json_object_get(s,
               "type")), json_integer_value(json_object_get(s, "section_id")),
               json_string_value(json_object_get(s, "name")));
        json_t *inst = json_object_get(s, "instance_id");
        if (inst) {
            printf(" instance %" JSON_INTEGER_FORMAT " version %" JSON_INTEGER_FORMAT,
                   json_integer_value(inst), json_integer_value(json_object_get(s, "version")));
        }
        printf(" at offset %" JSON_INTEGER_FORMAT "\n",
               json_integer_value(json_object_get(s, "offset")));
        json_t *blocks = json_object_get(s, "blocks");
        size_t k;
        json_t *b;
        json_array_foreach(blocks, k, b) {
            printf("  block %s: %" JSON_INTEGER_FORMAT " bytes\n",
                   json_string_value(json_object_get(b, "name")),
                   json_integer_value(json_object_get(b, "size")));
        }
        if (json_object_get(s, "zero_pages")) {
            printf("  pages: %" JSON_INTEGER_FORMAT " zero, %" JSON_INTEGER_FORMAT " normal\n",
                   json_integer_value(json_object_get(s, "zero_pages")),
                   json_integer_value(json_object_get(s, "normal_pages")));
        }
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(s, "fields"), key, v) {
            print_value("  ", key, v);
        }
    }
    json_t *eof = json_object_get(out, "eof_offset");
    if (eof) {
        printf("EOF at offset %" JSON_INTEGER_FORMAT "\n", json_integer_value(eof));
    }
}

static void usage(void)
{
    printf("usage: amber-analyze [--json | --desc] FILE\n"
           "Prints an Amber or QEMU migration stream, snapshot state or device-state file\n"
           "as sections and fields using the JSON description embedded after EOF.\n"
           "  --json   the same as JSON\n"
           "  --desc   print the embedded description only\n");
}

int main(int argc, char **argv)
{
    bool json_out = false, desc_only = false;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json_out = true;
        } else if (strcmp(argv[i], "--desc") == 0) {
            desc_only = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage();
            return 0;
        } else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "amber-analyze: unexpected argument '%s' (see --help)\n", argv[i]);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        usage();
        return 2;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "amber-analyze: %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *d = malloc(cap);
    for (;;) {
        if (len == cap) {
            cap *= 2;
            d = realloc(d, cap);
        }
        size_t n = fread(d + len, 1, cap - len, f);
        if (n == 0) {
            break;
        }
        len += n;
    }
    bool read_err = ferror(f);
    fclose(f);
    if (read_err || !d) {
        fprintf(stderr, "amber-analyze: %s: read error\n", path);
        free(d);
        return 1;
    }
    Reader r = { .path = path, .d = d, .len = len };
    size_t desc_start = 0;
    json_t *desc = find_vmdesc(&r, &desc_start);
    json_t *out = NULL;
    if (desc && desc_only) {
        char *s = json_dumps(desc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
    } else if (desc) {
        out = read_stream(&r, desc);
        json_t *eof = json_object_get(out, "eof_offset");
        if (!r.failed && (!eof || (size_t)json_integer_value(eof) + 1 != desc_start)) {
            r.pos = eof ? (size_t)json_integer_value(eof) + 1 : r.pos;
            fail(&r, "the stream description does not follow EOF");
        }
        if (!r.failed) {
            if (json_out) {
                char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                printf("%s\n", s);
                free(s);
            } else {
                print_text(out);
            }
        }
    }
    int status = 0;
    if (r.failed) {
        fprintf(stderr, "amber-analyze: %s: offset %zu: %s\n", path, r.err_pos, r.err);
        status = 1;
    }
    json_decref(out);
    json_decref(desc);
    free(d);
    return status;
}
