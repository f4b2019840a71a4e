//go:build tools

// Pins the upstream command so that `go build sigs.k8s.io/metrics-server/cmd/metrics-server` builds it unchanged.
package tools

import _ "sigs.k8s.io/metrics-server/cmd/metrics-server"
