/* test_arch.c — architecture descriptions: every form parses, prints its
 * canonical text and parses back to the same units; presets expand to the
 * reference tables (parameter counts, layer shapes, PyTorch names); bad
 * text and shapes that do not chain give messages saying where and what. */
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "net.h"
#include "fixtures.h"
#include "tap.h"

/* parse → print → parse: same units and same text. */
static void round_trip(const char *desc)
{
	cf_arch *a = NULL, *b = NULL;
	cf_error err = { 0, "" };
	char *t1 = NULL, *t2 = NULL;
	int rc = cf_arch_parse(desc, &a, &err);
	if (!ok(rc == CF_OK, "parse \"%s\"", desc)) {
		tap_diag("%s", err.msg);
		return;
	}
	t1 = cf_arch_print(a);
	rc = cf_arch_parse(t1, &b, &err);
	t2 = b ? cf_arch_print(b) : NULL;
	ok(rc == CF_OK && cf_arch_equal(a, b) && t2 && !strcmp(t1, t2),
	   "round trip \"%s\" -> \"%s\"", desc, t1);
	if (rc)
		tap_diag("%s", err.msg);
	free(t1);
	free(t2);
	cf_arch_free(a);
	cf_arch_free(b);
}

static int64_t count_convs(const cf_net *net)
{
	int64_t n = 0;
	for (int l = 0; l < cf_net_nwlayers(net); l++)
		n += cf_net_wlayer_at(net, l)->conv;
	return n;
}

static void preset(const char *name, int convs, int64_t params)
{
	cf_net *net = fx_build(name);
	const cf_net_wlayer *last;
	if (!ok(net != NULL, "preset %s builds", name))
		return;
	last = cf_net_wlayer_at(net, cf_net_nwlayers(net) - 1);
	ok(count_convs(net) == convs && last->in == 512 && last->out == 10 && !last->conv,
	   "%s: %d convs (got %lld), classifier %d->%d", name, convs,
	   (long long)count_convs(net), last->in, last->out);
	ok(cf_net_ntrainable(net) == params, "%s: %lld parameters (got %lld)", name,
	   (long long)params, (long long)cf_net_ntrainable(net));
	cf_net_free(net);
}

static void parse_error(const char *desc, const char *want)
{
	cf_arch *a = NULL;
	cf_error err = { 0, "" };
	int rc = cf_arch_parse(desc, &a, &err);
	ok(rc == CF_EINVAL && a == NULL && strstr(err.msg, want) != NULL,
	   "\"%s\" fails with \"...%s...\"", desc, want);
	if (!strstr(err.msg, want))
		tap_diag("message was: %s", err.msg);
}

