#!/usr/bin/env bash
# The multi-host shape on one machine (make cluster / make cluster-stop):
#   PostgreSQL primary (the private cluster) + hot standby (pg_basebackup, own port and
#   var/pg-replica) + two gunicorn app instances + nginx on 127.0.0.1:${CLUSTER_PORT:-8080}.
#   scripts/cluster.sh start|stop|status
# Settings as for `make run` (BUERGERGIS_*), plus CLUSTER_PORT, CLUSTER_APP_PORTS,
# CLUSTER_REPLICA_PORT (default: the primary's port + 1), WORKERS and
# GRACEFUL_TIMEOUT (seconds an instance may finish its requests on stop); state under $VAR/cluster:
# pid files, logs, the nginx configuration made from deploy/nginx/buergergis.conf and the
# secret key all instances share (several hosts need one key: BUERGERGIS_SECRET_KEY).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BG=$ROOT/.venv/bin/buergergis
GUNICORN=$ROOT/.venv/bin/gunicorn
VAR=$(realpath -m "${BUERGERGIS_VAR_DIR:-$ROOT/var}")
RUN=$VAR/cluster
CLUSTER_PORT=${CLUSTER_PORT:-8080}
read -r -a APP_PORTS <<<"${CLUSTER_APP_PORTS:-5101 5102}"
REPLICA_PORT=(${CLUSTER_REPLICA_PORT:+--port "$CLUSTER_REPLICA_PORT"})
NGINX=${NGINX:-/usr/sbin/nginx}

app_pid() { cat "$RUN/app-$1.pid" 2>/dev/null || true; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

wait_http() {  # wait_http URL SECONDS [PIDFILE]: until URL answers 200 (or the process died)
  local deadline=$((SECONDS + $2))
  until curl -fs -o /dev/null "$1"; do
    if [ $SECONDS -ge $deadline ] || { [ -s "${3:-}" ] && ! alive "$(cat "$3")"; }; then
      echo "Keine Antwort von $1${3:+ – siehe ${3%.pid}.log}" >&2
      return 1
    fi
    sleep 0.2
  done
}

nginx_conf() {
  local servers="" port
  for port in "${APP_PORTS[@]}"; do
    servers+="server 127.0.0.1:$port max_fails=1 fail_timeout=5s; "
  done
  mkdir -p "$RUN/nginx"
  sed -e "s|@LISTEN@|127.0.0.1:$CLUSTER_PORT|" -e "s|@APP_SERVERS@|$servers|" \
    -e "s|@TILE_CACHE@|$BUERGERGIS_SHARED_DIR/cache/tiles|" \
    deploy/nginx/buergergis.conf >"$RUN/nginx/site.conf"
  cat >"$RUN/nginx/nginx.conf" <<CONF
# Made by scripts/cluster.sh from deploy/nginx/buergergis.conf; edits are overwritten.
worker_processes 2;
pid $RUN/nginx/nginx.pid;
error_log $RUN/nginx/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    log_format upstream '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent '
                        'upstream=\$upstream_addr upstream_status=\$upstream_status '
                        'time=\$request_time';
    access_log $RUN/nginx/access.log upstream;
    client_body_temp_path $RUN/nginx/body;
    proxy_temp_path $RUN/nginx/proxy;
    fastcgi_temp_path $RUN/nginx/fastcgi;
    uwsgi_temp_path $RUN/nginx/uwsgi;
    scgi_temp_path $RUN/nginx/scgi;
    sendfile on;
    keepalive_timeout 65;
    include $RUN/nginx/site.conf;
}
CONF
}

