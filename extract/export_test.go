package extract

import "github.com/kantamig/kantamig/extract/sqltest"

// DatabaseForTests is the MariaDB server of this package's tests (nil without one),
// for the conformance tests outside the package.
func DatabaseForTests() *sqltest.Server { return db }
