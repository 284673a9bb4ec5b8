#!/usr/bin/env bash
# Restore an Agenda dump (from backup.sh) into an empty database.
#
#   createdb -h 127.0.0.1 -U postgres agenda_restored
#   openfaas/backup/restore.sh /var/backups/agenda/agenda-20270301T031500Z.dump \
#       postgresql://postgres@127.0.0.1:5432/agenda_restored
#
# Refuses a database that already has tables, so a live database is never overwritten by mistake:
# restore into a new database, check it, then point DATABASE_URL at it (or rename the databases).
# The whole restore is one transaction: it lands completely or not at all.
# pg_restore is the target server's major version (see backup.sh: PG_BINDIR, PG_RESTORE); PSQL names psql.
set -euo pipefail
# shellcheck source=openfaas/backup/pgtools.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/pgtools.sh"

if (( $# != 2 )); then
    echo "usage: $0 DUMP_FILE TARGET_DATABASE_URL" >&2
    exit 2
fi
dump=$1
url=${2/#postgresql+psycopg:\/\//postgresql://}

if [[ ! -r $dump ]]; then
    echo "restore: cannot read $dump" >&2
    exit 2
fi
major=$(server_major "$url")
PG_RESTORE=$(pg_tool pg_restore "$major" "${PG_RESTORE:-}")
if ! "$PG_RESTORE" --list "$dump" >/dev/null; then
    echo "restore: $dump is not a readable pg_dump custom-format file" >&2
    exit 2
fi

tables=$("$PSQL" --dbname="$url" --no-psqlrc --tuples-only --no-align --set=ON_ERROR_STOP=1 \
    --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
if (( tables != 0 )); then
    echo "restore: the target database already has $tables tables; restore into an empty database" >&2
    exit 3
fi

"$PG_RESTORE" --dbname="$url" --no-owner --no-privileges --exit-on-error --single-transaction "$dump"
revision=$("$PSQL" --dbname="$url" --no-psqlrc --tuples-only --no-align --set=ON_ERROR_STOP=1 \
    --command="SELECT version_num FROM alembic_version")
echo "restore: restored $dump (schema revision $revision)"
