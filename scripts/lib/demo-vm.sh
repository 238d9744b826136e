# The demo's story on the VM device (`scripts/demo --vm`, docs/vm.md), sourced by scripts/demo once
# the programs are built: it uses the demo's say, step, stop, $root, $work, $logs and $bin, and
# tests/vm/lib.sh for everything the VM needs, so the demo and tests/vm/update make the same device.
# The device is a QEMU guest (TCG) with GRUB, slots A and B and a recovery system on partitions of
# a virtio disk; the host's /usr and the build's bin folder are shared into it over 9p. Exits: 0
# when slot B runs 2.0.0, committed, with the migrated database (read from the disk after the
# guest's power-off); 1 when not.
# shellcheck shell=bash

cache=${S16_VM_CACHE:-/var/cache/s16-vm}
# shellcheck source=../../tests/vm/lib.sh
source "$root/tests/vm/lib.sh"
# shellcheck source=nginx.sh
source "$root/scripts/lib/nginx.sh"
set -E # a command failing inside lib.sh's functions is a failed step too
trap 'nginx_stop; vm_cut' EXIT
w=$work/vm
mkdir -p "$w"

say "Keys and certificates (in $w)"
step "making keys and certificates" "$w/pki/openssl.log"
vm_keys "$w" "$bin"
echo "signing key $w/keys/signing.key; a server certificate for 127.0.0.1 and 10.0.2.2 (the host, seen from the guest)"

say "The VM device's disk: GRUB, slots A and B, recovery, state and update partitions"
step "building the disk from Debian's packages" "$logs/disk.log"
vm_disk "$w" ok > >(tee "$step_log") 2>&1
cat <<EOF
$w/disk.img: GRUB in the MBR gap, then (in the guest)
  /dev/vda1  boot      grub.cfg (packaging/grub/grub.cfg) and the grubenv: BOOT_ORDER=A B
  /dev/vda2  slot A    1.0.0: Debian's kernel, a busybox initramfs, the device's init
  /dev/vda3  slot B    empty
  /dev/vda5  state     the updater's journal, the app database (schema 1, three recipes)
  /dev/vda6  update    where the download is staged
  /dev/vda7  recovery  the recovery system (GRUB's recovery entry)
EOF

say "Publishing 2.0.0 with a database migration"
step "publishing the release" "$w/publish.log"
vm_release "$w" "$bin" 2.0.0
"$bin/s16-publish" verify --repo "$w/repo" --pubkey "$w/keys/signing.pub" > >(tee -a "$step_log") 2>&1
echo "2.0.0 is slot B's file system ($(stat -c %s "$w/s16-2.0.0.img") bytes), zstd-compressed to $(stat -c %s "$w"/repo/images/*2.0.0*.zst) bytes"

say "Serving the repository with nginx over TLS on 127.0.0.1"
step "serving the repository with nginx" "$w/nginx/error.log"
vm_serve "$w"
echo "serving $nginx_url; the guest reaches it as $vm_url"

say "The device powers on: QEMU (TCG), GRUB, slot A running 1.0.0"
step "powering the device on" "$w/serial.log.qemu-err"
vm_device "$w" ok once 2.0.0
vm_start "$w/disk.img" "$w/share" "$w/serial.log" "$bin"
echo "QEMU pid $vm_pid; the guest's console log: $w/serial.log"
echo "the guest runs this build's s16-update and s16-recovery (/mnt/s16) with $w/share/update.conf"
echo "(software emulation: each power-on takes 10 s to a minute, most of it GRUB reading the kernel)"

# The guest's console, told as it happens: GRUB's choices, the device's steps (the lines its
# software starts with "S16-VM:", tests/vm/device-run), the outcome. Ends with the guest's power-off.
step "the update on the device" "$w/serial.log"
narrate() {
  local line what
  while IFS= read -r line; do
    line=${line//$'\r'/}
    case $line in
      *"S16: booting slot A"*) say "GRUB boots slot A (the grubenv's BOOT_ORDER)" ;;
      *"S16: booting slot B"*) say "The real reboot: GRUB boots slot B, the new system, on trial" ;;
      *"S16: recovery requested"*) say "The real reboot into recovery: GRUB finds S16_RECOVERY=1" ;;
      "S16-VM: booted slot="*) echo "up: ${line#S16-VM: booted }" ;;
      "S16-VM: grubenv "*) echo "boot environment: ${line#S16-VM: grubenv }" ;;
      "S16-VM: run boot-complete") echo "s16-update boot-complete: is this boot the new system's first?" ;;
      "S16-VM: run download")
        say "The normal system checks $vm_url and downloads 2.0.0"
        echo "s16-update download: manifest, signature, the compressed image over TLS, its checks, staging" ;;
      "S16-VM: run install")
        say "\"Update now\""
        echo "s16-update install: asks GRUB for recovery (S16_RECOVERY=1) and restarts the device" ;;
      "S16-VM: run recovery")
        echo "s16-recovery --headless: verify, write /dev/vda3 and read it back, back up and migrate the database, switch the grubenv" ;;
      "S16-VM: status {"*)
        what=$(jq -r '"status: \(.currentVersion) \(.state) at \(.flowNode)" + (if .outcome then ", outcome \(.outcome.result)" else "" end)' \
          <<<"${line#S16-VM: status }" 2>/dev/null) && echo "$what" ;;
      "S16-VM: database "*) echo "app database: ${line#S16-VM: database }" ;;
      "S16-VM: reboot requested"*) echo "reboot -f" ;;
      "S16-VM: runs the target "*) say "Slot B runs ${line#S16-VM: runs the target }; the device powers off" ;;
      "S16-VM: "*": step "*" 100%") what=${line#S16-VM: *: step }; echo "  ${what% *}: done" ;;
      "S16-VM: "*": step "*) ;; # the progress in between
      "S16-VM: "*" exit "*) echo "  ${line#S16-VM: }" ;;
      "S16-VM: run exited"*) ;;
      "S16-VM: "*": "*) echo "  ${line#S16-VM: *: }" ;;
      "S16-VM: "*) echo "${line#S16-VM: }" ;;
    esac
  done
}
# tail ends with the guest's power-off (QEMU's exit); more than 25 minutes is a device that hangs
timeout 1500 tail -n +1 -F --pid="$vm_pid" "$w/serial.log" 2>/dev/null | narrate || true
if vm_alive; then
  vm_cut
  stop "the device did not power off within 25 minutes"
