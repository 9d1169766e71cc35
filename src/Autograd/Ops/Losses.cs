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
        // Recording (createGraph): one primitive node whose own rule is differentiable again.
        if (GradMode.IsEnabled) return [CrossEntropyIndexGrad(logits, g, s)];
        var dst = GraphScope.NewBuffer<T>([n, c]);
        var d = dst.AsSpan();
        T gs = g.Item() * scale;
        System.Numerics.Tensors.TensorPrimitives.Multiply(s.Softmax.AsSpan(), gs, d);
        if (s.Smoothing > 0) System.Numerics.Tensors.TensorPrimitives.Add(d, -gs * spread, d);
        for (int i = 0; i < n; i++) d[i * c + s.Classes[i]] -= gs * onTarget;
        return [Plain(dst)];
    };

    // ---------------------------------------------------------------- its recorded backward

    /// <summary>
    /// The gradient of <see cref="CrossEntropyIndex"/> as a primitive of (logits, g): (softmax(logits) − target)·g/N,
    /// computed in one pass from the softmax kept by the forward. Recording it as one node instead of a
    /// softmax/sub/mul chain is what makes a Hessian-vector product through cross-entropy cheap.
    /// </summary>
    private static Var<T> CrossEntropyIndexGrad(Var<T> logits, Var<T> g, CrossEntropyState s)
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        T scale = T.One / T.CreateTruncating(n);
        T onTarget = T.CreateTruncating(1 - s.Smoothing), spread = T.CreateTruncating(s.Smoothing / c);
        var dst = GraphScope.NewBuffer<T>([n, c]);
        var d = dst.AsSpan();
        T gs = g.Item() * scale;
        System.Numerics.Tensors.TensorPrimitives.Multiply(s.Softmax.AsSpan(), gs, d);
        if (s.Smoothing > 0) System.Numerics.Tensors.TensorPrimitives.Add(d, -gs * spread, d);
        for (int i = 0; i < n; i++) d[i * c + s.Classes[i]] -= gs * onTarget;
        return Record(OpRegistry.CrossEntropyIndexGrad, dst, CrossEntropyIndexGradRule, s, logits, g);
    }

    // With p = softmax(logits) per row and u the incoming adjoint:
    //   dlogits = (g/N)·p⊙(u − Σ_row u⊙p)   (the softmax Jacobian-vector product),
    //   dg      = Σ u⊙(p − target)/N.
    // Recording: written with var ops (softmax recomputed as a var), so it differentiates again.
    // Plain: one pass over the kept softmax.
    private static readonly BackwardRule<T> CrossEntropyIndexGradRule = static (node, u) =>
    {
        var s = (CrossEntropyState)node.State!;
        Var<T> logits = node.Input(0), g = node.Input(1);
        int n = logits.Shape[0], c = logits.Shape[1];
        T scale = T.One / T.CreateTruncating(n);
        T onTarget = T.CreateTruncating(1 - s.Smoothing), spread = T.CreateTruncating(s.Smoothing / c);
        if (GradMode.IsEnabled || !u.Value.IsContiguous)
        {
            var p = logits.Softmax(1);
            Var<T>? dl = null, dg = null;
            if (node.NeedsGrad(0)) { var up = u * p; dl = (up - p * up.Sum([1], keepDim: true)) * (g * scale); }
            if (node.NeedsGrad(1))
            {
                var target = Tensor.Full(spread, n, c);
                for (int i = 0; i < n; i++) target[i, s.Classes[i]] += onTarget;
                dg = (u * (p - Constant(target))).Sum().Reshape(g.Value.ShapeArray) * scale;
            }
            return [dl, dg];
        }
        ReadOnlySpan<T> us = u.Value.AsSpan(), ps = s.Softmax.AsSpan();
        Tensor<T>? dLogits = node.NeedsGrad(0) ? GraphScope.NewBuffer<T>([n, c]) : null;
        T gs = g.Item() * scale, dgSum = T.Zero;
        for (int i = 0; i < n; i++)
        {
            var ur = us.Slice(i * c, c);
            var pr = ps.Slice(i * c, c);
            T dot = System.Numerics.Tensors.TensorPrimitives.Dot(ur, pr);
            // Σ u⊙(p − target) over the row = u·p − (1−ε)·u[y] − ε/C·Σu.
            dgSum += dot - onTarget * ur[s.Classes[i]];
            if (s.Smoothing > 0) dgSum -= spread * System.Numerics.Tensors.TensorPrimitives.Sum(ur);
            if (dLogits is not null)
            {
                var dr = dLogits.AsSpan().Slice(i * c, c);
                System.Numerics.Tensors.TensorPrimitives.Subtract(ur, dot, dr);
                System.Numerics.Tensors.TensorPrimitives.Multiply(dr, pr, dr);
                System.Numerics.Tensors.TensorPrimitives.Multiply(dr, gs, dr);
            }
        }
        Var<T>? gradG = null;
        if (node.NeedsGrad(1))
        {
            var t = GraphScope.NewBuffer<T>(g.Value.ShapeArray);
            t.AsSpan()[0] = dgSum * scale;
            gradG = Plain(t);
        }
        return [dLogits is null ? null : Plain(dLogits), gradG];
    };
}
