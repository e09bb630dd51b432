/* sl_spec_namespace — resolving a tenant's plan into its topic namespace
 * (docs/multi-tenancy.md): every name gets the prefix "<tenant>.". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/sl_spec.h"

#define TOPIC_MAX 249

/* Replaces *name with "<tenant>.<*name>"; where names the field for errors. */
static int prefix(char **name, const char *tenant, const char *where, sl_error *err)
{
    if (!*name)
        return SL_OK;
    size_t len = strlen(tenant) + 1 + strlen(*name);
    if (len > TOPIC_MAX)
        return sl_error_set(err, SL_ERR_INVALID,
                            "%s: '%s.%s' is longer than %d characters once the tenant "
                            "prefix is added",
                            where, tenant, *name, TOPIC_MAX);
    char *s = malloc(len + 1);
    if (!s)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    size_t tl = strlen(tenant);
    memcpy(s, tenant, tl);
    s[tl] = '.';
    memcpy(s + tl + 1, *name, len - tl); /* with its NUL */
    free(*name);
    *name = s;
    return SL_OK;
}

int sl_plan_namespace(sl_plan *plan, const char *tenant, uint32_t state_epoch, sl_error *err)
{
    char where[48];
    int rc = prefix(&plan->name, tenant, "name", err);
    if (rc == SL_OK)
        rc = prefix(&plan->input.topic, tenant, "input.topic", err);
    if (rc == SL_OK)
        rc = prefix(&plan->dead_letter_topic, tenant, "dead_letter_topic", err);
    for (size_t i = 0; rc == SL_OK && i < plan->nsteps; i++) {
        if (plan->steps[i].op != SL_STEP_TO_TOPIC)
            continue;
        snprintf(where, sizeof(where), "steps[%zu].topic", i);
        rc = prefix(&plan->steps[i].topic, tenant, where, err);
    }
    plan->state_epoch = state_epoch;
    return rc;
}

const char *sl_plan_state_name(const sl_plan *plan, char *buf, size_t size)
{
    if (plan->state_epoch)
        snprintf(buf, size, "%s.s%u", plan->name, (unsigned)plan->state_epoch);
    else
        snprintf(buf, size, "%s", plan->name);
    return buf;
}
