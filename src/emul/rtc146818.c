/*
 * rtc146818.c — the MC146818 real-time clock and CMOS RAM, as a pure state machine.
 *
 * Where it sits: board.c maps it at 0x70 (2 ports) and gives it the monotonic
 * clock, a wall-time source and ISA IRQ 8. The guest selects a register by
 * writing offset 0 (bit 7 is the PC's NMI mask: ignored) and reads or writes it
 * at offset 1. The monitor calls rtc_update when the time it returned comes.
 *
 * Time model: the host wall clock is read once, at creation; from then on the
 * RTC counts the monotonic clock, so the time registers, the UIP window, and
 * the periodic, alarm and update interrupts all follow one timeline:
 *
 *     guest seconds(now) = base_sec + floor((now - anchor_ns) / 1 s)
 *
 * anchor_ns is a second boundary (the instant the last time base began). The
 * guest sets the time the datasheet's way: SET=1 in register B freezes the
 * registers (they then hold whatever the guest writes); clearing SET makes the
 * written time the new base, starting a fresh second at that instant. A time
 * register written while SET=0 takes effect at once, keeping the second's phase.
 * The divider bits of register A (DV2-0) are stored but not modelled, and the
 * update cycle is instantaneous at the boundary (UIP warns 244 us before it).
 * Day of week is derived from the date (1 = Sunday), not stored.
 *
 * Flags (register C) rise whether or not their interrupt is enabled: PF at each
 * periodic tick (rate RS: 32768 >> (RS-1) Hz, RS 1/2 as 8/9), UF at each update,
 * AF at an update whose h:m:s match the alarm (alarm bytes 0xC0-0xFF = any).
 * IRQF = PF&PIE | AF&AIE | UF&UIE drives IRQ 8; reading C clears all and lowers
 * it. Events are processed lazily (at each access and rtc_update); after a long
 * gap each flag is simply set once — ticks coalesce.
 *
 * Register map (index): 0 sec, 1 sec alarm, 2 min, 3 min alarm, 4 hour,
 * 5 hour alarm, 6 day of week, 7 day of month, 8 month, 9 year,
 * 0x0A-0x0D status A-D, 0x32 century, everything else CMOS RAM.
 */
#include <stdlib.h>

#include "btmon/devices.h"

enum {
	RTC_SEC = 0x00, RTC_SEC_ALARM = 0x01, RTC_MIN = 0x02, RTC_MIN_ALARM = 0x03,
	RTC_HOUR = 0x04, RTC_HOUR_ALARM = 0x05, RTC_WDAY = 0x06, RTC_MDAY = 0x07,
	RTC_MON = 0x08, RTC_YEAR = 0x09,
	RTC_REG_A = 0x0A, RTC_REG_B = 0x0B, RTC_REG_C = 0x0C, RTC_REG_D = 0x0D,
	RTC_CENTURY = 0x32,             /* IBM PC convention, named by ACPI FADT */
	RTC_NREGS = 128,
};

/* Status A. */
#define A_UIP      0x80u        /* update in progress (read-only) */
#define A_RS_MASK  0x0Fu        /* periodic rate select */
#define A_WRITABLE 0x7Fu        /* DV2-0 and RS3-0 */

/* Status B. */
#define B_SET  0x80u            /* halt updates so the guest can set the time */
#define B_PIE  0x40u            /* periodic interrupt enable */
#define B_AIE  0x20u            /* alarm interrupt enable */
#define B_UIE  0x10u            /* update-ended interrupt enable */
#define B_SQWE 0x08u            /* square-wave output: no pin here, ignored */
#define B_DM   0x04u            /* 1 = binary, 0 = BCD */
#define B_24H  0x02u            /* 1 = 24-hour, 0 = 12-hour with PM in hour bit 7 */

/* Status C: flags, cleared by reading. */
#define C_IRQF 0x80u
#define C_PF   0x40u
#define C_AF   0x20u
#define C_UF   0x10u

#define D_VRT  0x80u            /* valid RAM and time: the battery is always good */

