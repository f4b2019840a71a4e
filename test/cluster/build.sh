#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, etcd and kwok from the Go module proxy into a cache outside the clone,
# keyed by the wrapper modules and the Go version, so a fresh clone on the same machine reuses it.
# Prints the directory holding the binaries on stdout; progress goes to stderr.
# `build.sh metrics-server` builds metrics-server alone, in a cache of its own (so that adding it left the control
# plane's key, and every existing cache, as they were).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v go >/dev/null || { echo "build: Go is not installed; install Go >= 1.26 (kwok v0.8 needs it)" >&2; exit 1; }
cache_root=${EKS_MCP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eks-mcp}
mkdir -p "$cache_root"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly

if [ "${1:-}" = metrics-server ]; then
  ms_key=$(cd "$here/go/metrics-server" && { go version; cat go.mod go.sum *.go; } | sha256sum | cut -c1-16)
  ms_out="$cache_root/metrics-server-$ms_key"
  if [ ! -x "$ms_out/metrics-server" ]; then
    exec 9>"$cache_root/build.lock"
    flock 9
    if [ ! -x "$ms_out/metrics-server" ]; then
      started=$SECONDS
      echo "build: metrics-server ..." >&2
      tmp=$(mktemp -d "$cache_root/build.XXXXXX")
      trap 'rm -rf "$tmp"' EXIT
      if ! (cd "$here/go/metrics-server" && go build -trimpath -ldflags "-s -w" -o "$tmp/" sigs.k8s.io/metrics-server/cmd/metrics-server) >"$tmp/metrics-server.log" 2>&1; then
        echo "build: FAILED to build metrics-server:" >&2
        tail -40 "$tmp/metrics-server.log" >&2
        exit 1
      fi
      mkdir -p "$ms_out" && mv "$tmp/metrics-server" "$ms_out/"
      echo "build: metrics-server done in $((SECONDS - started)) s" >&2
    fi
  fi
  echo "$ms_out"; exit 0
fi

key=$(cd "$here/go" && { go version; cat {etcd,kube-apiserver,kwok}/go.mod {etcd,kube-apiserver,kwok}/go.sum {etcd,kube-apiserver,kwok}/*.go; } | sha256sum | cut -c1-16)
out="$cache_root/control-plane-$key"
binaries=(etcd kwok kube-apiserver kube-controller-manager)
all_cached() { for b in "${binaries[@]}"; do [ -x "$out/$b" ] || return 1; done; }
if all_cached; then
  echo "build: control plane binaries from the cache ($out)" >&2
  echo "$out"; exit 0
fi

# On a terminal, one live line per binary being built, with its elapsed time; elsewhere (CI, logs) plain lines.
live=false
[ -t 2 ] && [ "${TERM:-dumb}" != dumb ] && live=true
started_all=$SECONDS
duration() { local s=$1; if [ "$s" -ge 60 ]; then echo "$((s / 60)) min $((s % 60)) s"; else echo "$s s"; fi; }

mkdir -p "$cache_root"
exec 9>"$cache_root/build.lock"
if ! flock -n 9; then # two runs must not build into the same directory at once: wait for the other one
  echo "build: another build of the control plane is running; waiting for it ($cache_root/build.lock)" >&2
  flock 9
  if all_cached; then
    echo "build: control plane binaries built by the other run in $(duration $((SECONDS - started_all))) ($out)" >&2
    echo "$out"; exit 0
  fi
fi
tmp=$(mktemp -d "$cache_root/build.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT # a go build still running dies with us
mkdir -p "$out"

k8s_version=$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3}' "$here/go/kube-apiserver/go.mod")
minor=$(echo "$k8s_version" | cut -d. -f2)
stamp="-X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1"
stamp="$stamp -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
stamp="$stamp -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"

summary=()
build() { # module dir, ldflags, binaries (comma-separated), packages...
  local dir=$1 ldflags=$2 names=$3 started=$SECONDS
  shift 3
  local label=${names//,/ + } cached=true name
  for name in ${names//,/ }; do [ -x "$out/$name" ] || cached=false; done
  if $cached; then
    for name in ${names//,/ }; do summary+=("$name: from the cache"); done
    echo "build: $label from the cache" >&2
    return
  fi
  $live || echo "build: $label ($*) ..." >&2
  # -o into a directory: each main package becomes a binary named after it, sharing one compilation.
  (cd "$here/go/$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp/" "$@") >"$tmp/$dir.log" 2>&1 &
  local pid=$! status=0
  if $live; then
    while kill -0 "$pid" 2>/dev/null; do
      printf '\r\033[Kbuild: %s ... %s' "$label" "$(duration $((SECONDS - started)))" >&2
      sleep 1
    done
    printf '\r\033[K' >&2
  fi
  wait "$pid" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "build: FAILED to build $label from module $(awk '/^require/ && NF==3 {print $2"@"$3; exit}' "$here/go/$dir/go.mod"):" >&2
    tail -40 "$tmp/$dir.log" >&2
    exit 1
  fi
  for name in ${names//,/ }; do mv "$tmp/$name" "$out/"; summary+=("$name: built in $(duration $((SECONDS - started)))"); done
  echo "build: $label built in $(duration $((SECONDS - started)))" >&2
}
build etcd "" etcd .
build kwok "" kwok sigs.k8s.io/kwok/cmd/kwok
build kube-apiserver "$stamp" kube-apiserver,kube-controller-manager k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager

echo "build: control plane ready in $(duration $((SECONDS - started_all))) ($out):" >&2
for line in "${summary[@]}"; do echo "build:   $line" >&2; done
echo "$out"
