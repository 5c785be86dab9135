package archive

import "time"

func parseTS(s string) (time.Time, error) { return time.Parse("20060102150405-0700", s) }
