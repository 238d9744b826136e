# Shared by bench/download/run and bench/install/run (sourced, not run): a scratch folder,
# a throw-away PKI, a signed release made by s16-publish, real nginx over TLS on 127.0.0.1,
# timing with peak RSS, medians. Not a test: the numbers depend on the machine.
# shellcheck shell=bash

MiB=$((1024 * 1024))
GiB=$((1024 * MiB))

die() { echo "error: $*" >&2; exit 2; }
note() { echo "-- $*" >&2; }

# bench_init BUILD_DIR: checks the tools and makes $work (removed on exit, with nginx stopped).
bench_init() {
  bin=$1/bin
  for tool in s16-publish s16-update s16-devsim; do
    [[ -x $bin/$tool ]] || die "$bin/$tool missing: cmake --build $1 --target s16-publish s16-update s16-devsim s16-recovery"
  done
  for tool in nginx curl openssl /usr/bin/time; do
    command -v "$tool" >/dev/null || die "$tool missing (Debian packages nginx-light curl openssl time)"
  done
  # Big files stay in /tmp (the brief), never in the source tree.
  work=$(mktemp -d /tmp/s16-bench.XXXXXX)
  nginx_pid=
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  nginx_stop
  if [[ -n ${work:-} && ${S16_BENCH_KEEP:-0} != 1 ]]; then
    rm -rf "$work"
  elif [[ -n ${work:-} ]]; then
    note "kept $work (S16_BENCH_KEEP=1)"
  fi
}

# make_pki: $work/pki/ca.pem and a server certificate for 127.0.0.1 / localhost.
make_pki() {
  local d=$work/pki
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
    -days 2 -subj /CN=s16-bench-ca 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/server.key" -out "$d/server.csr" \
    -subj /CN=127.0.0.1 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
  ca=$d/ca.pem
  "$bin/s16-publish" keygen --out "$work/keys" >/dev/null
  pubkey=$work/keys/signing.pub
}

# random_image FILE BYTES
random_image() {
  note "writing $(($2 / MiB)) MiB of random data to $1"
  openssl rand -out "$1" "$2" 2>/dev/null || head -c "$2" /dev/urandom >"$1"
  [[ $(stat -c %s "$1") == "$2" ]] || die "cannot write $1"
}

# publish REPO IMAGE VERSION: a signed release, as a device maker makes one.
# The raw image only: these benchmarks compare the raw transfer and write with curl and dd (random
# data does not compress; bench/service and a compressed release are another matter).
publish() {
  mkdir -p "$(dirname "$1")"
  "$bin/s16-publish" release --repo "$1" --image "$2" --version "$3" --key "$work/keys/signing.key" --no-compress --no-delta >/dev/null \
    || die "s16-publish release failed"
}

# manifest_field REPO KEY: image.path / image.sha256 / image.size of the published manifest.
manifest_field() {
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["image"][sys.argv[2]])' "$1/manifest.json" "$2"
}

# shellcheck source=../../scripts/lib/nginx.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/nginx.sh"

# start_nginx ROOT: serves ROOT at https://127.0.0.1:$port/ (TLS 1.2/1.3, HTTP/2 offered
# by ALPN so that a client that wanted it would get it), ready once ROOT/s16/manifest.json is
# served. The access log records each request's protocol and $body_bytes_sent: what the
# resume target is measured with.
start_nginx() {
  nginx_ready=s16/manifest.json nginx_start "$work/nginx" "$1" / "$work/pki/server.pem" "$work/pki/server.key" "$ca" \
    || die "nginx did not serve the repository (its log: $work/nginx/error.log)"
  access_log=$nginx_access_log base_url=https://127.0.0.1:$nginx_port
  note "nginx $(nginx -v 2>&1 | sed 's/.*\///') serving $1 at $base_url/"
}

log_mark() { wc -l <"$access_log"; }

# log_since MARK: the access log lines written after log_mark returned MARK.
log_since() { tail -n +"$(($1 + 1))" "$access_log"; }

# new_device DIR REPO_URL: a fresh simulated device (s16-devsim init), quiet.
new_device() {
  rm -rf "$1"
  "$bin/s16-devsim" init "$1" --repo-url "$2" --ca "$ca" --pubkey "$pubkey" >/dev/null || die "s16-devsim init failed"
}

# timed LABEL CMD...: runs CMD under /usr/bin/time -v; sets t_wall (seconds, from the
# clock around it), t_rss (peak RSS in KiB of the largest process it ran), t_cpu (user +
# system seconds of everything it ran: on a shared machine the steadier figure) and t_rc.
# Output of CMD goes to $work/LABEL.out.
timed() {
  local label=$1
  shift
  local start end
  start=$(date +%s.%N)
  t_rc=0
  /usr/bin/time -v -o "$work/$label.time" "$@" >"$work/$label.out" 2>"$work/$label.err" || t_rc=$?
  end=$(date +%s.%N)
  t_wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
  t_rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/$label.time")
  t_cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$work/$label.time")
}

# median VALUES...
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ratio A B -> A/B with 3 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# le A B -> exit 0 if A <= B
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

# load_line: the 1-minute load and the core count, for the report.
load_line() { echo "load $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"; }

# settle: write back everything dirty, then give the storage under us a moment, so that one
# run's writeback does not land in the next. On this project's virtual machines the host
# still flushes for a few seconds after the guest's sync returned: a 1 GiB dd conv=fsync
# right after another took 3.0-3.7 s instead of 1.7-2.0 s (S16_BENCH_SETTLE, seconds).
settle() {
  sync
  sleep "${S16_BENCH_SETTLE:-3}"
}

# drop_caches: settles, then prints 1 if the page cache was dropped (root with a writable
# /proc/sys/vm/drop_caches), else 0.
drop_caches() {
  settle
  if { echo 3 >/proc/sys/vm/drop_caches; } 2>/dev/null; then echo 1; else echo 0; fi
}
