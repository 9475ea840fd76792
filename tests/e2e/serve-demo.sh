#!/usr/bin/env bash
# Starts `pbx-portal demo` on a fresh database (and an empty mail folder,
# /tmp/pbx-portal-e2e-mail-BACKEND) for one Playwright project:
#   serve-demo.sh sqlite PORT     a new SQLite file in a temporary folder
#   serve-demo.sh postgres PORT   the database E2E_POSTGRES_URL names, emptied first
#   serve-demo.sh paused PORT     a new SQLite file whose jobs wait (--run-jobs false), for
#                                 the specs that need a job still pending
set -euo pipefail
backend=$1
port=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${PBX_PORTAL_BIN:-$root/target/debug/pbx-portal}
work=$(mktemp -d /tmp/pbx-portal-e2e.XXXXXX)
# Outgoing mail lands as .eml files in a fixed folder per project, emptied at every
# start, where helpers/mail.ts reads it (mailFolder names the same path).
mail="/tmp/pbx-portal-e2e-mail-$backend"
rm -rf "$mail"
mkdir -p "$mail"
export MAIL_DIR=$mail
# Neither a mail server nor another public address: mail goes to the folder, and its
# links point at this demo.
unset SMTP_URL PUBLIC_URL
cd "$work"
case "$backend" in
  sqlite)
    url="sqlite://$work/demo.db"
    ;;
  paused)
    url="sqlite://$work/demo.db"
    export PORTAL_RUN_JOBS=false
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