fi
vm_pid=

say "Result"
step "reading the device's state from its disk" "$w/after/fsck.log"
# as the next power-on would find it: each file system copied out of the disk image, its ext4
# journal replayed by e2fsck, the files read with debugfs
vm_readback "$w/disk.img" "$w/after"
vm_part "$w/disk.img" B "$w/after/slotB.img"
env=$(grub-editenv "$w/after/grubenv" list | sort | tr '\n' ' ')
slots=$(sqlite3 "$w/after/journal.db" "SELECT value FROM state WHERE key = 'slots'")
schema=$(sqlite3 "$w/after/app.db" 'PRAGMA user_version')
echo "grubenv:  $env"
echo "journal:  slots $slots"
echo "database: schema $schema; recipes: $(sqlite3 "$w/after/app.db" "SELECT group_concat(name || ' ' || rating, ', ') FROM recipes")"
cmp -s "$w/after/slotB.img" "$w/s16-2.0.0.img" && image=yes || image=no
echo "/dev/vda3 holds the published 2.0.0 byte for byte: $image"
echo "the guest's console log: $w/serial.log"
step "" ""
version=$(jq -r .B.version <<<"$slots") slot_state=$(jq -r .B.state <<<"$slots")
if [[ $env == "BOOT_A_LEFT=3 BOOT_B_LEFT=3 BOOT_ORDER=B A " && $version == 2.0.0 && $slot_state == good && $schema == 2 && $image == yes ]]; then
  echo "demo: OK: slot B runs 2.0.0, committed, database schema 2"
  exit 0
fi
echo "demo: FAILED: slot B holds $version ($slot_state), grubenv $env, database schema $schema; expected 2.0.0 (good), BOOT_ORDER=B A, schema 2; console: $w/serial.log" >&2
exit 1
