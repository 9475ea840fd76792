# shellcheck shell=bash
# Helpers shared by tests/cluster/run and bench/cluster: several pbx-portal instances on
# one throwaway PostgreSQL, behind Debian's nginx with the shipped site file
# (deploy/nginx/pbx-portal.conf), all on 127.0.0.1. Source it from the repository root
# after setting CL_BIN (the binary). Every wait is bounded; cl_cleanup (the caller's
# EXIT trap) ends every process started here and removes every temporary folder.
#
# State kept here: CL_WORK (the temporary folder), CL_DB_URL, CL_PG_DIR, CL_SESSION_KEY,
# CL_PID/CL_PORT/CL_ARGS (per instance name), CL_NGINX_PID, CL_NGINX_PORT, CL_WRK_PID.

# The site file under test: the shipped one, unless CLUSTER_SITE names a candidate.
CL_SITE=${CLUSTER_SITE:-deploy/nginx/pbx-portal.conf}
# Debian's nginx is /usr/sbin/nginx, outside a user's PATH.
PATH=$PATH:/usr/sbin
CL_WORK=""
CL_PG_DIR=""
CL_DB_URL=""
CL_SESSION_KEY=""
CL_NGINX_PID=""
CL_NGINX_PORT=""
CL_NGINX_DIR=""
CL_WRK_PID=""
CL_TAKEN_PORTS=" "
declare -A CL_PID=() CL_PORT=() CL_ARGS=()
# Set by cl_stop: how long the instance took to exit, and its exit status.
# shellcheck disable=SC2034 # read by the scripts that source this file
CL_STOP_SECONDS=""
CL_STOP_RC=""

cl_step() { printf '\n== %s\n' "$*"; }
cl_info() { printf '   %s\n' "$*"; }
cl_fail() {
  printf '\nFAIL: %s\n' "$*" >&2
  exit 1
}

cl_now() { date +%s.%N; }
# Seconds since $1 (a cl_now), three decimals.
cl_since() { awk -v a="$1" -v b="$(cl_now)" 'BEGIN { printf "%.3f", b - a }'; }

# Makes the temporary folder. Workers of an nginx started as root run as `nobody`:
# the folder may be traversed (not listed) by them; nginx's own folder is readable.
cl_make_work() {
  CL_WORK=$(mktemp -d "/tmp/pbx-portal-${1:-cluster}.XXXXXX")
  chmod 711 "$CL_WORK"
  mkdir -p "$CL_WORK/logs"
}

# Sets variable $1 to a free TCP port on 127.0.0.1 from 20000-24999 (below the
# ephemeral range and the throwaway PostgreSQL's 25432 up), not handed out before in
# this run. (A variable, not output: the ports handed out are remembered here.)
cl_free_port() {
  local port
  for _ in $(seq 500); do
    port=$((20000 + RANDOM % 5000))
    case "$CL_TAKEN_PORTS" in *" $port "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      CL_TAKEN_PORTS+="$port "
      printf -v "$1" '%s' "$port"
      return 0
    fi
  done
  cl_fail "no free port on 127.0.0.1 in 20000-24999"
}

# A session key of 96 random hex characters, shared by every instance.
cl_make_session_key() {
  CL_SESSION_KEY=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
}

# Starts a throwaway PostgreSQL (.ci/postgres); sets CL_PG_DIR and CL_DB_URL (its
# database portal_test).
cl_start_postgres() {
  local dir url
  read -r dir url < <(bash .ci/postgres) || true
  [ -n "${url:-}" ] || cl_fail "could not start a throwaway PostgreSQL (bash .ci/postgres)"
  CL_PG_DIR=$dir
  CL_DB_URL=$url
}

cl_psql() { PGOPTIONS='-c client_min_messages=warning' psql "$CL_DB_URL" -XAtq -v ON_ERROR_STOP=1 "$@"; }

