package main

import (
	"io"
	"os"
)

// createPrivate creates or truncates a file that only its owner may read:
// exports, reports and backups hold personal data. os.OpenFile applies its
// mode only when it creates the file, so a file that was there keeps its
// mode unless it is set again.
func createPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// output is where a command writes: the file named by -o (private, see
// createPrivate), or std when it is empty or "-". close closes the file.
func output(out string, std io.Writer) (w io.Writer, close func() error, err error) {
	if out == "" || out == "-" {
		return std, func() error { return nil }, nil
	}
	f, err := createPrivate(out)
	if err != nil {
		return nil, nil, err
	}
	return f, f.Close, nil
}
