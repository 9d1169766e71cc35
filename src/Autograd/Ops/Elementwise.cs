using NativeFree.Tensors;

namespace NativeFree.Autograd;

// Elementwise ops. Each primitive is its forward (a Tensors call) and its rule (a few var
// operations, so the rule itself can be differentiated). Binary ops broadcast; their rules
// return gradients in the output shape and the engine sums them back to each input's shape.
public sealed partial class Var<T>
{
    private static T C(double d) => T.CreateTruncating(d);
    private static Var<T> Mask(Tensor<T> m) => Constant(m);

    // ---------------------------------------------------------------- binary primitives

    /// <summary>a + b (broadcast).</summary>
    public static Var<T> operator +(Var<T> a, Var<T> b)
        => Record(OpRegistry.Add, IsRowBroadcast(a.Value, b.Value) ? AddRow(a.Value, b.Value)
            : Tensor.Add(a.Value, b.Value, GraphScope.NewBuffer<T>(ShapeUtil.Broadcast(a.Shape, b.Shape))), AddRule, null, a, b);

    // The bias add of a linear layer: a matrix [m, n] plus a vector [n] added to every row.
    private static bool IsRowBroadcast(Tensor<T> a, Tensor<T> b)
        => a.Rank == 2 && b.Rank == 1 && a.IsContiguous && b.IsContiguous && a.Shape[1] == b.Shape[0];

    private static Tensor<T> AddRow(Tensor<T> a, Tensor<T> b)
    {
        int m = a.Shape[0], n = a.Shape[1];
        var dst = GraphScope.NewBuffer<T>([m, n]);
        ReadOnlySpan<T> xs = a.AsSpan(), row = b.AsSpan();
        var ds = dst.AsSpan();
        for (int i = 0; i < m; i++) System.Numerics.Tensors.TensorPrimitives.Add(xs.Slice(i * n, n), row, ds.Slice(i * n, n));
        return dst;
    }
    private static readonly BackwardRule<T> AddRule = static (n, g) => [g, g];

    /// <summary>a · b elementwise (broadcast).</summary>
    public static Var<T> operator *(Var<T> a, Var<T> b)
        => Record(OpRegistry.Mul, Tensor.Mul(a.Value, b.Value, GraphScope.NewBuffer<T>(ShapeUtil.Broadcast(a.Shape, b.Shape))), MulRule, null, a, b);
    private static readonly BackwardRule<T> MulRule = static (n, g) =>
        [n.NeedsGrad(0) ? g * n.Input(1) : null, n.NeedsGrad(1) ? g * n.Input(0) : null];

    /// <summary>a / b elementwise (broadcast).</summary>
    public static Var<T> operator /(Var<T> a, Var<T> b) => Record(OpRegistry.Div, Tensor.Div(a.Value, b.Value), DivRule, null, a, b);
    private static readonly BackwardRule<T> DivRule = static (n, g) =>
        [n.NeedsGrad(0) ? g / n.Input(1) : null, n.NeedsGrad(1) ? -(g * n.Output) / n.Input(1) : null];

    /// <summary>
    /// aᵇ elementwise (broadcast). As in PyTorch, the gradient for a is 0 where b = 0 (even at a = 0) and
    /// the gradient for b is 0 where a = 0 and b ≥ 0; elsewhere the gradient for b uses log a, so needs a &gt; 0.
    /// </summary>
    public static Var<T> Pow(Var<T> a, Var<T> b) => Record(OpRegistry.Pow, Tensor.Pow(a.Value, b.Value), PowRule, null, a, b);
    // The masked points get safe operands (exponent 0 instead of −1, base 1 instead of 0) rather than a
    // where() around an infinite branch, whose own gradient would be 0·∞ = NaN under double backward.
    private static readonly BackwardRule<T> PowRule = static (n, g) =>
    {
        Var<T> a = n.Input(0), b = n.Input(1);
        Var<T>? da = null, db = null;
        if (n.NeedsGrad(0))
        {
            var bZero = Tensor.Equal(b.Value, Tensor.Scalar(T.Zero));
            da = g * b * Pow(a, b - Scalar(T.One) + Mask(bZero));
        }
        if (n.NeedsGrad(1))
        {
            var flat = Tensor.Mul(Tensor.Equal(a.Value, Tensor.Scalar(T.Zero)), Tensor.GreaterEqual(b.Value, Tensor.Scalar(T.Zero)));
            db = g * n.Output * (a + Mask(flat)).Log();
        }
        return [da, db];
    };