# Whether process $1 runs (a zombie, exited but not yet reaped, does not).
cl_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# Starts instance $1 on port $2: `--run-jobs $3`, further flags after. The same
# settings are kept for cl_restart. Output goes to $CL_WORK/logs/$1.log (appended).
cl_start() {
  local name=$1 port=$2 run_jobs=$3
  shift 3
  CL_PORT[$name]=$port
  CL_ARGS[$name]="$run_jobs $*"
  echo "--- start $(date -u +%H:%M:%S.%N)" >>"$CL_WORK/logs/$name.log"
  # env execs the portal, so $! is the portal's pid. No service manager listens here.
  env -u NOTIFY_SOCKET SESSION_KEY="$CL_SESSION_KEY" PORTAL_TRUSTED_PROXIES=127.0.0.1 RUST_LOG="${RUST_LOG:-info}" NO_COLOR=1 \
    "$CL_BIN" serve --database-url "$CL_DB_URL" --bind "127.0.0.1:$port" --run-jobs "$run_jobs" "$@" \
    >>"$CL_WORK/logs/$name.log" 2>&1 &
  CL_PID[$name]=$!
}

# Starts instance $1 again with the settings of its last cl_start.
cl_restart() {
  local name=$1
  # shellcheck disable=SC2086 # the stored flags are words without spaces
  cl_start "$name" "${CL_PORT[$name]}" ${CL_ARGS[$name]}
}

# Waits (at most $2 s, default 60) until instance $1 answers GET /health with 200 "ok".
cl_wait_health() {
  local name=$1 limit=${2:-60} started body
  started=$SECONDS
  while :; do
    cl_alive "${CL_PID[$name]}" || { cl_log_tail "$name"; cl_fail "instance $name exited before answering /health"; }
    body=$(curl -fsS -m 2 "http://127.0.0.1:${CL_PORT[$name]}/health" 2>/dev/null || true)
    [ "$body" = ok ] && return 0
    [ $((SECONDS - started)) -lt "$limit" ] || { cl_log_tail "$name"; cl_fail "instance $name gave no 200 \"ok\" on /health within ${limit} s"; }
    sleep 0.1
  done
}

# Sends signal $2 to instance $1 and waits (at most $3 s, default 30) for it to exit;
# sets CL_STOP_SECONDS and CL_STOP_RC. One that outlives the wait is killed, and the
# run fails.
cl_stop() {
  local name=$1 signal=$2 limit=${3:-30} pid started rc=0
  pid=${CL_PID[$name]}
  started=$(cl_now)
  kill "-$signal" "$pid" 2>/dev/null || true
  while cl_alive "$pid"; do
    if awk -v s="$(cl_since "$started")" -v l="$limit" 'BEGIN { exit !(s > l) }'; then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      CL_PID[$name]=""
      cl_log_tail "$name"
      cl_fail "instance $name was still running ${limit} s after SIG$signal (killed now)"
    fi
    sleep 0.02
  done
  # shellcheck disable=SC2034 # read by the scripts that source this file
  CL_STOP_SECONDS=$(cl_since "$started")
  wait "$pid" 2>/dev/null || rc=$?
  # shellcheck disable=SC2034
  CL_STOP_RC=$rc
  CL_PID[$name]=""
}

# The last lines of instance $1's log, on stderr.
cl_log_tail() {
  [ -f "$CL_WORK/logs/$1.log" ] || return 0
  echo "--- last lines of $1's log:" >&2
  tail -n "${2:-20}" "$CL_WORK/logs/$1.log" >&2
}

