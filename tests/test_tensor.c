/* test_tensor.c — float32 tensors: allocation zero-filled with the size
 * the shape gives, refused shapes (rank, negative and overflowing
 * dimensions), views that share the caller's memory, shape comparison and
 * shape text, also truncated. */
#include <stdint.h>
#include <string.h>

#include "tensor.h"
#include "tap.h"

static void test_alloc(void)
{
	int64_t shape[4] = { 2, 3, 4, 5 }, bad[2] = { 3, -1 }, huge[2] = { INT64_MAX / 2, 3 };
	cf_tensor *t = cf_tensor_alloc(4, shape), *s = cf_tensor_alloc(0, NULL);
	int zero = 1;

	ok(t && t->ndim == 4 && t->size == 120 && t->shape[3] == 5, "2x3x4x5 has 120 values");
	for (int64_t i = 0; t && i < t->size; i++)
		zero &= t->data[i] == 0.0f;
	ok(zero, "allocated zero-filled");
	if (t) {
		t->data[119] = 7.5f; /* the last value is writable (ASan checks the bound) */
		ok(t->data[119] == 7.5f, "last value writable");
	}
	ok(s && s->ndim == 0 && s->size == 1 && s->data[0] == 0.0f, "a scalar has one value");
	ok(cf_tensor_alloc(5, shape) == NULL && cf_tensor_alloc(-1, shape) == NULL,
	   "rank 5 and -1 refused");
	ok(cf_tensor_alloc(2, bad) == NULL, "a negative dimension refused");
	ok(cf_tensor_alloc(2, huge) == NULL, "a size that overflows refused");
	{
		cf_tensor *e = cf_tensor_alloc4(2, 0, 7, 0, 0);
		ok(e && e->size == 0 && e->shape[1] == 7, "an empty 0x7 tensor");
		cf_tensor_free(e);
	}
	cf_tensor_free(t);
	cf_tensor_free(s);
	cf_tensor_free(NULL);
}

static void test_view_shape(void)
{
	float data[6] = { 1, 2, 3, 4, 5, 6 };
	int64_t s23[2] = { 2, 3 }, s32[2] = { 3, 2 }, s5[5] = { 1, 1, 1, 1, 6 };
	cf_tensor v = cf_tensor_view(2, s23, data), w = cf_tensor_view(2, s32, data);
	cf_tensor c = cf_tensor_view(5, s5, data);
	cf_tensor *a = cf_tensor_alloc(2, s23);
	char buf[32];

	ok(v.data == data && v.size == 6 && v.shape[0] == 2, "a view shares the caller's memory");
	v.data[4] = 50;
	ok(data[4] == 50, "writes through the view reach the memory");
	ok(c.ndim == 4 && c.size == 1, "a view's rank is clamped to 4 (size of the first 4 dims)");
	ok(cf_tensor_same_shape(&v, a) && !cf_tensor_same_shape(&v, &w), "2x3 = 2x3, 2x3 != 3x2");
	ok(!strcmp(cf_tensor_shape_str(4, (int64_t[]){ 64, 3, 3, 3 }, buf, sizeof buf), "64x3x3x3"),
	   "shape text %s", buf);
	ok(!strcmp(cf_tensor_shape_str(0, NULL, buf, sizeof buf), "scalar"), "scalar text");
	ok(!strcmp(cf_tensor_shape_str(2, (int64_t[]){ 12345, 678 }, buf, 6), "12345"),
	   "truncated text stays terminated: %s", buf);
	cf_tensor_free(a);
}

int main(void)
{
	test_alloc();
	test_view_shape();
	return tap_done();
}
