package bolt

import "syscall"

// release unmaps size bytes of the file's mapping at addr from the process.
func release(addr, size uintptr) error {
	if size == 0 {
		return nil
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, size, syscall.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}
