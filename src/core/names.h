/* names.h — name tables of enumerations.
 *
 * A module that names the values of an enumeration exports one table,
 * `const char *const cf_<module>_<thing>_names[]`: the name of value k at
 * index k, then NULL.  The session's parameter table points at these
 * tables for its choices, so a choice's index is the module's enum value
 * and a value added to a module is a choice of the session at once.
 */
#ifndef CF_NAMES_H
#define CF_NAMES_H

#include <string.h>

/* Number of names before the NULL. */
static inline int cf_names_count(const char *const *names)
{
	int n = 0;
	while (names && names[n])
		n++;
	return n;
}

/* The name of value k, or "?" when k is out of range. */
static inline const char *cf_names_at(const char *const *names, int k)
{
	return k >= 0 && k < cf_names_count(names) ? names[k] : "?";
}

/* The value named `name`, or -1. */
static inline int cf_names_find(const char *const *names, const char *name)
{
	for (int k = 0; name && names && names[k]; k++)
		if (!strcmp(names[k], name))
			return k;
	return -1;
}

#endif
