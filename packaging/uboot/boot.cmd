# S16 A/B slot selection for U-Boot.
#
# The same logic as s16::bootloaderStep (core/boot/bootloader.cpp), which the device simulator
# runs; change both together. The variables are described in docs/boot.md:
#   BOOT_ORDER    the slots in the order they are tried, e.g. "A B"
#   BOOT_A_LEFT   tries left for slot A (keep it 0-9: setexpr below computes in hex)
#   BOOT_B_LEFT   tries left for slot B
#   S16_RECOVERY  "1" while a boot into recovery is requested
#
# The board's default environment provides what is device specific, the commands that load and
# start a system: s16_boot_A, s16_boot_B (kernel and root file system of a slot) and
# s16_boot_recovery. Build the script with
#   mkimage -A arm -T script -C none -n "S16 boot" -d boot.cmd boot.scr
# Run with a redundant environment (CONFIG_ENV_REDUNDANT / CONFIG_SYS_REDUNDAND_ENVIRONMENT):
# then each saveenv writes the older copy, and a power cut during it leaves the other one intact.

# Recovery first: nothing is written, so the request stays until recovery itself clears it and
# a power cut during the installation comes back here.
if test "${S16_RECOVERY}" = "1"; then
    echo "S16: recovery requested"
    run s16_boot_recovery
    echo "S16: recovery did not start"
    exit
fi

# s16_slot is a hush local variable (no setenv), so saveenv does not store it.
s16_slot=
for BOOT_SLOT in "${BOOT_ORDER}"; do
    if test -z "${s16_slot}"; then
        # Only A and B are slots. An unset, empty or non-numeric counter counts as 0: the leading
        # "0" keeps test's operand there when the variable is unset (a bare `test -gt 0` is true,
        # it tests the string "-gt"), and the quotes keep it one word.
        if test "x${BOOT_SLOT}" = "xA"; then
            if test "0${BOOT_A_LEFT}" -gt 0; then
                setexpr BOOT_A_LEFT ${BOOT_A_LEFT} - 1
                s16_slot=A
            fi
        elif test "x${BOOT_SLOT}" = "xB"; then
            if test "0${BOOT_B_LEFT}" -gt 0; then
                setexpr BOOT_B_LEFT ${BOOT_B_LEFT} - 1
                s16_slot=B
            fi
        fi
    fi
done

if test -n "${s16_slot}"; then
    # The try is counted before the slot starts, in one environment write: a system that never
    # comes up (and so never confirms its boot) runs out of tries, and the next slot in
    # BOOT_ORDER is booted.
    saveenv
    # The booted system learns its slot from the kernel command line (s16-update reads
    # s16.slot=A|B from /proc/cmdline, core/install detectBootedSlot). Set after saveenv,
    # so it is not stored.
    setenv bootargs "${bootargs} s16.slot=${s16_slot}"
    echo "S16: booting slot ${s16_slot}"
    run s16_boot_${s16_slot}
    echo "S16: slot ${s16_slot} did not start"
    reset
fi

# No slot in BOOT_ORDER has tries left. Nothing is written and nothing is booted; the device
# stays in the U-Boot shell for service. A device maker who prefers to fall back to recovery
# runs s16_boot_recovery here instead (s16::bootloaderStep reports this as NoBootableSlot).
echo "S16: no bootable slot (BOOT_ORDER=${BOOT_ORDER} BOOT_A_LEFT=${BOOT_A_LEFT} BOOT_B_LEFT=${BOOT_B_LEFT})"
