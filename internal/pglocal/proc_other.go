//go:build !linux

package pglocal

import "syscall"

// setParentDeathSignal does nothing where the kernel has no parent-death
// signal: if Humble is killed outright, postgres keeps running until stopped,
// and the next start refuses with a clear error until it is.
func setParentDeathSignal(*syscall.SysProcAttr) {}
