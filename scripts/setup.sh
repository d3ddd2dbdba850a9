#!/usr/bin/env bash
# Makes sure this machine can run keymint: Node.js 20+ and a nats-server with JetStream,
# and can run its browser tests: Debian's chromium at /usr/bin/chromium.
# Installs Debian's packages when it runs as root with apt; otherwise says what to do.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "keymint needs Node.js 20 or newer (found $(node -v))." >&2
  exit 1
fi

# A fresh clone: install the dependencies first (npm ci keeps package-lock.json as it is).
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci, about a minute; better-sqlite3 compiles only where no prebuilt binary can be downloaded)"
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

# The browser tests (test/browser) drive Debian's chromium. `npm start` (prestart) skips this:
# running keymint needs no browser. A failed install only warns; those tests then fail saying why.
ensure_chromium() {
  local chromium=/usr/bin/chromium
  [ "${npm_lifecycle_event:-}" = "prestart" ] && return 0
  if [ -x "$chromium" ]; then
    echo "setup: chromium found at $chromium (browser tests)"
    return 0
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's chromium package for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq && apt-get install -y -qq chromium >/dev/null && [ -x "$chromium" ]; then
      echo "setup: chromium installed at $chromium"
      return 0
    fi
  fi
  cat >&2 <<'MSG'
setup: chromium is missing at /usr/bin/chromium; the browser tests (test/browser) will fail until it is there.
  Debian/Ubuntu:  sudo apt-get install -y chromium
Running keymint itself does not need it.
MSG
  return 0
}

if nats=$(find_nats); then
  echo "setup: nats-server found at $nats ($("$nats" --version 2>&1 | head -n 1))"
  ensure_chromium
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing Debian's nats-server package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nats-server >/dev/null
  nats=$(find_nats)
  echo "setup: nats-server installed at $nats"
  ensure_chromium
  exit 0
fi

cat >&2 <<'MSG'
setup: nats-server is missing. keymint needs it (with JetStream) for its event bus.
  Debian/Ubuntu:  sudo apt-get install -y nats-server
  elsewhere:      https://docs.nats.io/running-a-nats-service/introduction/installation
Then run this again, or point NATS_SERVER_BIN at the binary.
MSG
ensure_chromium
exit 1
