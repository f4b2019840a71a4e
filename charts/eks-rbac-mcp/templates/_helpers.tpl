{{/* The release's name, or release-chart when the release name does not already say it (63 characters at most). */}}
{{- define "eks-rbac-mcp.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* What selects this release's pods: two releases in one namespace never share them. */}}
{{- define "eks-rbac-mcp.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The Secret of static bearer tokens: the one named, else <fullname>-tokens. */}}
{{- define "eks-rbac-mcp.tokensSecret" -}}
{{- .Values.auth.tokens.secretName | default (printf "%s-tokens" (include "eks-rbac-mcp.fullname" .)) -}}
{{- end -}}
