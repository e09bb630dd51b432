/* sl_task_state — open, restore and checkpoint a task's state store (see
 * sl_task_state.h; the user-facing description is docs/state.md).
 *
 * WHY RESTORE IS CORRECT. Write C for the task's committed input offset.
 * Every changelog record carries H, the input offset of the checkpoint that
 * produced it (sluice.offset). A checkpoint writes its changelog records,
 * waits for them, writes RocksDB (changes + H + changelog position), and only
 * then commits H as the input offset. So:
 *
 *  - a record with H <= C belongs to a checkpoint whose input is committed:
 *    its input will never be processed again, so the state must include it;
 *  - a record with H > C belongs to a checkpoint whose commit never happened
 *    (crash between flush and commit): its input is reprocessed from C, and
 *    reprocessing writes those state changes again. Applying the old record
 *    as well would count those messages twice, so it is SKIPPED. Later
 *    checkpoints of the reprocessing run write every key it touches again
 *    (processing is deterministic: same input, same state → same keys), after
 *    the skipped records in the log, so a restore that later applies an old
 *    skipped record (once C has moved past its H) has it overwritten by the
 *    newer records that follow it.
 *
 * LOCAL STORE AHEAD. If the store's input offset is beyond C, the crash came
 * between the RocksDB write and the Kafka commit: the store contains changes
 * of input that will be processed again. Nothing in RocksDB says which keys
 * those were (the batch is already merged), so the store is wiped and rebuilt
 * from the changelog's beginning with the skip rule, which is exact.
 *
 * CHANGELOG POSITION. The store keeps a LOWER BOUND of the changelog's end
 * after its last checkpoint: the position the restore reached plus the
 * records produced and committed since. Only this task writes its changelog
 * partition, with an idempotent producer, so its records occupy consecutive
 * offsets; transaction markers and aborted records (exactly-once) take extra
 * offsets, which only makes the bound lower. Starting a restore below the true
 * end re-applies records the store already reflects, in log order, ending
 * at the same latest values: harmless, and far cheaper than a watermark
 * query per checkpoint. */
#include "runtime/sl_task_state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/sl_consumer.h"
#include "kafka/sl_pipeline_topics.h"
#include "runtime/sl_kafka_defaults.h"
#include "util/sl_clock.h"
#include "util/sl_log.h"

#define RESTORE_BATCH 10000
#define RESTORE_PROGRESS_MS 5000

const char *sl_task_state_dir(const sl_worker_config *cfg, const sl_plan *plan,
                              int32_t partition, char *buf, size_t size)
{
    const char *root = cfg->state_dir && *cfg->state_dir ? cfg->state_dir : ".";
    char state[256];
    snprintf(buf, size, "%s/%s/%d", root, sl_plan_state_name(plan, state, sizeof(state)),
             (int)partition);
    return buf;
}

int sl_task_state_metrics_create(sl_task *t, sl_metrics *metrics, sl_error *err)
{
    if (!metrics)
        return SL_OK;
    char part[16];
    snprintf(part, sizeof(part), "%d", (int)t->partition);
    sl_label l[] = {{"pipeline", t->plan->name}, {"partition", part}};
    t->m_restored = sl_metrics_counter_create(metrics, "sluice_task_state_restored_total",
                                              "Changelog records applied by state restores", l,
                                              2, err);
    t->m_restore_seconds = sl_metrics_gauge_create(
        metrics, "sluice_task_state_restore_seconds", "Duration of the task's last state restore",
        l, 2, err);
    return t->m_restored && t->m_restore_seconds ? SL_OK : SL_ERR_INVALID;
}

/* The sluice.offset header of m, or -1 when absent or not a number (a
 * record not written by Sluice: applied, never skipped). */
static int64_t record_input_offset(const rd_kafka_message_t *m)
{
    rd_kafka_headers_t *hdrs = NULL;
    const void *v = NULL;
    size_t len = 0;
    if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || !hdrs ||
        rd_kafka_header_get_last(hdrs, SL_CHANGELOG_OFFSET_HEADER, &v, &len) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        !v || len == 0 || len > 20)
        return -1;
    int64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        char c = ((const char *)v)[i];
        if (c < '0' || c > '9')
            return -1;
        x = x * 10 + (c - '0');
    }
    return x;
}

static sl_consumer *restore_consumer(const sl_worker_config *cfg, sl_error *err)
{
    sl_kafka_props props = {0};
    sl_consumer *c = NULL;
    if (sl_kafka_defaults_restore_consumer(&props, cfg, err) == SL_OK)
        c = sl_consumer_create(cfg->bootstrap, NULL, &props, err);
    sl_kafka_props_clear(&props);
    return c;
}

