# Shared by the tests/vm scripts (sourced). Everything the VM needs comes from Debian packages,
# unpacked (never installed into the host) into $cache (S16_VM_CACHE, default /var/cache/s16-vm).
need() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null || skip "$t is missing (scripts/setup-deps --vm installs it)"; done
}
# S16_VM_REQUIRE=1 (CI) turns a skip into a failure: there, a missing tool is a broken setup.
skip() {
  [[ ${S16_VM_REQUIRE:-} == 1 ]] && { echo "FAIL (S16_VM_REQUIRE=1): $*" >&2; exit 1; }
  echo "SKIP: $*"; exit 77
}
fail() { echo "FAIL: $*" >&2; exit 1; }
# vm_unpack PACKAGE: downloads PACKAGE's .deb with apt-get download into $cache/debs and unpacks it
# into $cache/root-PACKAGE once; prints that folder.
vm_unpack() {
  local pkg=$1 dir=$cache/root-$1
  if [[ ! -e $dir/.unpacked ]]; then
    mkdir -p "$cache/debs" "$dir"
    local deb
    deb=$(ls "$cache"/debs/"${pkg}"_*.deb 2>/dev/null | head -1)
    if [[ -z $deb ]]; then
      (cd "$cache/debs" && apt-get download "$pkg" >/dev/null 2>&1) || skip "cannot download $pkg (apt-get download)"
      deb=$(ls "$cache"/debs/"${pkg}"_*.deb | head -1)
    fi
    dpkg-deb -x "$deb" "$dir"
    touch "$dir/.unpacked"
  fi
  echo "$dir"
}
# vm_kernel: unpacks the kernel package linux-image-amd64 depends on (linux-image-6.1.*-amd64);
# prints the folder.
vm_kernel() {
  local pkg
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
  [[ -n $pkg ]] || skip "apt-cache knows no linux-image-amd64"
  vm_unpack "$pkg"
}

# vm_start DISK SHARE LOG [BINDIR]: powers the device on in the background. QEMU (TCG, 512 MiB)
# with DISK as its virtio disk (cache=none: docs/vm.md says why), the host's /usr (read-only),
# SHARE (the guest's /mnt/test) and BINDIR (the project's programs, the guest's /mnt/s16,
# read-only) over 9p, the user network (the host is 10.0.2.2 to the guest) and the serial
# console appended to LOG. The guest's reboots stay in this QEMU; its power-off ends it.
# QEMU daemonizes (-pidfile LOG.pid), so it is no job of this shell: a long run forks so often
# that PIDs come round, and bash's job table then mixed a reused PID up with the ended QEMU.
# Sets vm_pid; vm_alive says whether that is still this QEMU; vm_cut is a power cut.
vm_start() {
  local disk=$1 share=$2 log=$3 bindir=${4:-}
  local args=(-accel tcg -m 512 -display none -monitor none -serial "file:$log"
    -drive "file=$disk,format=raw,if=virtio,cache=none"
    -virtfs local,path=/usr,mount_tag=hostusr,security_model=none,readonly=on
    -virtfs "local,path=$share,mount_tag=s16test,security_model=none"
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile=)
  [[ -n $bindir ]] && args+=(-virtfs "local,path=$bindir,mount_tag=s16bin,security_model=none,readonly=on")
  : >>"$log"
  rm -f "$log.pid"
  vm_pid= vm_disk=$disk
  nice -n 10 qemu-system-x86_64 "${args[@]}" -daemonize -pidfile "$log.pid" </dev/null >/dev/null 2>>"$log.qemu-err" \
    || fail "QEMU did not start ($log.qemu-err)"
  vm_pid=$(cat "$log.pid")
}
# vm_alive: the QEMU of vm_start still runs (its PID still names a QEMU with that disk).
vm_alive() {
  [[ -n ${vm_pid:-} ]] || return 1
  local cmd
  cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$vm_pid/cmdline") || return 1
  [[ $cmd == *qemu-system-x86_64*"file=$vm_disk,"* ]]
}
# vm_wait LIMIT: waits for the guest to power off; after LIMIT seconds QEMU is killed and 1 returned.
vm_wait() {
  local end=$((SECONDS + $1))
  while vm_alive; do
    if ((SECONDS >= end)); then
      vm_cut
      return 1
    fi
    sleep 0.2
  done
  return 0
}
# vm_cut: the power cut: QEMU is killed with SIGKILL; what the guest had not written to its disk is gone.
vm_cut() {
  if vm_alive; then
    kill -9 "$vm_pid" 2>/dev/null
    while vm_alive; do sleep 0.05; done
  fi
  return 0
}

