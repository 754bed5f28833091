package tui

import (
	"context"
	"sync"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/mxray/mxray/checks/send"
)

// sendHandle is the test send in flight. Update creates it (no I/O); the
// listenSend command starts its goroutine and reads its steps.
type sendHandle struct {
	domain string
	send   SendFunc
	ctx    context.Context
	cancel context.CancelFunc
	ch     chan send.Step
	once   sync.Once
	done   chan struct{}
	trace  *send.Trace // set before ch is closed
	err    error
}

// wait cancels the send and waits for it to return (or marks it done when
// it never started).
func (h *sendHandle) wait() {
	h.cancel()
	h.once.Do(func() { close(h.done) })
	<-h.done
}

// sendStepMsg carries the steps of send h that finished since the last.
type sendStepMsg struct {
	h     *sendHandle
	steps []send.Step
}

// sendDoneMsg says send h returned.
type sendDoneMsg struct {
	h     *sendHandle
	trace *send.Trace
	err   error
}

func (h *sendHandle) start() {
	h.once.Do(func() {
		go func() {
			defer close(h.done)
			tr, err := h.send(h.ctx, h.domain, func(s send.Step) {
				select {
				case h.ch <- s:
				case <-h.ctx.Done():
				}
			})
			h.trace, h.err = tr, err
			close(h.ch)
		}()
	})
}

// listenSend reads the next steps of a send (re-armed after each batch).
func listenSend(h *sendHandle) tea.Cmd {
	return func() tea.Msg {
		h.start()
		s, ok := <-h.ch
		if !ok {
			return sendDoneMsg{h: h, trace: h.trace, err: h.err}
		}
		steps := []send.Step{s}
		for {
			select {
			case s, ok := <-h.ch:
				if !ok {
					return sendStepMsg{h: h, steps: steps}
				}
				steps = append(steps, s)
			default:
				return sendStepMsg{h: h, steps: steps}
			}
		}
	}
}

// prepareSend creates the send's handle and switches to the trace pane; the
// returned command starts it.
func (m *Model) prepareSend() tea.Cmd {
	if m.opts.Send == nil || m.domain == "" || m.sendH != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(m.ctx)
	h := &sendHandle{domain: m.domain, send: m.opts.Send, ctx: ctx, cancel: cancel, ch: make(chan send.Step, 64), done: make(chan struct{})}
	m.sendH = h
	m.trace.reset()
	m.trace.running = true
	m.state = stateTrace
	m.back = stateDashboard
	return tea.Batch(listenSend(h), m.startTicking())
}

// Trace returns the send trace shown (nil before a send ended).
func (m Model) Trace() *send.Trace { return m.trace.result }

// finishSend cancels and waits for a send in flight and returns the final
// trace.
func (m Model) finishSend() (*send.Trace, error) {
	if h := m.sendH; h != nil {
		h.wait()
		if h.trace != nil || h.err != nil {
			return h.trace, h.err
		}
	}
	return m.trace.result, m.trace.err
}
