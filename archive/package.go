package archive

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// PackageResult is what judging an archive package found.
type PackageResult struct {
	Documents int
	Problems  []string
}

// JudgePackage replays an archive package (documents/, frames/,
// manifest.jsonl) in manifest order through a fresh judge with cfg: every
// document must be archived, once, in an order the archive accepts. Where
// the manifest names each line's record (its keyed source hash), no record
// may be listed twice in one version under different OIDs.
func JudgePackage(dir string, cfg Config) (*PackageResult, error) {
	j, err := NewJudge(cfg)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, "manifest.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res := &PackageResult{}
	seen := map[string]int{}
	records := map[string]int{} // the manifest's record identity and version, where it names one
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		var e struct {
			OID, Document, Frame string
			Source               string
			Version              int
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("manifest line %d: %v", line, err))
			continue
		}
		if prev, ok := seen[e.OID]; ok {
			res.Problems = append(res.Problems, fmt.Sprintf("manifest line %d: %s already listed on line %d", line, e.OID, prev))
			continue
		}
		seen[e.OID] = line
		if e.Source != "" {
			id := fmt.Sprintf("%s v%d", e.Source, e.Version)
			if prev, ok := records[id]; ok {
				res.Problems = append(res.Problems, fmt.Sprintf("manifest line %d: %s is version %d of the record listed on line %d: one record's document is in the package twice", line, e.OID, e.Version, prev))
			}
			records[id] = line
		}
		doc, err := os.ReadFile(filepath.Join(dir, e.Document))
		if err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("manifest line %d: %v", line, err))
			continue
		}
		frame, err := os.ReadFile(filepath.Join(dir, e.Frame))
		if err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("manifest line %d: %v", line, err))
			continue
		}
		if err := sameDocument(doc, frame); err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("manifest line %d (%s): %v", line, e.OID, err))
			continue
		}
		if _, err := j.Archive(doc, frame); err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("manifest line %d (%s): %v", line, e.OID, err))
		}
	}
	for _, sub := range []string{"documents", "frames"} {
		files := 0
		filepath.WalkDir(filepath.Join(dir, sub), func(_ string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() && filepath.Ext(e.Name()) == ".xml" {
				files++
			}
			return nil
		})
		if files != len(seen) {
			res.Problems = append(res.Problems, fmt.Sprintf("%d files under %s/, %d documents in the manifest: every file must be listed once", files, sub, len(seen)))
		}
	}
	res.Documents = j.Count()
	return res, sc.Err()
}
