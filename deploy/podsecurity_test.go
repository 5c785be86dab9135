package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	psa "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

// podSpecs reads the pod templates of the Jobs and StatefulSets in the
// manifests, by file and name.
func podSpecs(t *testing.T, files ...string) map[string]corev1.PodTemplateSpec {
	t.Helper()
	out := map[string]corev1.PodTemplateSpec{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(string(data), "\n---\n") {
			var head struct{ Kind string }
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			switch head.Kind {
			case "Job":
				var j batchv1.Job
				if err := yaml.UnmarshalStrict([]byte(doc), &j); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				out[filepath.Base(f)+" "+j.Name] = j.Spec.Template
			case "StatefulSet":
				var s appsv1.StatefulSet
				if err := yaml.UnmarshalStrict([]byte(doc), &s); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				out[filepath.Base(f)+" "+s.Name] = s.Spec.Template
			}
		}
	}
	return out
}

// restricted says why a pod would be refused under Pod Security
// "restricted", by the checks the admission controller itself runs.
func restricted(t *testing.T, pod corev1.PodTemplateSpec) []string {
	t.Helper()
	eval, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		t.Fatal(err)
	}
	var why []string
	for _, r := range eval.EvaluatePod(psa.LevelVersion{Level: psa.LevelRestricted, Version: psa.LatestVersion()}, &pod.ObjectMeta, &pod.Spec) {
		if !r.Allowed {
			why = append(why, r.ForbiddenReason+": "+r.ForbiddenDetail)
		}
	}
	return why
}

// Every pod the manifests run is admitted under Pod Security "restricted";
// the same pod with a hostPath volume, run as root, or with privilege is
// refused (so the check can fail).
func TestPodsPassTheRestrictedProfile(t *testing.T) {
	files, _ := filepath.Glob("k8s/*.yaml")
	pods := podSpecs(t, files...)
	if len(pods) < 2 {
		t.Fatalf("pod templates found: %d", len(pods))
	}
	for name, pod := range pods {
		if why := restricted(t, pod); len(why) > 0 {
			t.Errorf("%s is refused under restricted: %s", name, strings.Join(why, "; "))
		}
	}
	job := pods["job.yaml kantamig-migration"]
	for _, tc := range []struct {
		name   string
		break_ func(p *corev1.PodTemplateSpec)
		want   string
	}{
		{"a hostPath volume", func(p *corev1.PodTemplateSpec) {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "pkcs11", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/opt/pkcs11"}}})
		}, "restricted volume types"},
		{"run as root", func(p *corev1.PodTemplateSpec) { no := false; p.Spec.SecurityContext.RunAsNonRoot = &no }, "runAsNonRoot"},
		{"privilege escalation", func(p *corev1.PodTemplateSpec) {
			yes := true
			p.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = &yes
		}, "allowPrivilegeEscalation"},
	} {
		broken := *job.DeepCopy()
		tc.break_(&broken)
		if why := strings.Join(restricted(t, broken), "; "); !strings.Contains(why, tc.want) {
			t.Errorf("%s: refused for %q, want %q", tc.name, why, tc.want)
		}
	}
}

// Secrets are only in the example file, made by the operator; the
// manifests hold none, and the example connects to PostgreSQL with TLS,
// verifying the server.
func TestSecretsOnlyInTheExample(t *testing.T) {
	files, _ := filepath.Glob("k8s/*.yaml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) != "secrets.example.yaml" && strings.Contains(string(data), "kind: Secret") {
			t.Errorf("%s holds a Secret: put it in secrets.example.yaml", f)
		}
		if strings.Contains(string(data), "sslmode=disable") || strings.Contains(string(data), "sslmode=require") {
			t.Errorf("%s connects to PostgreSQL without verifying the server", f)
		}
	}
	ex, _ := os.ReadFile("k8s/secrets.example.yaml")
	if !strings.Contains(string(ex), "sslmode=verify-full&sslrootcert=/kantamig/postgres-ca/ca.crt") {
		t.Errorf("the example state DSN does not verify the server's certificate")
	}
}
