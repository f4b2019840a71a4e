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
if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] && [ -x "$out/etcd" ] && [ -x "$out/kwok" ]; then
  echo "$out"; exit 0
fi

exec 9>"$cache_root/build.lock"
flock 9 # two test runs must not build into the same directory at once
if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] && [ -x "$out/etcd" ] && [ -x "$out/kwok" ]; then
  echo "$out"; exit 0
fi
tmp=$(mktemp -d "$cache_root/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

k8s_version=$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3}' "$here/go/kube-apiserver/go.mod")
minor=$(echo "$k8s_version" | cut -d. -f2)
stamp="-X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1"
stamp="$stamp -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
stamp="$stamp -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"

build() { # name, module dir, ldflags, packages...
  local name=$1 dir=$2 ldflags=$3 started=$SECONDS
  shift 3
  echo "build: $name ($*) ..." >&2
  # -o into a directory: each main package becomes a binary named after it, sharing one compilation.
  if ! (cd "$here/go/$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$tmp/" "$@") >"$tmp/$name.log" 2>&1; then
    echo "build: FAILED to build $name from module $(awk '/^require/ && NF==3 {print $2"@"$3; exit}' "$here/go/$dir/go.mod"):" >&2
    tail -40 "$tmp/$name.log" >&2
    exit 1
  fi
  echo "build: $name done in $((SECONDS - started)) s" >&2
}
build etcd etcd "" .
build kwok kwok "" sigs.k8s.io/kwok/cmd/kwok
build kubernetes kube-apiserver "$stamp" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager

mkdir -p "$out"
mv "$tmp/etcd" "$tmp/kwok" "$tmp/kube-apiserver" "$tmp/kube-controller-manager" "$out/"
echo "$out"
