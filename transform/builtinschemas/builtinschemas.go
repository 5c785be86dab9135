// Package builtinschemas carries the Sosmeta JSON Schemas kantamig was
// released with (the national export in ../shared/sosmeta when it was made,
// packed by tools/embedsosmeta), so that `kantamig check` and the dry-run
// work without knowing where an export lies. A folder given with --sosmeta
// or KANTAMIG_SOSMETA (a newer national export) wins over these.
package builtinschemas

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"io/fs"
)

//go:embed sosmeta.zip
var packed []byte

// Name says, in reports and messages, which schemas these are.
const Name = "the Sosmeta schemas built into kantamig"

// FS is the schemas as a file system, each file at its top.
func FS() (fs.FS, error) {
	return zip.NewReader(bytes.NewReader(packed), int64(len(packed)))
}
