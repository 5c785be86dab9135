// Package deploy holds the container image's Dockerfile (at the repository
// root) and the Kubernetes manifests of a sharded run (k8s/). Its test
// validates the manifests with kubeconform against strict schemas made from
// Kubernetes' own OpenAPI definitions (tools/k8sschema), since no cluster
// runs here to try them.
package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kantamig/kantamig/internal/testenv"
)

// KubernetesVersion is the API the manifests are validated against.
const KubernetesVersion = "v1.34.2"

func kubeconform(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("kubeconform"); err == nil {
		return p
	}
	out, _ := exec.Command("go", "env", "GOPATH").Output()
	p := filepath.Join(strings.TrimSpace(string(out)), "bin", "kubeconform")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	testenv.Missing(t, "kubeconform (go install github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0)")
	return ""
}

// schemas makes the strict schemas of the kinds the manifests use, from the
// swagger.json of the k8s.io/kubernetes module (fetched through the Go
// module proxy).
func schemas(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", "k8s.io/kubernetes@"+KubernetesVersion)
	cmd.Dir = t.TempDir() // outside this module: the download is not its dependency
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fetching Kubernetes' API definitions: %v\n%s", err, out)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		t.Fatalf("go mod download: %v\n%s", err, out)
	}
	dir := t.TempDir()
	gen := exec.Command("go", "run", "../tools/k8sschema", "-swagger", filepath.Join(mod.Dir, "api", "openapi-spec", "swagger.json"), "-out", dir,
		"Job", "ServiceAccount", "Secret", "Service", "StatefulSet", "ConfigMap", "PersistentVolumeClaim")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("k8sschema: %v\n%s", err, out)
	}
	return dir
}

func validate(t *testing.T, bin, schemaDir string, files ...string) (string, error) {
	args := append([]string{"-strict", "-summary", "-schema-location", filepath.Join(schemaDir, "{{ .ResourceKind }}{{ .KindSuffix }}.json")}, files...)
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

// Every manifest is valid, strictly, against the Kubernetes API; a manifest
// with a misspelt field or a wrong type is not (so the check can fail).
func TestManifestsAreValidKubernetes(t *testing.T) {
	bin := kubeconform(t)
	dir := schemas(t)
	files, _ := filepath.Glob("k8s/*.yaml")
	if len(files) < 3 {
		t.Fatalf("manifests: %v", files)
	}
	out, err := validate(t, bin, dir, files...)
	if err != nil || !strings.Contains(out, "Invalid: 0, Errors: 0, Skipped: 0") {
		t.Fatalf("kubeconform: %v\n%s", err, out)
	}
	t.Log(strings.TrimSpace(out))

	job, err := os.ReadFile("k8s/job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, broken := range []struct{ from, to string }{
		{"completionMode: Indexed", "completionMod: Indexed"},
		{"parallelism: 4", `parallelism: "four"`},
		{"runAsNonRoot: true", "runAsNonRoot: yes please"},
	} {
		bad := filepath.Join(t.TempDir(), "job.yaml")
		if err := os.WriteFile(bad, []byte(strings.Replace(string(job), broken.from, broken.to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := validate(t, bin, dir, bad); err == nil {
			t.Errorf("%q accepted:\n%s", broken.to, out)
		}
	}
}

// The Job runs each completion index as the shard of that number, and the
// shard count it gives is the Job's completions.
func TestJobGivesEachIndexItsShard(t *testing.T) {
	job, err := os.ReadFile("k8s/job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(job)
	for _, want := range []string{"completionMode: Indexed", "- --shard", "- $(JOB_COMPLETION_INDEX)/$(SHARDS)",
		"batch.kubernetes.io/job-completion-index", `- "postgres:"`, "runAsNonRoot: true", "KANTAMIG_PIN_FILE", "value: /kantamig/secrets/token-pin", "value: /kantamig/secrets/state-dsn", "secretName: kantamig-secrets"} {
		if !strings.Contains(text, want) {
			t.Errorf("job.yaml lacks %s", want)
		}
	}
	completions := between(text, "completions: ", "\n")
	parallelism := between(text, "parallelism: ", "\n")
	shards := between(text, "name: SHARDS\n              value: \"", "\"")
	if completions == "" || completions != parallelism || completions != shards {
		t.Errorf("completions %q, parallelism %q and SHARDS %q must agree", completions, parallelism, shards)
	}
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, to)
	return v
}
