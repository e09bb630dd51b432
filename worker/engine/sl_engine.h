/* sl_engine — version of the engine library (the engine's modules each have
 * their own header in this folder). */
#ifndef SL_ENGINE_H
#define SL_ENGINE_H

/* Static version string of the engine, e.g. "0.1.0". */
const char *sl_engine_version(void);

#endif