start_app() {  # start_app PORT
  local port=$1
  if alive "$(app_pid "$port")"; then return 0; fi
  rm -f "$RUN/app-$port.pid"  # a killed instance's stale pid file
  "$GUNICORN" -c python:buergergis.gunicorn_conf --daemon --pid "$RUN/app-$port.pid" \
    --bind "127.0.0.1:$port" --workers "${WORKERS:-2}" --worker-class buergergis.gunicorn_worker.ThreadWorker \
    --timeout 300 --graceful-timeout "${GRACEFUL_TIMEOUT:-10}" --error-logfile "$RUN/app-$port.log" \
    'buergergis:create_app()'
}

start() {
  mkdir -p "$RUN"
  if [ -z "${BUERGERGIS_SECRET_KEY:-}" ]; then
    [ -s "$RUN/secret_key" ] || (umask 077; python3 -c 'import secrets; print(secrets.token_hex(32))' >"$RUN/secret_key")
    BUERGERGIS_SECRET_KEY=$(cat "$RUN/secret_key")
  fi
  export BUERGERGIS_SECRET_KEY
  export BUERGERGIS_SHARED_DIR=${BUERGERGIS_SHARED_DIR:-$VAR}
  "$BG" db start >/dev/null
  if [ -z "${DATABASE_URL:-}" ]; then  # else: the replica is the database team's (REPLICA_URL)
    BUERGERGIS_REPLICA_URL=$("$BG" cluster replica-start "${REPLICA_PORT[@]}" | tail -n 1)
  fi
  if [ -n "${BUERGERGIS_REPLICA_URL:-}" ]; then
    export BUERGERGIS_REPLICA_URL
    echo "Replikat: $BUERGERGIS_REPLICA_URL"
  fi
  for port in "${APP_PORTS[@]}"; do start_app "$port"; done
  for port in "${APP_PORTS[@]}"; do
    wait_http "http://127.0.0.1:$port/healthz" 60 "$RUN/app-$port.pid"
  done
  local before
  before=$(cat "$RUN/nginx/site.conf" "$RUN/nginx/nginx.conf" 2>/dev/null || true)
  nginx_conf
  if alive "$(cat "$RUN/nginx/nginx.pid" 2>/dev/null || true)"; then
    if [ "$before" != "$(cat "$RUN/nginx/site.conf" "$RUN/nginx/nginx.conf")" ]; then
      "$NGINX" -c "$RUN/nginx/nginx.conf" -s reload
    fi
  else
    "$NGINX" -c "$RUN/nginx/nginx.conf" -e "$RUN/nginx/error.log"
  fi
  wait_http "http://127.0.0.1:$CLUSTER_PORT/healthz" 30
  echo "BürgerGIS läuft auf http://127.0.0.1:$CLUSTER_PORT (nginx → Apps ${APP_PORTS[*]})."
}

stop() {
  local pid port
  pid=$(cat "$RUN/nginx/nginx.pid" 2>/dev/null || true)
  if alive "$pid"; then "$NGINX" -c "$RUN/nginx/nginx.conf" -s quit; fi
  for port in "${APP_PORTS[@]}"; do
    pid=$(app_pid "$port")
    if alive "$pid"; then kill -TERM "$pid"; fi
  done
  for port in "${APP_PORTS[@]}"; do
    pid=$(app_pid "$port")
    for _ in $(seq 100); do alive "$pid" || break; sleep 0.2; done
    rm -f "$RUN/app-$port.pid"
  done
  if [ -z "${DATABASE_URL:-}" ]; then
    "$BG" cluster replica-stop "${REPLICA_PORT[@]}"
    "$BG" cluster replication-off >/dev/null 2>&1 || true
    "$BG" db stop
  fi
}

status() {
  local port
  for port in "${APP_PORTS[@]}"; do
    if alive "$(app_pid "$port")"; then echo "App $port: läuft"; else echo "App $port: aus"; fi
  done
  if alive "$(cat "$RUN/nginx/nginx.pid" 2>/dev/null || true)"; then
    echo "nginx 127.0.0.1:$CLUSTER_PORT: läuft"
  else
    echo "nginx: aus"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "Aufruf: $0 start|stop|status" >&2; exit 2 ;;
esac