# vm_pki DIR: a CA (DIR/ca.pem) and a server certificate for nginx (DIR/server.pem, DIR/server.key)
# valid for 127.0.0.1, where nginx listens, and 10.0.2.2, the host's address in the guest.
vm_pki() {
  local d=$1
  mkdir -p "$d"
  { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=S16 VM test CA" \
      -keyout "$d/ca.key" -out "$d/ca.pem"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=10.0.2.2" \
      -keyout "$d/server.key" -out "$d/server.csr"
    printf 'subjectAltName=IP:10.0.2.2,IP:127.0.0.1\n' >"$d/san.ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 30 \
      -extfile "$d/san.ext" -out "$d/server.pem"
  } >"$d/openssl.log" 2>&1 || fail "openssl could not make the test certificates ($d/openssl.log)"
}

# The disk's layout (tests/vm/build-disk): first sector and size in sectors of each partition.
declare -A vm_part_start=([boot]=2048 [A]=18432 [B]=100352 [state]=184320 [update]=219136)
declare -A vm_part_size=([boot]=16384 [A]=81920 [B]=81920 [state]=32768 [update]=65536)
# vm_part DISK NAME OUT: copies partition NAME of DISK to the file OUT.
vm_part() { dd if="$1" of="$3" bs=512 skip="${vm_part_start[$2]}" count="${vm_part_size[$2]}" status=none; }
# vm_readback DISK DIR: after the power-off, the device's state as the next power-on finds it,
# read from the disk image with debugfs (no mount) after e2fsck of a copy has replayed the ext4
# journal as the next mount would: DIR/grubenv, DIR/journal.db (+ -wal), DIR/app.db (+ -wal),
# when they exist.
vm_readback() {
  local disk=$1 d=$2 f
  mkdir -p "$d"
  vm_part "$disk" boot "$d/boot.ext4"
  vm_part "$disk" state "$d/state.ext4"
  e2fsck -fy "$d/boot.ext4" >"$d/fsck.log" 2>&1 || true
  e2fsck -fy "$d/state.ext4" >>"$d/fsck.log" 2>&1 || true
  debugfs -R "dump /boot/grub/grubenv $d/grubenv" "$d/boot.ext4" >/dev/null 2>&1 || true
  for f in s16-update/journal.db s16-update/journal.db-wal app.db app.db-wal; do
    debugfs -R "dump /$f $d/${f##*/}" "$d/state.ext4" >/dev/null 2>&1 || true
    [[ -s $d/${f##*/} ]] || rm -f "$d/${f##*/}"
  done
  rm -f "$d/boot.ext4" "$d/state.ext4"
}

# vm_prepare DIR BINDIR CASE POLICY: everything one update on the VM device needs, in DIR: the
# keys (DIR/keys), the certificates (DIR/pki), the disk (DIR/disk.img: slot A 1.0.0, slot B zeros,
# the app database at schema 1), the 2.0.0 slot image (DIR/s16-2.0.0.img; CASE broken: a system
# whose kernel panics), the release (DIR/repo, with the migration to schema 2; CASE migration: one
# that fails) served by nginx over TLS (scripts/lib/nginx.sh, must be sourced), and the guest's
# share DIR/share: tests/vm/device-run as `run`, the configuration, the services (CASE health: the
# health check fails), the reboot command, the target version and POLICY (tests/vm/device-run).
# CASE nodev: the configuration names /dev/vdb3, which does not exist, as slot B.
vm_prepare() {
  local w=$1 bin=$2 case=$3 policy=$4 url slotb
  # --- the maker's side: keys, the disk (slot A) and the 2.0.0 slot image, the release, nginx
  vm_pki "$w/pki"
  "$bin/s16-publish" keygen --out "$w/keys" >/dev/null
  [[ $case == broken ]] && export S16_VM_SLOT_B=broken
  S16_VM_IMAGE_OUT=$w/s16-2.0.0.img S16_VM_DB=1 nice -n 10 "$root/tests/vm/build-disk" "$w/disk.img"
  unset S16_VM_SLOT_B
  if [[ $case == migration ]]; then
    printf 'ALTER TABLE recipes ADD COLUMN rating INTEGER;\nTHIS IS NOT SQL;\n' >"$w/0002.sql"
  else
    printf 'ALTER TABLE recipes ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;\nCREATE INDEX recipes_rating ON recipes(rating);\n' >"$w/0002.sql"
  fi
  nice -n 10 "$bin/s16-publish" release --repo "$w/repo" --image "$w/s16-2.0.0.img" --version 2.0.0 \
    --key "$w/keys/signing.key" --notes "en=The VM's slot B." --migration "2=$w/0002.sql" --zstd-level 6 >"$w/publish.log" 2>&1 \
    || fail "s16-publish release failed ($w/publish.log)"
  nginx_start "$w/nginx" "$w/repo" /s16/stable/ "$w/pki/server.pem" "$w/pki/server.key" "$w/pki/ca.pem" \
    || fail "nginx did not start"
  url=https://10.0.2.2:$nginx_port/s16/stable/
  echo "  release 2.0.0 ($(stat -c %s "$w/s16-2.0.0.img") bytes, compressed $(stat -c %s "$w"/repo/images/*.zst)) at $url"

  # --- the device's side: its configuration, its software, what it is to do
  cp "$w/pki/ca.pem" "$w/keys/signing.pub" "$root/tests/vm/device-run" "$w/share/"
  mv "$w/share/device-run" "$w/share/run"
  echo 2.0.0 >"$w/share/target"
  echo "$policy" >"$w/share/policy"
  cat >"$w/share/services" <<'SH'
#!/bin/sh
# the device's services: reload and health check ([services] of update.conf); each run is noted
# in /mnt/test/services.log (the updater keeps their output to itself)
if [ "$1" = health ] && [ -e /mnt/test/fail-health ]; then
    echo "$1 on $(cat /etc/s16-version): fails" >>/mnt/test/services.log; exit 1
fi
echo "$1 on $(cat /etc/s16-version): ok" >>/mnt/test/services.log
SH
  chmod +x "$w/share/services"
  [[ $case == health ]] && : >"$w/share/fail-health"
  cat >"$w/share/reboot" <<'SH'
#!/bin/sh
# the device's reboot command ([boot] rebootCommand): a real reboot, said first on the console
# (the updater keeps the command's own output to itself)
echo "S16-VM: reboot requested; /dev/vdb3 $([ -e /dev/vdb3 ] && ls -l /dev/vdb3 || echo "does not exist")" >/dev/console
exec reboot -f
SH
  chmod +x "$w/share/reboot"
  # CASE nodev: slot B names a block device this device does not have
  slotb=/dev/vda3
  [[ $case == nodev ]] && slotb=/dev/vdb3
  cat >"$w/share/update.conf" <<CONF
[server]
url=$url
caFile=/mnt/test/ca.pem
retryIntervalSeconds=2
maxTries=3
connectTimeoutSeconds=30
stallTimeoutSeconds=60
[trust]
publicKeys=/mnt/test/signing.pub
[device]
product=s16
versionFile=/etc/s16-version
stateDir=/mnt/state/s16-update
updateDir=/mnt/update
database=/mnt/state/app.db
freeSpaceMarginBytes=0
[boot]
backend=grub
envFile=/mnt/boot/boot/grub/grubenv
slotA=/dev/vda2
slotB=$slotb
rebootCommand=/mnt/test/reboot
[services]
reload=/mnt/test/services reload
healthCheck=/mnt/test/services health
timeoutSeconds=120
CONF
}
