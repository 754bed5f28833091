package checks

// Item is one line of what a check read, for people: a label and its value,
// nested by Depth (0 = top level). The -v text report, markdown and the TUI's
// detail view render the same items, so every output shows the record,
// answer or handshake a verdict was concluded from.
type Item struct {
	Depth int    // nesting level, 0 = top
	Label string // e.g. "record", "mx", "TLS version"; may be "" for a bare value
	Value string // the value as read (a record, a host, "TLS 1.3"); may be ""
}

// Describer is implemented by a check's Data type (the value given to
// Out.SetData) to list what the check read: the records, answers and
// handshakes behind its verdict, in the order a person would read them.
// Values are raw network text: renderers escape them (checks/safetext).
type Describer interface {
	Describe() []Item
}

// DescribeData returns what d read when it implements Describer, else nil.
// A Describe that panics (e.g. on a typed nil) yields nil: renderers never
// crash on a check's data.
func DescribeData(d any) (items []Item) {
	x, ok := d.(Describer)
	if !ok || x == nil {
		return nil
	}
	defer func() {
		if recover() != nil {
			items = nil
		}
	}()
	return x.Describe()
}
