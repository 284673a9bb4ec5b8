#!/usr/bin/env bash
# Agenda's daily database backup: one pg_dump custom-format file, verified, then old files pruned.
#
#   DATABASE_URL=postgresql://agenda@127.0.0.1:5432/agenda openfaas/backup/backup.sh
#
# Settings (environment):
#   DATABASE_URL     the database to dump (postgresql:// or postgresql+psycopg://); required
#   BACKUP_DIR       where dumps go (default /var/backups/agenda); created with mode 700
#   RETENTION_DAYS   dumps older than this many days are deleted (default 14) ...
#   KEEP_MIN         ... except the newest KEEP_MIN, which are always kept (default 7)
#   BACKUP_PREFIX    file name prefix (default agenda): <prefix>-<UTC timestamp>.dump
#   PG_BINDIR        directory of client tools of the server's major version, searched first
#   PG_DUMP, PG_RESTORE  the client binaries, which must be of the server's major version (default: found
#                    by version in PG_BINDIR, /usr/lib/postgresql/<major>/bin, /usr/pgsql-<major>/bin, PATH)
#   PSQL             the psql that asks the server its version (any version; default from PATH)
set -euo pipefail
# shellcheck source=openfaas/backup/pgtools.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/pgtools.sh"

: "${DATABASE_URL:?DATABASE_URL is required}"
BACKUP_DIR=${BACKUP_DIR:-/var/backups/agenda}
RETENTION_DAYS=${RETENTION_DAYS:-14}
KEEP_MIN=${KEEP_MIN:-7}
BACKUP_PREFIX=${BACKUP_PREFIX:-agenda}

for number in "$RETENTION_DAYS" "$KEEP_MIN"; do
    [[ $number =~ ^[0-9]+$ ]] || { echo "backup: RETENTION_DAYS and KEEP_MIN must be whole numbers" >&2; exit 2; }
done
(( KEEP_MIN >= 1 )) || { echo "backup: KEEP_MIN must be at least 1" >&2; exit 2; }

# libpq does not know SQLAlchemy's driver suffix.
url=${DATABASE_URL/#postgresql+psycopg:\/\//postgresql://}

# A pg_dump older than the server refuses to dump it; one of the same major version is what restores best.
major=$(server_major "$url")
PG_DUMP=$(pg_tool pg_dump "$major" "${PG_DUMP:-}")
PG_RESTORE=$(pg_tool pg_restore "$major" "${PG_RESTORE:-}")

umask 077
mkdir -p -- "$BACKUP_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$BACKUP_DIR/$BACKUP_PREFIX-$stamp.dump"
partial="$target.partial"
trap 'rm -f -- "$partial"' EXIT

# A dump only gets its final name once it is complete and pg_restore can read its table of contents,
# so a crash or a full disk never leaves a file that looks like a good backup.
"$PG_DUMP" --format=custom --compress=6 --file="$partial" --dbname="$url"
"$PG_RESTORE" --list "$partial" >/dev/null
mv -- "$partial" "$target"
echo "backup: wrote $target ($(stat -c %s "$target") bytes)"

# Retention by age (file modification time), never touching the newest KEEP_MIN dumps.
cutoff=$(( $(date +%s) - RETENTION_DAYS * 86400 ))
rank=0
while IFS= read -r -d '' entry; do
    rank=$(( rank + 1 ))
    modified=${entry%%.*}
    path=${entry#* }
    if (( rank > KEEP_MIN && modified < cutoff )); then
        rm -f -- "$path"
        echo "backup: deleted $path (older than $RETENTION_DAYS days)"
    fi
done < <(find "$BACKUP_DIR" -maxdepth 1 -type f -name "$BACKUP_PREFIX-*.dump" -printf '%T@ %p\0' | sort -z -rn)
