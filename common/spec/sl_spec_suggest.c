/* sl_spec_suggest — "did you mean" for unknown field and op names.
 *
 * Optimal-string-alignment distance (Levenshtein plus adjacent swaps, so
 * "fitler" is one edit from "filter"), with a cap so that comparing a long
 * garbage word against the candidate list stays cheap. A candidate is
 * suggested when it is at most max(1, len/3) edits away (2 for words of six
 * letters or more), which catches typos without proposing unrelated names. */
#include <string.h>

#include "spec/sl_spec.h"

#define SUGGEST_MAX_LEN 64

size_t sl_spec_distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
        return cap + 1;
    if ((la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    /* three rolling rows: i-2, i-1, i */
    size_t rows[3][SUGGEST_MAX_LEN + 1];
    size_t *pp = rows[0], *p = rows[1], *c = rows[2];
    for (size_t j = 0; j <= lb; j++)
        p[j] = j;
    for (size_t i = 1; i <= la; i++) {
        c[0] = i;
        size_t row_min = c[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = p[j] + 1;
            if (c[j - 1] + 1 < best)
                best = c[j - 1] + 1;
            if (p[j - 1] + cost < best)
                best = p[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < best)
                best = pp[j - 2] + 1;
            c[j] = best;
            if (best < row_min)
                row_min = best;
        }
        if (row_min > cap)
            return cap + 1;
        size_t *t = pp;
        pp = p;
        p = c;
        c = t;
    }
    return p[lb] > cap ? cap + 1 : p[lb];
}

const char *sl_spec_suggest(const char *word, const char *const *candidates)
{
    size_t len = strlen(word);
    size_t limit = len >= 6 ? 2 : (len / 3 > 1 ? len / 3 : 1);
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; candidates[i]; i++) {
        size_t d = sl_spec_distance(word, candidates[i], limit);
        if (d < best_d && d < strlen(candidates[i])) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}
