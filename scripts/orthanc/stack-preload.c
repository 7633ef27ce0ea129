/*
 * LD_PRELOAD shim for the test Orthanc (see harness.ts).
 *
 * Debian's civetweb gives HTTP worker threads a ~100 KiB stack; a WADO-RS
 * request that makes Orthanc transcode can overflow it and segfault the whole
 * server. Raising every requested thread stack to >= 8 MiB avoids that. The
 * memory is only reserved address space, so the cost is negligible.
 *
 * Optional: when ORTHANC_HARNESS_PARENT_PID is set, ask the kernel to SIGTERM
 * Orthanc when the process that spawned it dies, so a crashed test runner does
 * not leave an orphan server behind.
 *
 * Build: cc -shared -fPIC -O2 -o stack-preload.so stack-preload.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#define MIN_STACK ((size_t)8 * 1024 * 1024)

typedef int (*setstacksize_fn)(pthread_attr_t *, size_t);
typedef int (*create_fn)(pthread_t *, const pthread_attr_t *,
                         void *(*)(void *), void *);

static setstacksize_fn real_setstacksize(void) {
  static setstacksize_fn fn;
  if (!fn) fn = (setstacksize_fn)dlsym(RTLD_NEXT, "pthread_attr_setstacksize");
  return fn;
}

int pthread_attr_setstacksize(pthread_attr_t *attr, size_t size) {
  return real_setstacksize()(attr, size < MIN_STACK ? MIN_STACK : size);
}

/* True when the attr carries a caller-provided stack (pthread_attr_setstack):
 * its size must not be changed, the memory belongs to the caller. */
static int has_own_stack(const pthread_attr_t *attr) {
  void *addr = NULL;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pthread_attr_getstackaddr(attr, &addr);
#pragma GCC diagnostic pop
  return addr != NULL;
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                   void *(*start)(void *), void *arg) {
  static create_fn real;
  if (!real) real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
  size_t size = 0;
  if (attr == NULL) {
    pthread_attr_t local;
    pthread_attr_init(&local);
    pthread_attr_getstacksize(&local, &size);
    if (size < MIN_STACK) real_setstacksize()(&local, MIN_STACK);
    int rc = real(thread, &local, start, arg);
    pthread_attr_destroy(&local);
    return rc;
  }
  if (pthread_attr_getstacksize(attr, &size) == 0 && size < MIN_STACK &&
      !has_own_stack(attr)) {
    /* The caller's attr is only read by pthread_create; raising its size in
     * place is the only portable way (pthread_attr_t cannot be copied). */
    real_setstacksize()((pthread_attr_t *)attr, MIN_STACK);
  }
  return real(thread, attr, start, arg);
}

__attribute__((constructor)) static void die_with_parent(void) {
  const char *want = getenv("ORTHANC_HARNESS_PARENT_PID");
  if (want == NULL || *want == '\0') return;
  pid_t parent = (pid_t)atol(want);
  /* Children Orthanc might spawn must not inherit the check. */
  unsetenv("ORTHANC_HARNESS_PARENT_PID");
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  /* The parent may have died between fork and this point. */
  if (getppid() != parent) raise(SIGTERM);
}
