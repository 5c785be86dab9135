// Package style holds the checks of the project's own source that gofmt
// and go vet do not make: its tests read every Go file of the repository.
package style
