package extract

import "testing"

// check asks the server to describe a query without reading a row; each
// dialect says so in its own words.
func TestDescribeReadsNoRow(t *testing.T) {
	for _, c := range []struct {
		d    dialect
		want string
	}{
		{mysqlDialect{}, "SELECT * FROM (SELECT a FROM t WHERE d < ?) kantamig_columns LIMIT 0"},
		{mssqlDialect{}, "SELECT TOP 0 * FROM (SELECT a FROM t WHERE d < ?) AS kantamig_columns"},
	} {
		if got := c.d.describe("SELECT a FROM t WHERE d < ?"); got != c.want {
			t.Errorf("%T: %s, want %s", c.d, got, c.want)
		}
	}
}
