/*
 * Agent requests: application/x-www-form-urlencoded bodies as
 * GlobalProtect agents send them to prelogin.esp and getconfig.esp.
 */

#ifndef GP_REQUEST_H
#define GP_REQUEST_H

#include <stddef.h>


#define GP_BODY_MAX          (64 * 1024)
#define GP_FORM_FIELDS_MAX   64
#define GP_FIELD_NAME_MAX    64      /* bytes of [A-Za-z0-9_.-] */
#define GP_FIELD_MAX         1024    /* any field but user and passwd */
#define GP_USER_MAX          256
#define GP_PASSWD_MAX        1024
#define GP_HOST_ID_MAX       128
#define GP_UDID_MAX          128


typedef enum {
    GP_OK = 0,
    GP_ERR_MALFORMED,         /* 400: not a form, bad escape, ... */
    GP_ERR_MISSING_FIELD,     /* 400 */
    GP_ERR_FIELD_TOO_LONG,    /* 400 */
    GP_ERR_FIELD_INVALID,     /* 400: charset or format */
    GP_ERR_TOO_LARGE,         /* 413 */
    GP_ERR_NOMEM              /* 500 */
} gp_code_t;

typedef struct {
    gp_code_t  code;
    char       field[GP_FIELD_NAME_MAX + 1];
    char       message[256];  /* shown to the agent and logged */
} gp_error_t;


/*
 * The parsers return 0, or -1 with err filled (err may be NULL).  An
 * error message never quotes a value, only a field name, so it is safe
 * to log and to show.
 */

/* 400, 413 or 500 (200 for GP_OK). */
int gp_code_http_status(gp_code_t code);

/* A stable lower-case name for logs and tests, e.g. "missing_field". */
const char *gp_code_name(gp_code_t code);


typedef struct {
    char    *name;
    char    *value;            /* NUL-terminated; may hold NUL bytes */
    size_t   value_len;
} gp_field_t;

typedef struct {
    gp_field_t  fields[GP_FORM_FIELDS_MAX];
    size_t      nfields;
} gp_form_t;


/*
 * Percent- and '+'-decodes a form body (or a query string) into
 * name/value pairs.  Empty pairs are skipped; for a field sent twice the
 * first value wins.  On failure the form is left empty.
 */
int gp_form_parse(const char *body, size_t len, gp_form_t *form,
    gp_error_t *err);

/* The first value of a field, or NULL. */
const char *gp_form_get(const gp_form_t *form, const char *name,
    size_t *len);

/* Frees the form, wiping every value first (one of them is a password). */
void gp_form_free(gp_form_t *form);


/*
 * A login to getconfig.esp.  The login name and password are kept as
 * received: what the directory makes of them decides the answer, so that
 * a strange name gets the same "bad credentials" as a wrong one.
 */
typedef struct {
    char    *user;
    size_t   user_len;
    char    *passwd;
    size_t   passwd_len;
    char    *host_id;          /* validated, or NULL when not sent */
    char    *udid;             /* validated, or NULL when not sent */
    char    *clientos;
    char    *os_version;
    char    *computer;
    char    *client_ver;
} gp_login_t;

/*
 * user and passwd are required and kept as sent (user_len and passwd_len
 * reveal an embedded NUL); host-id and udid, when not empty, must pass
 * gp_check_device_id(), and an empty one is taken as absent (NULL);
 * every other field must be clean UTF-8 text of at most GP_FIELD_MAX
 * bytes.  On failure the login is left empty.
 */
int gp_login_parse(const char *body, size_t len, gp_login_t *login,
    gp_error_t *err);

/*
 * Whether the login name and password could ever be accepted: not empty,
 * within GP_USER_MAX and GP_PASSWD_MAX, the name clean UTF-8 text, the
 * password without NUL.  When not, the portal answers "bad credentials"
 * without asking the directory, and *reason (which quotes neither) says
 * why for the log.
 */
int gp_login_is_plausible(const gp_login_t *login, const char **reason);

/* Frees the login, wiping every value (the password first of all). */
void gp_login_free(gp_login_t *login);

/*
 * Host ids and UDIDs: 1..max characters of [A-Za-z0-9._:{}-]
 * (GUIDs, MAC addresses, Android ids, UDIDs and serial numbers).
 */
int gp_check_device_id(const char *field, const char *value, size_t len,
    size_t max, gp_error_t *err);


#endif /* GP_REQUEST_H */
