#!/usr/bin/env bash
# Makes sure this machine can run keymint: Node.js 20+ and a nats-server with JetStream.
# Installs Debian's nats-server package when it runs as root with apt; otherwise says what to do.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "keymint needs Node.js 20 or newer (found $(node -v))." >&2
  exit 1
fi

# A fresh clone: install the dependencies first (npm ci keeps package-lock.json as it is).
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci; sqlite3 compiles, about a minute)"
  npm ci
fi

find_nats() {
  if [ -n "${NATS_SERVER_BIN:-}" ] && [ -x "$NATS_SERVER_BIN" ]; then echo "$NATS_SERVER_BIN"; return 0; fi
  command -v nats-server 2>/dev/null && return 0
  for candidate in /usr/sbin/nats-server /usr/local/sbin/nats-server; do
    [ -x "$candidate" ] && { echo "$candidate"; return 0; }
  done
  return 1
}

if nats=$(find_nats); then
  echo "setup: nats-server found at $nats ($("$nats" --version 2>&1 | head -n 1))"
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing Debian's nats-server package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nats-server >/dev/null
  nats=$(find_nats)
  echo "setup: nats-server installed at $nats"
  exit 0
fi

cat >&2 <<'MSG'
setup: nats-server is missing. keymint needs it (with JetStream) for its event bus.
  Debian/Ubuntu:  sudo apt-get install -y nats-server
  elsewhere:      https://docs.nats.io/running-a-nats-service/introduction/installation
Then run this again, or point NATS_SERVER_BIN at the binary.
MSG
exit 1
