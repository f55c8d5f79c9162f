#!/usr/bin/env bash
# Start a private Docker engine for audioprobe's docker sandbox (tests, CI, machines without one).
#
#   sandbox/dockerd.sh          install docker.io if missing (Debian/Ubuntu, as root), start dockerd
#                               in the background unless ours already answers, wait for its socket,
#                               and print `DOCKER_HOST=unix://...` as the last line of stdout
#   sandbox/dockerd.sh stop     stop the engine this script started (by its recorded pid)
#   sandbox/dockerd.sh status   exit 0 and print DOCKER_HOST if ours answers, else exit 1
#
# Idempotent: a second call finds the running engine and only prints DOCKER_HOST.
# The engine runs without systemd, without iptables and without a bridge: sandbox containers
# use network_mode=none, so they need no network at all.
# Environment: AUDIOPROBE_DOCKERD_DIR (state, default /var/lib/audioprobe-dockerd),
#              AUDIOPROBE_DOCKERD_INSTALL=0 to never apt-get install.
set -euo pipefail

DIR="${AUDIOPROBE_DOCKERD_DIR:-/var/lib/audioprobe-dockerd}"
SOCK="$DIR/docker.sock"
PIDFILE="$DIR/dockerd.pid"
LOG="$DIR/dockerd.log"
HOST="unix://$SOCK"

say() { echo "dockerd.sh: $*" >&2; }

answers() {
  [ -S "$SOCK" ] && command -v docker >/dev/null &&
    timeout 5 docker -H "$HOST" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

ours_running() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

case "${1:-start}" in
  status)
    if answers; then echo "DOCKER_HOST=$HOST"; exit 0; fi
    say "no engine answers on $SOCK"; exit 1 ;;
  stop)
    if ours_running; then
      pid="$(cat "$PIDFILE")"; kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      say "stopped dockerd (pid $pid)"
    else
      say "no dockerd of ours is running"
    fi
    rm -f "$PIDFILE"; exit 0 ;;
  start) ;;
  *) say "usage: $0 [start|stop|status]"; exit 2 ;;
esac

if answers; then
  say "engine already answers on $SOCK"
  echo "DOCKER_HOST=$HOST"; exit 0
fi

if [ "$(id -u)" != 0 ]; then
  say "starting a Docker engine needs root; run as root or start Docker/Podman yourself"; exit 1
fi

if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
  if [ "${AUDIOPROBE_DOCKERD_INSTALL:-1}" = 0 ] || ! command -v apt-get >/dev/null; then
    say "dockerd is not installed (Debian/Ubuntu: apt-get install docker.io)"; exit 1
  fi
  say "installing docker.io with apt-get (about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends docker.io >&2
fi

if ours_running; then
  say "dockerd (pid $(cat "$PIDFILE")) is running but not answering yet"
else
  mkdir -p "$DIR/data" "$DIR/exec"
  rm -f "$SOCK"
  say "starting dockerd (data in $DIR, log $LOG)"
  # setsid + nohup: the engine outlives this script and the shell that called it.
  setsid nohup dockerd \
    --data-root "$DIR/data" --exec-root "$DIR/exec" --pidfile "$DIR/dockerd.internal.pid" \
    -H "$HOST" --iptables=false --ip6tables=false --bridge=none --ip-masq=false \
    >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
fi

for _ in $(seq 1 120); do
  if answers; then
    say "engine answers after ${SECONDS}s"
    echo "DOCKER_HOST=$HOST"; exit 0
  fi
  if ! ours_running; then break; fi
  sleep 0.5
done
say "dockerd did not come up; last log lines:"; tail -n 20 "$LOG" >&2 || true
exit 1
