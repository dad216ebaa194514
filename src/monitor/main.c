/*
 * main.c — btmon's entry point: parse the command line, build the machine,
 * load the kernel (or the built-in demo guest), run it, report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btmon/bench.h"
#include "btmon/boot.h"
#include "monitor.h"

extern const unsigned char btmon_demo_guest[];
extern const unsigned long btmon_demo_guest_len;

#define BOOT_GDT 0x8000u   /* a flat GDT for the boot selectors, below the Multiboot info */

/* Read a whole file; NULL with errno set on failure. */
static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1u << 20;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int err = ferror(f) ? EIO : 0;
	fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	*len = n;
	return buf;
}

/* Flat code (0x10) and data (0x18) descriptors, as GRUB and Linux's boot protocol use. */
static void install_boot_gdt(struct machine *m)
{
	static const uint32_t gdt[8] = { 0, 0, 0, 0,
		0x0000ffffu, 0x00cf9b00u,   /* 0x10: code, base 0, limit 4 GiB, DPL 0 */
		0x0000ffffu, 0x00cf9300u }; /* 0x18: data */
	void *p = mmu_gpa_ptr(&m->mmu, BOOT_GDT, sizeof(gdt));
	if (p)
		memcpy(p, gdt, sizeof(gdt));
	m->vcpu->gdtr.base = BOOT_GDT;
	m->vcpu->gdtr.limit = sizeof(gdt) - 1;
	vcpu_memo_clear(m->vcpu);   /* a reset must not replay the old GDT's loads */
}

struct kernel_image {
	const uint8_t *img, *initrd;
	size_t len, initrd_len;
	const char *name;
};

/* A bzImage has "HdrS" at 0x202 (Linux boot protocol); anything else is Multiboot. */
static bool is_bzimage(const uint8_t *img, size_t len)
{
	return len > 0x206 && memcmp(img + 0x202, "HdrS", 4) == 0;
}

/* Load the kernel (Multiboot or Linux) and set the entry state: protected
 * mode, flat __BOOT_CS 0x10 / __BOOT_DS 0x18, IF=0, paging off. */
static int boot_kernel(struct machine *m, void *ctx)
{
	const struct kernel_image *k = ctx;
	struct boot_state st;
	char err[256] = "";
	struct boot_ram ram = { m->mmu.ram, m->mmu.ram_size };
	bt_status s;
	bool linux_kernel = is_bzimage(k->img, k->len);
	if (linux_kernel)
		s = linux_load(k->img, k->len, k->initrd, k->initrd_len, m->opt->append, ram, &st,
			       err, sizeof(err));
	else if (k->initrd)
		return fprintf(stderr, "btmon: -initrd: %s is a Multiboot kernel, which takes no "
			       "initrd (use a bzImage)\n", k->name), 2;
	else
		s = multiboot_load(k->img, k->len, m->opt->append, ram, &st, err, sizeof(err));
	if (s != BT_OK) {
		fprintf(stderr, "btmon: %s: %s\n", k->name, err[0] ? err : bt_status_str(s));
		return 2;
	}
	struct vcpu *v = m->vcpu;
	vcpu_reset_protected(v, 0x10, 0x18);
	install_boot_gdt(m);
	v->eip = st.eip;
	v->gpr[X86_EAX] = st.eax;
	v->gpr[X86_EBX] = st.ebx;
	v->gpr[X86_ESI] = st.esi;
	return 0;
}

static int finish(struct machine *m)
{
	if (m->stop_reason[0] && (m->want_dump || m->opt->stats || trace_on(&m->trace, TRACE_EXIT)))
		fprintf(stderr, "btmon: %s\n", m->stop_reason);
	if (m->want_dump)
		dump_registers(m, stderr);
	if (m->opt->stats)
		stats_print(m, stderr);
	return m->exit_status;
}

int main(int argc, char **argv)
{
	struct btmon_options opt;
	char err[256];
	if (argc > 1 && strcmp(argv[1], "bench") == 0)
		return bench_main(argc - 1, argv + 1);
	if (cli_parse(argc, argv, &opt, err, sizeof(err)) != BT_OK) {
		fprintf(stderr, "btmon: %s\n", err);
		return 2;
	}
	if (opt.action == CLI_HELP) {
		cli_usage(stdout);
		return 0;
	}
	if (opt.action == CLI_VERSION) {
		printf("btmon %s — binary-translating monitor for 32-bit x86 guests\n", BTMON_VERSION);
		return 0;
	}
	const uint8_t *img = btmon_demo_guest;
	size_t len = btmon_demo_guest_len;
	uint8_t *owned = NULL;
	const char *name = opt.kernel ? opt.kernel : "built-in demo guest";
	if (opt.kernel) {
		owned = read_file(opt.kernel, &len);
		if (!owned) {
			fprintf(stderr, "btmon: -kernel: cannot read '%s': %s\n", opt.kernel, strerror(errno));
			return 2;
		}
		img = owned;
	}
	static struct machine m;
	bt_status s = machine_init(&m, &opt);
	if (s == BT_ERR_IO) {
		fprintf(stderr, "btmon: --trace-file: cannot create '%s': %s\n", opt.trace_file,
			strerror(m.init_errno));
		free(owned);
		return 2;
	}
	if (s != BT_OK) {
		fprintf(stderr, "btmon: cannot set up the machine: %s (%s)\n", bt_status_str(s),
			strerror(errno));
		free(owned);
		return 1;
	}
	size_t initrd_len = 0;
	uint8_t *initrd = NULL;
	if (opt.initrd && !(initrd = read_file(opt.initrd, &initrd_len))) {
		fprintf(stderr, "btmon: -initrd: cannot read '%s': %s\n", opt.initrd, strerror(errno));
		machine_fini(&m);
		free(owned);
		return 2;
	}
	struct kernel_image k = { img, initrd, len, initrd_len, name };
	m.boot = boot_kernel;
	m.boot_ctx = &k;
	int rc = boot_kernel(&m, &k);
	if (rc == 0) {
		machine_run(&m);
		rc = finish(&m);
	}
	machine_fini(&m);
	free(owned);
	free(initrd);
	return rc;
}
