// Command stageprof reads a CPU profile of a kantamig command (written when
// KANTAMIG_CPUPROFILE names a file) and prints where the CPU went, stage by
// stage, in seconds and in milliseconds per document. make bench uses it so
// that a regression shows in the stage where it happens, not only in the
// total.
//
// Each sample goes to one stage, by the rules below over its whole stack.
// SHA-256 is its own stage wherever it is called (the body digest, the staged
// hash, the signer's SignedInfo); standard-library and runtime frames
// (allocation, encoding/xml, syscalls) go to the kantamig code that called
// them. Samples with no kantamig frame at all are the runtime's own work
// (collection, scheduling).
//
//	go run ./tools/stageprof -docs 15732 out/bench-run.pprof
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/pprof/profile"
)

// stages in the order the table prints them; the first matching rule of a
// frame names its stage.
var stages = []string{"extract", "map", "resolve", "transform", "hash", "state store", "plan", "sign", "frame", "sink", "deliver", "pipeline", "report", "other kantamig", "runtime (GC, scheduler)"}

type rule struct{ contains, stage string }

// Rules on the function names of a sample's stack, in priority order: the
// first rule that any frame of the stack matches names the stage. So the
// PKCS#11 module is signing wherever it is called, the SQLite driver is the
// state store, a frame built by Transformer.Frame is the frame even though it
// calls transform's helpers, and a document rebuilt by the planner counts as
// transform.
var rules = []rule{
	{"crypto/sha256.", "hash"},
	{"crypto11", "sign"},
	{"miekg/pkcs11", "sign"},
	{"kantamig/kantamig/load/sign", "sign"},
	{"kantamig/kantamig/load/token", "sign"},
	{"transform.(*Transformer).Frame", "frame"},
	{"modernc.org/sqlite", "state store"},
	{"jackc/pgx", "state store"},
	{"database/sql.", "state store"},
	{"kantamig/kantamig/state", "state store"},
	{"kantamig/kantamig/load/sink", "sink"},
	{"kantamig/kantamig/extract", "extract"},
	{"kantamig/kantamig/mapping", "map"},
	{"kantamig/kantamig/resolve", "resolve"},
	{"kantamig/kantamig/transform", "transform"},
	{"kantamig/kantamig/load/plan", "plan"},
	{"kantamig/kantamig/load/deliver", "deliver"},
	{"kantamig/kantamig/report", "report"},
	{"kantamig/kantamig/pipeline", "pipeline"},
	{"kantamig/kantamig/", "other kantamig"},
}

func stageOf(s *profile.Sample) string {
	for _, r := range rules {
		for _, loc := range s.Location {
			for _, line := range loc.Line { // inlined calls have a line each
				if line.Function != nil && strings.Contains(line.Function.Name, r.contains) {
					return r.stage
				}
			}
		}
	}
	return "runtime (GC, scheduler)"
}

func main() {
	docs := flag.Int("docs", 0, "documents the profiled command delivered (for ms per document)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: stageprof [-docs N] PROFILE")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "stageprof:", err)
		os.Exit(1)
	}
	p, err := profile.Parse(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stageprof:", err)
		os.Exit(1)
	}
	cpu := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			cpu = i
		}
	}
	if cpu < 0 {
		fmt.Fprintln(os.Stderr, "stageprof: not a CPU profile")
		os.Exit(1)
	}
	byStage := map[string]time.Duration{}
	var total time.Duration
	for _, s := range p.Sample {
		d := time.Duration(s.Value[cpu])
		byStage[stageOf(s)] += d
		total += d
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "stage\tCPU s\tshare\tms/doc\t")
	var outside time.Duration
	for _, st := range stages {
		d := byStage[st]
		if d == 0 {
			continue
		}
		if st != "sign" {
			outside += d
		}
		fmt.Fprintf(w, "%s\t%.2f\t%.1f%%\t%s\t\n", st, d.Seconds(), 100*d.Seconds()/total.Seconds(), perDoc(d, *docs))
	}
	fmt.Fprintf(w, "all\t%.2f\t100%%\t%s\t\n", total.Seconds(), perDoc(total, *docs))
	fmt.Fprintf(w, "all but sign\t%.2f\t%.1f%%\t%s\t\n", outside.Seconds(), 100*outside.Seconds()/total.Seconds(), perDoc(outside, *docs))
	w.Flush()
}

func perDoc(d time.Duration, docs int) string {
	if docs == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", d.Seconds()*1000/float64(docs))
}
