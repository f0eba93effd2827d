#!/bin/sh
# Entrypoint of the container image: initialise the database when it is not the one baked into the image,
# then exec the command (by default gunicorn), so that it runs as PID 1 and receives SIGTERM itself.
#
#   KB_INIT=auto    (default) run `sanctions-kb init` before gunicorn when DATABASE_URL differs from the
#                   baked-in KB_BAKED_DATABASE_URL; `init` is idempotent, so restarts are cheap
#   KB_INIT=always  run it before gunicorn whatever the database
#   KB_INIT=never   never run it (the database is managed elsewhere)
set -eu

if [ "${1:-}" = "gunicorn" ]; then
    case "${KB_INIT:-auto}" in
        always) init=yes ;;
        never) init=no ;;
        auto)
            if [ "${DATABASE_URL:-}" != "${KB_BAKED_DATABASE_URL:-}" ]; then init=yes; else init=no; fi ;;
        *)
            echo "docker-entrypoint: KB_INIT must be auto, always or never, not '${KB_INIT}'" >&2
            exit 64 ;;
    esac
    if [ "$init" = yes ]; then
        echo "docker-entrypoint: KB_INIT=${KB_INIT:-auto}: running sanctions-kb init"
        # `init` prints DATABASE_URL, which may hold a password: mask user:password@ before logging it.
        output=$(sanctions-kb init)
        printf 'docker-entrypoint: %s\n' "$output" | sed 's#://[^/@]*@#://***@#'
    fi
fi

exec "$@"
