#!/bin/sh
# `einmal` in the container image: the compiled command line. A variable NAME_FILE=PATH becomes
# NAME=<the file's content>, so secrets stay in files (a volume, or Docker secrets), not in
# compose.yaml or `docker inspect`.
for variable in $(env | sed -n 's/^\([A-Z][A-Z0-9_]*\)_FILE=.*/\1/p'); do
  eval "file=\${${variable}_FILE}"
  value=$(cat "$file") || exit 1
  export "$variable=$value"
  unset "${variable}_FILE"
done
exec node "${EINMAL_MAIN:-/opt/einmal/dist/cli/main.js}" "$@"
