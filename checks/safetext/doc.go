// Package safetext makes text that came from the network safe to show to
// people. It is the one escaping rule behind every place mxray prints such
// text: the text, Markdown and JUnit reports and the terminal UI.
//
// Everything that could drive a terminal or change how the text around it
// is drawn is escaped visibly: C0 and C1 controls (ESC included) and DEL as
// \x1b or \u009b; Unicode format characters (category Cf: the bidi
// embeddings, overrides and isolates U+202A–U+202E and U+2066–U+2069, the
// marks U+200E, U+200F and U+061C, zero-width spaces and joiners, the BOM,
// tag characters), line and paragraph separators, other default-ignorable,
// private-use, surrogate and unassigned code points as \u202e or
// \U000e0001; a byte that is not UTF-8 as \xff. So a hostile banner or
// record can neither drive the terminal nor reorder or hide text on screen,
// and what it tried is visible.
package safetext
