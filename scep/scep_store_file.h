/*
 * Files of the certificate store: whole-file atomic writes and bounded
 * reads.  Internal to scep_store*.c and scep_pending.c.
 */

#ifndef SCEP_STORE_FILE_H
#define SCEP_STORE_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "scep_error.h"


/*
 * Writes data to dir/file through a temporary file in dir, with mode.
 * replace 0 refuses an existing file (SCEP_ERR_INPUT) instead of
 * replacing it.
 */
int scep_store_write(const char *dir, const char *file, const void *data,
    size_t len, mode_t mode, int replace, scep_error_t *err);

/*
 * Reads dir/file, at most SCEP_STORE_FILE_MAX bytes, into a malloc'd
 * NUL-terminated buffer.  A missing file is SCEP_ERR_FILE with
 * err->field "missing".
 */
int scep_store_read(const char *dir, const char *file, char **data,
    size_t *len, scep_error_t *err);

/* Removes dir/file; a missing file is fine. */
int scep_store_remove(const char *dir, const char *file, scep_error_t *err);

/*
 * Removes dir/file and overwrites what it held with zeros, so that less
 * of it lingers on the disk (no promise on copy-on-write or journaled
 * data); a missing file is fine.
 */
int scep_store_shred(const char *dir, const char *file, scep_error_t *err);


#endif /* SCEP_STORE_FILE_H */
