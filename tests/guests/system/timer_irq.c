/*
 * timer_irq.c — PIC + PIT + RTC through the guest IDT: the PIT ticks IRQ 0
 * at 1 kHz into a handler while the guest sleeps in HLT; the RTC reads a
 * plausible date and its periodic interrupt arrives on IRQ 8 through the
 * slave PIC; channel 2 and port 0x61 calibrate the TSC the way Linux does.
 */
#include "sys.h"

static volatile unsigned ticks, rtc_irqs;
static volatile uint32_t if_in_handler = 0xffffffffu;

static void pic_init(uint8_t master_mask, uint8_t slave_mask)
{
	outb(0x20, 0x11); outb(0xa0, 0x11);      /* ICW1: edge, cascade, ICW4 */
	outb(0x21, 0x20); outb(0xa1, 0x28);      /* ICW2: vectors 0x20 / 0x28 */
	outb(0x21, 0x04); outb(0xa1, 0x02);      /* ICW3: slave on IRQ 2 */
	outb(0x21, 0x01); outb(0xa1, 0x01);      /* ICW4: 8086 mode */
	outb(0x21, master_mask); outb(0xa1, slave_mask);
}

static void on_irq0(struct trap_frame *f)
{
	(void)f;
	if_in_handler = read_eflags() & 0x200;
	ticks++;
	outb(0x20, 0x20);                         /* non-specific EOI */
}

static void on_irq8(struct trap_frame *f)
{
	(void)f;
	outb(0x70, 0x0c);
	(void)inb(0x71);                          /* read C: clears the flags */
	rtc_irqs++;
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static int bcd_ok(uint8_t v)
{
	return (v & 0xf) <= 9 && (v >> 4) <= 9;
}

static void test_pit_ticks(void)
{
	outb(0x43, 0x34);                         /* ch 0, lo/hi, mode 2 */
	outb(0x40, 1193 & 0xff);
	outb(0x40, 1193 >> 8);                    /* ~1000 Hz */
	uint64_t t0 = rdtsc();
	sti();
	while (ticks < 100)
		hlt();
	cli();
	uint64_t t1 = rdtsc();
	CHECK(ticks >= 100, "100 PIT ticks arrived while halted");
	CHECK(if_in_handler == 0, "IF is clear inside an interrupt gate handler");
	CHECK(read_eflags() & 0x200 ? 0 : 1, "IF clear again after cli");
	CHECK(t1 > t0, "TSC advanced across the ticks");
	outb(0x43, 0x30);                         /* ch 0 mode 0, no reload: stop ticking */
	outb(0x40, 0); outb(0x40, 0);
}

static void test_tsc_calibration(void)
{
	/* Linux's pit_calibrate_tsc: channel 2, mode 0, gate on, poll bit 5. */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);                         /* ch 2, lo/hi, mode 0 */
	outb(0x42, 59659 & 0xff);                 /* 50 ms */
	outb(0x42, 59659 >> 8);
	uint64_t t0 = rdtsc();
	unsigned polls = 0;
	while (!(inb(0x61) & 0x20))
		polls++;
	uint32_t mhz = (uint32_t)((rdtsc() - t0) >> 10) / 49;   /* /50000, no libgcc: (x/1024)/48.8 */
	console_printf("     TSC %u MHz after %u polls of port 0x61\n", (unsigned)mhz, polls);
	CHECK(polls > 10, "channel 2 output stayed low for a while");
	CHECK(mhz > 200 && mhz < 10000, "TSC calibrates to a plausible frequency");
}

static void test_rtc(void)
{
	while (cmos(0x0a) & 0x80)
		;                                 /* wait out update-in-progress */
	uint8_t sec = cmos(0), min = cmos(2), hour = cmos(4), day = cmos(7), mon = cmos(8);
	uint8_t year = cmos(9), cent = cmos(0x32);
	console_printf("     RTC %02x%02x-%02x-%02x %02x:%02x:%02x\n", cent, year, mon, day, hour, min, sec);
	CHECK(bcd_ok(sec) && bcd_ok(min) && bcd_ok(hour) && bcd_ok(day) && bcd_ok(mon) && bcd_ok(year),
	      "RTC date and time are BCD");
	CHECK(cent == 0x20 && year >= 0x24, "RTC year is this century's, 2024 or later");
	CHECK(cmos(0x0d) & 0x80, "RTC status D reports valid time");
	/* Periodic interrupt at 1024 Hz on IRQ 8. */
	outb(0x70, 0x0a); outb(0x71, 0x26);
	outb(0x70, 0x0b); outb(0x71, (uint8_t)(cmos(0x0b) | 0x40));
	(void)cmos(0x0c);
	sti();
	while (rtc_irqs < 20)
		hlt();
	cli();
	CHECK(rtc_irqs >= 20, "RTC periodic interrupts arrive through the slave PIC");
	outb(0x70, 0x0b); outb(0x71, (uint8_t)(cmos(0x0b) & ~0x40));
}

int guest_main(uint32_t magic, const void *info)
{
	(void)magic;
	(void)info;
	idt_init();
	idt_set_handler(0x20, on_irq0);
	idt_set_handler(0x28, on_irq8);
	pic_init(0xfa, 0xfe);                     /* master: IRQ 0, 2; slave: IRQ 8 */
	test_pit_ticks();
	test_tsc_calibration();
	test_rtc();
	console_printf("timer_irq: %u failure(s)\n", sys_failures);
	return sys_failures ? 1 : 0;
}