#define HOUR_PM       0x80u
#define ALARM_ANY     0xC0u     /* alarm byte with both top bits set matches any value */
#define NS_PER_SEC    1000000000ull
#define RTC_HZ        32768ull  /* time base crystal */
#define UIP_WINDOW_NS 244000ull /* UIP is high this long before each update */
#define SEC_PER_DAY   86400

struct rtc {
	struct clock clk;
	struct irq_line irq;
	uint8_t index;                  /* selected register, 0..127 */
	uint8_t cmos[RTC_NREGS];        /* RAM, alarms, A, B; time while SET=1 */
	uint8_t flags;                  /* register C without IRQF */
	int irq_level;
	int64_t base_sec;               /* guest time (Unix seconds) at anchor_ns */
	uint64_t anchor_ns;             /* a second boundary on the clock */
	uint64_t last_ns;               /* events are processed up to here */
};

/* A broken-down guest time. */
struct rtc_tm {
	int64_t year;
	unsigned mon, mday, wday, hour, min, sec;  /* mon 1-12, wday 1 = Sunday */
};

/* ---- calendar (proleptic Gregorian, days since 1970-01-01) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t days_from_date(int64_t y, unsigned m, unsigned d)
{
	if (m <= 2)                     /* count years from March: leap day last */
		y--;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;                            /* 0..399 */
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;   /* 0..146096 */
	return era * 146097 + doe - 719468;                     /* 719468: 0000-03-01 to 1970 */
}

static void date_from_days(int64_t days, struct rtc_tm *tm)
{
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;                       /* 0 = March */

	tm->mday = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = yoe + era * 400 + (tm->mon <= 2);
	tm->wday = (unsigned)(days - 7 * floor_div(days + 4, 7) + 4) + 1;  /* 1970-01-01: Thursday */
}

static void tm_from_seconds(int64_t t, struct rtc_tm *tm)
{
	int64_t days = floor_div(t, SEC_PER_DAY);
	int64_t tod = t - days * SEC_PER_DAY;

	date_from_days(days, tm);
	tm->hour = (unsigned)(tod / 3600);
	tm->min = (unsigned)(tod / 60 % 60);
	tm->sec = (unsigned)(tod % 60);
}

/* ---- register formats (BCD or binary, 12 or 24 hour) ---- */

