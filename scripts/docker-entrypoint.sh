#!/bin/sh
# Entrypoint of the container image: initialise the database when it is not the one baked into the image,
# then exec the command (by default sanctions-kb-server, which execs granian), so that the server runs as PID 1
# and receives SIGTERM itself. Initialisation applies to the server command only (`sanctions-kb-server`, or
# `python -m service.server`); any other command (a shell, `sanctions-kb check`) runs as given.
#
#   KB_INIT=auto    (default) run `sanctions-kb init` before the server when DATABASE_URL differs from the
#                   baked-in KB_BAKED_DATABASE_URL; `init` is idempotent, so restarts are cheap
#   KB_INIT=always  run it before the server whatever the database
#   KB_INIT=never   never run it (the database is managed elsewhere)
#
#   The baked-in database is read-only (the image's root filesystem may be too): unless KB_READ_ONLY is set,
#   the service answers writes with a problem saying so whenever DATABASE_URL is KB_BAKED_DATABASE_URL.
set -eu

if [ -z "${KB_READ_ONLY:-}" ] && [ "${DATABASE_URL:-}" = "${KB_BAKED_DATABASE_URL:-}" ]; then
    export KB_READ_ONLY=true
fi

server=no
case "${1:-} ${2:-} ${3:-}" in
    "sanctions-kb-server "*|"python -m service.server"|"python3 -m service.server") server=yes ;;
esac
if [ "$server" = yes ]; then
    case "${KB_INIT:-auto}" in
        always) init=yes ;;
        never) init=no ;;
        auto)
            if [ "${DATABASE_URL:-}" != "${KB_BAKED_DATABASE_URL:-}" ]; then init=yes; else init=no; fi ;;
        *)
            echo "docker-entrypoint: KB_INIT must be auto, always or never, not '${KB_INIT}'" >&2
            exit 64 ;;
    esac
    # A SQLite database of one's own belongs on a volume: say so when its folder is in the container's own layer
    # (lost with the container), and stop when it cannot be written (a forgotten volume under --read-only).
    case "${DATABASE_URL:-}" in
        sqlite:///*)
            if [ "${DATABASE_URL}" != "${KB_BAKED_DATABASE_URL:-}" ]; then
                folder=$(dirname "${DATABASE_URL#sqlite:///}")
                if [ "$(stat -c %d "$folder" 2>/dev/null)" = "$(stat -c %d /)" ]; then
                    echo "docker-entrypoint: warning: $folder is not a volume, so the database in it is lost with the container: mount one (-v NAME:$folder)" >&2
                fi
                if [ ! -w "$folder" ]; then
                    echo "docker-entrypoint: cannot write to $folder, the folder of DATABASE_URL's database: mount a volume there (-v NAME:$folder)" >&2
                    exit 73
                fi
            fi ;;
    esac
    if [ "$init" = yes ]; then
        echo "docker-entrypoint: KB_INIT=${KB_INIT:-auto}: running sanctions-kb init"
        # `init` prints DATABASE_URL, which may hold a password: mask user:password@ before logging it.
        output=$(sanctions-kb init)
        printf '%s\n' "$output" | sed -e 's#://[^/@]*@#://***@#' -e 's/^/docker-entrypoint: /'
    fi
fi

exec "$@"
