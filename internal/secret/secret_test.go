package secret

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestASecretComesFromTheEnvironmentOrAFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pin")
	if err := os.WriteFile(file, []byte("1234-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	for _, tc := range []struct {
		name, env, file, want, wantErr string
	}{
		{name: "environment", env: "1234-env", want: "1234-env"},
		{name: "file, its line break dropped", file: file, want: "1234-from-file"},
		{name: "neither", want: ""},
		{name: "both", env: "x", file: file, wantErr: "set one of them"},
		{name: "missing file", file: filepath.Join(dir, "nope"), wantErr: "no such file"},
		{name: "empty file", file: empty, wantErr: "is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KANTAMIG_TEST_SECRET", tc.env)
			t.Setenv("KANTAMIG_TEST_SECRET_FILE", tc.file)
			got, err := Get("KANTAMIG_TEST_SECRET")
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want an error saying %q, got %q, %v", tc.wantErr, got, err)
				}
				if strings.Contains(err.Error(), "1234") {
					t.Errorf("the error shows the secret: %v", err)
				}
				var both *ErrBoth
				if tc.name == "both" && !errors.As(err, &both) {
					t.Errorf("not an ErrBoth: %v", err)
				}
			case err != nil || got != tc.want:
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
