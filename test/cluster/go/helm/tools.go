//go:build tools

// Pins the upstream command so that `go build helm.sh/helm/v4/cmd/helm` builds it unchanged.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
