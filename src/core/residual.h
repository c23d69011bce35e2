/* residual.h — which weight layers write into the same residual stream.
 *
 * In a ResNet the output of a block is conv2's output plus the block's
 * input (or a projection shortcut's output), so the channels of conv2, of
 * the shortcut and of the layer that produced the block's input are added
 * one to one.  A *stream segment* is such a set: it starts at a layer whose
 * output is not a sum (a plain conv or linear layer, the stem) or at a
 * projection block (its conv2 and shortcut start a new sum), and it runs
 * through every identity block that follows, whose conv2 adds into it.
 * Pooling and flatten keep the channels and do not end a segment; any other
 * weight layer does.  The fusion uses this to give every layer of one
 * segment the same transport plan (fusion.residual_tied).
 */
#ifndef CF_RESIDUAL_H
#define CF_RESIDUAL_H

#include "net.h"

/* head[l] for each weight layer l of net (cf_net_nwlayers entries): the
 * first layer of l's segment (the *head*, whose plan l must share), l
 * itself for a head or a layer outside any sum (a block's conv1, a
 * classifier), or -1 for the conv2 of an identity block whose stream is the
 * network input itself (no weight layer before it). */
void cf_residual_heads(const cf_net *net, int *head);

#endif
