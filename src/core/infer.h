/* infer.h — an architecture from a state dict's names and shapes.
 *
 * A PyTorch state dict says which modules a network has and their shapes,
 * which for the common families determines the network.  Recognised:
 *
 *   MLP     Linear layers only, named fcK, layers.K, net.K, K (an
 *           nn.Sequential) or any names in forward order; widths chain.
 *   VGG     features.<i> convs 3x3 (BatchNorm at i+1 optional), the
 *           module indices between convs telling ReLU from ReLU+MaxPool,
 *           and one Linear "classifier".
 *   ResNet  CIFAR style: conv1 3x3 (+ bn1), layerS.B.{conv1,bn1,conv2,bn2}
 *           with a projection "shortcut" or "downsample" (torchvision's
 *           name) where the width changes, and "linear" or "fc".
 *
 * with or without biases and BatchNorm.  The names are rewritten to
 * clafuse's (net.h) so that the file fills the inferred network.  What
 * the weights cannot say — the input's height and width for a conv net,
 * and with them the max-pools after the last conv of a VGG — comes from
 * the caller's hint, or else from the input channels (1: 28x28 as
 * Fashion-MNIST, 3: 32x32 as CIFAR).  When nothing fits, the message says
 * what was recognised and what is missing.
 */
#ifndef CF_INFER_H
#define CF_INFER_H

#include "error.h"
#include "st.h"

/* Infer the description of f's state dict and rename its tensors to
 * clafuse's names.  c, h, w: the input shape when known, else 0.  On
 * success *desc is a malloc'd description (cf_arch_parse accepts it).
 * `what` names the file in messages.  On failure f is unchanged. */
int cf_infer_arch(cf_st_file *f, int c, int h, int w, const char *what, char **desc,
		  cf_error *err);

#endif
