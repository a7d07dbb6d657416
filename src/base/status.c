/* gridr: status code table and the thread-local last-error message. */
#include "base/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GRIDR_MSG_MAX 1024

static _Thread_local char last_msg[GRIDR_MSG_MAX];
static _Thread_local char last_warn[GRIDR_MSG_MAX];

const char *gridr_strerror(int status)
{
    switch (status) {
#define GRIDR__STATUS_TEXT(name, value, text)                                                      \
    case value:                                                                                    \
        return text;
        GRIDR_STATUS_MAP(GRIDR__STATUS_TEXT)
#undef GRIDR__STATUS_TEXT
    }
    return "unknown status";
}

const char *gridr_status_name(int status)
{
    switch (status) {
#define GRIDR__STATUS_NAME(name, value, text)                                                      \
    case value:                                                                                    \
        return "GRIDR_" #name;
        GRIDR_STATUS_MAP(GRIDR__STATUS_NAME)
#undef GRIDR__STATUS_NAME
    }
    return "GRIDR_UNKNOWN";
}

const char *gridr_last_error(void)
{
    return last_msg;
}

void gridr_clear_error(void)
{
    last_msg[0] = '\0';
}

static void set_msg(const char *fmt, va_list ap)
{
    char tmp[GRIDR_MSG_MAX];
    /* Format into a temporary so that a message may quote the previous one. */
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    memcpy(last_msg, tmp, sizeof tmp);
}

int gridr_set_error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_msg(fmt, ap);
    va_end(ap);
    return status;
}

int gridr__fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_msg(fmt, ap);
    va_end(ap);
    return status;
}

const char *gridr_last_warning(void)
{
    return last_warn;
}

void gridr_clear_warning(void)
{
    last_warn[0] = '\0';
}

void gridr__warn(const char *fmt, ...)
{
    char tmp[GRIDR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(last_warn, tmp, sizeof tmp);
}

int gridr__fail_errno(int status, int err, const char *fmt, ...)
{
    char head[GRIDR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    snprintf(last_msg, sizeof last_msg, "%.900s: %s", head, strerror(err));
    return status;
}

int gridr__status_from_errno(int err)
{
    switch (err) {
    case ENOMEM:
        return GRIDR_ENOMEM;
    case ENOSPC:
    case EFBIG:
    case EDQUOT:
        return GRIDR_ENOSPC;
    case EEXIST:
        return GRIDR_EEXIST;
    case ENOENT:
        return GRIDR_ENOENT;
    case EACCES:
    case EPERM:
        return GRIDR_EPERM;
    case EINVAL:
    case ENAMETOOLONG:
        return GRIDR_EINVAL;
    case EIO:
        return GRIDR_EIO;
    default:
        return GRIDR_ESYS;
    }
}
