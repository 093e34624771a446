import * as tf from '@tensorflow/tfjs';

/**
 * Mean sparse softmax cross-entropy from logits, in nats. The gradient is written out
 * ((softmax - one-hot) / N) rather than recorded op by op: it is the largest activation in the
 * model's backward pass and autodiff through logSoftmax keeps several copies of it.
 */
export function sparseSoftmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const fused = tf.customGrad((...args: unknown[]) => {
    const [z, y] = args as [tf.Tensor2D, tf.Tensor1D];
    const save = args[2] as tf.GradSaveFunc;
    const [n, classes] = z.shape;
    const oneHot = tf.oneHot(y, classes) as tf.Tensor2D;
    const logSumExp = tf.logSumExp(z, 1);
    const picked = tf.sum(tf.mul(z, oneHot), 1);
    const value = tf.mean(tf.sub(logSumExp, picked)) as tf.Scalar;
    save([z, oneHot]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const [zKept, oneHotKept] = kept;
        const grad = tf.mul(tf.sub(tf.softmax(zKept as tf.Tensor2D), oneHotKept), tf.div(dy, n));
        return [grad, tf.zerosLike(y)];
      },
    };
  });
  return fused(logits, labels) as tf.Scalar;
}

/** Per-position losses and hits, for evaluation (no gradient). */
export function lossAndHits(logits: tf.Tensor2D, labels: tf.Tensor1D): { lossSum: tf.Scalar; hits: tf.Scalar } {
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const oneHot = tf.oneHot(labels, classes);
    const losses = tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, oneHot), 1));
    const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'float32'));
    return { lossSum: tf.sum(losses) as tf.Scalar, hits: hits as tf.Scalar };
  });
}
