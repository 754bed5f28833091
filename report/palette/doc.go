// Package palette is the one set of colours mxray draws with: the text
// report (ANSI colours, which follow the terminal's own theme) and the
// terminal UI (true colours adapted to a light or dark background) take
// their colours from here, so a warning is the same yellow in both.
package palette
