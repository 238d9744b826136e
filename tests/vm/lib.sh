# Shared by the tests/vm scripts (sourced). Everything the VM needs comes from Debian packages,
# unpacked (never installed into the host) into $cache (S16_VM_CACHE, default /var/cache/s16-vm).
need() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null || skip "$t is missing (scripts/setup-deps --vm installs it)"; done
}
skip() { echo "SKIP: $*"; exit 77; }
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
