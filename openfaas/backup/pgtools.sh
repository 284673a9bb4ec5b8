# Sourced by backup.sh and restore.sh: the PostgreSQL client tools of the server's major version.
#
#   server_major URL          prints the major version of the server at URL (asked with $PSQL)
#   pg_tool NAME MAJOR [SET]  prints the path of NAME (pg_dump, pg_restore) of version MAJOR: SET when the
#                             operator named a binary (it must be of that version), else the first of
#                             $PG_BINDIR, /usr/lib/postgresql/MAJOR/bin, /usr/pgsql-MAJOR/bin, PATH that is;
#                             otherwise stops, naming the server's version and the ones it found.
PSQL=${PSQL:-psql}

server_major() {
    local number
    number=$("$PSQL" --dbname="$1" --no-psqlrc --tuples-only --no-align --set=ON_ERROR_STOP=1 \
        --command="SHOW server_version_num") || return 1
    echo $(( number / 10000 ))
}

tool_major() {
    # "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)" -> 15
    "$1" --version 2>/dev/null | sed -n 's/^[^0-9]*\([0-9][0-9]*\).*/\1/p' | head -n 1
}

pg_tool() {
    local name=$1 major=$2 chosen=${3:-} candidate found=""
    if [[ -n $chosen ]]; then
        found=$(tool_major "$chosen")
        if [[ $found != "$major" ]]; then
            echo "$name: the server is PostgreSQL $major but $chosen is version ${found:-unknown}" >&2
            return 1
        fi
        echo "$chosen"
        return 0
    fi
    for candidate in ${PG_BINDIR:+"$PG_BINDIR/$name"} "/usr/lib/postgresql/$major/bin/$name" \
            "/usr/pgsql-$major/bin/$name" "$(command -v "$name" || true)"; do
        [[ -n $candidate && -x $candidate ]] || continue
        local version
        version=$(tool_major "$candidate")
        if [[ $version == "$major" ]]; then
            echo "$candidate"
            return 0
        fi
        found+="${found:+, }$version ($candidate)"
    done
    echo "$name: the server is PostgreSQL $major; no $name of that version found (found: ${found:-none})." \
        "Install its client tools or set PG_BINDIR to their directory." >&2
    return 1
}
