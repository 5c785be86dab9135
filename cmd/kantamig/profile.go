package main

import (
	"os"
	"runtime/pprof"
	"time"
)

// startCPUProfile writes a CPU profile of the whole command to path.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// startHeapProfiles writes a heap profile to path every interval while the
// command runs (each replacing the last), for finding what memory follows
// the size of a source: KANTAMIG_MEMPROFILE=FILE.
func startHeapProfiles(path string, interval time.Duration) {
	go func() {
		for range time.Tick(interval) {
			f, err := os.Create(path + ".tmp")
			if err != nil {
				return
			}
			err = pprof.WriteHeapProfile(f)
			f.Close()
			if err == nil {
				os.Rename(path+".tmp", path)
			}
		}
	}()
}
