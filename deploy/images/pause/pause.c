/*
 * navarch/pause: the process that holds a pod's namespaces open.
 *
 * It does nothing but wait: it exits 0 on SIGTERM or SIGINT (so `docker stop` is quick and
 * clean) and, being PID 1 of the pod's PID namespace when the namespace is shared, reaps
 * every child that is re-parented to it so that zombies never accumulate. Built with
 * `gcc -static` into a FROM-scratch image (see scripts/images.mjs).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int signo) {
  (void)signo;
  _exit(0);
}

static void on_child(int signo) {
  (void)signo;
  int saved_errno = errno;
  /* Several children may end between two deliveries of SIGCHLD: reap all that are done. */
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved_errno;
}

static int install(int signo, void (*handler)(int)) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART | (signo == SIGCHLD ? SA_NOCLDSTOP : 0);
  return sigaction(signo, &action, NULL);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("navarch-pause 1");
    return 0;
  }
  if (getpid() != 1) {
    /* Still useful (tests run it directly), but a pod's pause should be its PID 1. */
    fputs("navarch-pause: warning: not running as PID 1\n", stderr);
  }
  if (install(SIGTERM, on_stop) != 0 || install(SIGINT, on_stop) != 0 ||
      install(SIGCHLD, on_child) != 0) {
    perror("navarch-pause: sigaction");
    return 1;
  }
  for (;;) {
    pause();
  }
}
