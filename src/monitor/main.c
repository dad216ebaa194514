/*
 * main.c — btmon's entry point: parse the command line, build the machine,
 * load the kernel (or the built-in demo guest), run it, report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
}

struct kernel_image {
	const uint8_t *img;
	size_t len;
	const char *name;
};

static int boot_multiboot(struct machine *m, void *ctx)
{
	const struct kernel_image *k = ctx;
	const uint8_t *img = k->img;
	size_t len = k->len;
	const char *name = k->name;
	struct boot_state st;
	char err[256] = "";
	struct boot_ram ram = { m->mmu.ram, m->mmu.ram_size };
	bt_status s = multiboot_load(img, len, m->opt->append, ram, &st, err, sizeof(err));
	if (s != BT_OK) {
		fprintf(stderr, "btmon: %s: %s\n", name, err[0] ? err : bt_status_str(s));
		return 2;
	}
	struct vcpu *v = m->vcpu;
	vcpu_reset_protected(v, 0x10, 0x18);
	install_boot_gdt(m);
	v->eip = st.eip;
	v->gpr[X86_EAX] = st.eax;
	v->gpr[X86_EBX] = st.ebx;
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
	struct kernel_image k = { img, len, name };
	m.boot = boot_multiboot;
	m.boot_ctx = &k;
	int rc = boot_multiboot(&m, &k);
	if (rc == 0) {
		machine_run(&m);
		rc = finish(&m);
	}
	machine_fini(&m);
	free(owned);
	return rc;
}
