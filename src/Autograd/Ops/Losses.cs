using NativeFree.Tensors;

namespace NativeFree.Autograd;

// Cross-entropy from class indices as one primitive: the loss of every classifier step, so it is
// fused. Forward: per row, log-softmax and the negative log-likelihood of the target in one pass
// (the softmax is kept for the backward). Rule: dlogits = g·(softmax − target)/N, one pass.
public sealed partial class Var<T>
{
    private sealed record CrossEntropyState(int[] Classes, double Smoothing, Tensor<T> Softmax);

    /// <summary>
    /// Mean over rows of −Σ_c target[i,c]·log softmax(logits)[i,c], target = (1 − ε)·onehot(classes[i]) + ε/C.
    /// Arguments are checked by <see cref="Nn.CrossEntropy{T}(Var{T}, int[], double)"/>.
    /// </summary>
    internal static Var<T> CrossEntropyIndex(Var<T> logits, int[] classes, double smoothing)
    {
        var x = logits.Value.Contiguous();
        int n = x.Shape[0], c = x.Shape[1];
        var softmax = GraphScope.NewBuffer<T>([n, c]);
        ReadOnlySpan<T> xs = x.AsSpan();
        var ps = softmax.AsSpan();
        T onTarget = T.CreateTruncating(1 - smoothing), spread = T.CreateTruncating(smoothing / c);
        T total = T.Zero;
        for (int i = 0; i < n; i++)
        {
            var row = xs.Slice(i * c, c);
            var p = ps.Slice(i * c, c);
            T max = System.Numerics.Tensors.TensorPrimitives.Max(row);
            System.Numerics.Tensors.TensorPrimitives.Subtract(row, max, p);
            System.Numerics.Tensors.TensorPrimitives.Exp(p, p);
            T sum = System.Numerics.Tensors.TensorPrimitives.Sum<T>(p);
            T logSum = max + T.Log(sum);
            // −log softmax[y] = logSum − x[y]; the smoothing part is the mean of −log softmax over the row.
            T nll = logSum - row[classes[i]];
            if (smoothing > 0) nll = onTarget * nll + spread * (logSum * T.CreateTruncating(c) - System.Numerics.Tensors.TensorPrimitives.Sum(row));
            total += nll;
            System.Numerics.Tensors.TensorPrimitives.Divide(p, sum, p);
        }
        var loss = Tensor.Scalar(total / T.CreateTruncating(n));
        return Record(OpRegistry.CrossEntropyIndex, loss, CrossEntropyRule, new CrossEntropyState(classes, smoothing, softmax), logits);
    }

    private static readonly BackwardRule<T> CrossEntropyRule = static (node, g) =>
    {
        var s = (CrossEntropyState)node.State!;
        var logits = node.Input(0);
        int n = logits.Shape[0], c = logits.Shape[1];
        T scale = T.One / T.CreateTruncating(n);
        T onTarget = T.CreateTruncating(1 - s.Smoothing), spread = T.CreateTruncating(s.Smoothing / c);
        if (GradMode.IsEnabled)
        {
            // Recording (createGraph): the same formula in var ops, so it can be differentiated again.
            var target = Tensor.Full(spread, n, c);
            for (int i = 0; i < n; i++) target[i, s.Classes[i]] += onTarget;
            return [(logits.Softmax(1) - Constant(target)) * (g * scale)];
        }
        var dst = GraphScope.NewBuffer<T>([n, c]);
        var d = dst.AsSpan();
        T gs = g.Item() * scale;
        System.Numerics.Tensors.TensorPrimitives.Multiply(s.Softmax.AsSpan(), gs, d);
        if (s.Smoothing > 0) System.Numerics.Tensors.TensorPrimitives.Add(d, -gs * spread, d);
        for (int i = 0; i < n; i++) d[i * c + s.Classes[i]] -= gs * onTarget;
        return [Plain(dst)];
    };
}
