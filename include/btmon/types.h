/*
 * types.h — the few types every btmon module shares: guest address kinds and
 * the status codes of host-side (btmon) failures.
 *
 * Three kinds of failure are kept apart in btmon (STYLE.md):
 *   - a host/btmon failure returns a bt_status the caller must check;
 *   - a guest fault (#PF, #GP, #UD, ...) is an event raised on the VirtualCPU;
 *   - an invariant violation is an assertion with file and line.
 */
#ifndef BTMON_TYPES_H
#define BTMON_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A guest-linear address (after segmentation, before paging). */
typedef uint32_t gla_t;
/* A guest-physical address (after paging). */
typedef uint32_t gpa_t;

/* Status codes, grouped by the component that usually returns them. */
typedef enum bt_status {
	BT_OK = 0,
	/* generic */
	BT_ERR_NOMEM,       /* host allocation failed */
	BT_ERR_INVAL,       /* bad argument */
	BT_ERR_HOST,        /* a host system call failed (errno is set) */
	BT_ERR_IO,          /* reading or writing a host file failed */
	/* loaders (emul/boot) */
	BT_ERR_FORMAT,      /* an image is malformed */
	BT_ERR_RANGE,       /* something does not fit guest RAM */
	/* cache */
	BT_ERR_NOSPACE,     /* code arena full: caller flushes and retries */
	/* translator */
	BT_ERR_UNSUPPORTED, /* guest code btmon cannot translate (yet) */
	BT_ERR_FETCH,       /* guest code fetch faulted (raise #PF/#GP) */
	/* emul */
	BT_ERR_OVERLAP,     /* a device range overlaps another */
} bt_status;

/* A short English name of a status, for error lines. */
const char *bt_status_str(bt_status s);

#define BT_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BT_PAGE_SIZE 4096u
#define BT_PAGE_MASK (~(uint32_t)(BT_PAGE_SIZE - 1))

#endif
