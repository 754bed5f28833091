package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// KeyMap is every key binding of the UI, in one place. It implements
// help.KeyMap for the hint bar and the ? help screen.
type KeyMap struct {
	Up, Down    key.Binding
	Top, Bottom key.Binding
	NextFinding key.Binding
	PrevFinding key.Binding
	Open, Back  key.Binding
	// CellLeft and CellRight move across the columns of the Profiles
	// pane, where they come before Back and Open.
	CellLeft, CellRight key.Binding
	Tab                 key.Binding
	Rerun               key.Binding
	RerunAll            key.Binding
	Cancel              key.Binding
	Filter              key.Binding
	Send                key.Binding
	Export              key.Binding
	Copy                key.Binding
	ShowError           key.Binding
	PageUp              key.Binding
	PageDown            key.Binding
	Help                key.Binding
	Quit                key.Binding
	ForceQuit           key.Binding
}

// DefaultKeyMap returns the standard bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "move")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Top:         key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g/G", "top/bottom")),
		Bottom:      key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		NextFinding: key.NewBinding(key.WithKeys("n"), key.WithHelp("n/N", "next/previous finding")),
		PrevFinding: key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "previous finding")),
		Open:        key.NewBinding(key.WithKeys("enter", "right", "l", " "), key.WithHelp("enter", "open")),
		Back:        key.NewBinding(key.WithKeys("esc", "left", "h", "backspace"), key.WithHelp("esc", "back")),
		CellLeft:    key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/→", "provider")),
		CellRight:   key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→", "next provider")),
		Tab:         key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "next pane")),
		Rerun:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-run check")),
		RerunAll:    key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "re-run all")),
		Cancel:      key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "cancel check")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Send:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "send test")),
		Export:      key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "export report")),
		Copy:        key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "copy fix")),
		ShowError:   key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "show the run's error")),
		PageUp:      key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup", "page up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", "f"), key.WithHelp("pgdn", "page down")),
		Help:        key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:        key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit:   key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
}

// ShortHelp is the hint bar.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Open, k.Back, k.Tab, k.Rerun, k.Filter, k.Help, k.Quit}
}

// FullHelp is the ? screen.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.PageUp, k.PageDown, k.NextFinding},
		{k.Open, k.Back, k.Tab, k.Filter},
		{k.Rerun, k.RerunAll, k.Cancel, k.Send, k.ShowError},
		{k.Export, k.Copy, k.Help, k.Quit, k.ForceQuit},
	}
}

// moveCursor moves a list's cursor for the motion keys (↑/↓, g/G,
// Home/End, page up/down) and returns it clamped to [0, n). page is the
// number of rows one screen shows. Other keys leave it where it was.
func moveCursor(k KeyMap, km tea.KeyMsg, cur, n, page int) int {
	if page < 1 {
		page = 1
	}
	switch {
	case key.Matches(km, k.Up):
		cur--
	case key.Matches(km, k.Down):
		cur++
	case key.Matches(km, k.Top):
		cur = 0
	case key.Matches(km, k.Bottom):
		cur = n - 1
	case key.Matches(km, k.PageUp):
		cur -= page
	case key.Matches(km, k.PageDown):
		cur += page
	}
	if cur >= n {
		cur = n - 1
	}
	if cur < 0 {
		cur = 0
	}
	return cur
}

// splitBurst splits a burst of typed runes ("jj", a paste, fast repeat
// over SSH, which the terminal delivers as one message) into one key
// message per rune, so each moves one step as if pressed alone.
func splitBurst(km tea.KeyMsg) []tea.KeyMsg {
	if km.Type != tea.KeyRunes || len(km.Runes) < 2 {
		return []tea.KeyMsg{km}
	}
	out := make([]tea.KeyMsg, 0, len(km.Runes))
	for _, r := range km.Runes {
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: km.Alt})
	}
	return out
}

// nextMatching returns the next (forward) or previous row after cur, of
// n, for which match holds; cur when there is none.
func nextMatching(cur, n int, forward bool, match func(i int) bool) int {
	for step := 1; step < n; step++ {
		i := cur - step
		if forward {
			i = cur + step
		}
		if i < 0 || i >= n {
			break
		}
		if match(i) {
			return i
		}
	}
	return cur
}
