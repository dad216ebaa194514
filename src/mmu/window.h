/*
 * window.h — private to src/mmu: reserving and releasing the GS window.
 */
#ifndef BTMON_MMU_WINDOW_H
#define BTMON_MMU_WINDOW_H

#include "btmon/mmu.h"

bt_status window_reserve(struct mmu *m);
void window_release(struct mmu *m);

#endif
