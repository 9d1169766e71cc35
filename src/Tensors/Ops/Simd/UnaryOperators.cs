using System.Numerics;
using System.Runtime.Intrinsics;

namespace NativeFree.Tensors.Simd;

// Unary elementwise operators. Each summary is the op's formula; the scalar Invoke is also the
// path taken without hardware vectors.

/// <summary>y = −x.</summary>
internal readonly struct NegateOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => -x;
    public static Vector128<T> Invoke(Vector128<T> x) => -x;
    public static Vector256<T> Invoke(Vector256<T> x) => -x;
    public static Vector512<T> Invoke(Vector512<T> x) => -x;
}

/// <summary>y = |x|.</summary>
internal readonly struct AbsOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => T.Abs(x);
    public static Vector128<T> Invoke(Vector128<T> x) => Vector128.Abs(x);
    public static Vector256<T> Invoke(Vector256<T> x) => Vector256.Abs(x);
    public static Vector512<T> Invoke(Vector512<T> x) => Vector512.Abs(x);
}

/// <summary>y = sign x ∈ {−1, 0, 1}; NaN stays NaN; ±0 → +0.</summary>
internal readonly struct SignOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => T.IsNaN(x) ? x : x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero;
    public static Vector128<T> Invoke(Vector128<T> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), Vector128<T>.One, Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<T>.Zero), -Vector128<T>.One, Vector128.ConditionalSelect(VMath.IsNaN(x), x, Vector128<T>.Zero)));
    public static Vector256<T> Invoke(Vector256<T> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), Vector256<T>.One, Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<T>.Zero), -Vector256<T>.One, Vector256.ConditionalSelect(VMath.IsNaN(x), x, Vector256<T>.Zero)));
    public static Vector512<T> Invoke(Vector512<T> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), Vector512<T>.One, Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<T>.Zero), -Vector512<T>.One, Vector512.ConditionalSelect(VMath.IsNaN(x), x, Vector512<T>.Zero)));
}

/// <summary>y = eˣ.</summary>
internal readonly struct ExpOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => T.Exp(x);
    public static Vector128<T> Invoke(Vector128<T> x) => VMath.Exp(x);
    public static Vector256<T> Invoke(Vector256<T> x) => VMath.Exp(x);
    public static Vector512<T> Invoke(Vector512<T> x) => VMath.Exp(x);
}

/// <summary>y = ln x.</summary>
internal readonly struct LogOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => T.Log(x);
    public static Vector128<T> Invoke(Vector128<T> x) => VMath.Log(x);
    public static Vector256<T> Invoke(Vector256<T> x) => VMath.Log(x);
    public static Vector512<T> Invoke(Vector512<T> x) => VMath.Log(x);
}

/// <summary>y = ln(1 + x), accurate near 0.</summary>
internal readonly struct Log1pOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => ScalarMath.Log1p(x);
    public static Vector128<T> Invoke(Vector128<T> x) => VMath.Log1p(x);
    public static Vector256<T> Invoke(Vector256<T> x) => VMath.Log1p(x);
    public static Vector512<T> Invoke(Vector512<T> x) => VMath.Log1p(x);
}

/// <summary>y = eˣ − 1, accurate near 0.</summary>
internal readonly struct Expm1Operator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => ScalarMath.Expm1(x);
    public static Vector128<T> Invoke(Vector128<T> x) => VMath.Expm1(x);
    public static Vector256<T> Invoke(Vector256<T> x) => VMath.Expm1(x);
    public static Vector512<T> Invoke(Vector512<T> x) => VMath.Expm1(x);
}

/// <summary>y = √x.</summary>
internal readonly struct SqrtOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => T.Sqrt(x);
    public static Vector128<T> Invoke(Vector128<T> x) => Vector128.Sqrt(x);
    public static Vector256<T> Invoke(Vector256<T> x) => Vector256.Sqrt(x);
    public static Vector512<T> Invoke(Vector512<T> x) => Vector512.Sqrt(x);
}

/// <summary>y = 1/√x (correctly rounded division, not the hardware estimate).</summary>
internal readonly struct RsqrtOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => T.One / T.Sqrt(x);
    public static Vector128<T> Invoke(Vector128<T> x) => Vector128<T>.One / Vector128.Sqrt(x);
    public static Vector256<T> Invoke(Vector256<T> x) => Vector256<T>.One / Vector256.Sqrt(x);
    public static Vector512<T> Invoke(Vector512<T> x) => Vector512<T>.One / Vector512.Sqrt(x);
}

