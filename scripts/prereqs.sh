#!/usr/bin/env bash
# Makes sure the host has what Navarch needs: a running Docker engine, iptables,
# debootstrap, busybox-static (and the etcd/kubectl reference tools the compat suites use).
# Idempotent and quick when all is present. Installs Debian packages only when run as root
# on Debian/Ubuntu; otherwise names what to install and fails. Touches nothing else.
set -euo pipefail

say() { echo "prereqs: $*" >&2; }

missing_pkgs=()
need() { # need CHECK-COMMAND... -- PACKAGE
  local pkg=${*: -1}
  local cmd=("${@:1:$#-2}")
  "${cmd[@]}" >/dev/null 2>&1 || missing_pkgs+=("$pkg")
}
need test -x /usr/sbin/dockerd -- docker.io
need test -x /usr/sbin/iptables -- iptables
need test -x /usr/sbin/debootstrap -- debootstrap
need test -x /bin/busybox -- busybox-static
need test -x /usr/bin/etcd -- etcd-server
need test -x /usr/bin/etcdctl -- etcd-client
need test -x /usr/bin/ip -- iproute2
need test -x /usr/bin/gcc -- gcc

if ((${#missing_pkgs[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >&2
  else
    say "missing: ${missing_pkgs[*]}. Install them (e.g. 'sudo apt-get install ${missing_pkgs[*]}') and run again."
    exit 1
  fi
fi
# A static libc for the pause binary (gcc -static).
if [[ ! -e /usr/lib/x86_64-linux-gnu/libc.a && ! -e /usr/lib/aarch64-linux-gnu/libc.a ]]; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "installing libc6-dev (static libc for the pause binary)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libc6-dev >&2
  else
    say "missing: libc6-dev (static libc). Install it and run again."; exit 1
  fi
fi

# The Docker engine: use the one running, or start the Debian one in the background.
docker_ok() { /usr/bin/docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if ! docker_ok; then
  if [[ $(id -u) != 0 ]]; then
    say "the Docker engine is not running and this user cannot start it: start dockerd (e.g. 'sudo systemctl start docker')."
    exit 1
  fi
  say "starting dockerd in the background (log: /var/log/navarch-dockerd.log)"
  setsid nohup /usr/sbin/dockerd >/var/log/navarch-dockerd.log 2>&1 &
  for _ in $(seq 1 120); do
    docker_ok && break
    sleep 0.5
  done
  docker_ok || { say "dockerd did not come up within 60 s; see /var/log/navarch-dockerd.log"; exit 1; }
  say "dockerd is up"
fi
