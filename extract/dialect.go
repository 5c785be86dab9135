package extract

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// dialect is what differs between the databases kantamig reads: driver and
// connection string, parameter markers, identifier quoting, date types.
type dialect interface {
	driver() string
	dsn(raw string) (string, error)
	param(n int) string
	quote(ident string) string
	timeText(typ string, t time.Time, loc *time.Location) string
	// describe wraps a query so that it returns its columns and no rows.
	describe(query string) string
}

func dialectOf(kind string) (dialect, error) {
	switch kind {
	case "mysql":
		return mysqlDialect{}, nil
	case "mssql":
		return mssqlDialect{}, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownKind, kind)
}

type mysqlDialect struct{}

func (mysqlDialect) driver() string { return "mysql" }

// dsn asks for UTF-8 (the server converts latin1 columns), dates as text
// (they are converted here, with the zone the mapping states) and the
// session in UTC, so that TIMESTAMP values come as UTC.
func (mysqlDialect) dsn(raw string) (string, error) {
	cfg, err := mysql.ParseDSN(raw)
	if err != nil {
		return "", fmt.Errorf("not a MySQL connection string (user:password@tcp(host:port)/database)")
	}
	cfg.ParseTime = false
	cfg.InterpolateParams = true // text protocol: one round trip, rows streamed as they come
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["charset"] = "utf8mb4"
	cfg.Params["time_zone"] = "'+00:00'"
	return cfg.FormatDSN(), nil
}

func (mysqlDialect) param(int) string { return "?" }

func (mysqlDialect) describe(q string) string {
	return "SELECT * FROM (" + q + ") kantamig_columns LIMIT 0"
}

func (mysqlDialect) quote(ident string) string {
	return "`" + strings.ReplaceAll(ident, "`", "``") + "`"
}

func (mysqlDialect) timeText(typ string, t time.Time, loc *time.Location) string {
	return wallTime(typ, t, loc)
}

type mssqlDialect struct{}

func (mssqlDialect) driver() string { return "sqlserver" }

func (mssqlDialect) dsn(raw string) (string, error) {
	if _, err := url.Parse(raw); err != nil || !strings.HasPrefix(raw, "sqlserver://") {
		return "", fmt.Errorf("not an SQL Server connection string (sqlserver://user:password@host:port?database=db)")
	}
	return raw, nil
}

func (mssqlDialect) param(n int) string { return fmt.Sprintf("@p%d", n) }

func (mssqlDialect) describe(q string) string {
	return "SELECT TOP 0 * FROM (" + q + ") AS kantamig_columns"
}

func (mssqlDialect) quote(ident string) string {
	return "[" + strings.ReplaceAll(ident, "]", "]]") + "]"
}

func (mssqlDialect) timeText(typ string, t time.Time, loc *time.Location) string {
	return wallTime(typ, t, loc)
}

// wallTime writes a date or time value as the mapping reads it: a DATE as a
// day, a zoned type (DATETIMEOFFSET, TIMESTAMP) in the source's zone, a plain
// DATETIME as the wall time it holds.
func wallTime(typ string, t time.Time, loc *time.Location) string {
	switch typ {
	case "DATE":
		return t.Format("2006-01-02")
	case "DATETIMEOFFSET", "TIMESTAMP":
		if loc != nil {
			t = t.In(loc)
		}
	}
	if t.Nanosecond() != 0 {
		return t.Format("2006-01-02T15:04:05.999999999")
	}
	return t.Format("2006-01-02T15:04:05")
}