/// <summary>y = x².</summary>
internal readonly struct SquareOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => x * x;
    public static Vector128<T> Invoke(Vector128<T> x) => x * x;
    public static Vector256<T> Invoke(Vector256<T> x) => x * x;
    public static Vector512<T> Invoke(Vector512<T> x) => x * x;
}

/// <summary>y = x if x > 0 else 0 (NaN → 0, as x > 0 is false).</summary>
internal readonly struct ReluOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => x > T.Zero ? x : T.Zero;
    public static Vector128<T> Invoke(Vector128<T> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), x, Vector128<T>.Zero);
    public static Vector256<T> Invoke(Vector256<T> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), x, Vector256<T>.Zero);
    public static Vector512<T> Invoke(Vector512<T> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), x, Vector512<T>.Zero);
}

/// <summary>y = x·Φ(x) = x/2·(1 + erf(x/√2)) (the erf form, not the tanh approximation).</summary>
internal readonly struct GeluOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => VMath.Gelu(x);
    public static Vector128<T> Invoke(Vector128<T> x) => VMath.Gelu(x);
    public static Vector256<T> Invoke(Vector256<T> x) => VMath.Gelu(x);
    public static Vector512<T> Invoke(Vector512<T> x) => VMath.Gelu(x);
}

/// <summary>y = tanh x = −m/(m+2)·sign x, m = expm1(−2|x|).</summary>
internal readonly struct TanhOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // In double and rounded once, like the vector paths (MathF.Tanh is 2 ulp off near |x| = 0.5).
    public static T Invoke(T x) => T.CreateTruncating(Math.Tanh(double.CreateTruncating(x)));
    public static Vector128<T> Invoke(Vector128<T> x) => VMath.Tanh(x);
    public static Vector256<T> Invoke(Vector256<T> x) => VMath.Tanh(x);
    public static Vector512<T> Invoke(Vector512<T> x) => VMath.Tanh(x);
}

/// <summary>y = σ(x) = 1/(1 + e^(−x)).</summary>
internal readonly struct SigmoidOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => ScalarMath.Sigmoid(x);
    public static Vector128<T> Invoke(Vector128<T> x) => VMath.Sigmoid(x);
    public static Vector256<T> Invoke(Vector256<T> x) => VMath.Sigmoid(x);
    public static Vector512<T> Invoke(Vector512<T> x) => VMath.Sigmoid(x);
}

/// <summary>y = ln(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)).</summary>
internal readonly struct SoftplusOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => ScalarMath.Softplus(x);
    public static Vector128<T> Invoke(Vector128<T> x) => VMath.Softplus(x);
    public static Vector256<T> Invoke(Vector256<T> x) => VMath.Softplus(x);
    public static Vector512<T> Invoke(Vector512<T> x) => VMath.Softplus(x);
}

/// <summary>y = sin x.</summary>
internal readonly struct SinOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => T.Sin(x);
    public static Vector128<T> Invoke(Vector128<T> x) => VMath.Sin(x);
    public static Vector256<T> Invoke(Vector256<T> x) => VMath.Sin(x);
    public static Vector512<T> Invoke(Vector512<T> x) => VMath.Sin(x);
}

/// <summary>y = cos x.</summary>
internal readonly struct CosOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => T.Cos(x);
    public static Vector128<T> Invoke(Vector128<T> x) => VMath.Cos(x);
    public static Vector256<T> Invoke(Vector256<T> x) => VMath.Cos(x);
    public static Vector512<T> Invoke(Vector512<T> x) => VMath.Cos(x);
}

/// <summary>y = erf x = 2/√π ∫₀ˣ e^(−t²) dt.</summary>
internal readonly struct ErfOperator<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Invoke(T x) => VMath.Erf(x);
    public static Vector128<T> Invoke(Vector128<T> x) => VMath.Erf(x);
    public static Vector256<T> Invoke(Vector256<T> x) => VMath.Erf(x);
    public static Vector512<T> Invoke(Vector512<T> x) => VMath.Erf(x);
}