static uint8_t rtc_encode(const struct rtc *r, unsigned v)
{
	return (r->cmos[RTC_REG_B] & B_DM) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned rtc_decode(const struct rtc *r, uint8_t v)
{
	return (r->cmos[RTC_REG_B] & B_DM) ? v : (v >> 4) * 10u + (v & 0x0Fu);
}

static uint8_t rtc_encode_hour(const struct rtc *r, unsigned hour)
{
	if (r->cmos[RTC_REG_B] & B_24H)
		return rtc_encode(r, hour);
	unsigned h12 = hour % 12 ? hour % 12 : 12;
	return rtc_encode(r, h12) | (hour >= 12 ? HOUR_PM : 0);
}

static unsigned rtc_decode_hour(const struct rtc *r, uint8_t v)
{
	if (r->cmos[RTC_REG_B] & B_24H)
		return rtc_decode(r, v);
	return rtc_decode(r, (uint8_t)(v & ~HOUR_PM)) % 12 + ((v & HOUR_PM) ? 12 : 0);
}

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* ---- the timeline ---- */

static uint64_t rtc_clock(const struct rtc *r)
{
	uint64_t now = clock_now(&r->clk);
	return now < r->last_ns ? r->last_ns : now;     /* never run backwards */
}

static int64_t rtc_elapsed_sec(const struct rtc *r, uint64_t t)
{
	return (int64_t)((t - r->anchor_ns) / NS_PER_SEC);
}

/* 32768 Hz cycles since the anchor: the divider chain the periodic rate taps. */
static uint64_t rtc_cycles(const struct rtc *r, uint64_t t)
{
	uint64_t e = t - r->anchor_ns;
	return e / NS_PER_SEC * RTC_HZ + e % NS_PER_SEC * RTC_HZ / NS_PER_SEC;
}

/* The first clock time at which `cycles` cycles have elapsed since the anchor. */
static uint64_t rtc_cycles_to_ns(const struct rtc *r, uint64_t cycles)
{
	uint64_t part = cycles % RTC_HZ * NS_PER_SEC;
	return r->anchor_ns + cycles / RTC_HZ * NS_PER_SEC + (part + RTC_HZ - 1) / RTC_HZ;
}

/* Periodic interrupt period in 32768 Hz cycles; 0 when RS = 0 (off). */
static uint64_t rtc_period_cycles(const struct rtc *r)
{
	unsigned rs = r->cmos[RTC_REG_A] & A_RS_MASK;
	if (rs == 0)
		return 0;
	if (rs <= 2)                    /* 256 and 128 Hz, as rates 8 and 9 */
		rs += 7;
	return 1ull << (rs - 1);
}

static uint8_t rtc_irqf(const struct rtc *r)
{
	uint8_t b = r->cmos[RTC_REG_B];
	bool on = ((r->flags & C_PF) && (b & B_PIE)) || ((r->flags & C_AF) && (b & B_AIE)) ||
		  ((r->flags & C_UF) && (b & B_UIE));
	return on ? C_IRQF : 0;
}

/* Drive IRQ 8 to follow IRQF. */
static void rtc_update_irq(struct rtc *r)
{
	int level = rtc_irqf(r) != 0;
	if (level != r->irq_level) {
		r->irq_level = level;
		irq_line_set(&r->irq, level);
	}
}

/* Does the alarm match time of day `tod` (seconds since midnight)? */
static bool rtc_alarm_matches(const struct rtc *r, int64_t tod)
{
	uint8_t as = r->cmos[RTC_SEC_ALARM], am = r->cmos[RTC_MIN_ALARM];
	uint8_t ah = r->cmos[RTC_HOUR_ALARM];

	return ((as & ALARM_ANY) == ALARM_ANY || as == rtc_encode(r, (unsigned)(tod % 60))) &&
	       ((am & ALARM_ANY) == ALARM_ANY || am == rtc_encode(r, (unsigned)(tod / 60 % 60))) &&
	       ((ah & ALARM_ANY) == ALARM_ANY || ah == rtc_encode_hour(r, (unsigned)(tod / 3600)));
}

/* Did any of the guest seconds first..last match the alarm? A day covers all. */
static bool rtc_alarm_due(const struct rtc *r, int64_t first, int64_t last)
{
	int64_t n = last - first + 1;
	if (n > SEC_PER_DAY)
		n = SEC_PER_DAY;
	for (int64_t i = 0; i < n; i++) {
		int64_t t = first + i;
		if (rtc_alarm_matches(r, t - floor_div(t, SEC_PER_DAY) * SEC_PER_DAY))
			return true;
	}
	return false;
}

/* Raise the flags of every event in (last_ns, now]; coalesced, so each at most once. */
static void rtc_process(struct rtc *r, uint64_t now)
{
	uint64_t prev = r->last_ns;
	uint64_t period = rtc_period_cycles(r);

	if (now <= prev)
		return;
	r->last_ns = now;
	if (period && rtc_cycles(r, now) / period != rtc_cycles(r, prev) / period)
		r->flags |= C_PF;
	if (!(r->cmos[RTC_REG_B] & B_SET)) {
		int64_t s0 = rtc_elapsed_sec(r, prev), s1 = rtc_elapsed_sec(r, now);
		if (s1 > s0) {
			r->flags |= C_UF;
			if (!(r->flags & C_AF) && rtc_alarm_due(r, r->base_sec + s0 + 1, r->base_sec + s1))
				r->flags |= C_AF;
		}
	}
	rtc_update_irq(r);
}

/* ---- time registers ---- */

static bool rtc_is_time_reg(unsigned index)
{
	return index == RTC_SEC || index == RTC_MIN || index == RTC_HOUR || index == RTC_WDAY ||
	       index == RTC_MDAY || index == RTC_MON || index == RTC_YEAR || index == RTC_CENTURY;
}

/* The time register `index` as the running clock shows it at `now`. */
static uint8_t rtc_time_field(const struct rtc *r, unsigned index, uint64_t now)
{
	struct rtc_tm tm;
	tm_from_seconds(r->base_sec + rtc_elapsed_sec(r, now), &tm);
	unsigned year = tm.year < 0 ? 0 : (unsigned)(tm.year % 10000);

	switch (index) {
	case RTC_SEC:  return rtc_encode(r, tm.sec);
	case RTC_MIN:  return rtc_encode(r, tm.min);
	case RTC_HOUR: return rtc_encode_hour(r, tm.hour);
	case RTC_WDAY: return rtc_encode(r, tm.wday);
	case RTC_MDAY: return rtc_encode(r, tm.mday);
	case RTC_MON:  return rtc_encode(r, tm.mon);
	case RTC_YEAR: return rtc_encode(r, year % 100);
	default:       return rtc_encode(r, year / 100);   /* RTC_CENTURY */
	}
}

/* Copy the running time into the registers (SET rising, or a write while running). */
static void rtc_latch_time(struct rtc *r, uint64_t now)
{
	static const uint8_t regs[] = { RTC_SEC, RTC_MIN, RTC_HOUR, RTC_WDAY, RTC_MDAY,
					RTC_MON, RTC_YEAR, RTC_CENTURY };
	for (size_t i = 0; i < BT_ARRAY_SIZE(regs); i++)
		r->cmos[regs[i]] = rtc_time_field(r, regs[i], now);
}

/* The time the registers hold, as Unix seconds (out-of-range fields clamped). */
static int64_t rtc_registers_to_seconds(const struct rtc *r)
{
	int64_t year = (int64_t)rtc_decode(r, r->cmos[RTC_CENTURY]) * 100 +
		       rtc_decode(r, r->cmos[RTC_YEAR]) % 100;
	unsigned mon = clamp(rtc_decode(r, r->cmos[RTC_MON]), 1, 12);
	unsigned mday = clamp(rtc_decode(r, r->cmos[RTC_MDAY]), 1, 31);
	unsigned hour = clamp(rtc_decode_hour(r, r->cmos[RTC_HOUR]), 0, 23);
	unsigned min = clamp(rtc_decode(r, r->cmos[RTC_MIN]), 0, 59);
	unsigned sec = clamp(rtc_decode(r, r->cmos[RTC_SEC]), 0, 59);

	return days_from_date(year, mon, mday) * SEC_PER_DAY + hour * 3600 + min * 60 + sec;
}

/* The registers become the running time. A new second starts now unless
 * `keep_phase`, where the current second's fraction carries on. */
static void rtc_commit_time(struct rtc *r, uint64_t now, bool keep_phase)
{
	int64_t t = rtc_registers_to_seconds(r);
	if (keep_phase) {
		r->base_sec = t - rtc_elapsed_sec(r, now);
	} else {
		r->base_sec = t;
		r->anchor_ns = now;
	}
}

/* ---- register access ---- */

static void rtc_write_b(struct rtc *r, uint8_t value, uint64_t now)
{
	uint8_t old = r->cmos[RTC_REG_B];

	if (value & B_SET)              /* datasheet: setting SET clears UIE */
		value &= (uint8_t)~B_UIE;
	r->cmos[RTC_REG_B] = value;
	if (!(old & B_SET) && (value & B_SET))
		rtc_latch_time(r, now);
	else if ((old & B_SET) && !(value & B_SET))
		rtc_commit_time(r, now, false);
	rtc_update_irq(r);              /* enables may expose pending flags */
}

static void rtc_write_reg(struct rtc *r, unsigned index, uint8_t value, uint64_t now)
{
	bool running = !(r->cmos[RTC_REG_B] & B_SET);

	if (rtc_is_time_reg(index) && running) {
		rtc_latch_time(r, now);
		r->cmos[index] = value;
		rtc_commit_time(r, now, true);
		return;
	}
	switch (index) {
	case RTC_REG_A: r->cmos[RTC_REG_A] = value & A_WRITABLE; break;
	case RTC_REG_B: rtc_write_b(r, value, now); break;
	case RTC_REG_C:
	case RTC_REG_D: break;          /* read-only */
	default:        r->cmos[index] = value; break;
	}
}

static uint8_t rtc_read_reg(struct rtc *r, unsigned index, uint64_t now)
{
	bool running = !(r->cmos[RTC_REG_B] & B_SET);
	uint8_t v;

	if (rtc_is_time_reg(index))
		return running ? rtc_time_field(r, index, now) : r->cmos[index];
	switch (index) {
	case RTC_REG_A: {
		uint64_t frac = (now - r->anchor_ns) % NS_PER_SEC;
		bool uip = running && frac >= NS_PER_SEC - UIP_WINDOW_NS;
		return (uint8_t)(r->cmos[RTC_REG_A] | (uip ? A_UIP : 0));
	}
	case RTC_REG_C:
		v = r->flags | rtc_irqf(r);
		r->flags = 0;
		rtc_update_irq(r);
		return v;
	case RTC_REG_D: return D_VRT;
	default:        return r->cmos[index];
	}
}

/* io_ops: offset 0 selects a register, offset 1 reads or writes it. Only the
 * low byte of a wider access counts. */
static uint32_t rtc_io_read(void *dev, uint16_t offset, unsigned size)
{
	struct rtc *r = dev;
	(void)size;

	if (offset == 0)
		return 0xFF;            /* the index port is write-only */
	uint64_t now = rtc_clock(r);
	rtc_process(r, now);
	return rtc_read_reg(r, r->index, now);
}

static void rtc_io_write(void *dev, uint16_t offset, unsigned size, uint32_t value)
{
	struct rtc *r = dev;
	(void)size;

	if (offset == 0) {
		r->index = value & 0x7F;        /* bit 7: NMI disable, not ours */
		return;
	}
	uint64_t now = rtc_clock(r);
	rtc_process(r, now);
	rtc_write_reg(r, r->index, (uint8_t)value, now);
}

const struct io_ops rtc_ops = { .read = rtc_io_read, .write = rtc_io_write };

/*
 * Process due events and return the clock time of the next one that can
 * interrupt: a periodic tick while PIE, a second boundary while UIE or AIE
 * (and the clock runs). UINT64_MAX if no interrupt is enabled.
 */
uint64_t rtc_update(struct rtc *r)
{
	uint64_t now = rtc_clock(r);
	uint64_t next = UINT64_MAX;
	uint8_t b = r->cmos[RTC_REG_B];
	uint64_t period = rtc_period_cycles(r);

	rtc_process(r, now);
	if ((b & B_PIE) && period)
		next = rtc_cycles_to_ns(r, (rtc_cycles(r, now) / period + 1) * period);
	if ((b & (B_UIE | B_AIE)) && !(b & B_SET)) {
		uint64_t boundary = r->anchor_ns + (uint64_t)(rtc_elapsed_sec(r, now) + 1) * NS_PER_SEC;
		if (boundary < next)
			next = boundary;
	}
	return next;
}

void rtc_set_cmos(struct rtc *r, uint8_t index, uint8_t value)
{
	r->cmos[index % RTC_NREGS] = value;
}

/* An RTC running from the host's wall time now (read once, here): 24-hour BCD,
 * 1024 Hz periodic rate selected, no interrupt enabled, IRQ 8 low. */
struct rtc *rtc_new(struct clock clk, int64_t (*wall_seconds)(void *ctx), void *wall_ctx,
		    struct irq_line irq8)
{
	struct rtc *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->clk = clk;
	r->irq = irq8;
	r->anchor_ns = r->last_ns = clock_now(&clk);
	r->base_sec = wall_seconds ? wall_seconds(wall_ctx) : 0;
	r->cmos[RTC_REG_A] = 0x26;      /* DV = 010 (32.768 kHz), RS = 6 (1024 Hz) */
	r->cmos[RTC_REG_B] = B_24H;
	return r;
}

void rtc_free(struct rtc *r)
{
	free(r);
}
