# A private D-Bus system bus and the update service on it, for the demo (sourced, bash).
#   bus_start DIR POLICY   dbus-daemon with a Debian system bus's default policy plus POLICY (the
#                          project's org.s16.Updater1.conf), its socket in DIR reachable by every
#                          user; exports DBUS_SYSTEM_BUS_ADDRESS, so every program started after
#                          it (the service, the UI, s16-update) finds "the system bus" there.
#   service_start BIN CONFIG LOG   s16-update daemon as root on that bus; returns once it owns
#                          org.s16.Updater1 (or fails with the log's last line).
#   service_stop, bus_stop  end them (also safe when they never started).
bus_pid="" service_pid=""

bus_start() {
  local dir=$1 policy=$2
  command -v dbus-daemon >/dev/null || { echo "dbus-daemon is not installed (scripts/setup-deps installs it)" >&2; return 1; }
  mkdir -p "$dir" && chmod 0755 "$dir"
  local here
  here=$(dirname "${BASH_SOURCE[0]}")
  sed -e "s#@SOCKET@#$dir/system_bus_socket#" -e "s#@POLICY@#$policy#" "$here/system-bus.conf.in" >"$dir/system.conf"
  dbus-daemon --config-file="$dir/system.conf" --nofork --nopidfile >"$dir/bus.log" 2>&1 &
  bus_pid=$!
  export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/system_bus_socket
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -S $dir/system_bus_socket ]] && return 0
    kill -0 "$bus_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "dbus-daemon did not start: $(tail -n 1 "$dir/bus.log")" >&2
  return 1
}

service_owned() {
  dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.s16.Updater1 2>/dev/null | grep -q 'boolean true'
}

service_start() {
  local bin=$1 config=$2 log=$3 i
  "$bin/s16-update" daemon --config "$config" >>"$log" 2>&1 &
  service_pid=$!
  for ((i = 0; i < 200; i++)); do
    service_owned && return 0
    kill -0 "$service_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "the update service did not claim org.s16.Updater1: $(tail -n 1 "$log")" >&2
  return 1
}

service_stop() {
  if [[ -n $service_pid ]]; then
    kill "$service_pid" 2>/dev/null || true
    wait "$service_pid" 2>/dev/null || true
    service_pid=""
  fi
}

bus_stop() {
  service_stop
  if [[ -n $bus_pid ]]; then
    kill "$bus_pid" 2>/dev/null || true
    wait "$bus_pid" 2>/dev/null || true
    bus_pid=""
  fi
}