    /// <summary>
    /// max(a, b) elementwise (broadcast). The gradient goes to the larger input; at a tie (a = b) each input gets
    /// half of it, as torch.maximum does. (The halves keep the sum of the two gradients equal to g, and make
    /// maximum(x, x) have gradient 1 in x.)
    /// </summary>
    public static Var<T> Maximum(Var<T> a, Var<T> b) => Record(OpRegistry.Maximum, Tensor.Maximum(a.Value, b.Value), MaximumRule, null, a, b);
    private static readonly BackwardRule<T> MaximumRule = static (n, g) => ExtremumShares(n, g, Tensor.Greater(n.Input(0).Value, n.Input(1).Value));

    /// <summary>min(a, b) elementwise (broadcast). The gradient goes to the smaller input; at a tie each input gets half of it, as torch.minimum does.</summary>
    public static Var<T> Minimum(Var<T> a, Var<T> b) => Record(OpRegistry.Minimum, Tensor.Minimum(a.Value, b.Value), MinimumRule, null, a, b);
    private static readonly BackwardRule<T> MinimumRule = static (n, g) => ExtremumShares(n, g, Tensor.Less(n.Input(0).Value, n.Input(1).Value));

    // a's share is 1 where a wins strictly, ½ at a tie, 0 where b wins; b gets the rest.
    private static Var<T>?[] ExtremumShares(Node<T> n, Var<T> g, Tensor<T> aWins)
    {
        var tie = Tensor.Equal(n.Input(0).Value, n.Input(1).Value);
        var shareA = Tensor.Add(aWins, Tensor.Mul(tie, T.CreateTruncating(0.5)));
        return [n.NeedsGrad(0) ? g * Mask(shareA) : null, n.NeedsGrad(1) ? g * Mask(Tensor.Add(-shareA, T.One)) : null];
    }

    /// <summary><paramref name="condition"/> ≠ 0 ? a : b elementwise (all broadcast). The condition is not differentiated.</summary>
    public static Var<T> Where(Tensor<T> condition, Var<T> a, Var<T> b)
        => Record(OpRegistry.Where, Tensor.Where(condition, a.Value, b.Value), WhereRule, condition, a, b);
    private static readonly BackwardRule<T> WhereRule = static (n, g) =>
    {
        var c = Tensor.NotEqual((Tensor<T>)n.State!, Tensor.Scalar(T.Zero));
        return [n.NeedsGrad(0) ? g * Mask(c) : null, n.NeedsGrad(1) ? g * Mask(Tensor.Add(-c, T.One)) : null];
    };

    // ---------------------------------------------------------------- derived binary ops and scalar overloads

    /// <summary>a − b (broadcast), as a + (−b).</summary>
    public static Var<T> operator -(Var<T> a, Var<T> b) => a + (-b);
    /// <summary>a + s.</summary>
    public static Var<T> operator +(Var<T> a, T s) => a + Scalar(s);
    /// <summary>s + a.</summary>
    public static Var<T> operator +(T s, Var<T> a) => Scalar(s) + a;
    /// <summary>a − s.</summary>
    public static Var<T> operator -(Var<T> a, T s) => a + Scalar(-s);
    /// <summary>s − a.</summary>
    public static Var<T> operator -(T s, Var<T> a) => Scalar(s) + (-a);
    /// <summary>a · s.</summary>
    public static Var<T> operator *(Var<T> a, T s) => a * Scalar(s);
    /// <summary>s · a.</summary>
    public static Var<T> operator *(T s, Var<T> a) => Scalar(s) * a;
    /// <summary>a / s.</summary>
    public static Var<T> operator /(Var<T> a, T s) => a * Scalar(T.One / s);
    /// <summary>s / a.</summary>
    public static Var<T> operator /(T s, Var<T> a) => Scalar(s) / a;

    // ---------------------------------------------------------------- unary primitives

