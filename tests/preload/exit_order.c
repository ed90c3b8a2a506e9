/*
 * A library preloaded into nginx by tests/integration/test_shutdown_races.py:
 * it makes one thread schedule happen every time, the one in which a
 * worker's thread-pool threads are still ending while the worker's main
 * thread runs exit() and OpenSSL's exit-time cleanup (OPENSSL_cleanup(),
 * registered with atexit()).
 *
 * nginx lets a pool thread go as soon as the thread has taken its exit
 * task (ngx_thread_pool_destroy() waits for a flag set just before
 * pthread_exit()), so the thread's thread-specific-data destructors,
 * OpenSSL's among them, may run at any later moment.  Here:
 *
 *  - pthread_exit() waits, at most PARK_MS, until the process deletes
 *    libcrypto's thread-stop key, which OPENSSL_cleanup() does once it
 *    has freed the per-thread state of every thread it knows of;
 *  - that deletion waits, at most DRAIN_MS, until the waiting threads
 *    have run their destructors, so that what they do (and any report a
 *    sanitizer writes about it) happens before the process goes on to
 *    _exit().
 *
 * Whenever libcrypto's thread-stop destructor runs in a thread after
 * OPENSSL_cleanup() has begun, a line starting with "exit_order:" goes to
 * stderr: OpenSSL requires every thread that used it to be over by then.
 * A worker that never leaves such a thread behind is not affected at
 * all: its threads are over before its main thread calls exit(), and the
 * waits above end at once or after PARK_MS.
 */

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


/* -D may shorten them, to see what a natural schedule leaves behind */
#ifndef PARK_MS
#define PARK_MS   500
#endif

#ifndef DRAIN_MS
#define DRAIN_MS  3000
#endif


typedef int (*key_create_pt)(pthread_key_t *key, void (*destr)(void *));
typedef int (*key_delete_pt)(pthread_key_t key);
typedef void (*thread_exit_pt)(void *retval);


static pthread_key_t    crypto_key;
static void           (*crypto_destructor)(void *);
static atomic_int       crypto_key_known;

static atomic_int       cleanup_started;
static atomic_int       parked;

static pthread_once_t   done_once = PTHREAD_ONCE_INIT;
static pthread_key_t    done_key;
static int              done_key_ok;


static void
sleep_ms(long ms)
{
    struct timespec  ts;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000;
    nanosleep(&ts, NULL);
}


static void
say(const char *text)
{
    ssize_t  n;

    n = write(STDERR_FILENO, text, strlen(text));
    (void) n;
}


/* Runs in place of libcrypto's own destructor of its thread-stop key. */
static void
crypto_destructor_wrapper(void *value)
{
    if (atomic_load(&cleanup_started)) {
        say("exit_order: a thread ran OpenSSL's thread-stop destructor "
            "after the process had begun OPENSSL_cleanup()\n");
    }

    crypto_destructor(value);
}


/*
 * Created after libcrypto's key, so glibc runs its destructor after
 * libcrypto's: the thread is then done with OpenSSL.
 */
static void
done_destructor(void *value)
{
    (void) value;
    atomic_fetch_sub(&parked, 1);
}


static void
done_key_create(void)
{
    key_create_pt  real = (key_create_pt) dlsym(RTLD_NEXT,
                                                "pthread_key_create");

    done_key_ok = (real(&done_key, done_destructor) == 0);
}


int
pthread_key_create(pthread_key_t *key, void (*destr)(void *))
{
    int            rc;
    Dl_info        info;
    key_create_pt  real = (key_create_pt) dlsym(RTLD_NEXT,
                                                "pthread_key_create");

    if (destr != NULL && !atomic_load(&crypto_key_known)
        && dladdr((void *) destr, &info) != 0 && info.dli_fname != NULL
        && strstr(info.dli_fname, "libcrypto") != NULL)
    {
        rc = real(key, crypto_destructor_wrapper);
        if (rc == 0) {
            crypto_key = *key;
            crypto_destructor = destr;
            atomic_store(&crypto_key_known, 1);
        }

        return rc;
    }

    return real(key, destr);
}


void
pthread_exit(void *retval)
{
    long            waited;
    thread_exit_pt  real = (thread_exit_pt) dlsym(RTLD_NEXT, "pthread_exit");

    if (atomic_load(&crypto_key_known)) {
        pthread_once(&done_once, done_key_create);

        if (done_key_ok && pthread_setspecific(done_key, &done_key) == 0) {
            atomic_fetch_add(&parked, 1);

            for (waited = 0;
                 waited < PARK_MS && !atomic_load(&cleanup_started);
                 waited++)
            {
                sleep_ms(1);
            }
        }
    }

    real(retval);

    /* not reached: pthread_exit() does not return */
    abort();
}


int
pthread_key_delete(pthread_key_t key)
{
    long           waited;
    key_delete_pt  real = (key_delete_pt) dlsym(RTLD_NEXT,
                                                "pthread_key_delete");

    if (atomic_load(&crypto_key_known) && key == crypto_key) {
        atomic_store(&cleanup_started, 1);

        for (waited = 0; waited < DRAIN_MS && atomic_load(&parked) > 0;
             waited++)
        {
            sleep_ms(1);
        }
    }

    return real(key);
}
