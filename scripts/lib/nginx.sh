# Real nginx serving a release repository over TLS on 127.0.0.1 from a temporary folder, for the
# demo and the benchmarks (sourced, not run; the tests' C++ fixture is tests/support/nginxserver.cpp).
#
# Who reads the files: nginx started as root runs its workers as "nobody", who cannot enter a folder
# made by `mktemp -d` (mode 0700) and answers 403 to everything. Here nginx is one process
# (master_process off) and is told to run as the user who started it, the owner of the folder.
# docs/server.md says why, and what a real server does instead.
# shellcheck shell=bash

# nginx_start DIR ROOT PREFIX CERT KEY CA [DIRECTIVES]
#   Serves ROOT at https://127.0.0.1:<port>PREFIX (PREFIX starts and ends with /), with DIRECTIVES
#   added to that location (e.g. a rate limit). DIR holds nginx.conf, the logs and temp paths.
#   Ready means the signed manifest is served: HTTP 200 with exactly the bytes of ROOT/manifest.json
#   (ROOT/$nginx_ready instead where a caller sets nginx_ready, e.g. s16/manifest.json).
#   Sets nginx_pid, nginx_port, nginx_url (the repository's URL), nginx_access_log, nginx_error_log.
#   On failure prints one line saying why (to stderr) and returns 1; nginx is stopped then.
nginx_start() {
  local dir=$1 root=$2 prefix=$3 cert=$4 key=$5 ca=$6 directives=${7:-} ready=${nginx_ready:-manifest.json} try i code
  mkdir -p "$dir/tmp"
  nginx_access_log=$dir/access.log nginx_error_log=$dir/error.log
  for try in 1 2 3 4 5 6 7 8; do
    nginx_port=$((20000 + RANDOM % 30000))
    cat >"$dir/nginx.conf" <<EOF
master_process off;
$( ((EUID == 0)) && echo "user $(id -un) $(id -gn);")
error_log $nginx_error_log info;
pid $dir/nginx.pid;
events { worker_connections 64; }
http {
  types { application/json json; application/octet-stream img sig; text/plain sql sha256; }
  default_type application/octet-stream;
  log_format s16 '\$status \$body_bytes_sent \$server_protocol "\$request_uri" range="\$http_range" ua="\$http_user_agent"';
  access_log $nginx_access_log s16;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$nginx_port ssl http2;
    server_name 127.0.0.1 localhost;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location $prefix { alias $root/; $directives }
  }
}
EOF
    : >"$nginx_error_log"
    nginx -p "$dir/" -c "$dir/nginx.conf" -e "$nginx_error_log" -g 'daemon off;' </dev/null >"$dir/stdout.log" 2>&1 &
    nginx_pid=$!
    nginx_url=https://127.0.0.1:$nginx_port$prefix
    code=000
    for i in $(seq 50); do
      code=$(curl -s --cacert "$ca" -o "$dir/ready.json" -w '%{http_code}' "$nginx_url$ready" 2>/dev/null) || code=000
      if [[ $code == 200 ]] && cmp -s "$dir/ready.json" "$root/$ready"; then
        return 0
      fi
      kill -0 "$nginx_pid" 2>/dev/null || break
      sleep 0.1
    done
    nginx_stop
    grep -q 'Address already in use' "$nginx_error_log" "$dir/stdout.log" || break
  done
  if [[ $code == 200 ]]; then
    echo "nginx served a $ready that differs from the published one ($root/$ready)" >&2
  elif [[ $code == 000 ]]; then
    echo "nginx did not answer on 127.0.0.1:$nginx_port" >&2
  else
    echo "nginx answered HTTP $code for $nginx_url$ready" >&2
  fi
  return 1
}

nginx_stop() {
  if [[ -n ${nginx_pid:-} ]]; then
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=
  fi
}
