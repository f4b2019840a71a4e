//go:build tools

// Pins the upstream commands so that `go build k8s.io/kubernetes/cmd/...` builds them unchanged.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
