/* sl_engine — engine library identity (see sl_engine.h). */
#include "engine/sl_engine.h"

const char *sl_engine_version(void)
{
    return SLUICE_VERSION;
}
