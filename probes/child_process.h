// StartChild: starts an exec probe's command as a child process of the
// calling thread, the way posix_spawnp would, plus what posix_spawn cannot
// set: the child's niceness. The child is a clone(CLONE_VM | CLONE_VFORK):
// it borrows the caller's memory on a stack of its own until it execs, the
// caller's thread waiting meanwhile (no page table is copied). Between the
// clone and the exec the child makes system calls only, so it touches no
// lock, allocator or errno of the caller's.
//
// In the child, before the command runs:
//  - every signal is at its default and none is blocked (the caller blocks
//    them all around the clone, so none of its handlers runs in the child);
//  - it leads a process group of its own (setpgid(0, 0));
//  - its niceness is `niceness` above the caller thread's (setpriority);
//  - stdin is /dev/null, stdout and stderr are `out`, and no other
//    descriptor of the caller's is open (close_range from 3);
//  - the command is looked up like posix_spawnp's: a name with a slash as
//    is, one without in each of `paths` in order (EACCES remembered, a
//    missing file or directory skipped, any other error final).
//
// Returns the child's pid and a pidfd of it (CLONE_PIDFD), or the errno why
// it could not start (the child, if any, is reaped before the return).
//
// Thread-safe in itself (its state is the caller's stack); a StartChild's
// child holds nothing of the caller's once it has exec'd.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace vigil {

struct ChildSpec {
  char* const* argv = nullptr;  // null-terminated; argv[0] is the command
  char* const* envp = nullptr;  // null-terminated
  // Where a command without a slash is looked for: each entry's full name
  // (ExecCandidates), null-terminated.
  const char* const* paths = nullptr;
  int out = -1;      // the child's stdout and stderr
  int niceness = 0;  // added to the caller thread's niceness (0 to 19)
};

struct ChildStart {
  int error = 0;  // 0, or why the child could not start (errno)
  pid_t pid = -1;
  int pidfd = -1;
};

ChildStart StartChild(const ChildSpec& spec);

// The full names a command `program` without a slash is looked for at, in
// order: each directory of `search_path` (PATH's form; an empty entry is the
// current directory) joined with `program`. A program with a slash is its
// own only name.
std::vector<std::string> ExecCandidates(const std::string& program, const char* search_path);

}  // namespace vigil
