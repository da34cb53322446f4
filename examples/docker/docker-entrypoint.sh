#!/bin/bash
# Container entrypoint: secures the node's first start with es-autoconf, then execs Elasticsearch
# with the container's arguments (examples/docker/README.md; tests/it/docker.rs runs it).
#
#   ENROLLMENT_TOKEN          join the cluster that created this token (first start only)
#   ELASTIC_CREDENTIALS_FILE  where a new cluster's elastic password goes (mode 0600)
#                             [default: $ES_PATH_CONF/elastic-credentials.json]
#   ES_AUTOCONF               the es-autoconf binary [default: es-autoconf, from PATH]
set -euo pipefail

export ES_HOME=${ES_HOME:-/usr/share/elasticsearch}
export ES_PATH_CONF=${ES_PATH_CONF:-$ES_HOME/config}
credentials=${ELASTIC_CREDENTIALS_FILE:-$ES_PATH_CONF/elastic-credentials.json}
es_autoconf=${ES_AUTOCONF:-es-autoconf}

# -E settings reach es-autoconf too, as Elasticsearch's launcher gives them to its own
# auto-configuration.
settings=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    -E) settings+=(-E "${args[i + 1]:-}"); i=$((i + 1)) ;;
    -E*) settings+=("${args[i]}") ;;
  esac
done

# With a token, enroll unless an earlier start did (its yml holds the auto-configuration block):
# a restart with ENROLLMENT_TOKEN still set is a plain start.
enrolling=false
if [ -n "${ENROLLMENT_TOKEN:-}" ] &&
  ! grep -qs '^#-* BEGIN SECURITY AUTO CONFIGURATION' "$ES_PATH_CONF/elasticsearch.yml"; then
  enrolling=true
fi

set +e
if [ "$enrolling" = true ]; then
  # es-autoconf reads the token from ENROLLMENT_TOKEN itself: it is never on a command line.
  "$es_autoconf" init "${settings[@]}" </dev/null
else
  ENROLLMENT_TOKEN= "$es_autoconf" init "${settings[@]}" --credentials-file "$credentials" </dev/null
fi
rc=$?
set -e

if [ "$enrolling" = true ] && [ "$rc" -ne 0 ]; then
  # Joining a cluster: a node that could not join must not start as a cluster of its own.
  echo "es-autoconf could not enroll this node (exit $rc); Elasticsearch is not started." >&2
  exit "$rc"
fi
# As Elasticsearch's launcher: after 73, 78 and 80 the node starts with the configuration it has.
case "$rc" in
  0 | 73 | 78 | 80) ;;
  *)
    echo "es-autoconf failed (exit $rc); Elasticsearch is not started." >&2
    exit "$rc"
    ;;
esac

# The token has served: Elasticsearch does not get it.
unset ENROLLMENT_TOKEN
exec "$ES_HOME/bin/elasticsearch" "$@"
