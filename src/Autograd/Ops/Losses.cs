using NativeFree.Tensors;

namespace NativeFree.Autograd;

// Cross-entropy from class indices as one primitive: the loss of every classifier step, so it is
// fused. Every variant (label smoothing, class weights, ignored targets) is the soft-target loss
// Σ_i Σ_c t[i,c]·(logSum_i − x[i,c]) / D with an unnormalised target row
//   t[i,c] = (1 − ε)·w[y_i]·[c = y_i] + (ε/C)·w[c]      (t_i = 0 for an ignored row),
// which is exactly torch's weighted nll plus its weighted smoothing term, both over the same D = Σ w[y_i]
// of the non-ignored rows. With α_i = Σ_c t[i,c] the gradient is dlogits_i = g·(α_i·softmax_i − t_i)/D,
// one pass. Forward: per row, log-softmax and the loss in one pass (the softmax is kept for the backward).
public sealed partial class Var<T>
{
    // Classes[i] < 0 marks an ignored row. RowWeight[i] = (1 − ε)·w[y_i] (the one-hot part of t_i), Spread = ε/C
    // (times ClassWeight[c] when given), Alpha[i] = Σ_c t[i,c]; Scale = 1/D, or 0 when D = 0 (see Nn.CrossEntropy).
    private sealed record CrossEntropyState(int[] Classes, T[] RowWeight, T[] Alpha, T[]? ClassWeight, T Spread, T Scale, Tensor<T> Softmax)
    {
        // d[c] −= factor·t[i,c] for row i.
        public void SubtractTarget(Span<T> d, int i, T factor)
        {
            if (Classes[i] < 0) return;
            if (Spread != T.Zero)
            {
                if (ClassWeight is null) System.Numerics.Tensors.TensorPrimitives.Add(d, -factor * Spread, d);
                else System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(ClassWeight, -factor * Spread, d, d);
            }
            d[Classes[i]] -= factor * RowWeight[i];
        }

        // Σ_c t[i,c]·v[c].
        public T TargetDot(ReadOnlySpan<T> v, int i)
        {
            if (Classes[i] < 0) return T.Zero;
            T dot = RowWeight[i] * v[Classes[i]];
            if (Spread != T.Zero)
                dot += Spread * (ClassWeight is null ? System.Numerics.Tensors.TensorPrimitives.Sum(v) : System.Numerics.Tensors.TensorPrimitives.Dot(ClassWeight, v));
            return dot;
        }

        public Tensor<T> Target(int n, int c)
        {
            var t = Tensor.Zeros<T>(n, c);
            for (int i = 0; i < n; i++) SubtractTarget(t.AsSpan().Slice(i * c, c), i, -T.One);
            return t;
        }

        public Tensor<T> AlphaColumn() => Tensor.FromArray((T[])Alpha.Clone(), Alpha.Length, 1);
    }

    /// <summary>
    /// Σ_i Σ_c t[i,c]·(−log softmax(logits)[i,c]) / D with t as above (see the file comment), D = Σ w[y_i]
    /// over the rows whose class is not <paramref name="ignoreIndex"/>. Arguments are checked by
    /// <see cref="Nn.CrossEntropy{T}(Var{T}, int[], double, Tensor{T}?, int)"/>.
    /// </summary>
    internal static Var<T> CrossEntropyIndex(Var<T> logits, int[] classes, double smoothing, T[]? weight, int ignoreIndex)
    {
        var x = logits.Value.Contiguous();
        int n = x.Shape[0], c = x.Shape[1];
        var softmax = GraphScope.NewBuffer<T>([n, c]);
        ReadOnlySpan<T> xs = x.AsSpan();
        var ps = softmax.AsSpan();
        T onTarget = T.CreateTruncating(1 - smoothing), spread = T.CreateTruncating(smoothing / c);
        T weightSum = weight is null ? T.CreateTruncating(c) : System.Numerics.Tensors.TensorPrimitives.Sum<T>(weight);
        var kept = new int[n];
        T[] rowWeight = new T[n], alpha = new T[n];
        T denominator = T.Zero;
        for (int i = 0; i < n; i++)
        {
            bool ignored = classes[i] == ignoreIndex;
            kept[i] = ignored ? -1 : classes[i];
            if (ignored) continue;
            T w = weight is null ? T.One : weight[classes[i]];
            denominator += w;
            rowWeight[i] = onTarget * w;
            alpha[i] = rowWeight[i] + spread * weightSum;
        }
        var s = new CrossEntropyState(kept, rowWeight, alpha, weight, spread, denominator == T.Zero ? T.Zero : T.One / denominator, softmax);
        T total = T.Zero;
        for (int i = 0; i < n; i++)
        {
            var row = xs.Slice(i * c, c);
            var p = ps.Slice(i * c, c);
            T max = System.Numerics.Tensors.TensorPrimitives.Max(row);
            System.Numerics.Tensors.TensorPrimitives.Subtract(row, max, p);
            System.Numerics.Tensors.TensorPrimitives.Exp(p, p);
            T sum = System.Numerics.Tensors.TensorPrimitives.Sum<T>(p);
            // Σ_c t_c·(logSum − x_c) = α·logSum − t·x; an ignored row adds nothing (even where its logits are ±∞).
            if (kept[i] >= 0) total += alpha[i] * (max + T.Log(sum)) - s.TargetDot(row, i);
            System.Numerics.Tensors.TensorPrimitives.Divide(p, sum, p);
        }
        // torch: the mean over no (or only zero-weight) targets is 0/0 = NaN; the gradient is then 0 (Scale = 0).
        var loss = Tensor.Scalar(total / denominator);
        return Record(OpRegistry.CrossEntropyIndex, loss, CrossEntropyRule, s, logits);
    }

