/* fuzz_arch.c — the architecture parser: any text either fails with a
 * one-line message or parses to units whose printed form parses back to
 * the same units and the same text. */
#include "fuzz.h"

#include <string.h>

#include "arch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	cf_arch *a = NULL, *b = NULL;
	cf_error err = { 0, "" };
	char *t1, *t2;
	int rc;

	fuzz_small_limits();
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = cf_arch_parse(text, &a, &err);
	free(text);
	if (rc) {
		FUZZ_CHECK(a == NULL && err.msg[0] && !strchr(err.msg, '\n'), "message \"%s\"", err.msg);
		return 0;
	}
	t1 = cf_arch_print(a);
	FUZZ_CHECK(t1 != NULL, "print failed");
	rc = cf_arch_parse(t1, &b, &err);
	FUZZ_CHECK(rc == CF_OK, "\"%s\" does not parse back: %s", t1, err.msg);
	FUZZ_CHECK(cf_arch_equal(a, b), "\"%s\" parses back to other units", t1);
	t2 = cf_arch_print(b);
	FUZZ_CHECK(t2 && !strcmp(t1, t2), "\"%s\" prints back as \"%s\"", t1, t2 ? t2 : "(null)");
	free(t1);
	free(t2);
	cf_arch_free(a);
	cf_arch_free(b);
	return 0;
}
