using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NativeFree.Tensors.Simd;

/// <summary>
/// Vectorised math for generic T (float or double) at each width. Exp, Log, Sin, Cos come from
/// the runtime (Vector512.Exp…, the same kernels TensorPrimitives uses); log1p, expm1, tanh,
/// sigmoid, softplus are built from them with formulas that avoid cancellation; erf and GELU
/// are our own polynomial and Chebyshev approximations (see <see cref="ErfCoefficients{T}"/>).
/// The typeof(T) tests are folded away by the JIT. The 256- and 128-bit sections are textual
/// copies of the 512-bit one (a .NET type cannot abstract over the vector width).
/// </summary>
internal static class VMath
{
    // ===================================================================== scalar twins

    /// <summary>Scalar erf with the same approximation as the vector paths.</summary>
    public static T Erf<T>(T x) where T : IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return T.CreateTruncating(Erf(double.CreateTruncating(x)));
        T a = T.Abs(x);
        if (a <= T.CreateTruncating(0.5)) return ErfSmall(x);
        if (T.IsNaN(a)) return a;
        T z = T.Min(a, T.CreateTruncating(30));
        T hi = z * z, lo = T.FusedMultiplyAdd(z, z, -hi);
        return T.CopySign(T.One - ErfcTailFactor(z, lo) * T.Exp(-hi), x);
    }

    /// <summary>Scalar GELU with the same approximation as the vector paths.</summary>
    public static T Gelu<T>(T x) where T : IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return T.CreateTruncating(Gelu(double.CreateTruncating(x)));
        if (T.IsNaN(x)) return x;
        T half = T.CreateTruncating(0.5);
        T zSigned = -x * ErfCoefficients<T>.InvSqrt2;
        T az = T.Abs(zSigned);
        if (az <= half) return x * (half - half * ErfSmall(zSigned));
        T limit = T.CreateTruncating(42);
        T xc = T.Clamp(x, -limit, limit);
        T z = T.Min(az, T.CreateTruncating(30));
        T hi = xc * xc, lo = T.FusedMultiplyAdd(xc, xc, -hi);
        T f = half * ErfcTailFactor(z, half * lo), e = T.Exp(-(half * hi));
        return zSigned > T.Zero ? x * f * e : x * (T.One - f * e);
    }

    private static T ErfSmall<T>(T x) where T : IFloatingPointIeee754<T>
    {
        var c = ErfCoefficients<T>.Maclaurin;
        T x2 = x * x, p = c[0];
        for (int k = 1; k < c.Length; k++) p = p * x2 + c[k];
        return x * p;
    }

    private static T ErfcTailFactor<T>(T z, T z2lo) where T : IFloatingPointIeee754<T>
    {
        var c = ErfCoefficients<T>.Chebyshev;
        T t = T.One / z - T.One, t2 = t + t, b1 = T.Zero, b2 = T.Zero;
        for (int k = c.Length - 1; k >= 1; k--)
        {
            T b0 = t2 * b1 - b2 + c[k];
            b2 = b1;
            b1 = b0;
        }
        T h = t * b1 - b2 + c[0];
        return h * (T.One - z2lo) / (z * ErfCoefficients<T>.SqrtPi);
    }

    // ============================================================ Vector512 (generated: 256/128 are sed copies)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Exp<T>(Vector512<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector512.Exp(x.AsSingle()).As<float, T>();
        return Vector512.Exp(x.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Log<T>(Vector512<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector512.Log(x.AsSingle()).As<float, T>();
        return Vector512.Log(x.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Sin<T>(Vector512<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector512.Sin(x.AsSingle()).As<float, T>();
        return Vector512.Sin(x.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Cos<T>(Vector512<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector512.Cos(x.AsSingle()).As<float, T>();
        return Vector512.Cos(x.AsDouble()).As<double, T>();
    }

    /// <summary>a·b + c, fused where the hardware has FMA (polynomials: either rounding is fine).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MulAdd<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector512.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Vector512.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    /// <summary>a·b + c rounded once, always (error-free products need it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> FusedMulAdd<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    /// <summary>|magnitude| with the sign bit of <paramref name="sign"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> CopySign<T>(Vector512<T> magnitude, Vector512<T> sign) where T : IFloatingPointIeee754<T>
    {
        var signBit = Vector512.Create(T.NegativeZero);
        return Vector512.AndNot(magnitude, signBit) | (sign & signBit);
    }

    /// <summary>All-ones lanes where x is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> IsNaN<T>(Vector512<T> x) => ~Vector512.Equals(x, x);

    /// <summary>ln(1+x) by Kahan's correction log(u)·x/(u−1), u = 1+x: a few ulp, exact for tiny x.</summary>
    public static Vector512<T> Log1p<T>(Vector512<T> x) where T : IFloatingPointIeee754<T>
    {
        var one = Vector512<T>.One;
        var u = x + one;
        var logu = Log(u);
        var r = logu * (x / (u - one)); // ratio first: x·log u could underflow for tiny x
        r = Vector512.ConditionalSelect(Vector512.Equals(u, Vector512.Create(T.PositiveInfinity)), logu, r);
        return Vector512.ConditionalSelect(Vector512.Equals(u, one), x, r);
    }

    /// <summary>eˣ − 1 by Kahan's correction (u−1)·x/log(u), u = eˣ: a few ulp, exact for tiny x.</summary>
    public static Vector512<T> Expm1<T>(Vector512<T> x) where T : IFloatingPointIeee754<T>
    {
        var one = Vector512<T>.One;
        var u = Exp(x);
        var um1 = u - one;
        var r = um1 / Log(u) * x; // ratio first: (u−1)·x could underflow for tiny x
        r = Vector512.ConditionalSelect(Vector512.Equals(um1, -one), -one, r);
        r = Vector512.ConditionalSelect(Vector512.Equals(u, Vector512.Create(T.PositiveInfinity)), u, r);
        return Vector512.ConditionalSelect(Vector512.Equals(u, one), x, r);
    }

    /// <summary>tanh x = −m/(m+2)·sign(x) with m = expm1(−2|x|): no cancellation near 0, saturates cleanly.</summary>
    public static Vector512<T> Tanh<T>(Vector512<T> x) where T : IFloatingPointIeee754<T>
    {
        // float is evaluated in double and rounded once: the float-only evaluation lost up to 5 ulp.
        if (typeof(T) == typeof(float))
        {
            var (lower, upper) = Vector512.Widen(x.AsSingle());
            return Vector512.Narrow(TanhCore(lower), TanhCore(upper)).As<float, T>();
        }
        return TanhCore(x);
    }

    private static Vector512<T> TanhCore<T>(Vector512<T> x) where T : IFloatingPointIeee754<T>
    {
        var a = Vector512.Abs(x);
        var m = Expm1(-(a + a));
        var r = -m / (m + Vector512.Create(T.CreateTruncating(2)));
        return CopySign(r, x);
    }

    /// <summary>σ(x) = 1/(1+e^(−x)) for x ≥ 0, e^x/(1+e^x) below: no overflow, denormal-exact tails.</summary>
    public static Vector512<T> Sigmoid<T>(Vector512<T> x) where T : IFloatingPointIeee754<T>
    {
        var e = Exp(-Vector512.Abs(x));
        var r = Vector512<T>.One / (Vector512<T>.One + e);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<T>.Zero), e * r, r);
    }

    /// <summary>softplus x = max(x, 0) + log1p(e^(−|x|)).</summary>
    public static Vector512<T> Softplus<T>(Vector512<T> x) where T : IFloatingPointIeee754<T>
        => Vector512.Max(x, Vector512<T>.Zero) + Log1p(Exp(-Vector512.Abs(x)));

    /// <summary>erf x = x·P(x²) (Maclaurin) for |x| ≤ 1/2.</summary>
    private static Vector512<T> ErfSmall<T>(Vector512<T> x) where T : IFloatingPointIeee754<T>
    {
        var c = ErfCoefficients<T>.Maclaurin;
        var x2 = x * x;
        var p = Vector512.Create(c[0]);
        for (int k = 1; k < c.Length; k++) p = MulAdd(p, x2, Vector512.Create(c[k]));
        return x * p;
    }

    /// <summary>
    /// erfc z for z ≥ 1/2 = e^(−hi)·F with F = h(1/z − 1)(1 − lo)/(z√π), h a Chebyshev series; z² = hi + lo
    /// exactly so e^(−z²) = e^(−hi)(1 − lo) keeps full relative accuracy far into the tail. Returns F; callers
    /// multiply by e^(−hi) last.
    /// </summary>
    private static Vector512<T> ErfcTailFactor<T>(Vector512<T> z, Vector512<T> z2lo) where T : IFloatingPointIeee754<T>
    {
        var c = ErfCoefficients<T>.Chebyshev;
        var t = Vector512<T>.One / z - Vector512<T>.One;
        var t2 = t + t;
        Vector512<T> b1 = Vector512<T>.Zero, b2 = Vector512<T>.Zero;
        for (int k = c.Length - 1; k >= 1; k--)
        {
            var b0 = MulAdd(t2, b1, Vector512.Create(c[k]) - b2);
            b2 = b1;
            b1 = b0;
        }
        var h = MulAdd(t, b1, Vector512.Create(c[0]) - b2);
        return h * (Vector512<T>.One - z2lo) / (z * Vector512.Create(ErfCoefficients<T>.SqrtPi));
    }

    /// <summary>erf x: Maclaurin below |x| = 1/2, 1 − erfc(|x|) above, sign restored.</summary>
    public static Vector512<T> Erf<T>(Vector512<T> x) where T : IFloatingPointIeee754<T>
    {
        // float is evaluated in double and rounded once: the float-only evaluation lost up to 5 ulp.
        if (typeof(T) == typeof(float))
        {
            var (lower, upper) = Vector512.Widen(x.AsSingle());
            return Vector512.Narrow(ErfCore(lower), ErfCore(upper)).As<float, T>();
        }
        return ErfCore(x);
    }

    private static Vector512<T> ErfCore<T>(Vector512<T> x) where T : IFloatingPointIeee754<T>
    {
        var a = Vector512.Abs(x);
        var z = Vector512.Min(Vector512.Max(a, Vector512.Create(T.CreateTruncating(0.5))), Vector512.Create(T.CreateTruncating(30)));
        var hi = z * z;
        var lo = FusedMulAdd(z, z, -hi);
        var big = CopySign(Vector512<T>.One - ErfcTailFactor(z, lo) * Exp(-hi), x);
        return Vector512.ConditionalSelect(Vector512.LessThanOrEqual(a, Vector512.Create(T.CreateTruncating(0.5))), ErfSmall(x), big);
    }

    /// <summary>
    /// GELU x·Φ(x), Φ(x) = erfc(−x/√2)/2, with the tail taken from erfc directly (no 1 − erf
    /// cancellation for negative x) and −x²/2 split exactly.
    /// </summary>
    public static Vector512<T> Gelu<T>(Vector512<T> x) where T : IFloatingPointIeee754<T>
    {
        // float is evaluated in double and rounded once: the float-only evaluation lost up to 5 ulp.
        if (typeof(T) == typeof(float))
        {
            var (lower, upper) = Vector512.Widen(x.AsSingle());
            return Vector512.Narrow(GeluCore(lower), GeluCore(upper)).As<float, T>();
        }
        return GeluCore(x);
    }

    private static Vector512<T> GeluCore<T>(Vector512<T> x) where T : IFloatingPointIeee754<T>
    {
        var half = Vector512.Create(T.CreateTruncating(0.5));
        var zSigned = -x * Vector512.Create(ErfCoefficients<T>.InvSqrt2);
        var az = Vector512.Abs(zSigned);
        var limit = Vector512.Create(T.CreateTruncating(42));
        var xc = Vector512.Min(Vector512.Max(x, -limit), limit);
        var z = Vector512.Min(Vector512.Max(az, half), Vector512.Create(T.CreateTruncating(30)));
        var hi = xc * xc;
        var lo = FusedMulAdd(xc, xc, -hi);
        // Where |z| clamps to 1/2 the tail value is discarded below, so the mismatch with hi/lo is harmless.
        var f = half * ErfcTailFactor(z, half * lo);
        var e = Exp(-(half * hi));
        // x < 0: Φ is tiny, so multiply by e^(−x²/2) last and let only the final result round into denormals.
        var negative = x * f * e;
        var positive = x * (Vector512<T>.One - f * e);
        var tail = Vector512.ConditionalSelect(Vector512.GreaterThan(zSigned, Vector512<T>.Zero), negative, positive);
        var small = x * (half - half * ErfSmall(zSigned));
        return Vector512.ConditionalSelect(Vector512.LessThanOrEqual(az, half), small, tail);
    }
    // ============================================================ Vector256 (copy of the 512-bit section)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Exp<T>(Vector256<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector256.Exp(x.AsSingle()).As<float, T>();
        return Vector256.Exp(x.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Log<T>(Vector256<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector256.Log(x.AsSingle()).As<float, T>();
        return Vector256.Log(x.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Sin<T>(Vector256<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector256.Sin(x.AsSingle()).As<float, T>();
        return Vector256.Sin(x.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Cos<T>(Vector256<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector256.Cos(x.AsSingle()).As<float, T>();
        return Vector256.Cos(x.AsDouble()).As<double, T>();
    }

    /// <summary>a·b + c, fused where the hardware has FMA (polynomials: either rounding is fine).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MulAdd<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector256.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Vector256.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    /// <summary>a·b + c rounded once, always (error-free products need it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> FusedMulAdd<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    /// <summary>|magnitude| with the sign bit of <paramref name="sign"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> CopySign<T>(Vector256<T> magnitude, Vector256<T> sign) where T : IFloatingPointIeee754<T>
    {
        var signBit = Vector256.Create(T.NegativeZero);
        return Vector256.AndNot(magnitude, signBit) | (sign & signBit);
    }

    /// <summary>All-ones lanes where x is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> IsNaN<T>(Vector256<T> x) => ~Vector256.Equals(x, x);

    /// <summary>ln(1+x) by Kahan's correction log(u)·x/(u−1), u = 1+x: a few ulp, exact for tiny x.</summary>
    public static Vector256<T> Log1p<T>(Vector256<T> x) where T : IFloatingPointIeee754<T>
    {
        var one = Vector256<T>.One;
        var u = x + one;
        var logu = Log(u);
        var r = logu * (x / (u - one)); // ratio first: x·log u could underflow for tiny x
        r = Vector256.ConditionalSelect(Vector256.Equals(u, Vector256.Create(T.PositiveInfinity)), logu, r);
        return Vector256.ConditionalSelect(Vector256.Equals(u, one), x, r);
    }

    /// <summary>eˣ − 1 by Kahan's correction (u−1)·x/log(u), u = eˣ: a few ulp, exact for tiny x.</summary>
    public static Vector256<T> Expm1<T>(Vector256<T> x) where T : IFloatingPointIeee754<T>
    {
        var one = Vector256<T>.One;
        var u = Exp(x);
        var um1 = u - one;
        var r = um1 / Log(u) * x; // ratio first: (u−1)·x could underflow for tiny x
        r = Vector256.ConditionalSelect(Vector256.Equals(um1, -one), -one, r);
        r = Vector256.ConditionalSelect(Vector256.Equals(u, Vector256.Create(T.PositiveInfinity)), u, r);
        return Vector256.ConditionalSelect(Vector256.Equals(u, one), x, r);
    }

    /// <summary>tanh x = −m/(m+2)·sign(x) with m = expm1(−2|x|): no cancellation near 0, saturates cleanly.</summary>
    public static Vector256<T> Tanh<T>(Vector256<T> x) where T : IFloatingPointIeee754<T>
    {
        // float is evaluated in double and rounded once: the float-only evaluation lost up to 5 ulp.
        if (typeof(T) == typeof(float))
        {
            var (lower, upper) = Vector256.Widen(x.AsSingle());
            return Vector256.Narrow(TanhCore(lower), TanhCore(upper)).As<float, T>();
        }
        return TanhCore(x);
    }

    private static Vector256<T> TanhCore<T>(Vector256<T> x) where T : IFloatingPointIeee754<T>
    {
        var a = Vector256.Abs(x);
        var m = Expm1(-(a + a));
        var r = -m / (m + Vector256.Create(T.CreateTruncating(2)));
        return CopySign(r, x);
    }

    /// <summary>σ(x) = 1/(1+e^(−x)) for x ≥ 0, e^x/(1+e^x) below: no overflow, denormal-exact tails.</summary>
    public static Vector256<T> Sigmoid<T>(Vector256<T> x) where T : IFloatingPointIeee754<T>
    {
        var e = Exp(-Vector256.Abs(x));
        var r = Vector256<T>.One / (Vector256<T>.One + e);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<T>.Zero), e * r, r);
    }

    /// <summary>softplus x = max(x, 0) + log1p(e^(−|x|)).</summary>
    public static Vector256<T> Softplus<T>(Vector256<T> x) where T : IFloatingPointIeee754<T>
        => Vector256.Max(x, Vector256<T>.Zero) + Log1p(Exp(-Vector256.Abs(x)));

    /// <summary>erf x = x·P(x²) (Maclaurin) for |x| ≤ 1/2.</summary>
    private static Vector256<T> ErfSmall<T>(Vector256<T> x) where T : IFloatingPointIeee754<T>
    {
        var c = ErfCoefficients<T>.Maclaurin;
        var x2 = x * x;
        var p = Vector256.Create(c[0]);
        for (int k = 1; k < c.Length; k++) p = MulAdd(p, x2, Vector256.Create(c[k]));
        return x * p;
    }

    /// <summary>
    /// erfc z for z ≥ 1/2 = e^(−hi)·F with F = h(1/z − 1)(1 − lo)/(z√π), h a Chebyshev series; z² = hi + lo
    /// exactly so e^(−z²) = e^(−hi)(1 − lo) keeps full relative accuracy far into the tail. Returns F; callers
    /// multiply by e^(−hi) last.
    /// </summary>
    private static Vector256<T> ErfcTailFactor<T>(Vector256<T> z, Vector256<T> z2lo) where T : IFloatingPointIeee754<T>
    {
        var c = ErfCoefficients<T>.Chebyshev;
        var t = Vector256<T>.One / z - Vector256<T>.One;
        var t2 = t + t;
        Vector256<T> b1 = Vector256<T>.Zero, b2 = Vector256<T>.Zero;
        for (int k = c.Length - 1; k >= 1; k--)
        {
            var b0 = MulAdd(t2, b1, Vector256.Create(c[k]) - b2);
            b2 = b1;
            b1 = b0;
        }
        var h = MulAdd(t, b1, Vector256.Create(c[0]) - b2);
        return h * (Vector256<T>.One - z2lo) / (z * Vector256.Create(ErfCoefficients<T>.SqrtPi));
    }

    /// <summary>erf x: Maclaurin below |x| = 1/2, 1 − erfc(|x|) above, sign restored.</summary>
    public static Vector256<T> Erf<T>(Vector256<T> x) where T : IFloatingPointIeee754<T>
    {
        // float is evaluated in double and rounded once: the float-only evaluation lost up to 5 ulp.
        if (typeof(T) == typeof(float))
        {
            var (lower, upper) = Vector256.Widen(x.AsSingle());
            return Vector256.Narrow(ErfCore(lower), ErfCore(upper)).As<float, T>();
        }
        return ErfCore(x);
    }

    private static Vector256<T> ErfCore<T>(Vector256<T> x) where T : IFloatingPointIeee754<T>
    {
        var a = Vector256.Abs(x);
        var z = Vector256.Min(Vector256.Max(a, Vector256.Create(T.CreateTruncating(0.5))), Vector256.Create(T.CreateTruncating(30)));
        var hi = z * z;
        var lo = FusedMulAdd(z, z, -hi);
        var big = CopySign(Vector256<T>.One - ErfcTailFactor(z, lo) * Exp(-hi), x);
        return Vector256.ConditionalSelect(Vector256.LessThanOrEqual(a, Vector256.Create(T.CreateTruncating(0.5))), ErfSmall(x), big);
    }

    /// <summary>
    /// GELU x·Φ(x), Φ(x) = erfc(−x/√2)/2, with the tail taken from erfc directly (no 1 − erf
    /// cancellation for negative x) and −x²/2 split exactly.
    /// </summary>
    public static Vector256<T> Gelu<T>(Vector256<T> x) where T : IFloatingPointIeee754<T>
    {
        // float is evaluated in double and rounded once: the float-only evaluation lost up to 5 ulp.
        if (typeof(T) == typeof(float))
        {
            var (lower, upper) = Vector256.Widen(x.AsSingle());
            return Vector256.Narrow(GeluCore(lower), GeluCore(upper)).As<float, T>();
        }
        return GeluCore(x);
    }

    private static Vector256<T> GeluCore<T>(Vector256<T> x) where T : IFloatingPointIeee754<T>
    {
        var half = Vector256.Create(T.CreateTruncating(0.5));
        var zSigned = -x * Vector256.Create(ErfCoefficients<T>.InvSqrt2);
        var az = Vector256.Abs(zSigned);
        var limit = Vector256.Create(T.CreateTruncating(42));
        var xc = Vector256.Min(Vector256.Max(x, -limit), limit);
        var z = Vector256.Min(Vector256.Max(az, half), Vector256.Create(T.CreateTruncating(30)));
        var hi = xc * xc;
        var lo = FusedMulAdd(xc, xc, -hi);
        // Where |z| clamps to 1/2 the tail value is discarded below, so the mismatch with hi/lo is harmless.
        var f = half * ErfcTailFactor(z, half * lo);
        var e = Exp(-(half * hi));
        // x < 0: Φ is tiny, so multiply by e^(−x²/2) last and let only the final result round into denormals.
        var negative = x * f * e;
        var positive = x * (Vector256<T>.One - f * e);
        var tail = Vector256.ConditionalSelect(Vector256.GreaterThan(zSigned, Vector256<T>.Zero), negative, positive);
        var small = x * (half - half * ErfSmall(zSigned));
        return Vector256.ConditionalSelect(Vector256.LessThanOrEqual(az, half), small, tail);
    }
    // ============================================================ Vector128 (copy of the 512-bit section)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Exp<T>(Vector128<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector128.Exp(x.AsSingle()).As<float, T>();
        return Vector128.Exp(x.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Log<T>(Vector128<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector128.Log(x.AsSingle()).As<float, T>();
        return Vector128.Log(x.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Sin<T>(Vector128<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector128.Sin(x.AsSingle()).As<float, T>();
        return Vector128.Sin(x.AsDouble()).As<double, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Cos<T>(Vector128<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector128.Cos(x.AsSingle()).As<float, T>();
        return Vector128.Cos(x.AsDouble()).As<double, T>();
    }

    /// <summary>a·b + c, fused where the hardware has FMA (polynomials: either rounding is fine).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MulAdd<T>(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector128.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Vector128.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    /// <summary>a·b + c rounded once, always (error-free products need it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> FusedMulAdd<T>(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector128.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        return Vector128.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
    }

    /// <summary>|magnitude| with the sign bit of <paramref name="sign"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> CopySign<T>(Vector128<T> magnitude, Vector128<T> sign) where T : IFloatingPointIeee754<T>
    {
        var signBit = Vector128.Create(T.NegativeZero);
        return Vector128.AndNot(magnitude, signBit) | (sign & signBit);
    }

    /// <summary>All-ones lanes where x is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> IsNaN<T>(Vector128<T> x) => ~Vector128.Equals(x, x);

    /// <summary>ln(1+x) by Kahan's correction log(u)·x/(u−1), u = 1+x: a few ulp, exact for tiny x.</summary>
    public static Vector128<T> Log1p<T>(Vector128<T> x) where T : IFloatingPointIeee754<T>
    {
        var one = Vector128<T>.One;
        var u = x + one;
        var logu = Log(u);
        var r = logu * (x / (u - one)); // ratio first: x·log u could underflow for tiny x
        r = Vector128.ConditionalSelect(Vector128.Equals(u, Vector128.Create(T.PositiveInfinity)), logu, r);
        return Vector128.ConditionalSelect(Vector128.Equals(u, one), x, r);
    }

    /// <summary>eˣ − 1 by Kahan's correction (u−1)·x/log(u), u = eˣ: a few ulp, exact for tiny x.</summary>
    public static Vector128<T> Expm1<T>(Vector128<T> x) where T : IFloatingPointIeee754<T>
    {
        var one = Vector128<T>.One;
        var u = Exp(x);
        var um1 = u - one;
        var r = um1 / Log(u) * x; // ratio first: (u−1)·x could underflow for tiny x
        r = Vector128.ConditionalSelect(Vector128.Equals(um1, -one), -one, r);
        r = Vector128.ConditionalSelect(Vector128.Equals(u, Vector128.Create(T.PositiveInfinity)), u, r);
        return Vector128.ConditionalSelect(Vector128.Equals(u, one), x, r);
    }

    /// <summary>tanh x = −m/(m+2)·sign(x) with m = expm1(−2|x|): no cancellation near 0, saturates cleanly.</summary>
    public static Vector128<T> Tanh<T>(Vector128<T> x) where T : IFloatingPointIeee754<T>
    {
        // float is evaluated in double and rounded once: the float-only evaluation lost up to 5 ulp.
        if (typeof(T) == typeof(float))
        {
            var (lower, upper) = Vector128.Widen(x.AsSingle());
            return Vector128.Narrow(TanhCore(lower), TanhCore(upper)).As<float, T>();
        }
        return TanhCore(x);
    }

    private static Vector128<T> TanhCore<T>(Vector128<T> x) where T : IFloatingPointIeee754<T>
    {
        var a = Vector128.Abs(x);
        var m = Expm1(-(a + a));
        var r = -m / (m + Vector128.Create(T.CreateTruncating(2)));
        return CopySign(r, x);
    }

    /// <summary>σ(x) = 1/(1+e^(−x)) for x ≥ 0, e^x/(1+e^x) below: no overflow, denormal-exact tails.</summary>
    public static Vector128<T> Sigmoid<T>(Vector128<T> x) where T : IFloatingPointIeee754<T>
    {
        var e = Exp(-Vector128.Abs(x));
        var r = Vector128<T>.One / (Vector128<T>.One + e);
        return Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<T>.Zero), e * r, r);
    }

    /// <summary>softplus x = max(x, 0) + log1p(e^(−|x|)).</summary>
    public static Vector128<T> Softplus<T>(Vector128<T> x) where T : IFloatingPointIeee754<T>
        => Vector128.Max(x, Vector128<T>.Zero) + Log1p(Exp(-Vector128.Abs(x)));

    /// <summary>erf x = x·P(x²) (Maclaurin) for |x| ≤ 1/2.</summary>
    private static Vector128<T> ErfSmall<T>(Vector128<T> x) where T : IFloatingPointIeee754<T>
    {
        var c = ErfCoefficients<T>.Maclaurin;
        var x2 = x * x;
        var p = Vector128.Create(c[0]);
        for (int k = 1; k < c.Length; k++) p = MulAdd(p, x2, Vector128.Create(c[k]));
        return x * p;
    }

    /// <summary>
    /// erfc z for z ≥ 1/2 = e^(−hi)·F with F = h(1/z − 1)(1 − lo)/(z√π), h a Chebyshev series; z² = hi + lo
    /// exactly so e^(−z²) = e^(−hi)(1 − lo) keeps full relative accuracy far into the tail. Returns F; callers
    /// multiply by e^(−hi) last.
    /// </summary>
    private static Vector128<T> ErfcTailFactor<T>(Vector128<T> z, Vector128<T> z2lo) where T : IFloatingPointIeee754<T>
    {
        var c = ErfCoefficients<T>.Chebyshev;
        var t = Vector128<T>.One / z - Vector128<T>.One;
        var t2 = t + t;
        Vector128<T> b1 = Vector128<T>.Zero, b2 = Vector128<T>.Zero;
        for (int k = c.Length - 1; k >= 1; k--)
        {
            var b0 = MulAdd(t2, b1, Vector128.Create(c[k]) - b2);
            b2 = b1;
            b1 = b0;
        }
        var h = MulAdd(t, b1, Vector128.Create(c[0]) - b2);
        return h * (Vector128<T>.One - z2lo) / (z * Vector128.Create(ErfCoefficients<T>.SqrtPi));
    }

    /// <summary>erf x: Maclaurin below |x| = 1/2, 1 − erfc(|x|) above, sign restored.</summary>
    public static Vector128<T> Erf<T>(Vector128<T> x) where T : IFloatingPointIeee754<T>
    {
        // float is evaluated in double and rounded once: the float-only evaluation lost up to 5 ulp.
        if (typeof(T) == typeof(float))
        {
            var (lower, upper) = Vector128.Widen(x.AsSingle());
            return Vector128.Narrow(ErfCore(lower), ErfCore(upper)).As<float, T>();
        }
        return ErfCore(x);
    }

    private static Vector128<T> ErfCore<T>(Vector128<T> x) where T : IFloatingPointIeee754<T>
    {
        var a = Vector128.Abs(x);
        var z = Vector128.Min(Vector128.Max(a, Vector128.Create(T.CreateTruncating(0.5))), Vector128.Create(T.CreateTruncating(30)));
        var hi = z * z;
        var lo = FusedMulAdd(z, z, -hi);
        var big = CopySign(Vector128<T>.One - ErfcTailFactor(z, lo) * Exp(-hi), x);
        return Vector128.ConditionalSelect(Vector128.LessThanOrEqual(a, Vector128.Create(T.CreateTruncating(0.5))), ErfSmall(x), big);
    }

    /// <summary>
    /// GELU x·Φ(x), Φ(x) = erfc(−x/√2)/2, with the tail taken from erfc directly (no 1 − erf
    /// cancellation for negative x) and −x²/2 split exactly.
    /// </summary>
    public static Vector128<T> Gelu<T>(Vector128<T> x) where T : IFloatingPointIeee754<T>
    {
        // float is evaluated in double and rounded once: the float-only evaluation lost up to 5 ulp.
        if (typeof(T) == typeof(float))
        {
            var (lower, upper) = Vector128.Widen(x.AsSingle());
            return Vector128.Narrow(GeluCore(lower), GeluCore(upper)).As<float, T>();
        }
        return GeluCore(x);
    }

    private static Vector128<T> GeluCore<T>(Vector128<T> x) where T : IFloatingPointIeee754<T>
    {
        var half = Vector128.Create(T.CreateTruncating(0.5));
        var zSigned = -x * Vector128.Create(ErfCoefficients<T>.InvSqrt2);
        var az = Vector128.Abs(zSigned);
        var limit = Vector128.Create(T.CreateTruncating(42));
        var xc = Vector128.Min(Vector128.Max(x, -limit), limit);
        var z = Vector128.Min(Vector128.Max(az, half), Vector128.Create(T.CreateTruncating(30)));
        var hi = xc * xc;
        var lo = FusedMulAdd(xc, xc, -hi);
        // Where |z| clamps to 1/2 the tail value is discarded below, so the mismatch with hi/lo is harmless.
        var f = half * ErfcTailFactor(z, half * lo);
        var e = Exp(-(half * hi));
        // x < 0: Φ is tiny, so multiply by e^(−x²/2) last and let only the final result round into denormals.
        var negative = x * f * e;
        var positive = x * (Vector128<T>.One - f * e);
        var tail = Vector128.ConditionalSelect(Vector128.GreaterThan(zSigned, Vector128<T>.Zero), negative, positive);
        var small = x * (half - half * ErfSmall(zSigned));
        return Vector128.ConditionalSelect(Vector128.LessThanOrEqual(az, half), small, tail);
    }
}

/// <summary>
/// Coefficients of the erf approximations, rounded to T once.
/// <list type="bullet">
/// <item>|x| ≤ 1/2: erf x = x·Σ aₙx²ⁿ, aₙ = 2/√π·(−1)ⁿ/(n!(2n+1)) — the Maclaurin series, truncated well
/// below T's epsilon (9 terms for float, 14 for double).</item>
/// <item>z ≥ 1/2: erfc z = e^(−z²)·h(t)/(z√π), t = 1/z − 1 ∈ (−1, 1], h = z√π·e^(z²)·erfc z a smooth
/// function from 1 (z = ∞) down to 0.62 (z = 1/2), expanded in Chebyshev polynomials (coefficients computed
/// offline from Python's math.erfc and the erfc continued fraction at 100 Chebyshev nodes; 20 terms give
/// 5e-9 relative error, 42 terms 6e-15). Starting the tail at 1/2 rather than 1 keeps GELU's Φ(x) = erfc/2
/// free of the 1 − erf cancellation that cost float 9 ulp near x = −1.4.</item>
/// </list>
/// The float entry points of <see cref="VMath"/> widen to double and round once, so in practice only the double
/// sets are used; the shorter float sets keep a float instantiation self-consistent.
/// </summary>
internal static class ErfCoefficients<T> where T : IFloatingPointIeee754<T>
{
    public static readonly T SqrtPi = T.CreateTruncating(1.7724538509055160273);
    public static readonly T InvSqrt2 = T.CreateTruncating(0.70710678118654752440);

    /// <summary>Maclaurin coefficients, highest power first (Horner order).</summary>
    public static readonly T[] Maclaurin = BuildMaclaurin(typeof(T) == typeof(float) ? 9 : 14);

    /// <summary>Chebyshev coefficients c₀…c_{n−1} of h(t).</summary>
    public static readonly T[] Chebyshev = BuildChebyshev(typeof(T) == typeof(float) ? 20 : 42);

    private static T[] BuildChebyshev(int count)
    {
        var c = new T[count];
        for (int k = 0; k < count; k++) c[k] = T.CreateTruncating(ChebyshevDouble[k]);
        return c;
    }

    private static T[] BuildMaclaurin(int count)
    {
        var c = new T[count];
        double factorial = 1;
        for (int n = 0; n < count; n++)
        {
            if (n > 0) factorial *= n;
            double a = 2 / Math.Sqrt(Math.PI) * (n % 2 == 0 ? 1 : -1) / (factorial * (2 * n + 1));
            c[count - 1 - n] = T.CreateTruncating(a);
        }
        return c;
    }

    // A property, not a field: static fields initialise in textual order and Chebyshev above needs this.
    private static ReadOnlySpan<double> ChebyshevDouble =>
    [
        7.72052177852982191e-01,
        -2.42663337894980569e-01,
        7.70847059029334571e-03,
        1.36894718043164831e-02,
        -6.80155892433839324e-03,
        1.94632384312430021e-03,
        -2.46934175019632987e-04,
        -1.07281505184495532e-04,
        9.68934817057132093e-05,
        -4.40061558071458430e-05,
        1.32355506850623252e-05,
        -1.67553489849314730e-06,
        -1.05671255308470445e-06,
        1.01080611710324673e-06,
        -5.22310680304283194e-07,
        1.90048570969381098e-07,
        -4.11103637443233091e-08,
        -5.76579227029583347e-09,
        1.22924803247492781e-08,
        -8.18253264700530373e-09,
        3.80509905806292165e-09,
        -1.27721305087646891e-09,
        2.09376715964992860e-10,
        1.04524831012753337e-10,
        -1.28850834446581090e-10,
        8.14721623498826375e-11,
        -3.80345355210920404e-11,
        1.30760691163800412e-11,
        -2.23478346939032229e-12,
        -1.12703402166403067e-12,
        1.46673784229278689e-12,
        -9.79738512540961973e-13,
        4.89879248277702629e-13,
        -1.86934911994285357e-13,
        4.30366853265695666e-14,
        6.67688127009569150e-15,
        -1.72550862487241847e-14,
        1.33493216480928833e-14,
        -7.97362176285787509e-15,
        3.65041330496751499e-15,
        -1.55209178842596889e-15,
        3.57491813929300428e-16,
    ];
}
