#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, etcd and kwok from the Go module proxy into a cache outside the clone,
# keyed by the wrapper modules and the Go version, so a fresh clone on the same machine reuses it.
# Prints the directory holding the binaries on stdout; progress goes to stderr.
# `build.sh metrics-server` builds metrics-server alone, and `build.sh helm` the Helm v4 CLI (the chart's tests), each
# in a cache of its own (so that adding them left the control plane's key, and every existing cache, as they were).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v go >/dev/null || { echo "build: Go is not installed; install Go >= 1.26 (kwok v0.8 needs it)" >&2; exit 1; }
cache_root=${EKS_MCP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/eks-mcp}
mkdir -p "$cache_root"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly

# On a terminal, one live line per binary being built, with its elapsed time; elsewhere (CI, logs) plain lines.
live=false
[ -t 2 ] && [ "${TERM:-dumb}" != dumb ] && live=true
started_all=$SECONDS
duration() { local s=$1; if [ "$s" -ge 60 ]; then echo "$((s / 60)) min $((s % 60)) s"; else echo "$s s"; fi; }

# Each component has a cache directory of its own, keyed by its wrapper modules and the Go version.
component=${1:-control-plane}
case "$component" in
  control-plane) modules=(etcd kube-apiserver kwok); binaries=(etcd kwok kube-apiserver kube-controller-manager); label="control plane binaries" ;;
  metrics-server) modules=(metrics-server); binaries=(metrics-server); label=metrics-server ;;
  helm) modules=(helm); binaries=(helm); label=helm ;;
  *) echo "build: unknown component $component (control-plane, metrics-server or helm)" >&2; exit 2 ;;
esac
key=$(cd "$here/go" && { go version; cat "${modules[@]/%//go.mod}" "${modules[@]/%//go.sum}"; for m in "${modules[@]}"; do cat "$m"/*.go; done; } | sha256sum | cut -c1-16)
out="$cache_root/$component-$key"
all_cached() { for b in "${binaries[@]}"; do [ -x "$out/$b" ] || return 1; done; }
if all_cached; then
  echo "build: $label from the cache ($out)" >&2
  echo "$out"; exit 0
fi

exec 9>"$cache_root/build.lock"
if ! flock -n 9; then # two runs must not build into the same directory at once: wait for the other one
  echo "build: another build is running; waiting for it ($cache_root/build.lock)" >&2
  flock 9
  if all_cached; then
    echo "build: $label built by the other run in $(duration $((SECONDS - started_all))) ($out)" >&2
    echo "$out"; exit 0
  fi
fi
tmp=$(mktemp -d "$cache_root/build.XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT # a go build still running dies with us
mkdir -p "$out"

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
# The version a wrapper module requires of its upstream, for the binaries' own version stamp.
required() { awk -v m="$2" '$1=="require" && $2==m {print $3}' "$here/go/$1/go.mod"; }

case "$component" in
  metrics-server) build metrics-server "" metrics-server sigs.k8s.io/metrics-server/cmd/metrics-server ;;
  helm) build helm "-X helm.sh/helm/v4/internal/version.version=$(required helm helm.sh/helm/v4)" helm helm.sh/helm/v4/cmd/helm ;;
  control-plane)
    k8s_version=$(required kube-apiserver k8s.io/kubernetes)
    minor=$(echo "$k8s_version" | cut -d. -f2)
    stamp="-X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1"
    stamp="$stamp -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
    stamp="$stamp -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
    build etcd "" etcd .
    build kwok "" kwok sigs.k8s.io/kwok/cmd/kwok
    build kube-apiserver "$stamp" kube-apiserver,kube-controller-manager k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
    echo "build: control plane ready in $(duration $((SECONDS - started_all))) ($out):" >&2
    for line in "${summary[@]}"; do echo "build:   $line" >&2; done
    ;;
esac
echo "$out"
