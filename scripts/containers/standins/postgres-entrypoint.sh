#!/bin/bash
# Stand-in for the postgres image's entrypoint: on first start it initialises PGDATA with
# POSTGRES_USER/POSTGRES_PASSWORD, creates POSTGRES_DB, runs /docker-entrypoint-initdb.d/*.sql
# and *.sh on a socket-only server; then it runs postgres as the postgres user.
set -euo pipefail
if [ "${1:-}" != postgres ]; then exec "$@"; fi
shift
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp) && printf '%s\n' "${POSTGRES_PASSWORD:?}" >"$pwfile" && chown postgres "$pwfile"
    as_pg initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    as_pg pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    psql=(as_pg psql -v ON_ERROR_STOP=1 -q -U "$POSTGRES_USER" -d postgres)
    if [ "$POSTGRES_DB" != postgres ]; then "${psql[@]}" -c "CREATE DATABASE \"$POSTGRES_DB\""; fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sql) echo "initdb.d: $f"; "${psql[@]}" -f "$f" ;;
            *.sh) echo "initdb.d: $f"; . "$f" ;;
        esac
    done
    as_pg pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups -- \
    postgres -D "$PGDATA" -c listen_addresses='*' "$@"
