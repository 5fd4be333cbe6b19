{{/* The chart's name, or nameOverride. */}}
{{- define "vigil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of the release's objects. Kubernetes names are at most 63 characters
long, and a release already named after the chart is not prefixed twice.
*/}}
{{- define "vigil.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "vigil.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vigil.labels" -}}
helm.sh/chart: {{ include "vigil.chart" . }}
{{ include "vigil.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: agent
{{- end }}

{{/* Immutable once a DaemonSet exists: never add to these. */}}
{{- define "vigil.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vigil.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "vigil.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vigil.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "vigil.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
vigil.yaml, built as one mapping so that toYaml quotes every value the way it
was typed in the values: a quoted port stays a port name, a quoted number a
string. The node is not in the file: the DaemonSet passes --node.
*/}}
{{- define "vigil.config" -}}
{{- $registry := dict "backend" .Values.registry.backend }}
{{- if eq .Values.registry.backend "etcd" }}
{{- $_ := set $registry "etcd" .Values.registry.etcd }}
{{- end }}
{{- $config := dict "listen" (printf "0.0.0.0:%d" (int .Values.port)) "logging" .Values.logging "registry" $registry "services" .Values.services }}
{{- with .Values.namespace }}
{{- $_ := set $config "namespace" . }}
{{- end }}
{{- with .Values.dns }}
{{- $_ := set $config "dns" . }}
{{- end }}
{{- if .Values.probeDefaults }}
{{- $_ := set $config "probeDefaults" .Values.probeDefaults }}
{{- end }}
{{- toYaml $config }}
{{- end }}