    /// <summary>−x.</summary>
    public static Var<T> operator -(Var<T> x) => Record(OpRegistry.Neg, Tensor.Neg(x.Value, GraphScope.NewBuffer<T>(x.Value.ShapeArray)), NegRule, null, x);
    private static readonly BackwardRule<T> NegRule = static (n, g) => [-g];

    /// <summary>eˣ.</summary>
    public Var<T> Exp() => Record(OpRegistry.Exp, Tensor.Exp(Value, GraphScope.NewBuffer<T>(Value.ShapeArray)), ExpRule, null, this);
    private static readonly BackwardRule<T> ExpRule = static (n, g) => [g * n.Output];

    /// <summary>ln x.</summary>
    public Var<T> Log() => Record(OpRegistry.Log, Tensor.Log(Value), LogRule, null, this);
    private static readonly BackwardRule<T> LogRule = static (n, g) => [g / n.Input(0)];

    /// <summary>ln(1 + x).</summary>
    public Var<T> Log1p() => Record(OpRegistry.Log1p, Tensor.Log1p(Value), Log1pRule, null, this);
    private static readonly BackwardRule<T> Log1pRule = static (n, g) => [g / (n.Input(0) + T.One)];

    /// <summary>eˣ − 1.</summary>
    public Var<T> Expm1() => Record(OpRegistry.Expm1, Tensor.Expm1(Value), Expm1Rule, null, this);
    private static readonly BackwardRule<T> Expm1Rule = static (n, g) => [g * (n.Output + T.One)];

    /// <summary>√x.</summary>
    public Var<T> Sqrt() => Record(OpRegistry.Sqrt, Tensor.Sqrt(Value), SqrtRule, null, this);
    private static readonly BackwardRule<T> SqrtRule = static (n, g) => [g / (n.Output * C(2))];

    /// <summary>|x|. The gradient is sign(x), and 0 at x = 0 (the subgradient PyTorch gives too).</summary>
    public Var<T> Abs() => Record(OpRegistry.Abs, Tensor.Abs(Value), AbsRule, null, this);
    private static readonly BackwardRule<T> AbsRule = static (n, g) => [g * Mask(Tensor.Sign(n.Input(0).Value))];

    /// <summary>tanh x.</summary>
    public Var<T> Tanh() => Record(OpRegistry.Tanh, Tensor.Tanh(Value), TanhRule, null, this);
    private static readonly BackwardRule<T> TanhRule = static (n, g) => [g * (T.One - n.Output * n.Output)];

    /// <summary>1/(1 + e^(−x)).</summary>
    public Var<T> Sigmoid() => Record(OpRegistry.Sigmoid, Tensor.Sigmoid(Value), SigmoidRule, null, this);
    private static readonly BackwardRule<T> SigmoidRule = static (n, g) => [g * n.Output * (T.One - n.Output)];

    /// <summary>max(x, 0). The gradient is 1 for x &gt; 0 and 0 for x ≤ 0, so 0 at x = 0 (as PyTorch).</summary>
    public Var<T> Relu() => Record(OpRegistry.Relu, Tensor.Relu(Value, GraphScope.NewBuffer<T>(Value.ShapeArray)), ReluRule, null, this);
    // Recording (createGraph): the mask product, differentiable again. Plain backward: one fused pass, g where y > 0.
    private static readonly BackwardRule<T> ReluRule = static (n, g) =>
        GradMode.IsEnabled || !g.Value.IsContiguous || !n.Output.Value.IsContiguous
            ? [g * Mask(Tensor.Greater(n.Input(0).Value, Tensor.Scalar(T.Zero), GraphScope.NewBuffer<T>(n.Input(0).Value.ShapeArray)))]
            : [Plain(ReluBackward(g.Value, n.Output.Value))];

    private static Tensor<T> ReluBackward(Tensor<T> g, Tensor<T> y)
    {
        var dst = GraphScope.NewBuffer<T>(y.ShapeArray);
        ReadOnlySpan<T> gs = g.AsSpan(), ys = y.AsSpan();
        var ds = dst.AsSpan();
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
            for (; i <= ds.Length - System.Numerics.Vector<T>.Count; i += System.Numerics.Vector<T>.Count)
            {
                var positive = System.Numerics.Vector.GreaterThan(new System.Numerics.Vector<T>(ys[i..]), System.Numerics.Vector<T>.Zero);
                System.Numerics.Vector.ConditionalSelect(positive, new System.Numerics.Vector<T>(gs[i..]), System.Numerics.Vector<T>.Zero).CopyTo(ds[i..]);
            }
        for (; i < ds.Length; i++) ds[i] = ys[i] > T.Zero ? gs[i] : T.Zero;
        return dst;
    }

