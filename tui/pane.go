package tui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks"
)

// pane is the contract every screen keeps: the dashboard, the detail, the
// SPF tree, the MX matrix, a transcript, the send trace, the error screen,
// the help and the demo's picker. It is soft-serve's Component (v0.8.5,
// bubbletea v1) cut to what the panes use.
//
// The root Model holds each pane by value and reaches the one in front
// through a pointer to its own field (Model.active), so update and setSize
// change the pane in the copy of the model that Update returns, and no type
// assertion is needed anywhere. View draws that pane by a switch
// (Model.paneView) rather than through the interface, which would move the
// model to the heap on every frame; a test keeps the two in step.
type pane interface {
	// update handles a message for the pane: a key when the pane is in
	// front, any other message the root does not handle itself (a cursor
	// blink). It returns a command for the program and, when the pane needs
	// what only the root can do, an intent the root carries out at once.
	update(msg tea.Msg) (tea.Cmd, intent)
	// view renders the pane's body at the size it was last given.
	view() string
	// setSize gives the pane the size of the body: the screen less the
	// header, tabs, status and hint lines.
	setSize(width, height int)
}

// Every pane keeps the contract.
var (
	_ pane = (*pickerModel)(nil)
	_ pane = (*dashboardModel)(nil)
	_ pane = (*detailModel)(nil)
	_ pane = (*spfModel)(nil)
	_ pane = (*matrixModel)(nil)
	_ pane = (*transcriptModel)(nil)
	_ pane = (*traceModel)(nil)
	_ pane = (*errorModel)(nil)
	_ pane = (*helpModel)(nil)
	_ pane = (*domainsModel)(nil)
	_ pane = (*profilesModel)(nil)
	_ pane = (*headersModel)(nil)
)

// An intent is what a pane asks of the root: another screen, a run, a send,
// quitting. The root carries it out within the same Update (Model.do), not
// in a message sent back through the program, so keys typed ahead (a paste,
// tmux send-keys "j" "Enter") land on the screen the previous key opened,
// exactly as when the root handled every key itself.
type intent interface{ isIntent() }

// The intents.
type (
	// goBack leaves the pane: the detail and a transcript return to where
	// they were opened from, the other tabs to the dashboard, the dashboard
	// of the demo to its picker.
	goBack struct{}
	// openDetail shows the findings of one check (id) or of all ("").
	openDetail struct {
		id     string
		filter bool // with the filter line focused
	}
	// openTranscript shows one MX address's SMTP transcript.
	openTranscript struct{ row *matrixRow }
	// rerun starts a run of ids (nil: every check).
	rerun struct{ ids []string }
	// sendTest sends a test message and shows its trace.
	sendTest struct{}
	// pickDomain checks a domain of the demo.
	pickDomain struct{ name string }
	// showError brings the last run's error back over the panes.
	showError struct{}
	// hideError puts the error screen aside.
	hideError struct{}
	// quitUI ends the program.
	quitUI struct{}
	// copyFinding copies a finding's fix (or its record) to the
	// clipboard.
	copyFinding struct{ f checks.Finding }
	// cancelCheck stops one running check, leaving the others running.
	cancelCheck struct{ id string }
	// exportReport asks for a format and writes the report to a file.
	exportReport struct{}
	// openListed shows a domain of the multi-domain list.
	openListed struct{ name string }
)

func (goBack) isIntent()         {}
func (openDetail) isIntent()     {}
func (openTranscript) isIntent() {}
func (rerun) isIntent()          {}
func (sendTest) isIntent()       {}
func (pickDomain) isIntent()     {}
func (showError) isIntent()      {}
func (hideError) isIntent()      {}
func (quitUI) isIntent()         {}
func (copyFinding) isIntent()    {}
func (cancelCheck) isIntent()    {}
func (exportReport) isIntent()   {}
func (openListed) isIntent()     {}
