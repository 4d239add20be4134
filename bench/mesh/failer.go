package main

import (
	"fmt"
	"os"
)

// failer is the test.Failer (istio.io/istio/pkg/test) that core.NewConfigGenTest
// and the fake Kubernetes controller ask for, outside `go test`: a failure
// prints and exits; cleanups run, last first, at the end.
type failer struct {
	cleanups []func()
	tempDirs []string
}

func newFailer() *failer { return &failer{} }

func (f *failer) Fail()    { f.FailNow() }
func (f *failer) FailNow() { f.exit("meshgen: failed") }
func (f *failer) Helper()  {}
func (f *failer) Fatal(args ...any) {
	f.exit("meshgen: " + fmt.Sprint(args...))
}
func (f *failer) Fatalf(format string, args ...any) {
	f.exit("meshgen: " + fmt.Sprintf(format, args...))
}
func (f *failer) Log(args ...any)                 { fmt.Fprintln(os.Stderr, args...) }
func (f *failer) Logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (f *failer) Skip(args ...any)                { f.exit("meshgen: skipped: " + fmt.Sprint(args...)) }
func (f *failer) Cleanup(fn func())               { f.cleanups = append(f.cleanups, fn) }

func (f *failer) TempDir() string {
	d, err := os.MkdirTemp("", "meshgen")
	if err != nil {
		f.Fatal(err)
	}
	f.tempDirs = append(f.tempDirs, d)
	return d
}

// done removes the temporary directories. The other cleanups (stopping
// informers, waiting for queues) are not run: the process ends.
func (f *failer) done() {
	for _, d := range f.tempDirs {
		_ = os.RemoveAll(d)
	}
}

func (f *failer) exit(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	f.done()
	os.Exit(1)
}
