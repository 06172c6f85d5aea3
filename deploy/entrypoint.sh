#!/bin/sh
# The container's entrypoint: the gateway token from a secret file, the state dir on first
# start, the config keys the deployment owns, then `openclaw-host "$@"`.
#
#   OPENCLAW_GATEWAY_TOKEN_FILE  a file holding the token (a Docker or Kubernetes secret); the host
#                                reads tokens from OPENCLAW_GATEWAY_TOKEN or gateway.auth.token
#                                only, so it is exported as OPENCLAW_GATEWAY_TOKEN (which the
#                                gateway never passes on to the processes it starts)
#   OPENCLAW_CONFIG_SET          a file of "KEY JSON-VALUE" lines (# comments), applied with
#                                `openclaw-host config set` at every start; setting a key to the
#                                value it has changes nothing (no new config version)
set -eu

if [ -n "${OPENCLAW_GATEWAY_TOKEN_FILE:-}" ]; then
  if [ ! -r "$OPENCLAW_GATEWAY_TOKEN_FILE" ]; then
    echo "openclaw-entrypoint: error: cannot read OPENCLAW_GATEWAY_TOKEN_FILE $OPENCLAW_GATEWAY_TOKEN_FILE" >&2
    exit 1
  fi
  OPENCLAW_GATEWAY_TOKEN=$(cat "$OPENCLAW_GATEWAY_TOKEN_FILE")
  export OPENCLAW_GATEWAY_TOKEN
fi

if [ "${1:-}" = gateway ]; then
  # State dir, config and workspace on an empty volume; afterwards it changes nothing.
  openclaw-host setup
  if [ -n "${OPENCLAW_CONFIG_SET:-}" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in '' | '#'*) continue ;; esac
      key=${line%% *}
      value=${line#"$key"}
      value=${value# }
      openclaw-host config set "$key" "$value"
    done <"$OPENCLAW_CONFIG_SET"
  fi
fi

exec openclaw-host "$@"
