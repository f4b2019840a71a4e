//go:build tools

// Pins the upstream command so that `go build sigs.k8s.io/kwok/cmd/kwok` builds it unchanged.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