/* Wipes the task's store and opens it again, empty. */
static int wipe(sl_task *t, const char *dir, const sl_state_options *o, sl_error *err)
{
    sl_state_close(t->store);
    t->store = NULL;
    if (sl_state_destroy_dir(dir, err) != SL_OK)
        return err->code;
    t->store = sl_state_open(dir, o, err);
    return t->store ? SL_OK : err->code;
}

typedef struct restore_run {
    uint64_t applied, skipped;
    int64_t last_offset; /* of the last record read, -1 none */
} restore_run;

static int apply_batch(sl_task *t, rd_kafka_message_t **msgs, int n, int64_t committed,
                       restore_run *rr, int *eof, sl_error *err)
{
    int rc = SL_OK;
    for (int i = 0; i < n; i++) {
        rd_kafka_message_t *m = msgs[i];
        if (rc != SL_OK) {
            /* keep freeing */
        } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            *eof = 1;
        } else if (m->err) {
            sl_log_warn(t->label, "restore: changelog: %s", rd_kafka_message_errstr(m));
        } else {
            rr->last_offset = m->offset;
            int64_t h = record_input_offset(m);
            uint32_t ns;
            const void *k;
            size_t kl;
            if (h >= 0 && h > committed) {
                rr->skipped++; /* input never committed: see the file comment */
            } else if (sl_state_changelog_key_decode(m->key, m->key_len, &ns, &k, &kl) != 0) {
                rr->skipped++;
                sl_log_warn(t->label, "restore: changelog record at offset %" PRId64
                            " has no valid state key; ignored", m->offset);
            } else {
                rc = sl_state_restore_apply(t->store, ns, k, kl, m->payload, m->payload ? m->len : 0,
                                            err);
                rr->applied++;
            }
        }
        rd_kafka_message_destroy(m);
    }
    return rc;
}

/* Reads the changelog partition from `from` (-1: beginning) to its end. */
static int restore_read(sl_task *t, const sl_worker_config *cfg, const char *topic, int64_t from,
                        int64_t high, int64_t committed, const atomic_int *stop, restore_run *rr,
                        sl_consumer *c, sl_error *err)
{
    rd_kafka_message_t **msgs = calloc(RESTORE_BATCH, sizeof(*msgs));
    if (!msgs)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    int rc = sl_consumer_assign(c, topic, t->partition, from >= 0 ? from : RD_KAFKA_OFFSET_BEGINNING,
                                err);
    int64_t next_log = sl_clock_mono_ms() + RESTORE_PROGRESS_MS;
    int eof = 0;
    while (rc == SL_OK && !eof) {
        if (stop && atomic_load(stop)) {
            rc = sl_error_set(err, SL_ERR_STATE, "restore interrupted by a stop request");
            break;
        }
        int n = sl_consumer_poll_batch(c, 200, msgs, RESTORE_BATCH, err);
        if (n < 0) {
            rc = n;
            break;
        }
        rc = apply_batch(t, msgs, n, committed, rr, &eof, err);
        if (rr->last_offset >= high - 1)
            eof = 1; /* reached the end we measured (later records are ours) */
        if (sl_clock_mono_ms() >= next_log) {
            next_log = sl_clock_mono_ms() + RESTORE_PROGRESS_MS;
            sl_log_info(t->label,
                        "restoring state: %" PRIu64 " records applied, %" PRIu64
                        " skipped, at offset %" PRId64 " of %" PRId64,
                        rr->applied, rr->skipped, rr->last_offset, high);
        }
    }
    (void)cfg;
    free(msgs);
    return rc;
}