# Writes nginx's configuration into $CL_NGINX_DIR: a minimal nginx.conf of its own that
# includes the shipped site file, rewritten only where the test must differ: it listens
# on 127.0.0.1:$1 (not port 80, no [::]), and its upstream lines name the instances
# given after (one to three names, in place of 8081, 8082, 8083; lines left over go).
cl_nginx_config() {
  local port=$1 site=$CL_SITE dir i sed_args=()
  shift
  [ -f "$site" ] || cl_fail "$site is missing"
  if [ $# -lt 1 ] || [ $# -gt 3 ]; then cl_fail "cl_nginx_config: one to three upstream instances"; fi
  dir=$CL_WORK/nginx
  CL_NGINX_DIR=$dir
  CL_NGINX_PORT=$port
  mkdir -p "$dir/tmp"
  chmod 755 "$dir"
  chmod 1777 "$dir/tmp"
  sed_args=(-e "s/^\([[:space:]]*\)listen 80;/\1listen 127.0.0.1:$port;/" -e '/^[[:space:]]*listen \[::\]:80;/d')
  for i in 1 2 3; do
    if [ "$i" -le $# ]; then
      local name=${!i}
      sed_args+=(-e "s/^\([[:space:]]*server \)127\.0\.0\.1:808${i}\([[:space:];]\)/\1127.0.0.1:${CL_PORT[$name]}\2/")
    else
      sed_args+=(-e "/^[[:space:]]*server 127\.0\.0\.1:808${i}[[:space:];]/d")
    fi
  done
  sed "${sed_args[@]}" "$site" >"$dir/pbx-portal.conf"
  # The shipped file must still have the lines the rewrite expects.
  [ "$(grep -c "^[[:space:]]*listen 127\.0\.0\.1:$port;" "$dir/pbx-portal.conf")" = 1 ] \
    || cl_fail "$site: expected one 'listen 80;' line to rewrite"
  ! grep -Eq '^[[:space:]]*listen[[:space:]]+(\[::\]:)?80' "$dir/pbx-portal.conf" \
    || cl_fail "$site: a listen on port 80 is left after the rewrite"
  if [ "$(grep -Ec '^[[:space:]]*server[[:space:]]+127\.0\.0\.1:[0-9]+' "$dir/pbx-portal.conf")" != $# ] \
    || grep -q '127\.0\.0\.1:808[1-3]' "$dir/pbx-portal.conf"; then
    cl_fail "$site: expected the upstream lines 'server 127.0.0.1:8081/8082/8083 …' to rewrite"
  fi
  cat >"$dir/nginx.conf" <<EOF
# Written by tests/cluster/lib.sh: the shipped site file, included.
daemon off;
worker_processes ${CL_NGINX_WORKERS:-auto};
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
    worker_connections 4096;
}
http {
    # msec|status|upstream addresses|their statuses|seconds|request
    log_format cluster '\$msec|\$status|\$upstream_addr|\$upstream_status|\$request_time|\$request';
    access_log $dir/access.log cluster;
    client_body_temp_path $dir/tmp/client_body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    include $dir/pbx-portal.conf;
}
EOF
  nginx -t -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/nginx-t.log" 2>&1 \
    || { cat "$dir/nginx-t.log" >&2; cl_fail "nginx -t refused the configuration"; }
}

# Starts nginx with the configuration of the last cl_nginx_config and waits (10 s at
# most) until it answers.
cl_nginx_start() {
  local dir=$CL_NGINX_DIR started=$SECONDS
  nginx -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf" >>"$dir/nginx.out" 2>&1 &
  CL_NGINX_PID=$!
  until curl -s -o /dev/null -m 2 "http://127.0.0.1:$CL_NGINX_PORT/health"; do
    cl_alive "$CL_NGINX_PID" || { cat "$dir/error.log" "$dir/nginx.out" >&2 2>/dev/null; cl_fail "nginx exited at start"; }
    [ $((SECONDS - started)) -lt 10 ] || cl_fail "nginx did not answer on 127.0.0.1:$CL_NGINX_PORT within 10 s"
    sleep 0.1
  done
}

cl_nginx_stop() {
  [ -n "$CL_NGINX_PID" ] || return 0
  local pid=$CL_NGINX_PID started=$SECONDS
  kill -TERM "$pid" 2>/dev/null || true
  while cl_alive "$pid" && [ $((SECONDS - started)) -lt 10 ]; do sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  CL_NGINX_PID=""
}

# Signs in at $1 (a base URL) as $2 with password $3 like a browser: GET /login for the
# form's csrf_token, then POST /login with the Origin a browser sends. Prints the
# session cookie ("pbx_session=…").
cl_sign_in() {
  local base=$1 login=$2 password=$3 jar token status
  jar=$(mktemp "$CL_WORK/jar.XXXXXX")
  token=$(curl -fsS -m 10 -c "$jar" -b "$jar" "$base/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)
  [ -n "$token" ] || cl_fail "no csrf_token in the sign-in form at $base/login"
  status=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" -H "Origin: $base" \
    --data-urlencode "login=$login" --data-urlencode "password=$password" \
    --data-urlencode "csrf_token=$token" "$base/login")
  [ "$status" = 303 ] || cl_fail "signing in as $login at $base answered $status, not 303"
  awk '$6 == "pbx_session" { print "pbx_session=" $7 }' "$jar"
}

# The CSRF token of the session cookie $2, read from a page at $1.
cl_csrf_of() {
  curl -fsS -m 10 -H "Cookie: $2" "$1/account/tokens" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p' | head -n 1
}

# Makes an API token on /account/tokens at $1 for the session cookie $2; prints it.
cl_api_token() {
  local base=$1 cookie=$2 csrf token
  csrf=$(cl_csrf_of "$base" "$cookie")
  [ -n "$csrf" ] || cl_fail "no csrf-token on $base/account/tokens"
  token=$(curl -fsS -m 10 -H "Cookie: $cookie" -H "X-CSRF-Token: $csrf" -H "Origin: $base" \
    --data "name=cluster-$RANDOM&expires_in_days=1" "$base/account/tokens" \
    | sed -n 's|.*<code id="new-token">\([^<]*\)</code>.*|\1|p')
  [ -n "$token" ] || cl_fail "no API token made on $base/account/tokens"
  echo "$token"
}

# wrk's figures from its output $1: "req/s p50 p99 max errors socket_errors non2xx".
cl_wrk_figures() {
  local out=$1 rps p50 p99 max socket non2xx
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  max=$(awk '$1 == "Latency" { print $4 }' <<<"$out")
  socket=$(awk -F'[ ,]+' '/Socket errors/ { print $5 + $7 + $9 + $11 }' <<<"$out")
  non2xx=$(awk '/Non-2xx/ { print $5 }' <<<"$out")
  echo "${rps:-0} ${p50:--} ${p99:--} ${max:--} $(( ${socket:-0} + ${non2xx:-0} )) ${socket:-0} ${non2xx:-0}"
}

# Ends every process started here and removes the temporary folders. The EXIT trap.
cl_cleanup() {
  local rc=$? name pid
  set +e
  trap - EXIT INT TERM
  if [ -n "$CL_WRK_PID" ]; then kill -TERM "$CL_WRK_PID" 2>/dev/null; wait "$CL_WRK_PID" 2>/dev/null; fi
  cl_nginx_stop
  for name in "${!CL_PID[@]}"; do
    pid=${CL_PID[$name]}
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
  done
  for name in "${!CL_PID[@]}"; do
    pid=${CL_PID[$name]}
    [ -n "$pid" ] || continue
    for _ in $(seq 100); do cl_alive "$pid" || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ "$rc" != 0 ] && [ -n "$CL_WORK" ] && [ -d "$CL_WORK" ]; then
    for name in "${!CL_PORT[@]}"; do cl_log_tail "$name" 15; done
    if [ -s "$CL_NGINX_DIR/error.log" ]; then
      echo "--- last lines of nginx's error log:" >&2
      tail -n 20 "$CL_NGINX_DIR/error.log" >&2
    fi
  fi
  [ -n "$CL_PG_DIR" ] && bash .ci/postgres stop "$CL_PG_DIR"
  [ -n "$CL_WORK" ] && rm -rf "$CL_WORK"
  exit "$rc"
}
