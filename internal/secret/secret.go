// Package secret reads the secrets kantamig takes from its environment (the
// token's PIN, connection strings) either from an environment variable NAME
// or from a file named by NAME_FILE, as Kubernetes and systemd hand secrets
// over (a mounted Secret, LoadCredential=). A secret never comes from a flag
// or the mapping file, and neither its value nor the file's content appears
// in an error: only the variable's and the file's names.
package secret

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// FileSuffix names the variable that holds the path of a secret's file.
const FileSuffix = "_FILE"

// ErrBoth refuses a secret given both ways: which one is meant is a guess.
type ErrBoth struct{ Name string }

func (e *ErrBoth) Error() string {
	return fmt.Sprintf("both %s and %s%s are set; set one of them", e.Name, e.Name, FileSuffix)
}

// Get returns the secret NAME: the variable's value, or the content of the
// file NAME_FILE names without its final line break; "" if neither is set.
// An empty or unreadable file is an error that names the file.
func Get(name string) (string, error) {
	value, inEnv := os.LookupEnv(name)
	path := os.Getenv(name + FileSuffix)
	switch {
	case inEnv && value != "" && path != "":
		return "", &ErrBoth{Name: name}
	case path == "":
		return value, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is said once, below
		}
		return "", fmt.Errorf("reading %s%s (%s): %v", name, FileSuffix, path, err)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
	if s == "" {
		return "", fmt.Errorf("%s%s names %s, which is empty", name, FileSuffix, path)
	}
	return s, nil
}
