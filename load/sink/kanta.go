package sink

import "errors"

// OpenKanta opens the archive interface sink.
func OpenKanta(url string, opts Options) (Sink, error) {
	return nil, errors.New("the kanta: sink is not built yet; deliver to an archive package with dir:PATH")
}
