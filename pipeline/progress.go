package pipeline

// Progress hears how a run advances: a phase starts with its total (0 when
// unknown), work is added as it is done, the phase finishes.
type Progress interface {
	Start(phase string, total int64)
	Add(n int64)
	Finish()
}

type noProgress struct{}

func (noProgress) Start(string, int64) {}
func (noProgress) Add(int64)           {}
func (noProgress) Finish()             {}
