// A fork-join pool for the forward pass: persistent workers that spin briefly between jobs (a pass
// runs ~60 short parallel steps; waking a sleeping thread for each costs tens of microseconds) and
// sleep on a condition variable when idle longer.
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
/// Most workers besides the caller.
#define MAX_WORKERS 63

static struct {
    pthread_mutex_t calls;  // one job at a time
    pthread_mutex_t sleep;  // guards the wait on `wake`
    pthread_cond_t wake;
    long started;           // worker threads running (index 1...started)
    unsigned long spawn_generation;  // the generation before the job that started the newest workers
    _Atomic unsigned long generation;
    _Atomic long pending;   // started workers that have not finished the current job
    ck_task task;
    void *context;
    long count;
} pool = {.calls = PTHREAD_MUTEX_INITIALIZER, .sleep = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void *worker_main(void *argument) {
    long index = (long)argument;
    // Not `generation`: the job this worker was started for may already have been published.
    unsigned long seen = pool.spawn_generation;
    for (;;) {
        unsigned long generation;
        int spins = 0;
        while ((generation = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            if (++spins < CK_SPIN_LIMIT) {
                CK_CPU_RELAX();
                continue;
            }
            pthread_mutex_lock(&pool.sleep);
            while ((generation = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
                pthread_cond_wait(&pool.wake, &pool.sleep);
            }
            pthread_mutex_unlock(&pool.sleep);
            break;
        }
        seen = generation;
        if (index < pool.count) pool.task(pool.context, index);
        atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_acq_rel);
    }
    return NULL;
}

void ck_parallel(long count, ck_task task, void *context) {
    if (count <= 1) {
        task(context, 0);
        return;
    }
    if (count > MAX_WORKERS + 1) count = MAX_WORKERS + 1;
    pthread_mutex_lock(&pool.calls);
    pool.spawn_generation = atomic_load_explicit(&pool.generation, memory_order_relaxed);
    while (pool.started < count - 1) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, worker_main, (void *)(pool.started + 1)) != 0) break;
        pthread_detach(thread);
        pool.started++;
    }
    if (pool.started < count - 1) count = pool.started + 1;  // could not start more threads
    pool.task = task;
    pool.context = context;
    pool.count = count;
    atomic_store_explicit(&pool.pending, pool.started, memory_order_relaxed);
    pthread_mutex_lock(&pool.sleep);
    atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.sleep);
    task(context, 0);
    for (int spins = 0; atomic_load_explicit(&pool.pending, memory_order_acquire) != 0; spins++) {
        if (spins < CK_SPIN_LIMIT) {
            CK_CPU_RELAX();
        } else {
            sched_yield();  // a worker was descheduled: let it run
        }
    }
    pthread_mutex_unlock(&pool.calls);
}

typedef struct {
    ck_item_task task;
    void *context;
    long items;
    _Atomic long next;
} item_loop;

static void run_items(void *context, long worker) {
    item_loop *loop = context;
    for (long item; (item = atomic_fetch_add_explicit(&loop->next, 1, memory_order_relaxed)) < loop->items;) {
        loop->task(loop->context, item, worker);
    }
}

void ck_parallel_for(long items, long workers, ck_item_task task, void *context) {
    item_loop loop = {.task = task, .context = context, .items = items};
    atomic_init(&loop.next, 0);
    ck_parallel(workers < items ? workers : items, run_items, &loop);
}
