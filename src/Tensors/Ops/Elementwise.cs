using System.Numerics;

namespace NativeFree.Tensors;

// Elementwise operations with NumPy broadcasting. Each returns a new contiguous tensor.
public static partial class Tensor
{
    /// <summary>a + b (broadcast).</summary>
    public static Tensor<T> Add<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => x + y);
    /// <summary>a − b (broadcast).</summary>
    public static Tensor<T> Sub<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => x - y);
    /// <summary>a · b elementwise (broadcast).</summary>
    public static Tensor<T> Mul<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => x * y);
    /// <summary>a / b elementwise (broadcast).</summary>
    public static Tensor<T> Div<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => x / y);
    /// <summary>aᵇ elementwise (broadcast).</summary>
    public static Tensor<T> Pow<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => T.Pow(x, y));
    /// <summary>max(a, b) elementwise (broadcast); NaN if either is NaN.</summary>
    public static Tensor<T> Maximum<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => T.Max(x, y));
    /// <summary>min(a, b) elementwise (broadcast); NaN if either is NaN.</summary>
    public static Tensor<T> Minimum<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => T.Min(x, y));

    /// <summary>a + s.</summary>
    public static Tensor<T> Add<T>(Tensor<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, x => x + s);
    /// <summary>a · s.</summary>
    public static Tensor<T> Mul<T>(Tensor<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, x => x * s);
    /// <summary>aˢ.</summary>
    public static Tensor<T> Pow<T>(Tensor<T> a, T s) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, x => T.Pow(x, s));

    /// <summary>−x.</summary>
    public static Tensor<T> Neg<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => -v);
    /// <summary>|x|.</summary>
    public static Tensor<T> Abs<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => T.Abs(v));
    /// <summary>sign(x) ∈ {−1, 0, 1} (NaN stays NaN).</summary>
    public static Tensor<T> Sign<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => T.IsNaN(v) ? v : v > T.Zero ? T.One : v < T.Zero ? -T.One : T.Zero);
    /// <summary>eˣ.</summary>
    public static Tensor<T> Exp<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => T.Exp(v));
    /// <summary>ln x.</summary>
    public static Tensor<T> Log<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => T.Log(v));
    /// <summary>ln(1 + x), accurate near 0.</summary>
    public static Tensor<T> Log1p<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => ScalarMath.Log1p(v));
    /// <summary>eˣ − 1, accurate near 0.</summary>
    public static Tensor<T> Expm1<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => ScalarMath.Expm1(v));
    /// <summary>√x.</summary>
    public static Tensor<T> Sqrt<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => T.Sqrt(v));
    /// <summary>1/√x.</summary>
    public static Tensor<T> Rsqrt<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => T.One / T.Sqrt(v));
    /// <summary>x².</summary>
    public static Tensor<T> Square<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => v * v);
    /// <summary>max(x, 0).</summary>
    public static Tensor<T> Relu<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => v > T.Zero ? v : T.Zero);
    /// <summary>GELU, erf form: x·Φ(x).</summary>
    public static Tensor<T> Gelu<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => ScalarMath.Gelu(v));
    /// <summary>tanh x.</summary>
    public static Tensor<T> Tanh<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => T.Tanh(v));
    /// <summary>1/(1 + e^(−x)).</summary>
    public static Tensor<T> Sigmoid<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => ScalarMath.Sigmoid(v));
    /// <summary>ln(1 + eˣ).</summary>
    public static Tensor<T> Softplus<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => ScalarMath.Softplus(v));
    /// <summary>sin x.</summary>
    public static Tensor<T> Sin<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => T.Sin(v));
    /// <summary>cos x.</summary>
    public static Tensor<T> Cos<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => T.Cos(v));
    /// <summary>erf x.</summary>
    public static Tensor<T> Erf<T>(Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(x, static v => ScalarMath.Erf(v));

    /// <summary>min(max(x, lo), hi).</summary>
    public static Tensor<T> Clamp<T>(Tensor<T> x, T lo, T hi) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (lo > hi) throw new ArgumentException($"Clamp bounds are reversed: lo={lo} > hi={hi}.");
        return NaiveEngine.Map(x, v => T.Min(T.Max(v, lo), hi));
    }

    /// <summary>cond ≠ 0 ? a : b elementwise (all three broadcast together).</summary>
    public static Tensor<T> Where<T>(Tensor<T> cond, Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T>
        => NaiveEngine.Map(cond, a, b, static (c, x, y) => c != T.Zero ? x : y);

    /// <summary>1 where a = b, else 0.</summary>
    public static Tensor<T> Equal<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => x == y ? T.One : T.Zero);
    /// <summary>1 where a ≠ b, else 0.</summary>
    public static Tensor<T> NotEqual<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => x != y ? T.One : T.Zero);
    /// <summary>1 where a &lt; b, else 0.</summary>
    public static Tensor<T> Less<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => x < y ? T.One : T.Zero);
    /// <summary>1 where a ≤ b, else 0.</summary>
    public static Tensor<T> LessEqual<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => x <= y ? T.One : T.Zero);
    /// <summary>1 where a &gt; b, else 0.</summary>
    public static Tensor<T> Greater<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => x > y ? T.One : T.Zero);
    /// <summary>1 where a ≥ b, else 0.</summary>
    public static Tensor<T> GreaterEqual<T>(Tensor<T> a, Tensor<T> b) where T : unmanaged, IFloatingPointIeee754<T> => NaiveEngine.Map(a, b, static (x, y) => x >= y ? T.One : T.Zero);
}

public sealed partial class Tensor<T>
{
    /// <summary>a + b (broadcast).</summary>
    public static Tensor<T> operator +(Tensor<T> a, Tensor<T> b) => Tensor.Add(a, b);
    /// <summary>a − b (broadcast).</summary>
    public static Tensor<T> operator -(Tensor<T> a, Tensor<T> b) => Tensor.Sub(a, b);
    /// <summary>a · b elementwise (broadcast).</summary>
    public static Tensor<T> operator *(Tensor<T> a, Tensor<T> b) => Tensor.Mul(a, b);
    /// <summary>a / b elementwise (broadcast).</summary>
    public static Tensor<T> operator /(Tensor<T> a, Tensor<T> b) => Tensor.Div(a, b);
    /// <summary>−a.</summary>
    public static Tensor<T> operator -(Tensor<T> a) => Tensor.Neg(a);
    /// <summary>a + s.</summary>
    public static Tensor<T> operator +(Tensor<T> a, T s) => Tensor.Add(a, s);
    /// <summary>a − s.</summary>
    public static Tensor<T> operator -(Tensor<T> a, T s) => Tensor.Add(a, -s);
    /// <summary>a · s.</summary>
    public static Tensor<T> operator *(Tensor<T> a, T s) => Tensor.Mul(a, s);
    /// <summary>s · a.</summary>
    public static Tensor<T> operator *(T s, Tensor<T> a) => Tensor.Mul(a, s);
    /// <summary>a / s.</summary>
    public static Tensor<T> operator /(Tensor<T> a, T s) => Tensor.Mul(a, T.One / s);
}
