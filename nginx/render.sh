#!/usr/bin/env bash
# Renders nginx/local.conf.in into $NGINX_PREFIX/nginx.conf for an unprivileged local run.
#   NGINX_PREFIX    absolute directory for nginx.conf, pid, logs and temp files (required)
#   NGINX_PORT      loopback port of the service (default 3000)
#   FCGI_SOCKET     absolute path of the workers' socket (required); several, space-separated,
#                   make one upstream of several hosts (the two-host test)
#   SANDBOX_PORT    loopback port of the Dintero sandbox; with SANDBOX_SOCKET, adds its server
#   SANDBOX_SOCKET  absolute path of the sandbox's socket
#   ACCESS_LOG      access log path, or "off" (default $NGINX_PREFIX/nginx-access.log)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${NGINX_PREFIX:?NGINX_PREFIX is required}" "${FCGI_SOCKET:?FCGI_SOCKET is required}"
port=${NGINX_PORT:-3000}
access_log=${ACCESS_LOG:-$NGINX_PREFIX/nginx-access.log}
[ "$access_log" = off ] || access_log="$access_log payments"
mkdir -p "$NGINX_PREFIX/tmp"
# Relative includes resolve against the rendered file's directory, as in /etc/nginx.
cp "$here/payments.locations" "$here/payments.fastcgi" "$here/payments.errors" "$here/payments.internal" "$here/payments.maps" \
   "$here/payments.headers" "$here/sandbox.fastcgi" "$NGINX_PREFIX/"
sandbox=""
if [ -n "${SANDBOX_PORT:-}" ] && [ -n "${SANDBOX_SOCKET:-}" ]; then
    sandbox=$(sed -e "s|@SANDBOX_SOCKET@|$SANDBOX_SOCKET|g" -e "s|@SANDBOX_PORT@|$SANDBOX_PORT|g" \
                  "$here/sandbox.server.in")
fi
servers=""
for socket in $FCGI_SOCKET; do servers="$servers        server unix:$socket;"$'\n'; done
awk -v sandbox="$sandbox" -v servers="${servers%$'\n'}" \
    '{ if ($0 == "@SANDBOX_SERVER@") print sandbox; else if ($0 ~ /@SERVERS@/) print servers; else print }' "$here/local.conf.in" |
    sed -e "s|@PREFIX@|$NGINX_PREFIX|g" -e "s|@PORT@|$port|g" \
        -e "s|@ACCESS_LOG@|$access_log|g" > "$NGINX_PREFIX/nginx.conf"
echo "$NGINX_PREFIX/nginx.conf"
