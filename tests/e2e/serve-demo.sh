#!/usr/bin/env bash
# Starts `pbx-portal demo` on a fresh database for one Playwright project:
#   serve-demo.sh sqlite PORT     a new SQLite file in a temporary folder
#   serve-demo.sh postgres PORT   the database E2E_POSTGRES_URL names, emptied first
set -euo pipefail
backend=$1
port=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${PBX_PORTAL_BIN:-$root/target/debug/pbx-portal}
work=$(mktemp -d /tmp/pbx-portal-e2e.XXXXXX)
cd "$work"
case "$backend" in
  sqlite)
    url="sqlite://$work/demo.db"
    ;;
  postgres)
    url=${E2E_POSTGRES_URL:?E2E_POSTGRES_URL is not set}
    psql "$url" -q -v ON_ERROR_STOP=1 -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null
    ;;
  *)
    echo "serve-demo.sh: unknown backend $backend" >&2
    exit 2
    ;;
esac
export RUST_LOG=${RUST_LOG:-warn}
exec "$bin" demo --bind "127.0.0.1:$port" --database-url "$url"
