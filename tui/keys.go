package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key binding of the UI, in one place. It implements
// help.KeyMap for the hint bar and the ? help screen.
type KeyMap struct {
	Up, Down   key.Binding
	Open, Back key.Binding
	Tab        key.Binding
	Rerun      key.Binding
	RerunAll   key.Binding
	Filter     key.Binding
	Send       key.Binding
	ShowError  key.Binding
	PageUp     key.Binding
	PageDown   key.Binding
	Help       key.Binding
	Quit       key.Binding
	ForceQuit  key.Binding
}

// DefaultKeyMap returns the standard bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "move")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Open:      key.NewBinding(key.WithKeys("enter", "right", "l", " "), key.WithHelp("enter", "open")),
		Back:      key.NewBinding(key.WithKeys("esc", "left", "h", "backspace"), key.WithHelp("esc", "back")),
		Tab:       key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "next pane")),
		Rerun:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "re-run check")),
		RerunAll:  key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "re-run all")),
		Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Send:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "send test")),
		ShowError: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "show the run's error")),
		PageUp:    key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "f"), key.WithHelp("pgdn", "page down")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
}

// ShortHelp is the hint bar.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Open, k.Back, k.Tab, k.Rerun, k.Filter, k.Help, k.Quit}
}

// FullHelp is the ? screen.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown},
		{k.Open, k.Back, k.Tab, k.Filter},
		{k.Rerun, k.RerunAll, k.Send, k.ShowError},
		{k.Help, k.Quit, k.ForceQuit},
	}
}