int sl_task_state_restore(sl_task *t, const sl_worker_config *cfg, int64_t committed,
                          const atomic_int *stop, sl_error *err)
{
    char dir[4096], topic[512];
    sl_state_options o = {0};
    sl_consumer *c = NULL;
    restore_run rr = {0, 0, -1};
    int64_t t0 = sl_clock_mono_ms();
    int rc;

    o.block_cache_bytes = (size_t)(cfg->state_block_cache_mb > 0 ? cfg->state_block_cache_mb : 0)
                          << 20;
    o.write_buffer_bytes =
        (size_t)(cfg->state_write_buffer_mb > 0 ? cfg->state_write_buffer_mb : 0) << 20;
    sl_task_state_dir(cfg, t->plan, t->partition, dir, sizeof(dir));
    sl_pipeline_changelog_topic(t->plan, topic, sizeof(topic));
    if (committed < 0)
        committed = -1;
    t->store = sl_state_open(dir, &o, err);
    if (!t->store)
        return err->code;
    int64_t local_in = sl_state_input_offset(t->store);
    int64_t from = sl_state_changelog_offset(t->store);
    if (local_in > committed) {
        /* Crash between the RocksDB write and the Kafka commit: the store
         * holds changes of input that is processed again. See the file
         * comment: wipe, and rebuild from the whole changelog. */
        sl_log_warn(t->label,
                    "local state reflects input up to offset %" PRId64
                    " but the committed offset is %" PRId64
                    ": discarding the local store, restoring from the changelog's beginning",
                    local_in, committed);
        if ((rc = wipe(t, dir, &o, err)) != SL_OK)
            return rc;
        from = -1;
    }
    if (!(c = restore_consumer(cfg, err)))
        return err->code;
    int64_t low = 0, high = 0;
    int64_t deadline = sl_clock_mono_ms() + 60000;
    while ((rc = sl_consumer_watermarks(c, topic, t->partition, 10000, &low, &high, err)) !=
           SL_OK) {
        if (sl_clock_mono_ms() >= deadline || (stop && atomic_load(stop)))
            goto out;
        sl_log_warn(t->label, "restore: %s; retrying", err->msg);
        sl_clock_sleep_ms(500);
    }
    if (from > high) {
        /* The store is from a changelog that no longer exists (topic
         * deleted and recreated): it cannot be trusted. */
        sl_log_warn(t->label,
                    "local state's changelog offset %" PRId64 " is beyond the end of %s (%" PRId64
                    "): discarding the local store",
                    from, topic, high);
        if ((rc = wipe(t, dir, &o, err)) != SL_OK)
            goto out;
        from = -1;
    }
    if (from >= 0 && from < low)
        from = low; /* compacted or deleted below us: read what there is */
    int64_t start = from >= 0 ? from : low;
    sl_log_info(t->label,
                "restoring state from %s[%d] offsets %" PRId64 "..%" PRId64
                " (committed input offset %" PRId64 ")",
                topic, (int)t->partition, start, high, committed);
    if (start < high) {
        rc = restore_read(t, cfg, topic, from, high, committed, stop, &rr, c, err);
        if (rc != SL_OK)
            goto out;
    }
    int64_t pos = rr.last_offset >= 0 ? rr.last_offset + 1 : start;
    if ((rc = sl_state_restore_done(t->store, committed, pos, err)) != SL_OK)
        goto out;
    t->changelog_pos = pos;
    t->changelog_unacked = 0;
    double secs = (double)(sl_clock_mono_ms() - t0) / 1000.0;
    sl_log_info(t->label,
                "state restored: %" PRIu64 " records applied, %" PRIu64
                " skipped (input not committed), %.3f s (%.0f records/s)",
                rr.applied, rr.skipped, secs, secs > 0 ? (double)rr.applied / secs : 0.0);
    if (t->m_restored)
        sl_counter_add(t->m_restored, rr.applied);
    if (t->m_restore_seconds)
        sl_gauge_set(t->m_restore_seconds, secs);
out:
    sl_consumer_destroy(c);
    return rc;
}

int sl_task_state_produce_changes(sl_task *t, sl_producer *p, int64_t input_offset,
                                  sl_error *err)
{
    const sl_state_change *ch;
    size_t n;
    char topic[512], off[24];
    int rc = sl_state_changes(t->store, &ch, &n, err);
    if (rc != SL_OK || n == 0)
        return rc;
    sl_pipeline_changelog_topic(t->plan, topic, sizeof(topic));
    int offlen = snprintf(off, sizeof(off), "%" PRId64, input_offset);
    sl_header h = {SL_CHANGELOG_OFFSET_HEADER, off, (size_t)offlen};
    for (size_t i = 0; i < n; i++) {
        size_t need = 4 + ch[i].key_len;
        if (need > t->keybuf_cap) {
            size_t cap = need < 256 ? 256 : need * 2;
            unsigned char *nb = realloc(t->keybuf, cap);
            if (!nb)
                return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
            t->keybuf = nb;
            t->keybuf_cap = cap;
        }
        size_t kl;
        sl_state_changelog_key_encode(ch[i].ns, ch[i].key, ch[i].key_len, t->keybuf,
                                      t->keybuf_cap, &kl);
        rc = sl_producer_send(p, topic, t->partition, t->keybuf, kl, ch[i].value,
                              ch[i].value_len, 0, &h, 1, err);
        if (rc != SL_OK)
            return rc;
        t->changelog_unacked++;
    }
    return SL_OK;
}

int sl_task_state_commit(sl_task *t, int64_t input_offset, sl_error *err)
{
    int64_t pos = t->changelog_pos + t->changelog_unacked;
    int rc = sl_state_checkpoint_commit(t->store, input_offset, pos, err);
    if (rc != SL_OK)
        return rc;
    t->changelog_pos = pos;
    t->changelog_unacked = 0;
    return SL_OK;
}

void sl_task_state_close(sl_task *t)
{
    sl_state_close(t->store);
    t->store = NULL;
    free(t->keybuf);
    t->keybuf = NULL;
    t->keybuf_cap = 0;
}
