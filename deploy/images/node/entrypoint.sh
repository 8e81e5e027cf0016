#!/bin/bash
# Entrypoint of navarch/node (runs under tini, which reaps and forwards signals).
#
# 0. Removes the default route: a node sees its cluster network and nothing beyond.
#    Makes lookups of names outside the cluster fail fast (resolver options).
# 1. Starts the node's own Docker engine: overlay2 on the /var/lib/docker volume (vfs, slow,
#    only if that path is itself on overlayfs, i.e. the volume is missing), no outside DNS
#    for inner containers, registry traffic sent to a closed loopback port: images reach a
#    node by `docker load`, never by a pull.
# 2. Once the engine answers, starts `navarch agent` if this build of navarch has it;
#    otherwise just keeps the engine running.
# SIGTERM stops the agent first, then the engine, which gives the inner containers 5 s to
# stop (within `docker stop`'s default 10 s for the node).
#
# Environment:
#   NAVARCH_DOCKERD_ARGS  extra dockerd flags (e.g. "--bip 10.10.0.1/24").
#   NAVARCH_REGISTRY_PROXY  the engine's registry proxy (default: a closed loopback port,
#                         so that pulls fail fast; set a real one to allow pulls).
#   NAVARCH_AGENT_ARGS    flags for `navarch agent` (word-split by the shell).
#   NAVARCH_NO_AGENT=1    never start the agent (the e2e suites drive the engine directly).
#   NAVARCH_KEEP_DEFAULT_ROUTE=1  keep the default route (a node on a routed network).
set -eu

log() { echo "navarch-node: $*" >&2; }

# A node reaches only its cluster network: Docker gives even an `internal` network a
# default route (through a gateway that forwards nowhere), so drop it; with no default
# route, a packet for an address beyond the cluster fails on the node itself.
if [ "${NAVARCH_KEEP_DEFAULT_ROUTE:-}" != 1 ]; then
  ip route del default 2>/dev/null || true
  ip -6 route del default 2>/dev/null || true
  if ip route show default | grep -q . || ip -6 route show default | grep -q .; then
    log "could not remove the default route (needs CAP_NET_ADMIN)"
    exit 1
  fi
fi

# The node's resolver is Docker's embedded DNS (it knows the other nodes' names); it
# forwards every other name to 127.0.0.1, where nothing answers, so a lookup of an outside
# name would hang for 20 s (5 s x 2 tries x A/AAAA). One short try makes it fail in ~2 s.
if [ -w /etc/resolv.conf ]; then
  resolv=$(grep -Ev '^[[:space:]]*options' /etc/resolv.conf || true)
  printf '%s\noptions ndots:0 timeout:1 attempts:1\n' "$resolv" >/etc/resolv.conf
fi

storage_driver=overlay2
if [ "$(stat -f -c %T /var/lib/docker 2>/dev/null || echo unknown)" = overlayfs ]; then
  log "warning: /var/lib/docker is not a volume (overlayfs); falling back to the slow vfs driver"
  storage_driver=vfs
fi

# Inner containers' cgroups nest under this node's own cgroup, so pausing or killing the
# node container freezes or kills its pods too, as it would a machine.
cgroup_parent=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3; exit }' /proc/self/cgroup 2>/dev/null || true)
cgroup_flag=
if [ -n "$cgroup_parent" ] && [ "$cgroup_parent" != / ]; then
  cgroup_flag="--cgroup-parent=${cgroup_parent%/}/navarch"
fi

mkdir -p /var/log /run
# Registry traffic goes to a proxy on a closed loopback port: a pull (a missing image, a
# wrong pull policy) fails in about a second with "connection refused" instead of stalling
# on lookups and timeouts, and nothing leaves the node. Images reach a node by `docker load`.
registry_proxy=${NAVARCH_REGISTRY_PROXY:-http://127.0.0.1:9}
# shellcheck disable=SC2086 # word splitting of the optional flags is intended
HTTP_PROXY=$registry_proxy HTTPS_PROXY=$registry_proxy NO_PROXY= \
  dockerd \
    --host=unix:///var/run/docker.sock \
    --storage-driver="$storage_driver" \
    --dns=127.0.0.1 \
    --shutdown-timeout=5 \
    $cgroup_flag \
    ${NAVARCH_DOCKERD_ARGS:-} \
    >/var/log/dockerd.log 2>&1 &
dockerd_pid=$!
agent_pid=

stop() {
  local status=${1:-0}
  log "stopping"
  if [ -n "$agent_pid" ]; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
  kill -TERM "$dockerd_pid" 2>/dev/null || true
  wait "$dockerd_pid" 2>/dev/null || true
  exit "$status"
}
trap stop TERM INT

tries=0
until docker version --format '{{.Server.Version}}' >/dev/null 2>&1; do
  if ! kill -0 "$dockerd_pid" 2>/dev/null; then
    log "dockerd exited during startup; its log:"
    cat /var/log/dockerd.log >&2
    exit 1
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 600 ]; then
    log "dockerd did not answer within 60 s; see /var/log/dockerd.log"
    exit 1
  fi
  sleep 0.1
done
log "docker engine ready (storage driver $storage_driver)"

# `navarch agent --help` would succeed either way (the top-level help); look in the list.
if [ "${NAVARCH_NO_AGENT:-}" != 1 ] && navarch --help 2>/dev/null | grep -Eq '^ +agent( |$)'; then
  # shellcheck disable=SC2086
  navarch agent ${NAVARCH_AGENT_ARGS:-} &
  agent_pid=$!
  log "navarch agent started (pid $agent_pid)"
else
  log "no agent to start; keeping the engine running"
fi

# Wait for whichever ends first (the TERM trap interrupts `wait`); the node stops with it.
status=0
if [ -n "$agent_pid" ]; then
  wait -n "$dockerd_pid" "$agent_pid" || status=$?
else
  wait "$dockerd_pid" || status=$?
fi
log "dockerd or the agent exited (status $status); stopping the node"
stop "$((status == 0 ? 1 : status))"
