/* session_params.h — the fusion session's parameters, one row each.
 *
 *   X(ID, name, type, default, min, max, names, step, per_layer, help)
 *
 * ID names the enum index CF_SP_<ID> (session.h) by which code reads a
 * value: cf_session_value(s, CF_SP_OT_REG).  type is a cf_param_type
 * without its prefix; min and max bound an INT or DOUBLE (inclusive);
 * names is a CHOICE's name table, the module's own (names.h), so that a
 * choice's index is the module's enum value; step is the first step a
 * change makes stale; per_layer says whether one fusion layer may
 * override it.  A new parameter is one more row here, off by default
 * (its default keeps the published method's results bit for bit).
 */
#ifndef CF_SESSION_PARAMS_H
#define CF_SESSION_PARAMS_H

#define CF_SP_BIG 1e18
#define CF_SP_U32 4294967295.0

#define CF_SESSION_PARAMS(X) \
	X(DATA_SAMPLES, "data.samples", INT, "200", 1, 1e9, NULL, ACTS, 0, \
	  "activation samples N drawn from the training split") \
	X(DATA_SEED, "data.seed", INT, "21", 0, CF_SP_U32, NULL, ACTS, 0, \
	  "seed of the activation sampler") \
	X(DATA_INDICES, "data.indices", STRING, "", 0, 0, NULL, ACTS, 0, \
	  "file of training-set indices to use instead of the sampler (empty: sampler)") \
	X(DATA_NORM, "data.norm", STRING, "", 0, 0, NULL, ACTS, 0, \
	  "input normalisation the models expect, MEAN,STD or M1,../S1,.. (empty: what the models state, else the data set's own statistics)") \
	X(CLA_MEASURE, "cla.measure", CHOICE, "neuron", 0, 0, cf_acts_measure_names, COSTS, 0, \
	  "layer representation for cross-layer alignment") \
	X(CLA_METRIC, "cla.metric", CHOICE, "euclidean", 0, 0, cf_acts_metric_names, COSTS, 0, \
	  "layer cost: euclidean for index/neuron; cka, cca or wd for activation") \
	X(CLA_ESTIMATOR, "cla.estimator", CHOICE, "biased", 0, 0, cf_sim_estimator_names, COSTS, 0, \
	  "CKA estimator") \
	X(CLA_METHOD, "cla.method", CHOICE, "cla", 0, 0, cf_cla_method_names, ALIGN, 0, \
	  "alignment: the dynamic program, or the chain / seeded random baselines") \
	X(CLA_START, "cla.start", INT, "2", 1, 1000, NULL, ALIGN, 0, \
	  "start layer s: layers 1..s-1 are matched one to one") \
	X(CLA_FREE_END, "cla.free_end", INT, "1", 0, 1000, NULL, ALIGN, 0, \
	  "free end layers f: the last f layers are matched to the last layers") \
	X(CLA_SEED, "cla.seed", INT, "0", 0, CF_SP_U32, NULL, ALIGN, 0, \
	  "seed of the random baseline") \
	X(BALANCE_METHOD, "balance.method", CHOICE, "add", 0, 0, cf_balance_method_names, BALANCE, 0, \
	  "add identity layers to the shallower model, or merge layers of the deeper (MLP)") \
	X(BALANCE_RELU_APPROX, "balance.relu_approx", CHOICE, "sum", 0, 0, cf_relu_approx_names, \
	  BALANCE, 0, "ReLU approximation of merged layers") \
	X(FUSION_MODE, "fusion.mode", CHOICE, "acts", 0, 0, cf_fusion_mode_names, FUSE, 1, \
	  "ground cost from activations or from (aligned) weights") \
	X(GROUND_METRIC, "ground.metric", CHOICE, "euclidean", 0, 0, cf_ground_metric_names, FUSE, 1, \
	  "ground metric between neurons") \
	X(GROUND_NORM, "ground.norm", CHOICE, "none", 0, 0, cf_ground_norm_names, FUSE, 1, \
	  "normalisation of the ground cost") \
	X(GROUND_DIRECT, "ground.direct", BOOL, "0", 0, 1, NULL, FUSE, 1, \
	  "ground cost by exact difference sums instead of the GEMM expansion") \
	X(GROUND_NORMALIZE_WTS, "ground.normalize_wts", BOOL, "0", 0, 1, NULL, FUSE, 1, \
	  "wts mode: normalise weight rows before the ground cost") \
	X(OT_SOLVER, "ot.solver", CHOICE, "exact", 0, 0, cf_ot_kind_names, FUSE, 1, \
	  "transport solver") \
	X(OT_REG, "ot.reg", DOUBLE, "0.01", 1e-300, CF_SP_BIG, NULL, FUSE, 1, \
	  "entropic regularisation epsilon") \
	X(OT_REG_M, "ot.reg_m", DOUBLE, "0.001", 1e-300, CF_SP_BIG, NULL, FUSE, 1, \
	  "unbalanced: KL marginal penalty") \
	X(OT_MAX_ITER, "ot.max_iter", INT, "0", 0, 1e12, NULL, FUSE, 1, \
	  "iteration limit of the solver (0: its default)") \
	X(OT_MARGINALS, "ot.marginals", CHOICE, "uniform", 0, 0, cf_fusion_marginals_names, FUSE, 1, \
	  "neuron weights: uniform, or by the norm of the incoming weights") \
	X(FUSION_CORRECTION, "fusion.correction", BOOL, "1", 0, 1, NULL, FUSE, 1, \
	  "divide the plan by its column mass") \
	X(FUSION_EPS, "fusion.eps", DOUBLE, "1e-7", 0, 1, NULL, FUSE, 1, \
	  "epsilon added to the column mass in the correction") \
	X(FUSION_PAST_CORRECTION, "fusion.past_correction", BOOL, "1", 0, 1, NULL, FUSE, 1, \
	  "transport the incoming-aligned weights (else the raw ones)") \
	X(FUSION_STEP, "fusion.step", DOUBLE, "0.5", 0, 1, NULL, FUSE, 1, \
	  "averaging step s: weight of model 1 in the fused weights") \
	X(FUSION_OUTPUT_PLAN, "fusion.output_plan", BOOL, "1", 0, 1, NULL, FUSE, 0, \
	  "compute a transport plan for the output layer (else plain average)") \
	X(FUSION_WIDTH_AWARE, "fusion.width_aware", BOOL, "0", 0, 1, NULL, FUSE, 1, \
	  "beyond the method: incoming map with rows normalised to 1, so a transported neuron " \
	  "keeps its scale when the widths differ (share/doc/beyond.md)") \
	X(FUSION_RESIDUAL_TIED, "fusion.residual_tied", BOOL, "0", 0, 1, NULL, FUSE, 0, \
	  "beyond the method: one plan for all layers that add into a residual stream, so a " \
	  "ResNet keeps its function when transported (share/doc/beyond.md)") \
	X(FUSION_REPAIR, "fusion.repair", BOOL, "0", 0, 1, NULL, FUSE, 0, \
	  "beyond the method: REPAIR, each fused neuron's mean and std reset to the " \
	  "interpolation of its parents' (share/doc/beyond.md)") \
	X(FUSION_REPAIR_LOGITS, "fusion.repair_logits", BOOL, "0", 0, 1, NULL, FUSE, 0, \
	  "beyond the method: REPAIR of the classifier too, each class's logit mean and std " \
	  "reset to the interpolation of its parents' (share/doc/beyond.md)") \
	X(FUSION_REPAIR_BRANCHES, "fusion.repair_branches", BOOL, "0", 0, 1, NULL, FUSE, 0, \
	  "beyond the method: REPAIR of the residual branches too, each block's conv2 and " \
	  "projection shortcut reset on its own before the add (needs fusion.repair and " \
	  "fusion.residual_tied; share/doc/beyond.md)") \
	X(FUSION_REPAIR_SAMPLES, "fusion.repair_samples", INT, "1000", 1, 1e9, NULL, FUSE, 0, \
	  "training inputs REPAIR measures the statistics on") \
	X(FUSION_MULTI, "fusion.multi", CHOICE, "iterative", 0, 0, cf_session_multi_names, FUSE, 0, \
	  "more than two models: fuse one by one, or all onto model 0 and average") \
	X(EVAL_BATCH, "eval.batch", INT, "1000", 1, 1e6, NULL, EVAL, 0, \
	  "evaluation batch size") \
	X(EVAL_HYBRIDS, "eval.hybrids", BOOL, "1", 0, 1, NULL, EVAL, 0, \
	  "two models: also evaluate the aligned model 0 and, per layer, the fused model with " \
	  "that layer taken from it (one test pass each), to locate the loss") \
	X(FINETUNE_EPOCHS, "finetune.epochs", INT, "0", 0, 10000, NULL, FINETUNE, 0, \
	  "finetuning epochs of the fused model (0: none)") \
	X(FINETUNE_LR, "finetune.lr", DOUBLE, "0.01", 0, CF_SP_BIG, NULL, FINETUNE, 0, \
	  "learning rate") \
	X(FINETUNE_MOMENTUM, "finetune.momentum", DOUBLE, "0.5", 0, 1, NULL, FINETUNE, 0, \
	  "SGD momentum") \
	X(FINETUNE_WEIGHT_DECAY, "finetune.weight_decay", DOUBLE, "0", 0, CF_SP_BIG, NULL, FINETUNE, 0, \
	  "weight decay") \
	X(FINETUNE_BATCH, "finetune.batch", INT, "64", 1, 1e6, NULL, FINETUNE, 0, \
	  "batch size") \
	X(FINETUNE_MILESTONES, "finetune.milestones", STRING, "", 0, 0, NULL, FINETUNE, 0, \
	  "epochs after which lr *= gamma, e.g. \"20,40,60\"") \
	X(FINETUNE_GAMMA, "finetune.gamma", DOUBLE, "0.5", 0, CF_SP_BIG, NULL, FINETUNE, 0, \
	  "learning-rate factor at each milestone") \
	X(FINETUNE_SEED, "finetune.seed", INT, "42", 0, CF_SP_U32, NULL, FINETUNE, 0, \
	  "shuffling seed") \
	X(FINETUNE_PARENTS, "finetune.parents", BOOL, "0", 0, 1, NULL, FINETUNE, 0, \
	  "finetune every parent for the same epochs too (for comparison)")

#endif
