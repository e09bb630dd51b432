{{/*
Names. Kubernetes names are at most 63 characters; the suffixes below
("-controller", "-worker") are added to the full name, so it is cut at 50.
*/}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 50 | trimSuffix "-" }}
{{- end }}

{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sluice.controller.fullname" -}}
{{- printf "%s-controller" (include "sluice.fullname" .) }}
{{- end }}

{{- define "sluice.worker.fullname" -}}
{{- printf "%s-worker" (include "sluice.fullname" .) }}
{{- end }}

{{- define "sluice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every resource. */}}
{{- define "sluice.labels" -}}
helm.sh/chart: {{ include "sluice.chart" . }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ include "sluice.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Per component: call with (dict "ctx" $ "component" "controller"). */}}
{{- define "sluice.componentLabels" -}}
{{ include "sluice.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "sluice.componentSelectorLabels" -}}
{{ include "sluice.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sluice.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion | toString }}
{{- end }}

{{- define "sluice.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "sluice.imageTag" .) }}
{{- end }}

{{/* The Secret holding the tokens: the user's or the chart's. */}}
{{- define "sluice.secretName" -}}
{{- if .Values.auth.existingSecret }}
{{- .Values.auth.existingSecret }}
{{- else }}
{{- printf "%s-tokens" (include "sluice.fullname" .) }}
{{- end }}
{{- end }}

{{/* Where the tokens are mounted, and the files. */}}
{{- define "sluice.tokenDir" -}}/etc/sluice/tokens{{- end }}

{{/* The controller's address as workers reach it. */}}
{{- define "sluice.controllerURL" -}}
{{- printf "http://%s.%s.svc:%v" (include "sluice.controller.fullname" .) .Release.Namespace .Values.controller.service.port }}
{{- end }}

{{/*
Kafka arguments shared by controller and workers: --bootstrap-servers, then
-X key=value for kafka.properties (sorted by key), then -X key=$(VAR) for
kafka.secretProperties. Rendered as YAML list items.
*/}}
{{- define "sluice.kafkaArgs" -}}
- "--bootstrap-servers"
- {{ required "kafka.bootstrapServers is required" .Values.kafka.bootstrapServers | quote }}
{{- range $key, $value := .Values.kafka.properties }}
- "-X"
- {{ printf "%s=%v" $key $value | quote }}
{{- end }}
{{- range $i, $p := .Values.kafka.secretProperties }}
- "-X"
- {{ printf "%s=$(SLUICE_KAFKA_SECRET_%d)" $p.property $i | quote }}
{{- end }}
{{- end }}

{{/* Environment variables for kafka.secretProperties. */}}
{{- define "sluice.kafkaSecretEnv" -}}
{{- range $i, $p := .Values.kafka.secretProperties }}
- name: SLUICE_KAFKA_SECRET_{{ $i }}
  valueFrom:
    secretKeyRef:
      name: {{ $p.secretName | quote }}
      key: {{ $p.secretKey | quote }}
{{- end }}
{{- end }}

{{/* The Kafka TLS volume and mount, when kafka.tls.secretName is set. */}}
{{- define "sluice.kafkaTLSVolume" -}}
{{- if .Values.kafka.tls.secretName }}
- name: kafka-tls
  secret:
    secretName: {{ .Values.kafka.tls.secretName | quote }}
{{- end }}
{{- end }}

{{- define "sluice.kafkaTLSVolumeMount" -}}
{{- if .Values.kafka.tls.secretName }}
- name: kafka-tls
  mountPath: {{ .Values.kafka.tls.mountPath | quote }}
  readOnly: true
{{- end }}
{{- end }}