    private static readonly BackwardRule<T> CrossEntropyRule = static (node, g) =>
    {
        var s = (CrossEntropyState)node.State!;
        var logits = node.Input(0);
        // Recording (createGraph): one primitive node whose own rule is differentiable again.
        if (GradMode.IsEnabled) return [CrossEntropyIndexGrad(logits, g, s)];
        return [Plain(CrossEntropyGradValue(logits, g, s))];
    };

    // g·(α_i·softmax_i − t_i)/D, row by row.
    private static Tensor<T> CrossEntropyGradValue(Var<T> logits, Var<T> g, CrossEntropyState s)
    {
        int n = logits.Shape[0], c = logits.Shape[1];
        var dst = GraphScope.NewBuffer<T>([n, c]);
        var d = dst.AsSpan();
        ReadOnlySpan<T> ps = s.Softmax.AsSpan();
        T gs = g.Item() * s.Scale;
        for (int i = 0; i < n; i++)
        {
            var dr = d.Slice(i * c, c);
            // An ignored row gets exactly 0, even where its softmax is NaN (±∞ logits nobody asked about).
            if (s.Classes[i] < 0) { dr.Clear(); continue; }
            System.Numerics.Tensors.TensorPrimitives.Multiply(ps.Slice(i * c, c), gs * s.Alpha[i], dr);
            s.SubtractTarget(dr, i, gs);
        }
        return dst;
    }

    // ---------------------------------------------------------------- its recorded backward

    /// <summary>
    /// The gradient of <see cref="CrossEntropyIndex"/> as a primitive of (logits, g): (α⊙softmax(logits) − target)·g/D,
    /// computed in one pass from the softmax kept by the forward. Recording it as one node instead of a
    /// softmax/sub/mul chain is what makes a Hessian-vector product through cross-entropy cheap.
    /// </summary>
    private static Var<T> CrossEntropyIndexGrad(Var<T> logits, Var<T> g, CrossEntropyState s)
        => Record(OpRegistry.CrossEntropyIndexGrad, CrossEntropyGradValue(logits, g, s), CrossEntropyIndexGradRule, s, logits, g);

    // With p = softmax(logits) per row and u the incoming adjoint:
    //   dlogits_i = (g/D)·α_i·p_i⊙(u_i − u_i·p_i)   (the softmax Jacobian-vector product),
    //   dg        = Σ_i (α_i·u_i·p_i − u_i·t_i)/D.
    // Recording: written with var ops (softmax recomputed as a var), so it differentiates again.
    // Plain: one pass over the kept softmax.
    private static readonly BackwardRule<T> CrossEntropyIndexGradRule = static (node, u) =>
    {
        var s = (CrossEntropyState)node.State!;
        Var<T> logits = node.Input(0), g = node.Input(1);
        int n = logits.Shape[0], c = logits.Shape[1];
        if (GradMode.IsEnabled || !u.Value.IsContiguous)
        {
            var p = logits.Softmax(1);
            var alpha = Constant(s.AlphaColumn());
            Var<T>? dl = null, dg = null;
            if (node.NeedsGrad(0)) { var up = u * p; dl = (up - p * up.Sum([1], keepDim: true)) * alpha * (g * s.Scale); }
            if (node.NeedsGrad(1)) dg = (u * (p * alpha - Constant(s.Target(n, c)))).Sum().Reshape(g.Value.ShapeArray) * s.Scale;
            return [dl, dg];
        }
        ReadOnlySpan<T> us = u.Value.AsSpan(), ps = s.Softmax.AsSpan();
        Tensor<T>? dLogits = node.NeedsGrad(0) ? GraphScope.NewBuffer<T>([n, c]) : null;
        T gs = g.Item() * s.Scale, dgSum = T.Zero;
        for (int i = 0; i < n; i++)
        {
            var ur = us.Slice(i * c, c);
            var pr = ps.Slice(i * c, c);
            T dot = System.Numerics.Tensors.TensorPrimitives.Dot(ur, pr);
            dgSum += s.Alpha[i] * dot - s.TargetDot(ur, i);
            if (dLogits is not null)
            {
                var dr = dLogits.AsSpan().Slice(i * c, c);
                System.Numerics.Tensors.TensorPrimitives.Subtract(ur, dot, dr);
                System.Numerics.Tensors.TensorPrimitives.Multiply(dr, pr, dr);
                System.Numerics.Tensors.TensorPrimitives.Multiply(dr, gs * s.Alpha[i], dr);
            }
        }
        Var<T>? gradG = null;
        if (node.NeedsGrad(1))
        {
            var t = GraphScope.NewBuffer<T>(g.Value.ShapeArray);
            t.AsSpan()[0] = dgSum * s.Scale;
            gradG = Plain(t);
        }
        return [dLogits is null ? null : Plain(dLogits), gradG];
    };
}