    /// <summary>GELU, erf form: x·Φ(x).</summary>
    public Var<T> Gelu() => Record(OpRegistry.Gelu, Tensor.Gelu(Value), GeluRule, null, this);
    private static readonly BackwardRule<T> GeluRule = static (n, g) =>
    {
        var x = n.Input(0);
        var cdf = ((x * C(1 / Math.Sqrt(2))).Erf() + T.One) * C(0.5);
        var pdf = (x * x * C(-0.5)).Exp() * C(1 / Math.Sqrt(2 * Math.PI));
        return [g * (cdf + x * pdf)];
    };

    /// <summary>ln(1 + eˣ).</summary>
    public Var<T> Softplus() => Record(OpRegistry.Softplus, Tensor.Softplus(Value), SoftplusRule, null, this);
    private static readonly BackwardRule<T> SoftplusRule = static (n, g) => [g * n.Input(0).Sigmoid()];

    /// <summary>sin x.</summary>
    public Var<T> Sin() => Record(OpRegistry.Sin, Tensor.Sin(Value), SinRule, null, this);
    private static readonly BackwardRule<T> SinRule = static (n, g) => [g * n.Input(0).Cos()];

    /// <summary>cos x.</summary>
    public Var<T> Cos() => Record(OpRegistry.Cos, Tensor.Cos(Value), CosRule, null, this);
    private static readonly BackwardRule<T> CosRule = static (n, g) => [-(g * n.Input(0).Sin())];

    /// <summary>erf x.</summary>
    public Var<T> Erf() => Record(OpRegistry.Erf, Tensor.Erf(Value), ErfRule, null, this);
    private static readonly BackwardRule<T> ErfRule = static (n, g) =>
        [g * (n.Input(0) * n.Input(0) * C(-1)).Exp() * C(2 / Math.Sqrt(Math.PI))];

    /// <summary>xᵖ for a constant exponent. For p = 0 the gradient is 0 everywhere (PyTorch), also at x = 0.</summary>
    public Var<T> Pow(T p) => Record(OpRegistry.PowScalar, Tensor.Pow(Value, p), PowScalarRule, p, this);
    private static readonly BackwardRule<T> PowScalarRule = static (n, g) =>
    {
        T p = (T)n.State!;
        // x⁻¹·0 would be ∞·0 = NaN at x = 0.
        if (p == T.Zero) return [g * Scalar(T.Zero)];
        return [g * n.Input(0).Pow(p - T.One) * p];
    };

    /// <summary>
    /// min(max(x, lo), hi). The gradient is 1 for lo ≤ x ≤ hi, bounds included, and 0 outside, as torch.clamp
    /// (note that torch's hardtanh gives 0 at its bounds instead). With lo &gt; hi every output is hi and no
    /// element gets a gradient.
    /// </summary>
    public Var<T> Clamp(T lo, T hi) => Record(OpRegistry.Clamp, Tensor.Clamp(Value, lo, hi), ClampRule, (lo, hi), this);
    private static readonly BackwardRule<T> ClampRule = static (n, g) =>
    {
        var (lo, hi) = ((T, T))n.State!;
        var x = n.Input(0).Value;
        var inside = Tensor.Mul(Tensor.GreaterEqual(x, Tensor.Scalar(lo)), Tensor.LessEqual(x, Tensor.Scalar(hi)));
        return [g * Mask(inside)];
    };

    // ---------------------------------------------------------------- derived unary ops

    /// <summary>x² (as x·x).</summary>
    public Var<T> Square() => this * this;

    /// <summary>1/√x (as x^(−1/2)).</summary>
    public Var<T> Rsqrt() => Pow(C(-0.5));

    /// <summary>sign(x) as a constant: its derivative is 0 wherever it exists, so no gradient flows through it (PyTorch's gradient is 0 everywhere too, also at 0).</summary>
    public Var<T> Sign() => Constant(Tensor.Sign(Value));
}