int main(void)
{
	static const char *forms[] = {
		"mlp 784-400-200-100-10 nobias",
		"mlp 784-400-200-100-10 in 1x28x28",
		"MLP 784-10",
		"vgg 64 M 128 M 256 256 M classes 10 in 1x28x28",
		"vgg 8 8 M 16 M classes 3 in 3x8x8 nobias bn",
		"resnet 2,2,2,2 width 16 nobn nobias classes 10 in 1x28x28",
		"resnet 1,1 widths 8,12 in 3x16x16",
		"resnet 3,4,6,3",
		"net in 1x28x28: conv 32 k3 p1, relu, maxpool 2, conv 64 k3 s2 p1, bn, relu, gap, linear 10",
		"net in 3x9x9 nobias: conv 4 k3x5 s2 p1, avgpool 3 s1, flatten, linear 7 bias",
		"net in 2x8x8: conv 4 k 3 p 1 nobias, block 4, block 8 mid 6 s2 nobn, block 8 nobn, gap, linear 5",
		"net in 20: linear 30, relu, linear 30 nobias, relu, linear 4",
		"vgg11", "vgg11_half", "vgg11_doub_nobias", "vgg11_quad", "vgg13", "vgg13_half",
		"vgg13_doub_nobias", "vgg13_quad", "vgg13_student_nobias", "vgg16", "vgg19",
		"vgg8_nobias", "vgg11_bn", "vgg11 nobias classes 100",
		"resnet18", "resnet34", "resnet18_nobias_nobn", "resnet34_half_nobias_nobn",
		"resnet18_eighth_nobias_nobn", "resnet18_fourth", "resnet18_doub_nobias_nobn",
		"resnet18 width 16 in 1x28x28",
	};
	cf_net *net;
	cf_arch *a;
	cf_error err = { 0, "" };

	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
		round_trip(forms[i]);

	/* VGG presets of ALGORITHM.md §1.2 on 3x32x32 (biases on by default). */
	preset("vgg8", 5, 3915914);
	preset("vgg11", 8, 9225610);
	preset("vgg11_half", 8, 2920778);
	preset("vgg13_student", 10, 2994634);
	preset("vgg16", 13, 14719818);
	preset("vgg19", 16, 20029514);
	preset("vgg11_nobias", 8, 9222848);
	{
		static const struct { const char *n; int convs; } more[] = {
			{ "vgg11_doub", 8 }, { "vgg11_quad", 8 }, { "vgg13", 10 },
			{ "vgg13_half", 10 }, { "vgg13_doub", 10 }, { "vgg13_quad", 10 },
		};
		for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
			net = fx_build(more[i].n);
			ok(net && count_convs(net) == more[i].convs &&
			   cf_net_wlayer_at(net, cf_net_nwlayers(net) - 1)->in == 512,
			   "%s: %d convs, classifier 512->10", more[i].n, more[i].convs);
			cf_net_free(net);
		}
	}
	/* The half variant really is the table's config, not a uniform scaling. */
	net = fx_build("vgg13_half");
	ok(net && cf_net_wlayer_at(net, 1)->out == 32 && cf_net_wlayer_at(net, 0)->out == 64 &&
	   cf_net_wlayer_at(net, 9)->out == 512 && cf_net_wlayer_at(net, 8)->out == 256,
	   "vgg13_half widths 64 32 ... 256 512");
	/* vgg11 names: features.<i> over (conv, relu, maxpool) items. */
	ok(net && !strcmp(cf_net_wlayer_at(net, 2)->name, "features.5") &&
	   !strcmp(cf_net_wlayer_at(net, 10)->name, "classifier"),
	   "vgg13_half: third conv is features.5, last layer classifier");
	ok(net && cf_net_nstages(net) == 6, "vgg13_half has 5 conv stages + classifier (got %d)",
	   net ? cf_net_nstages(net) : -1);
	cf_net_free(net);
	net = fx_build("vgg11_bn");
	ok(net && !strcmp(cf_net_wlayer_at(net, 1)->name, "features.4") &&
	   cf_net_param_find(net, "features.1.running_var") &&
	   cf_net_param_find(net, "features.1.num_batches_tracked"),
	   "vgg11_bn: BN at features.1, second conv features.4");
	cf_net_free(net);

	/* VGG on 28x28: the classifier takes the actual C·H·W. */
	net = fx_build("vgg 64 M 128 M 256 256 M classes 10 in 1x28x28");
	ok(net && cf_net_wlayer_at(net, 4)->in == 256 * 3 * 3, "vgg on 1x28x28: classifier 2304->10");
	cf_net_free(net);

	/* ResNet18 / 34 (§1.3). */
	net = fx_build("resnet18");
	if (ok(net && cf_net_nwlayers(net) == 21, "resnet18 has 21 weight layers")) {
		static const char *names[21] = {
			"conv1", "layer1.0.conv1", "layer1.0.conv2", "layer1.1.conv1", "layer1.1.conv2",
			"layer2.0.conv1", "layer2.0.conv2", "layer2.0.shortcut.0", "layer2.1.conv1",
			"layer2.1.conv2", "layer3.0.conv1", "layer3.0.conv2", "layer3.0.shortcut.0",
			"layer3.1.conv1", "layer3.1.conv2", "layer4.0.conv1", "layer4.0.conv2",
			"layer4.0.shortcut.0", "layer4.1.conv1", "layer4.1.conv2", "linear",
		};
		int good = 1;
		for (int l = 0; l < 21; l++)
			if (strcmp(cf_net_wlayer_at(net, l)->name, names[l])) {
				tap_diag("layer %d is %s, want %s", l, cf_net_wlayer_at(net, l)->name, names[l]);
				good = 0;
			}
		ok(good, "resnet18 weight layers in PyTorch order (shortcut after conv2)");
		ok(cf_net_ntrainable(net) == 11173962, "resnet18: 11173962 parameters (got %lld)",
		   (long long)cf_net_ntrainable(net));
		ok(cf_net_wlayer_at(net, 7)->kh == 1 && cf_net_wlayer_at(net, 7)->stride == 2 &&
		   cf_net_wlayer_at(net, 7)->in == 64 && cf_net_wlayer_at(net, 7)->out == 128 &&
		   cf_net_wlayer_at(net, 7)->oh == 16,
		   "layer2.0.shortcut.0 is 1x1 stride 2, 64->128, 16x16 output");
		ok(cf_net_param_find(net, "bn1.running_mean") &&
		   cf_net_param_find(net, "layer2.0.shortcut.1.num_batches_tracked") &&
		   cf_net_param_find(net, "linear.bias") && cf_net_nstages(net) == 5 &&
		   cf_net_nunits(net) == 10,
		   "resnet18: BN buffer names, 5 stages, 10 units");
		ok(cf_net_unit_at(net, 3)->stage == 1 && cf_net_unit_at(net, 3)->wl_n == 3 &&
		   cf_net_unit_at(net, 2)->stage == 0 && cf_net_unit_at(net, 9)->stage == 4,
		   "resnet18 stages: stem+layer1 | layer2 | ... | linear");
	}
	cf_net_free(net);
	net = fx_build("resnet34");
	ok(net && cf_net_nwlayers(net) == 37 && !strcmp(cf_net_wlayer_at(net, 9)->name, "layer2.0.shortcut.0") &&
	   !strcmp(cf_net_wlayer_at(net, 31)->name, "layer4.0.shortcut.0") &&
	   cf_net_ntrainable(net) == 21282122,
	   "resnet34: 37 weight layers, shortcuts at 9 and 31, 21282122 parameters");
	cf_net_free(net);
	net = fx_build("resnet18_half_nobias_nobn");
	ok(net && cf_net_ntrainable(net) == 2792800 && !cf_net_param_find(net, "bn1.weight") &&
	   !cf_net_param_find(net, "linear.bias"),
	   "resnet18_half_nobias_nobn: 2792800 parameters, no BN, no classifier bias");
	cf_net_free(net);

	/* MLP names and the general list's names. */
	net = fx_build("mlp 784-400-200-100-10 nobias in 1x28x28");
	ok(net && cf_net_nwlayers(net) == 4 && !strcmp(cf_net_wlayer_at(net, 3)->name, "fc4") &&
	   !cf_net_param_find(net, "fc1.bias") && cf_net_nstages(net) == 1 &&
	   cf_net_ntrainable(net) == 784 * 400 + 400 * 200 + 200 * 100 + 1000,
	   "mlp: fc1..fc4, no bias, one stage");
	cf_net_free(net);
	net = fx_build("net in 2x8x8: conv 4 k3 p1, bn, relu, block 8 s2, maxpool 2, flatten, linear 3");
	ok(net && cf_net_param_find(net, "layers.0.bias") && cf_net_param_find(net, "layers.1.running_var") &&
	   cf_net_param_find(net, "layers.3.shortcut.1.weight") && cf_net_param_find(net, "layers.6.weight") &&
	   cf_net_wlayer_at(net, 4)->in == 8 * 2 * 2 && cf_net_wlayer_at(net, 0)->bn >= 0,
	   "general list: layers.<i> names, block shortcut, linear 32->3");
	ok(net && cf_net_nstages(net) == 3, "general list: stages conv | block | linear (got %d)",
	   net ? cf_net_nstages(net) : -1);
	cf_net_free(net);

	/* Errors: where and what. */
	parse_error("", "empty");
	parse_error("mlpp 784-10", "column 1 (\"mlpp\"): expected mlp, vgg, resnet");
	parse_error("mlp 784-x-10", "column 5");
	parse_error("mlp 784-10 nobais", "column 12 (\"nobais\"): expected \"nobias\"");
	parse_error("mlp 784-10 in 1x28x29", "has 812 values but the first width is 784");
	parse_error("vgg 64 M 128 Q", "column 14 (\"Q\"): expected a conv width");
	parse_error("resnet 2,2,", "at the end of the description: expected blocks per stage");
	parse_error("resnet 2,2 widths 8,16,32", "2 stages but 3 widths");
	parse_error("net: linear 10", "needs its input shape");
	parse_error("net in 1x28x28: conv 8 k3, relux, linear 10", "column 28 (\"relux\"): expected a unit");
	parse_error("net in 1x28x28: conv 8 k3 linear 10", "expected \",\" between units");
	parse_error("net in 1x28x28: conv 8 q3, linear 10", "column 24 (\"q3\"): expected \",\" between units");
	parse_error("net in 1x28x28: conv 8 k x3, linear 10", "column 26 (\"x3\"): expected a kernel size like k3");
	parse_error("net in 3x4x4: conv 8 k3, conv 8 k3, linear 10",
		    "unit 2 \"conv 8 k3\" (column 26): input is 8×2×2 but kernel 3x3 with padding 0 needs at least 3×3");
	parse_error("net in 64x2x2: maxpool 2, conv 3 k3, linear 10",
		    "input is 64×1×1 but kernel 3x3 with padding 0 needs at least 3×3");
	parse_error("net in 1x28x28: linear 10, conv 3 k1, linear 2", "input is a flat vector of 10 but it needs a C×H×W");
	parse_error("net in 1x28x28: conv 3, relu", "must end with a linear layer");
	parse_error("net in 1x3x3: maxpool 4, linear 2", "a 4x4 window needs at least 4×4");
	parse_error("vgg 64 M 64 M 64 M 64 M 64 M 64 M classes 10 in 3x32x32", "a 2x2 window needs at least 2×2");
	parse_error("vgg11_triple", "column 1 (\"vgg11_triple\"): expected a preset name");
	parse_error("vgg12", "expected a VGG preset");
	parse_error("resnet50", "expected mlp, vgg, resnet, net or a preset");

	/* cf_arch_check after editing units by hand (as balancing will). */
	if (cf_arch_parse("mlp 10-8-4", &a, &err) == CF_OK) {
		a->unit[0].out = 6;
		ok(cf_arch_check(a, &err) == CF_OK && a->nclasses == 4, "hand-edited widths check");
		cf_arch_free(a);
	}
	return tap_done();
}
